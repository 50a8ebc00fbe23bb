/**
 * GET /admin/metrics on a real `mcp-warden serve` (src/admin/metrics.ts): Prometheus text with the
 * sessions open, backend sessions by state, and decisions by method and result (a real policy
 * allowing echo and denying delete_thing, with a rate limit around it), behind the admin token; audit off (metrics do not need it).
 * With the audit on: its rows recorded, committed and queued, a damaged line of a stopped process's
 * journal skipped at the import, failed writes and whether it failed closed.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminTokenHash } from '../src/admin/index.js';
import { journalDir } from '../src/audit/spool.js';
import { connectHttp, startServe, TEST_BACKEND, testClient, waitFor, type ServeProcess } from './helpers/proxy.js';

const TOKEN = 'admin-metrics-token-0123456789abcdef';

async function metrics(url: string, token?: string): Promise<{ status: number; type: string | null; text: string }> {
  const res = await fetch(new URL('/admin/metrics', url), { headers: token === undefined ? {} : { authorization: `Bearer ${token}` } });
  return { status: res.status, type: res.headers.get('content-type'), text: await res.text() };
}

/** The value of one sample line (name and labels exactly as written), or undefined. */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe('serve: /admin/metrics', () => {
  let serve: ServeProcess;
  let dir: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'warden-metrics-'));
    writeFileSync(join(dir, 'no-delete.rego'), 'package mcp.authz\n\nimport rego.v1\n\ndeny contains "no deleting" if input.tool.name == "delete_thing"\n');
    serve = await startServe(`
server: { host: 127.0.0.1 }
backends:
  - { name: demo, transport: stdio, command: ${JSON.stringify(process.execPath)}, args: [${JSON.stringify(TEST_BACKEND)}], prefix: "" }
auth: { anonymous: true }
policy: { paths: [allow-all, ${JSON.stringify(join(dir, 'no-delete.rego'))}], watch: false }
audit: { enabled: false }
admin: { tokenHashes: ["${adminTokenHash(TOKEN)}"] }
rateLimit: { toolCallsPerMinute: 1, burst: 3 }
`);
  });

  afterAll(async () => {
    await serve?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('counts sessions, backend states and decisions; refuses without the admin token', async () => {
    expect((await metrics(serve.url)).status).toBe(401);
    expect((await metrics(serve.url, 'wrong-token')).status).toBe(401);

    const client = await connectHttp(serve.url, testClient('metrics'));
    await client.callTool({ name: 'echo', arguments: { text: 'a' } });
    await client.callTool({ name: 'echo', arguments: { text: 'b' } });
    const denied = await client.callTool({ name: 'delete_thing', arguments: { id: 'x' } });
    expect(denied.isError).toBe(true);
    // The fourth call is past the rate limit's burst: a deny like the policy's, counted as one.
    const limited = await client.callTool({ name: 'echo', arguments: { text: 'c' } });
    expect(JSON.stringify(limited.content)).toContain('Rate limit');

    const m = await metrics(serve.url, TOKEN);
    expect(m.status).toBe(200);
    expect(m.type).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(m.text).toContain('# TYPE mcp_warden_decisions_total counter');
    expect(sample(m.text, 'mcp_warden_decisions_total{method="tools/call",result="allow"}')).toBe(2);
    expect(sample(m.text, 'mcp_warden_decisions_total{method="tools/call",result="deny"}')).toBe(2);
    expect(sample(m.text, 'mcp_warden_decisions_total{method="initialize",result="allow"}')).toBe(1);
    expect(sample(m.text, 'mcp_warden_decision_seconds_total{method="tools/call",result="allow"}')).toBeGreaterThan(0);
    expect(sample(m.text, 'mcp_warden_sessions_open{transport="streamable-http"}')).toBe(1);
    expect(sample(m.text, 'mcp_warden_backend_sessions{backend="demo",state="ready"}')).toBe(1);
    expect(sample(m.text, 'mcp_warden_backend_requests_in_flight{backend="demo"}')).toBe(0);
    // The policy version in force, also with the rate limit wrapped around the policy.
    expect(m.text).toMatch(/^mcp_warden_policy_info\{version="[0-9a-f]+"\} 1$/m);
    expect(sample(m.text, 'mcp_warden_process_resident_memory_bytes')).toBeGreaterThan(10_000_000);
    // Every sample line is `name{labels} number` or `name number` (the exposition format).
    for (const line of m.text.trim().split('\n').filter((l) => !l.startsWith('#'))) {
      expect(line).toMatch(/^[a-z_]+(\{[a-z_]+="[^"]*"(,[a-z_]+="[^"]*")*\})? -?[0-9.e+-]+$/);
    }

    // DELETE ends the session (the SDK's close() alone leaves it to the idle sweep).
    await (client.transport as StreamableHTTPClientTransport).terminateSession();
    await client.close();
    await waitFor(async () => sample((await metrics(serve.url, TOKEN)).text, 'mcp_warden_sessions_open{transport="streamable-http"}') === undefined, 30_000, 'the session to close');
  });
});

describe('serve: /admin/metrics with the audit on', () => {
  let serve: ServeProcess;
  let dir: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'warden-metrics-audit-'));
    const db = join(dir, 'audit.db');
    // A journal left by a process that is gone (pid 999999), with one line that is not a journal line: skipped at the import.
    mkdirSync(journalDir(db), { mode: 0o700 });
    writeFileSync(join(journalDir(db), '999999-0f0f0f0f-1'), 'this is not a journal line\n');
    serve = await startServe(`
server: { host: 127.0.0.1 }
backends:
  - { name: demo, transport: stdio, command: ${JSON.stringify(process.execPath)}, args: [${JSON.stringify(TEST_BACKEND)}], prefix: "" }
auth: { anonymous: true }
policy: { paths: [allow-all], watch: false }
audit: { path: ${JSON.stringify(db)} }
admin: { tokenHashes: ["${adminTokenHash(TOKEN)}"] }
`);
  });

  afterAll(async () => {
    await serve?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('counts rows recorded and committed, the damaged journal line skipped, no failed write, not failed', async () => {
    const client = await connectHttp(serve.url, testClient('metrics-audit'));
    await client.callTool({ name: 'echo', arguments: { text: 'a' } });
    await client.callTool({ name: 'echo', arguments: { text: 'b' } });
    await (client.transport as StreamableHTTPClientTransport).terminateSession();
    await client.close();
    // initialize, tools/list (the SDK's, before its first call) and the two calls at least; committed within a flush interval or so.
    let text = '';
    await waitFor(async () => {
      text = (await metrics(serve.url, TOKEN)).text;
      const recorded = sample(text, 'mcp_warden_audit_rows_recorded_total') ?? 0;
      return recorded >= 3 && sample(text, 'mcp_warden_audit_rows_committed_total') === recorded;
    }, 10_000, 'the rows to be committed');
    expect(text).toContain('# TYPE mcp_warden_audit_rows_recorded_total counter');
    expect(sample(text, 'mcp_warden_audit_rows_queued')).toBe(0);
    expect(sample(text, 'mcp_warden_audit_journal_lines_skipped_total')).toBe(1);
    expect(sample(text, 'mcp_warden_audit_write_errors_total')).toBe(0);
    expect(sample(text, 'mcp_warden_audit_failed')).toBe(0);
  });
});
