/**
 * The interception chain, in process: a WardenProxy with a rule-based test decider and a recorder
 * that keeps what it gets, one real backend child process (test/servers/proxy-backend.mjs), and the
 * SDK's Client talking newline-delimited JSON to the proxy over a pair of in-memory pipes.
 * Covers: call-time context with the tool's annotations without any prior list, deny answers
 * (result / JSON-RPC error / other methods), list filtering, shadow mode, one audit row per request
 * written before the answer, recorder failure failing closed, response-phase deny and redaction,
 * cancellation and timeouts in the audit.
 */
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { afterEach, describe, expect, it } from 'vitest';
import type { BackendConfig } from '../src/config/backends.js';
import { createLogger } from '../src/log/logger.js';
import { backendCredentialResolver } from '../src/identity/index.js';
import { WardenProxy } from '../src/proxy/proxy.js';
import type { AuditRecord, Decision, InterceptContext, PolicyDecider, Recorder } from '../src/types.js';
import { connectInProcess, firstText, TEST_BACKEND } from './helpers/proxy.js';
import { sleep, until } from './helpers/wait.js';

type Rule = (ctx: InterceptContext) => Partial<Decision> | undefined;

/** Decides by a list of rules (first match wins, default allow) and keeps every context it saw. */
class RuleDecider implements PolicyDecider {
  readonly seen: InterceptContext[] = [];
  constructor(
    private readonly rules: Rule[],
    readonly wantsResponsePhase = false,
    private readonly mode: 'enforce' | 'shadow' = 'enforce',
  ) {}
  decide(ctx: InterceptContext): Decision {
    this.seen.push(ctx);
    for (const rule of this.rules) {
      const d = rule(ctx);
      if (d) return { allowed: false, reasons: [], mode: this.mode, policyVersion: 'test-v1', micros: 7, ...d };
    }
    return { allowed: true, reasons: [], mode: this.mode, policyVersion: 'test-v1', micros: 7 };
  }
}

class KeepingRecorder implements Recorder {
  readonly records: AuditRecord[] = [];
  gate: Promise<void> | undefined;
  fail = false;
  record(entry: AuditRecord): void | Promise<void> {
    if (this.fail) throw new Error('disk full');
    this.records.push(entry);
    return this.gate;
  }
  async close(): Promise<void> {}
}

const backend = (extra: Partial<BackendConfig> = {}): BackendConfig =>
  ({ name: 'inv', transport: 'stdio', command: process.execPath, args: [TEST_BACKEND], env: {}, timeoutMs: 10_000, restart: { initialDelayMs: 100, maxDelayMs: 1000 }, ...extra }) as BackendConfig;

let proxy: WardenProxy | undefined;
let client: Client | undefined;

async function start(decider: PolicyDecider, recorder: Recorder, options: { deniedToolCall?: 'result' | 'error'; backend?: Partial<BackendConfig> } = {}): Promise<Client> {
  proxy = new WardenProxy({
    backends: [backend(options.backend)],
    decider,
    recorder,
    backendCredentials: backendCredentialResolver(),
    deniedToolCall: options.deniedToolCall,
    logger: createLogger({ level: 'silent' }),
    version: '0.0.0-test',
  });
  ({ client } = await connectInProcess(proxy, {
    sessionId: 'session-1',
    transport: 'stdio',
    client: { id: 'alice', name: 'Alice', auth: 'api_key', roles: ['dev'], claims: {} },
  }, 'chain-test'));
  return client;
}

afterEach(async () => {
  await client?.close().catch(() => undefined);
  await proxy?.close();
  client = undefined;
  proxy = undefined;
});

const denyDestructive: Rule = (ctx) =>
  ctx.tool?.annotations?.destructiveHint === true ? { reasons: [`${ctx.tool.name} is destructive`] } : undefined;

