/**
 * For the tests of judged tools/call lines on bytes (src/proxy/judged-calls.ts): a WardenProxy in
 * process with a real policy decider (counted: how many tools/call decisions it evaluated), a real
 * backend child (test/servers/listed-tools-server.mjs, whose answers carry the request line as it
 * reached it), and raw client sessions over in-memory pipes that write exactly the lines a test gives.
 */
import { PassThrough } from 'node:stream';
import { join } from 'node:path';
import { backendCredentialResolver } from '../../src/identity/index.js';
import { createLogger } from '../../src/log/logger.js';
import type { PolicyDeciderHandle } from '../../src/policy/index.js';
import { NoopRecorder } from '../../src/proxy/noop-recorder.js';
import { WardenProxy } from '../../src/proxy/proxy.js';
import { NdjsonTransport } from '../../src/transport/ndjson.js';
import type { CallFootprint, ClientIdentity, Decision, InterceptContext, PolicyDecider } from '../../src/types.js';
import { ROOT, stdioBackend } from './proxy.js';

export const LISTED_TOOLS = join(ROOT, 'test/servers/listed-tools-server.mjs');

/** Delegates to a real decider and counts the tools/call decisions it was asked for. */
export class CountingDecider implements PolicyDecider {
  toolCalls = 0;
  constructor(readonly inner: PolicyDeciderHandle) {}
  get wantsResponsePhase(): boolean {
    return this.inner.wantsResponsePhase;
  }
  get unconditionalAllow(): Decision | undefined {
    return this.inner.unconditionalAllow;
  }
  get pureDecisionEpoch(): object | undefined {
    return this.inner.pureDecisionEpoch;
  }
  get pureDecisionFootprint(): CallFootprint | undefined {
    return this.inner.pureDecisionFootprint;
  }
  get argumentsRead(): readonly string[] | undefined {
    return this.inner.argumentsRead;
  }
  decidedByClass(): boolean {
    return this.inner.decidedByClass?.() ?? false;
  }
  decide(ctx: InterceptContext): Decision {
    if (ctx.method === 'tools/call' && ctx.phase === 'request') this.toolCalls++;
    return this.inner.decide(ctx);
  }
}

export type Message = Record<string, unknown> & { id?: unknown; result?: Record<string, unknown>; error?: Record<string, unknown> };

/** One client session writing raw lines. */
export class RawSession {
  private readonly waiters = new Map<string, (m: Message) => void>();
  private pending = '';
  constructor(
    readonly toProxy: PassThrough,
    toClient: PassThrough,
  ) {
    toClient.on('data', (chunk: Buffer) => {
      this.pending += chunk.toString('utf8');
      let nl: number;
      while ((nl = this.pending.indexOf('\n')) >= 0) {
        const line = this.pending.slice(0, nl);
        this.pending = this.pending.slice(nl + 1);
        const m = JSON.parse(line) as Message;
        if (m.id === undefined || 'method' in m) continue;
        const key = JSON.stringify(m.id);
        this.waiters.get(key)?.(m);
        this.waiters.delete(key);
      }
    });
  }

  /** Writes `line` (a request whose id is `id`) and resolves with its answer. */
  send(line: string, id: string | number): Promise<Message> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no answer to ${line}`)), 30_000);
      this.waiters.set(JSON.stringify(id), (m) => {
        clearTimeout(timer);
        resolve(m);
      });
      this.toProxy.write(`${line}\n`);
    });
  }

  request(id: number | string, method: string, params: unknown): Promise<Message> {
    return this.send(JSON.stringify({ jsonrpc: '2.0', id, method, params }), id);
  }
}

export interface JudgedProxy {
  proxy: WardenProxy;
  decider: CountingDecider;
  open(client: ClientIdentity, sessionId?: string): Promise<RawSession>;
  close(): Promise<void>;
}

/** A proxy in front of listed-tools-server with `tools` ({name: annotations}), deciding with `inner`. */
export function startJudgedProxy(inner: PolicyDeciderHandle, tools: Record<string, unknown>, decider = new CountingDecider(inner)): JudgedProxy {
  const backend = stdioBackend({ name: 'listed', prefix: '', command: process.execPath, args: [LISTED_TOOLS], env: { LISTED_TOOLS: JSON.stringify(tools) }, timeoutMs: 10_000 });
  const proxy = new WardenProxy({
    backends: [backend],
    restartBackends: false,
    decider,
    recorder: new NoopRecorder(),
    backendCredentials: backendCredentialResolver(),
    logger: createLogger({ level: 'silent' }),
    version: '0.0.0-test',
  });
  let n = 0;
  return {
    proxy,
    decider,
    async open(client, sessionId = `judged-${++n}`) {
      const toProxy = new PassThrough();
      const toClient = new PassThrough();
      await proxy.openSession(new NdjsonTransport(toProxy, toClient, { answerInvalid: true }), { sessionId, transport: 'stdio', client });
      const session = new RawSession(toProxy, toClient);
      const init = await session.request('init', 'initialize', { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'judged-test', version: '1' } });
      if (init.result === undefined) throw new Error(`initialize failed: ${JSON.stringify(init)}`);
      toProxy.write('{"jsonrpc":"2.0","method":"notifications/initialized"}\n');
      await session.request('list', 'tools/list', {});
      return session;
    },
    async close() {
      await proxy.close();
      inner.close();
    },
  };
}

/** The request line the backend received, from its answer (undefined for a deny or an error). */
export function receivedLine(answer: Message): string | undefined {
  const content = answer.result?.content as Array<{ text?: string }> | undefined;
  const text = content?.[0]?.text;
  return typeof text === 'string' && text.startsWith('{') ? text : undefined;
}

/** An answer compared across ways: the request the backend received (its params), or the deny. */
export function outcome(answer: Message): unknown {
  const line = receivedLine(answer);
  if (line !== undefined) return { reached: (JSON.parse(line) as { params: unknown }).params };
  return { result: answer.result, error: answer.error };
}

/** The compact spelling (id second, integer): what the byte path recognizes. */
export function compactCall(id: number, params: unknown): string {
  return `{"jsonrpc":"2.0","id":${id},"method":"tools/call","params":${JSON.stringify(params)}}`;
}

/** A spelling the byte path does not take (string id): decided by the usual way, afresh. */
export function usualCall(id: string, params: unknown): string {
  return `{"jsonrpc":"2.0","id":${JSON.stringify(id)},"method":"tools/call","params":${JSON.stringify(params)}}`;
}
