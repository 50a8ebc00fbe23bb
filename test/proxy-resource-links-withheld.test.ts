/**
 * With several backends the session remembers which backend gave the client a resource URI (a
 * resource link, a read content, a listed resource) and routes the client's later requests for it
 * there (resource-links.ts, listed-routes.ts). Only what the client was shown may be remembered:
 *   - an answer whose audit record is refused (fail-closed back-pressure, a failed journal write)
 *     reaches the client as -32004 'audit log unavailable', never as the answer: the URIs it carried
 *     were remembered anyway (a read of one went to that backend, and another backend's giving of
 *     the same URI was shown aliased, as if the client had seen the first);
 *   - while an answer waits for its record, its URIs are reserved for its backend (another backend
 *     giving one meanwhile is shown aliased), so both are never shown the same plain URI;
 *   - a redaction obligation that masks a URI: the client sees the masked text; the original was
 *     remembered (a read of it routed to that backend, and it claimed the URI from other backends).
 * In process: a WardenProxy, two real backend children (test/servers/proxy-backend.mjs, labels a and
 * b), the SDK's Client over in-memory pipes, and a recorder that refuses (or holds) chosen rows.
 */
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { afterEach, describe, expect, it } from 'vitest';
import type { BackendConfig } from '../src/config/backends.js';
import { createLogger } from '../src/log/logger.js';
import { backendCredentialResolver } from '../src/identity/index.js';
import type { RouteLimits } from '../src/proxy/catalog.js';
import { WardenProxy } from '../src/proxy/proxy.js';
import type { AuditRecord, Decision, InterceptContext, PolicyDecider, Recorder } from '../src/types.js';
import { openAuditStore, type AuditStore } from '../src/audit/index.js';
import { auditConfig, tempDir } from './helpers/audit.js';
import { connectInProcess, TEST_BACKEND } from './helpers/proxy.js';
import { until } from './helpers/wait.js';

/** Refuses (throws, as the store does under fail-closed back-pressure) or holds the rows `refuse`/`hold` pick. */
class ChoosyRecorder implements Recorder {
  readonly records: AuditRecord[] = [];
  refuse: (r: AuditRecord) => boolean = () => false;
  hold: (r: AuditRecord) => Promise<void> | undefined = () => undefined;
  record(entry: AuditRecord): void | Promise<void> {
    if (this.refuse(entry)) throw new Error('audit queue full (backpressure: fail-closed)');
    this.records.push(entry);
    return this.hold(entry);
  }
  async close(): Promise<void> {}
}

/** Allows everything; in the response phase, the redaction `redact` gives for the context. */
class RedactingDecider implements PolicyDecider {
  constructor(
    private readonly redact: (ctx: InterceptContext) => Decision['redact'],
    readonly wantsResponsePhase = true,
  ) {}
  decide(ctx: InterceptContext): Decision {
    const redact = ctx.phase === 'response' ? this.redact(ctx) : undefined;
    return { allowed: true, reasons: [], mode: 'enforce', policyVersion: 'test-v1', micros: 1, ...(redact ? { redact } : {}) };
  }
}

const backend = (name: string, label: string): BackendConfig =>
  ({
    name,
    transport: 'stdio',
    command: process.execPath,
    args: [TEST_BACKEND],
    env: { TEST_BACKEND_LABEL: label, TEST_BACKEND_LINKS: '1' },
    timeoutMs: 10_000,
    restart: { initialDelayMs: 100, maxDelayMs: 1000 },
  }) as BackendConfig;

let proxy: WardenProxy | undefined;
let client: Client | undefined;

async function start(recorder: Recorder, decider: PolicyDecider = new RedactingDecider(() => undefined, false), resourceRoutes?: RouteLimits): Promise<Client> {
  proxy = new WardenProxy({
    resourceRoutes,
    backends: [backend('alpha', 'a'), backend('beta', 'b')],
    decider,
    recorder,
    backendCredentials: backendCredentialResolver(),
    logger: createLogger({ level: 'silent' }),
    version: '0.0.0-test',
  });
  ({ client } = await connectInProcess(proxy, {
    sessionId: 'session-1',
    transport: 'stdio',
    client: { id: 'alice', name: 'Alice', auth: 'api_key', roles: [], claims: {} },
  }, 'withheld-test'));
  return client;
}

afterEach(async () => {
  await client?.close().catch(() => undefined);
  await proxy?.close();
  client = undefined;
  proxy = undefined;
});

