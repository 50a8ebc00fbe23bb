/**
 * rateLimit: tools/call per client identity (src/policy/rate-limit.ts), on the real Rego decider.
 * In process with a clock of the test's own (the bucket's arithmetic), and end to end through a real
 * `mcp-warden wrap --config` on the test backend: identical calls past the limit are denied (no
 * decision reused around the limit) with a reason naming it, and allowed again once tokens refill.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { wardenConfigSchema } from '../src/config/schema.js';
import { createPolicyDecider } from '../src/policy/index.js';
import { RateLimitedDecider } from '../src/policy/rate-limit.js';
import type { InterceptContext, PolicyDecider } from '../src/types.js';
import { connectCli, firstText, TEST_BACKEND, type StdioConnection } from './helpers/proxy.js';

function call(clientId: string, method = 'tools/call', phase: InterceptContext['phase'] = 'request'): InterceptContext {
  return {
    phase,
    method,
    client: { id: clientId, name: clientId, auth: 'api_key', roles: [], claims: {} },
    session: { id: 's1', transport: 'stdio' },
    backend: { name: 'backend', transport: 'stdio' },
    params: { name: 'echo', arguments: { text: 'hi' } },
    tool: { name: 'echo', backendName: 'echo', annotations: { readOnlyHint: true } },
    arguments: { text: 'hi' },
  };
}

describe('RateLimitedDecider (in process, on the real policy decider)', () => {
  it('spends the burst, denies with a reason naming the limit, refills at the steady rate; per-client overrides; only tools/call counts', () => {
    let now = 0;
    const inner = createPolicyDecider({ paths: ['allow-all'], watch: false });
    const limited = new RateLimitedDecider(inner, { toolCallsPerMinute: 60, burst: 3, clients: { ci: { toolCallsPerMinute: 600, burst: 10 } } }, () => now);
    try {
      const allowed = () => limited.decide(call('alice')).allowed;
      expect([allowed(), allowed(), allowed()]).toEqual([true, true, true]);
      const denied = limited.decide(call('alice'));
      expect(denied.allowed).toBe(false);
      expect(denied.mode).toBe('enforce');
      expect(denied.reasons[0]).toBe("Rate limit: client 'alice' may make 60 tools/call per minute (burst 3); retry in 1 s (rateLimit)");
      // Other methods and phases take no token and are never limited.
      expect(limited.decide(call('alice', 'tools/list')).allowed).toBe(true);
      expect(limited.decide(call('alice', 'tools/call', 'list')).allowed).toBe(true);
      // Nor does a backend's request to the client named tools/call (it cannot spend the client's tokens).
      expect(limited.decide({ ...call('alice'), direction: 'server_to_client' }).allowed).toBe(true);
      // Client ids that are names of Object.prototype's members get the default bucket (not a NaN one that denies all).
      for (const id of ['constructor', '__proto__', 'toString']) expect(limited.decide(call(id)).allowed, id).toBe(true);
      // Another client has its own bucket; "ci" its own settings.
      expect(limited.decide(call('bob')).allowed).toBe(true);
      for (let i = 0; i < 10; i++) expect(limited.decide(call('ci')).allowed).toBe(true);
      expect(limited.decide(call('ci')).reasons[0]).toMatch(/client 'ci' may make 600 tools\/call per minute \(burst 10\)/);
      // 60 per minute: one token a second; never more than the burst.
      now += 999;
      expect(limited.decide(call('alice')).allowed).toBe(false);
      now += 2;
      expect(limited.decide(call('alice')).allowed).toBe(true);
      expect(limited.decide(call('alice')).allowed).toBe(false);
      now += 3_600_000;
      expect([allowed(), allowed(), allowed(), allowed()]).toEqual([true, true, true, false]);
      // No shortcut around decide(): every call is counted (the proxy reads these as a PolicyDecider's).
      const seen: PolicyDecider = limited;
      expect(seen.unconditionalAllow).toBeUndefined();
      expect(seen.pureDecisionEpoch).toBeUndefined();
      expect(seen.pureDecisionFootprint).toBeUndefined();
      expect(inner.unconditionalAllow).toBeDefined();
    } finally {
      limited.close();
    }
  });

  it('past 10 000 clients: a client that spent its tokens is never forgotten (only full buckets are), and the map is swept again only after it grew by a quarter', () => {
    let now = 0;
    const limited = new RateLimitedDecider(createPolicyDecider({ paths: ['allow-all'], watch: false }), { toolCallsPerMinute: 1, burst: 1 }, () => now);
    try {
      for (let i = 0; i < 12_000; i++) expect(limited.decide(call(`c${i}`)).allowed).toBe(true);
      // None was full, so none was forgotten: each still has no token.
      for (const i of [0, 5_000, 11_999]) expect(limited.decide(call(`c${i}`)).allowed).toBe(false);
      // A minute on, every bucket is full again: they may be forgotten, and a forgotten one starts full.
      now += 60_000;
      expect(limited.decide(call('late')).allowed).toBe(true);
      expect(limited.decide(call('c0')).allowed).toBe(true);
      expect(limited.decide(call('c0')).allowed).toBe(false);
    } finally {
      limited.close();
    }
  });

  it("keeps the policy's own reasons and its denial: a call the policy denies also takes a token", () => {
    let now = 0;
    const dir = mkdtempSync(join(tmpdir(), 'warden-rate-'));
    try {
      writeFileSync(join(dir, 'deny.rego'), 'package mcp.authz\n\nimport rego.v1\n\ndeny contains "echo is off" if input.tool.name == "echo"\n');
      const inner = createPolicyDecider({ paths: [join(dir, 'deny.rego')], watch: false });
      const limited = new RateLimitedDecider(inner, { toolCallsPerMinute: 60, burst: 1 }, () => now);
      const first = limited.decide(call('alice'));
      expect(first.allowed).toBe(false);
      expect(first.reasons).toEqual(['echo is off']);
      const second = limited.decide(call('alice'));
      expect(second.reasons).toEqual(["Rate limit: client 'alice' may make 60 tools/call per minute (burst 1); retry in 1 s (rateLimit)", 'echo is off']);
      limited.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('config: rateLimit is validated (a rate must be positive; unknown keys named)', () => {
    const base = { backends: [{ name: 'b', transport: 'stdio', command: 'x' }] };
    expect(wardenConfigSchema.safeParse({ ...base, rateLimit: { toolCallsPerMinute: 0 } }).success).toBe(false);
    expect(wardenConfigSchema.safeParse({ ...base, rateLimit: { toolCallsPerMinute: 5, burts: 3 } }).success).toBe(false);
    expect(wardenConfigSchema.parse({ ...base, rateLimit: { toolCallsPerMinute: 5, clients: { ci: { toolCallsPerMinute: 50 } } } }).rateLimit?.clients?.ci?.toolCallsPerMinute).toBe(50);
  });
});

describe('rateLimit through a real wrap', () => {
  let dir: string;
  let conn: StdioConnection;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'warden-rate-e2e-'));
    const config = join(dir, 'warden.yaml');
    writeFileSync(config, 'policy: { paths: [allow-all], watch: false }\nrateLimit: { toolCallsPerMinute: 12, burst: 2 }\naudit: { enabled: false }\n');
    conn = await connectCli(['wrap', '--config', config, '--', process.execPath, TEST_BACKEND]);
  });

  afterAll(async () => {
    await conn?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('identical calls: the burst passes, the next is denied naming the limit, and one passes again after a token refills (5 s)', async () => {
    // One token each 5 s: the three calls below come well within that however busy the host (with
    // 2 s, three stdio round trips on a loaded box could outlast a refill).
    const echo = () => conn.client.callTool({ name: 'echo', arguments: { text: 'same' } });
    expect(firstText(await echo())).toContain('same');
    expect(firstText(await echo())).toContain('same');
    const denied = await echo();
    expect(denied.isError).toBe(true);
    expect(firstText(denied)).toMatch(/Rate limit: client '[^']+' may make 12 tools\/call per minute \(burst 2\); retry in \d s \(rateLimit\)/);
    const deniedAt = Date.now();
    // Lists are not limited.
    expect((await conn.client.listTools()).tools.length).toBeGreaterThan(0);
    // Asked again until a token has refilled (a denied call takes none), not after a guessed wait;
    // then the very next call is denied (the refill was one token).
    let again = await echo();
    while (again.isError === true) {
      expect(Date.now() - deniedAt, 'still denied 30 s after a 5 s refill').toBeLessThan(30_000);
      await new Promise((resolve) => setTimeout(resolve, 250));
      again = await echo();
    }
    expect(firstText(again)).toContain('same');
    expect((await echo()).isError).toBe(true);
  });
});
