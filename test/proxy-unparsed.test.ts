/**
 * tools/call requests nothing judges (a decider with unconditionalAllow, a recorder that discards)
 * go to the backend without being parsed; in process, with the SDK's Client (which writes requests
 * compactly, id last) over in-memory pipes and a real backend child. The call works and the decider
 * is never asked; a policy with a response phase that comes in while such a call is on its way
 * still judges its answer with the full context (tool, arguments), completed from the request text.
 */
import { PassThrough } from 'node:stream';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { BackendConfig } from '../src/config/backends.js';
import { backendCredentialResolver } from '../src/identity/index.js';
import { createLogger } from '../src/log/logger.js';
import { NoopRecorder } from '../src/proxy/noop-recorder.js';
import { WardenProxy } from '../src/proxy/proxy.js';
import { RequestRouter } from '../src/proxy/router.js';
import { NdjsonTransport } from '../src/transport/ndjson.js';
import type { Decision, InterceptContext, PolicyDecider } from '../src/types.js';
import { firstText, TEST_BACKEND } from './helpers/proxy.js';

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

async function start(decider: PolicyDecider): Promise<Client> {
  const backend = { name: 'inv', prefix: '', transport: 'stdio', command: process.execPath, args: [TEST_BACKEND], env: {}, timeoutMs: 10_000, restart: false } as unknown as BackendConfig;
  proxy = new WardenProxy({
    backends: [backend],
    decider,
    recorder: new NoopRecorder(),
    backendCredentials: backendCredentialResolver(),
    logger: createLogger({ level: 'silent' }),
    version: '0.0.0-test',
  });
  const toProxy = new PassThrough();
  const toClient = new PassThrough();
  await proxy.openSession(new NdjsonTransport(toProxy, toClient, { answerInvalid: true }), {
    sessionId: 'session-unparsed',
    transport: 'stdio',
    client: { id: 'alice', name: 'Alice', auth: 'local', roles: [], claims: {} },
  });
  client = new Client({ name: 'unparsed-test', version: '1' });
  await client.connect(new NdjsonTransport(toClient, toProxy));
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

  it('a response phase that arrives mid-call judges the answer with the tool and arguments', async () => {
    const decider = new FlippingDecider();
    const complete = vi.spyOn(RequestRouter.prototype, 'completeContext');
    const c = await start(decider);
    const call = c.callTool({ name: 'slow', arguments: { ms: 300 } });
    await new Promise((r) => setTimeout(r, 100));
    decider.flip();
    await call;
    const response = decider.seen.find((ctx) => ctx.phase === 'response' && ctx.method === 'tools/call');
    expect(response?.tool?.name).toBe('slow');
    expect(response?.arguments).toEqual({ ms: 300 });
    expect(response?.params).toMatchObject({ name: 'slow', arguments: { ms: 300 } });
    expect(complete).toHaveBeenCalledTimes(1);
  });
});