type Block = { type: string; uri?: string };
const links = (r: unknown): string[] => (r as { content: Block[] }).content.flatMap((b) => (b.type === 'resource_link' ? [b.uri!] : []));
const link = (c: Client, backendName: string, uri: string) => c.callTool({ name: `${backendName}__link`, arguments: { uri } });
const readText = async (c: Client, uri: string) => ((await c.readResource({ uri })).contents[0] as { text: string }).text;
const failure = (p: Promise<unknown>) => p.then((r) => ({ resolved: r }), (e: unknown) => e);
const argUri = (r: AuditRecord) => (r.arguments as { uri?: string } | undefined)?.uri;

describe('resource URIs the client was never shown are not remembered (several backends)', { timeout: 60_000 }, () => {
  it('a link in an answer whose audit record is refused: -32004 to the client, nothing remembered', async () => {
    const recorder = new ChoosyRecorder();
    const c = await start(recorder);
    recorder.refuse = (r) => r.tool === 'alpha__link';
    expect(await failure(link(c, 'alpha', 'test://x/1'))).toMatchObject({ code: -32004 });
    recorder.refuse = () => false;
    // Never shown by alpha: beta's same URI is shown plain (it was aliased as if alpha had it) ...
    expect(links(await link(c, 'beta', 'test://x/1'))).toEqual(['test://x/1']);
    // ... and the read goes to beta (it went to alpha).
    expect(await readText(c, 'test://x/1')).toBe('b:test://x/1');
  });

  it('the real audit store, back-pressure fail-closed: the refused answer leaves nothing remembered', async () => {
    const tmp = tempDir();
    // One row may wait for the writer (the flush interval is long: only flush() commits): the
    // initialize fills it, so the next record is refused (-32004) until the test flushes.
    const store: AuditStore = openAuditStore(auditConfig(`${tmp.dir}/audit.db`, { maxQueue: 1, backpressure: 'fail-closed', flushIntervalMs: 600_000 }));
    try {
      const c = await start(store);
      expect(await failure(link(c, 'alpha', 'test://z/1'))).toMatchObject({ code: -32004 });
      await store.flush();
      expect(links(await link(c, 'beta', 'test://z/1'))).toEqual(['test://z/1']);
      await store.flush();
      expect(await readText(c, 'test://z/1')).toBe('b:test://z/1');
      await client?.close();
      client = undefined;
      await proxy?.close();
      proxy = undefined;
      await store.flush();
      expect(store.verify().ok).toBe(true);
    } finally {
      await store.close();
      tmp.cleanup();
    }
  });

  it('a resources/list page whose audit record is refused: its URIs are not remembered', async () => {
    const recorder = new ChoosyRecorder();
    const c = await start(recorder);
    recorder.refuse = (r) => r.method === 'resources/list';
    expect(await failure(c.listResources())).toMatchObject({ code: -32004 });
    recorder.refuse = () => false;
    // alpha's first page (test://shared, test://a/only) never reached the client.
    expect(links(await link(c, 'beta', 'test://shared'))).toEqual(['test://shared']);
    expect(await readText(c, 'test://shared')).toBe('b:test://shared');
  });

  it('while an answer waits for its record its URIs are reserved: another backend giving one is shown aliased', async () => {
    const recorder = new ChoosyRecorder();
    const c = await start(recorder);
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    recorder.hold = (r) => (r.tool === 'alpha__link' ? gate : undefined);
    const fromAlpha = link(c, 'alpha', 'test://y/1');
    await until(() => recorder.records.some((r) => r.tool === 'alpha__link' && argUri(r) === 'test://y/1'), "alpha's answer recorded (held)");
    expect(links(await link(c, 'beta', 'test://y/1'))).toEqual(['mcp-warden:beta:test://y/1']);
    release();
    expect(links(await fromAlpha)).toEqual(['test://y/1']);
    expect(await readText(c, 'test://y/1')).toBe('a:test://y/1');
    expect(await readText(c, 'mcp-warden:beta:test://y/1')).toBe('b:test://y/1');
  });

  it('a URI a redaction masked: neither the masked text nor the original is remembered', async () => {
    const recorder = new ChoosyRecorder();
    const decider = new RedactingDecider((ctx) =>
      ctx.tool?.name === 'alpha__link' ? [{ pattern: 'secret', replacement: 'MASKED' }] : undefined,
    );
    const c = await start(recorder, decider);
    const r = await link(c, 'alpha', 'test://secret/1');
    expect(links(r)).toEqual(['test://MASKED/1']);
    // The client saw test://MASKED/1: it names nothing alpha gave, so it routes nowhere (both offer resources).
    expect(await failure(readText(c, 'test://MASKED/1'))).toMatchObject({ code: -32002 });
    // The original was remembered as alpha's: a read of it (a guess: the client never saw it) went to alpha.
    expect(await failure(readText(c, 'test://secret/1'))).toMatchObject({ code: -32002 });
    // Nor does it claim the URI: beta giving it is shown plain, and the read goes to beta.
    expect(links(await link(c, 'beta', 'test://secret/1'))).toEqual(['test://secret/1']);
    expect(await readText(c, 'test://secret/1')).toBe('b:test://secret/1');
  });

  it('a redaction that leaves a URI as it was: remembered as usual', async () => {
    const recorder = new ChoosyRecorder();
    const decider = new RedactingDecider((ctx) => (ctx.tool?.name === 'alpha__link' ? [{ pattern: 'secret', replacement: 'MASKED' }] : undefined));
    const c = await start(recorder, decider);
    expect(links(await link(c, 'alpha', 'test://open/1'))).toEqual(['test://open/1']);
    expect(await readText(c, 'test://open/1')).toBe('a:test://open/1');
  });

  it('a listed URI a redaction masked is not remembered; the others on the page are', async () => {
    const recorder = new ChoosyRecorder();
    const decider = new RedactingDecider((ctx) => (ctx.method === 'resources/list' ? [{ pattern: '/only$', replacement: '/MASKED' }] : undefined));
    const c = await start(recorder, decider);
    const page = await c.listResources();
    expect(page.resources.map((x) => x.uri)).toEqual(['test://shared', 'test://a/MASKED']);
    expect(await readText(c, 'test://shared')).toBe('a:test://shared');
    expect(await failure(readText(c, 'test://a/only'))).toMatchObject({ code: -32002 });
    expect(await failure(readText(c, 'test://a/MASKED'))).toMatchObject({ code: -32002 });
  });
});

