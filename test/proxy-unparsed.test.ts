/**
 * tools/call requests nothing judges (a decider with unconditionalAllow, a recorder that discards)
 * go to the backend without being parsed; in process, with the SDK's Client (which writes requests
 * compactly, id last) over in-memory pipes and a real backend child. The call works and the decider
 * is never asked; a policy with a response phase that comes in while such a call is on its way
 * still judges its answer with the full context (tool, arguments), completed from the request bytes.
 * Non-ASCII text passes as bytes; a line with malformed UTF-8 is decoded and parsed as before.
 */
import type { PassThrough } from 'node:stream';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { backendCredentialResolver } from '../src/identity/index.js';
import { createLogger } from '../src/log/logger.js';
import { NoopRecorder } from '../src/proxy/noop-recorder.js';
import { WardenProxy } from '../src/proxy/proxy.js';
import { RequestRouter } from '../src/proxy/router.js';
import type { Decision, InterceptContext, PolicyDecider } from '../src/types.js';
import { connectInProcess, firstText, stdioBackend, TEST_BACKEND } from './helpers/proxy.js';

const ALLOW: Decision = { allowed: true, reasons: [], mode: 'enforce', policyVersion: 'test-unconditional', micros: 0 };

/** Allows everything; unconditionally until flip(), then by evaluating (with a response phase). */
class FlippingDecider implements PolicyDecider {
  readonly seen: InterceptContext[] = [];
  unconditionalAllow: Decision | undefined = ALLOW;
  wantsResponsePhase = false;
  decide(ctx: InterceptContext): Decision {
    this.seen.push({ ...ctx });
    return { ...ALLOW, policyVersion: 'test-evaluated' };
  }
  flip(): void {
    this.unconditionalAllow = undefined;
    this.wantsResponsePhase = true;
  }
}

let proxy: WardenProxy | undefined;
let client: Client | undefined;
afterEach(async () => {
  await client?.close();
  await proxy?.close();
  vi.restoreAllMocks();
  proxy = undefined;
  client = undefined;
});

let pipes: { toProxy: PassThrough; toClient: PassThrough } | undefined;

async function start(decider: PolicyDecider): Promise<Client> {
  const backend = stdioBackend({ name: 'inv', prefix: '', command: process.execPath, args: [TEST_BACKEND], timeoutMs: 10_000 });
  proxy = new WardenProxy({
    backends: [backend],
    restartBackends: false,
    decider,
    recorder: new NoopRecorder(),
    backendCredentials: backendCredentialResolver(),
    logger: createLogger({ level: 'silent' }),
    version: '0.0.0-test',
  });
  const c = await connectInProcess(proxy, {
    sessionId: 'session-unparsed',
    transport: 'stdio',
    client: { id: 'alice', name: 'Alice', auth: 'local', roles: [], claims: {} },
  }, 'unparsed-test');
  pipes = { toProxy: c.toProxy, toClient: c.toClient };
  client = c.client;
  return client;
}

describe('tools/call nothing judges, forwarded unparsed', () => {
  it('answers as through the usual way, without asking the decider', async () => {
    const decider = new FlippingDecider();
    const unparsed = vi.spyOn(RequestRouter.prototype, 'unparsedToolCall');
    const c = await start(decider);
    const results = await Promise.all([1, 2, 3].map((n) => c.callTool({ name: 'echo', arguments: { text: `hello ${n}` } })));
    expect(results.map((r) => firstText(r))).toEqual(['hello 1', 'hello 2', 'hello 3'].map((t) => expect.stringContaining(t)));
    expect(decider.seen.filter((ctx) => ctx.method === 'tools/call')).toEqual([]);
    // The three calls took the unparsed way (the SDK writes them compactly, id last).
    expect(unparsed.mock.results.filter((r) => r.value === true)).toHaveLength(3);
  });

  it('exchanges reused from answered calls carry each later call to its own answer (in sequence and concurrently)', async () => {
    const c = await start(new FlippingDecider());
    for (let n = 0; n < 20; n++) {
      expect(firstText(await c.callTool({ name: 'echo', arguments: { text: `seq ${n}` } }))).toBe(`a:seq ${n}`);
    }
    const texts = Array.from({ length: 40 }, (_, n) => `par ${n}`);
    const results = await Promise.all(texts.map((text) => c.callTool({ name: 'echo', arguments: { text } })));
    expect(results.map((r) => firstText(r))).toEqual(texts.map((t) => `a:${t}`));
  });

  it('passes valid UTF-8 through as bytes; a line with malformed UTF-8 takes the parsing way (decoded as before)', async () => {
    const unparsed = vi.spyOn(RequestRouter.prototype, 'unparsedToolCall');
    await start(new FlippingDecider());
    const { toProxy, toClient } = pipes!;
    const answers = new Map<number, string>();
    let pending = '';
    toClient.on('data', (chunk: Buffer) => {
      pending += chunk.toString('utf8');
      let nl: number;
      while ((nl = pending.indexOf('\n')) >= 0) {
        const line = pending.slice(0, nl);
        pending = pending.slice(nl + 1);
        const m = JSON.parse(line) as { id?: number };
        if (typeof m.id === 'number' && m.id >= 9000) answers.set(m.id, line);
      }
    });
    const call = (id: number, text: Buffer): Buffer =>
      Buffer.concat([Buffer.from(`{"jsonrpc":"2.0","id":${id},"method":"tools/call","params":{"name":"echo","arguments":{"text":"`), text, Buffer.from('"}}}\n')]);
    // Both in one chunk, with a blank line and a CRLF line end.
    toProxy.write(Buffer.concat([call(9001, Buffer.from('é ☃ 😀')), Buffer.from('\r\n'), call(9002, Buffer.from([0x61, 0xff, 0x62]))]));
    await vi.waitFor(() => expect(answers.size).toBe(2), { timeout: 30_000 });
    const text = (id: number): string => (JSON.parse(answers.get(id)!) as { result: { content: Array<{ text: string }> } }).result.content[0]!.text;
    expect(text(9001)).toBe('a:é ☃ 😀');
    expect(text(9002)).toBe('a:a\ufffdb');
    expect(unparsed.mock.results.map((r) => r.value).slice(-2)).toEqual([true, false]);
  });

  it('a response phase that arrives mid-call judges the answer with the tool and arguments', async () => {
    const decider = new FlippingDecider();
    const complete = vi.spyOn(RequestRouter.prototype, 'completeContext');
    const c = await start(decider);
    // Flipped on the call's first progress (the backend has it; its answer comes 250 ms later on the
    // same pipe), not 100 ms after sending it: a host that stalled this process past the answer
    // handled the answer before a 100 ms timer.
    await c.callTool({ name: 'slow', arguments: { ms: 300 } }, undefined, { onprogress: () => decider.flip() });
    const response = decider.seen.find((ctx) => ctx.phase === 'response' && ctx.method === 'tools/call');
    expect(response?.tool?.name).toBe('slow');
    expect(response?.arguments).toEqual({ ms: 300 });
    expect(response?.params).toMatchObject({ name: 'slow', arguments: { ms: 300 } });
    expect(complete).toHaveBeenCalledTimes(1);
  });
});