describe('interception chain', () => {
  it('decides a call with the tool definition (annotations) even when the client never listed', async () => {
    const decider = new RuleDecider([denyDestructive]);
    const recorder = new KeepingRecorder();
    const c = await start(decider, recorder);
    const denied = await c.callTool({ name: 'delete_thing', arguments: { id: '42' } });
    expect(denied).toEqual({ content: [{ type: 'text', text: 'Denied by policy: delete_thing is destructive' }], isError: true });
    const call = decider.seen.find((x) => x.method === 'tools/call')!;
    expect(call).toMatchObject({
      phase: 'request',
      client: { id: 'alice', roles: ['dev'] },
      session: { id: 'session-1', transport: 'stdio', protocolVersion: expect.any(String) },
      backend: { name: 'inv', transport: 'stdio' },
      tool: { name: 'delete_thing', backendName: 'delete_thing', annotations: { destructiveHint: true } },
      arguments: { id: '42' },
    });
    const row = recorder.records.find((r) => r.method === 'tools/call')!;
    expect(row).toMatchObject({ decision: 'deny', outcome: 'denied', reasons: ['delete_thing is destructive'], tool: 'delete_thing', clientId: 'alice', backend: 'inv', policyVersion: 'test-v1' });
    expect(row.backendMicros).toBeUndefined();
    // Allowed calls still go through, with their row written when the answer came back.
    expect(firstText(await c.callTool({ name: 'echo', arguments: { text: 'hi' } }))).toBe('a:hi');
    const ok = recorder.records.filter((r) => r.method === 'tools/call').at(-1)!;
    expect(ok).toMatchObject({ decision: 'allow', outcome: 'ok', tool: 'echo', arguments: { text: 'hi' }, isError: false, decisionMicros: 7 });
    expect(ok.backendMicros).toBeGreaterThan(0);
    expect(ok.requestBytes).toBeGreaterThan(20);
    expect(ok.responseBytes).toBeGreaterThan(20);
  });

  it('answers a denied call with a JSON-RPC error when deniedToolCall is "error"', async () => {
    const c = await start(new RuleDecider([denyDestructive]), new KeepingRecorder(), { deniedToolCall: 'error' });
    await expect(c.callTool({ name: 'delete_thing', arguments: {} })).rejects.toMatchObject({
      code: -32001,
      message: expect.stringContaining('Denied by policy: delete_thing is destructive'),
      data: { reasons: ['delete_thing is destructive'], policyVersion: 'test-v1' },
    });
  });

  it('answers other denied methods with -32001 and hides list items the policy would never allow', async () => {
    const decider = new RuleDecider([
      denyDestructive,
      (ctx) => (ctx.method === 'prompts/get' ? { reasons: ['no prompts for you'] } : undefined),
      (ctx) => (ctx.phase === 'list' && ctx.resource?.uri === 'test://a/only' ? { reasons: ['hidden'] } : undefined),
    ]);
    const c = await start(decider, new KeepingRecorder());
    await expect(c.getPrompt({ name: 'greet', arguments: { name: 'x' } })).rejects.toMatchObject({ code: -32001 });
    const names: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await c.listTools(cursor ? { cursor } : undefined);
      names.push(...page.tools.map((t) => t.name));
      cursor = page.nextCursor;
    } while (cursor);
    expect(names).toEqual(['echo', 'whoami', 'slow', 'cancelled_count', 'secret', 'sample_then_cancel']);
    const resources = await c.listResources();
    expect(resources.resources.map((r) => r.uri)).toEqual(['test://shared']);
    expect(decider.seen.some((x) => x.phase === 'list' && x.tool?.name === 'crash')).toBe(true);
  });

  it('shadow mode forwards what it would deny and records shadow-deny', async () => {
    const recorder = new KeepingRecorder();
    const c = await start(new RuleDecider([(ctx) => (ctx.tool?.name === 'echo' ? { reasons: ['would deny'] } : undefined)], false, 'shadow'), recorder);
    expect(firstText(await c.callTool({ name: 'echo', arguments: { text: 'x' } }))).toBe('a:x');
    expect(recorder.records.at(-1)).toMatchObject({ decision: 'shadow-deny', outcome: 'ok', reasons: ['would deny'] });
  });

  it('records before answering: the answer waits for a recorder under back-pressure', async () => {
    const recorder = new KeepingRecorder();
    const c = await start(new RuleDecider([denyDestructive]), recorder);
    let release!: () => void;
    recorder.gate = new Promise<void>((r) => (release = r));
    let answered = false;
    const denied = c.callTool({ name: 'delete_thing', arguments: {} }).then((r) => ((answered = true), r));
    const allowed = c.callTool({ name: 'echo', arguments: { text: 'later' } }).then((r) => ((answered = true), r));
    // Both rows reach the recorder (the allowed one once the backend child answered: no fixed wait
    // can know when that is on a busy host), and the recorder holds them.
    await until(() => recorder.records.filter((r) => r.method === 'tools/call').length >= 2, 'both calls recorded');
    expect(recorder.records.filter((r) => r.method === 'tools/call')).toHaveLength(2);
    // An answer written without waiting for the recorder would reach the client over the in-memory
    // pipe within a few turns of this process's event loop (no other process in between).
    for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
    await sleep(50);
    expect(answered).toBe(false);
    recorder.gate = undefined;
    release();
    expect((await denied).isError).toBe(true);
    expect(firstText(await allowed)).toBe('a:later');
  });

  it('fails closed when the recorder refuses a row', async () => {
    const recorder = new KeepingRecorder();
    const c = await start(new RuleDecider([]), recorder);
    recorder.fail = true;
    await expect(c.callTool({ name: 'echo', arguments: { text: 'x' } })).rejects.toMatchObject({ code: -32004, message: expect.stringContaining('audit log unavailable') });
  });

  it('response phase: redact obligations rewrite results, a response deny replaces them', async () => {
    const decider = new RuleDecider([
      (ctx) => (ctx.phase === 'response' && ctx.tool?.name === 'whoami' ? { reasons: ['no pids'] } : undefined),
      (ctx) => (ctx.phase === 'response' && ctx.tool?.name === 'secret' ? { allowed: true, redact: [{ pattern: 'password=\\S+', replacement: 'password=***' }] } : undefined),
    ], true);
    const recorder = new KeepingRecorder();
    const c = await start(decider, recorder);
    expect(firstText(await c.callTool({ name: 'secret', arguments: {} }))).toBe('user=admin password=***');
    expect(recorder.records.at(-1)).toMatchObject({ outcome: 'ok', redact: [{ pattern: 'password=\\S+' }] });
    expect(await c.callTool({ name: 'whoami', arguments: {} })).toEqual({ content: [{ type: 'text', text: 'Denied by policy: no pids' }], isError: true });
    expect(recorder.records.at(-1)).toMatchObject({ decision: 'deny', outcome: 'denied', reasons: ['no pids'] });
    const response = decider.seen.find((x) => x.phase === 'response' && x.tool?.name === 'secret')!;
    expect(response.result).toBeDefined();
  });

  it('records a cancelled call as cancelled, and a backend that does not answer in time as timeout', async () => {
    const recorder = new KeepingRecorder();
    const c = await start(new RuleDecider([]), recorder, { backend: { timeoutMs: 1500 } });
    const controller = new AbortController();
    const call = c.callTool({ name: 'slow', arguments: { ms: 3000 } }, undefined, { signal: controller.signal, onprogress: () => controller.abort() });
    await expect(call).rejects.toThrow();
    await new Promise((r) => setTimeout(r, 100));
    expect(recorder.records.find((r) => r.tool === 'slow')).toMatchObject({ outcome: 'cancelled' });
    await expect(c.callTool({ name: 'slow', arguments: { ms: 6000 } }, undefined, { timeout: 10_000 })).rejects.toMatchObject({
      code: -32003,
      message: expect.stringContaining("backend 'inv' did not answer tools/call within 1500 ms"),
    });
    expect(recorder.records.filter((r) => r.tool === 'slow').at(-1)).toMatchObject({ outcome: 'timeout', errorCode: -32003 });
    expect(firstText(await c.callTool({ name: 'echo', arguments: { text: 'alive' } }))).toBe('a:alive');
  });
});