describe('URI templates and given URIs while an answer waits for its record (several backends)', { timeout: 60_000 }, () => {
  it("a template page waiting for its record reserves the URIs it covers: another backend's link is shown aliased", async () => {
    const recorder = new ChoosyRecorder();
    const c = await start(recorder);
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    recorder.hold = (r) => (r.method === 'resources/templates/list' ? gate : undefined);
    const page = c.listResourceTemplates();
    await until(() => recorder.records.some((r) => r.method === 'resources/templates/list'), "alpha's template page recorded (held)");
    // alpha lists test://a/items/{id}: beta's test://a/items/7 is not beta's to show plain.
    expect(links(await link(c, 'beta', 'test://a/items/7'))).toEqual(['mcp-warden:beta:test://a/items/7']);
    release();
    expect((await page).resourceTemplates.map((t) => t.uriTemplate)).toContain('test://a/items/{id}');
    // Made of alpha's template, the URI reads alpha's resource; beta's by its alias.
    expect(await readText(c, 'test://a/items/7')).toBe('a:test://a/items/7');
    expect(await readText(c, 'mcp-warden:beta:test://a/items/7')).toBe('b:test://a/items/7');
  });

  it('a link shown plain while it waited for its record still routes to the backend that gave it once a template covering it is listed', async () => {
    const recorder = new ChoosyRecorder();
    const c = await start(recorder);
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    recorder.hold = (r) => (r.tool === 'beta__link' ? gate : undefined);
    const fromBeta = link(c, 'beta', 'test://a/items/8');
    await until(() => recorder.records.some((r) => r.tool === 'beta__link'), "beta's answer recorded (held)");
    // alpha's template page (test://a/items/{id}) reaches the client first.
    expect((await c.listResourceTemplates()).resourceTemplates.map((t) => t.uriTemplate)).toContain('test://a/items/{id}');
    release();
    // beta gave the URI plain before the template was listed: it is beta's, as a read of it says.
    expect(links(await fromBeta)).toEqual(['test://a/items/8']);
    expect(await readText(c, 'test://a/items/8')).toBe('b:test://a/items/8');
  });

  it("at the listed cap, a URI held by its backend's refused link is listed so that it still routes", async () => {
    const recorder = new ChoosyRecorder();
    const c = await start(recorder, undefined, { listedUris: 1, listedTemplates: 1000, givenUris: 1000 });
    let refuse!: (err: Error) => void;
    const gate = new Promise<void>((_, r) => (refuse = r));
    recorder.hold = (r) => (r.tool === 'alpha__link' ? gate : undefined);
    const fromAlpha = failure(link(c, 'alpha', 'test://a/only'));
    await until(() => recorder.records.some((r) => r.tool === 'alpha__link'), "alpha's answer recorded (held)");
    // alpha's first page: test://shared (the one URI its cap remembers), test://a/only (held by the link).
    const page = await c.listResources();
    refuse(new Error('audit write failed'));
    expect(await fromAlpha).toMatchObject({ code: -32004 });
    const shown = page.resources.map((x) => x.uri);
    expect(shown[0]).toBe('test://shared');
    // Whatever form the page showed it in, it reads alpha's resource (it was -32002: remembered nowhere).
    expect(await readText(c, shown[1]!)).toBe('a:test://a/only');
  });

});
