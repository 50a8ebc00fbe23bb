/**
 * Acceptance 1 and 5 through the real CLI: a session through `wrap` and sessions of several API-key
 * clients through `serve` are audited (every request once, with its fields), `audit query` answers
 * "which client called delete_vm and was it allowed" in one command, the admin API serves the same
 * rows behind its own token, and no secret sent in arguments reaches the database files.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { adminTokenHash } from '../src/admin/index.js';
import { hashApiKey } from '../src/identity/index.js';
import { databaseBytes, runCli, tempDir } from './helpers/audit.js';
import { connectCli, ROOT, startServe, testClient, type ServeProcess } from './helpers/proxy.js';

const QUBINODE = join(ROOT, 'test/servers/qubinode-server.mjs');
const POLICY = `package mcp.authz
import rego.v1
tool := object.get(input.tool, "backend_name", input.tool.name)
allow if not input.tool
allow if tool != "delete_vm"
allow if {
	tool == "delete_vm"
	"admin" in input.client.roles
}
deny contains "delete_vm requires the admin role" if {
	tool == "delete_vm"
	not "admin" in input.client.roles
}
`;
const SECRETS = ['pw-e2e-Hunter2-xyz', 'tok-e2e-9f8e7d', 'Bearer e2e-hdr-5150'];

interface Row {
  seq: number;
  clientId: string;
  clientName: string;
  roles: string[] | null;
  method: string;
  tool: string | null;
  decision: string;
  reasons: string[];
  outcome: string;
  requestId: string | number | null;
  sessionId: string;
  transport: string;
  backend: string | null;
  arguments: Record<string, unknown> | null;
  result: unknown;
  decisionMicros: number;
  backendMicros: number | null;
  policyVersion: string | null;
  requestBytes: number | null;
}

async function queryJson(db: string, args: string[]): Promise<Row[]> {
  const r = await runCli(['audit', 'query', '--db', db, '--json', '--asc', '--limit', '1000', ...args]);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  return JSON.parse(r.stdout) as Row[];
}

describe('audit end to end', () => {
  const cleanups: Array<() => Promise<void> | void> = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  it('audits a wrap session: every request once, with its fields; secrets redacted', async () => {
    const tmp = tempDir();
    cleanups.push(tmp.cleanup);
    const db = join(tmp.dir, 'audit.db');
    writeFileSync(join(tmp.dir, 'policy.rego'), POLICY);
    writeFileSync(join(tmp.dir, 'warden.yaml'), "auth:\n  stdioClient: { id: claude-desktop, name: 'Claude Desktop', roles: [ops, reader] }\npolicy: { watch: false }\n");
    const conn = await connectCli(['wrap', '--name', 'qubinode', '--policy', join(tmp.dir, 'policy.rego'), '--config', join(tmp.dir, 'warden.yaml'), '--audit', db, '--', process.execPath, QUBINODE]);
    const { client } = conn;
    await client.listTools();
    await client.callTool({ name: 'list_vms', arguments: {} });
    await client.callTool({ name: 'get_vm_info', arguments: { vm_name: 'rhel9-web', password: SECRETS[0], auth: { token: SECRETS[1], authorization: SECRETS[2] } } });
    const denied = await client.callTool({ name: 'delete_vm', arguments: { vm_name: 'rhel9-web' } });
    expect(denied.isError).toBe(true);
    await conn.close();
    await expect.poll(async () => (await runCli(['audit', 'stats', '--db', db, '--json'])).stdout.includes('"total"'), { timeout: 30_000 }).toBe(true);

    // One command answers: who called delete_vm, and was it allowed?
    const deletes = await queryJson(db, ['--tool', 'delete_vm']);
    expect(deletes.map((r) => [r.clientId, r.clientName, r.roles, r.decision, r.reasons, r.outcome])).toEqual([
      ['claude-desktop', 'Claude Desktop', ['ops', 'reader'], 'deny', ['delete_vm requires the admin role'], 'denied'],
    ]);

    const rows = await queryJson(db, []);
    const calls = rows.filter((r) => r.method === 'tools/call');
    expect(calls.map((r) => r.tool)).toEqual(['list_vms', 'get_vm_info', 'delete_vm']);
    // Every request once: JSON-RPC ids are unique within the session.
    const ids = rows.filter((r) => r.requestId !== null).map((r) => `${r.sessionId}/${String(r.requestId)}`);
    expect(new Set(ids).size).toBe(ids.length);
    expect(rows.filter((r) => r.method === 'tools/list')).toHaveLength(1);
    expect(new Set(rows.map((r) => JSON.stringify(r.roles)))).toEqual(new Set(['["ops","reader"]']));
    expect(rows.some((r) => r.method === 'initialize')).toBe(true);
    const info = calls[1]!;
    expect(info).toMatchObject({ transport: 'stdio', backend: 'qubinode', decision: 'allow', outcome: 'ok' });
    expect(info.arguments).toEqual({ vm_name: 'rhel9-web', password: '[REDACTED]', auth: { token: '[REDACTED]', authorization: '[REDACTED]' } });
    expect(JSON.stringify(info.result)).toContain('rhel9-web');
    expect(info.backendMicros).toBeGreaterThan(0);
    expect(info.policyVersion).toBeTruthy();
    expect(info.requestBytes).toBeGreaterThan(0);

    const bytes = databaseBytes(db);
    for (const s of SECRETS) expect(bytes.includes(Buffer.from(s)), s).toBe(false);
    expect((await runCli(['audit', 'verify', '--db', db])).code).toBe(0);
  });

  it('audits several API-key clients through serve, queryable by CLI and admin API while serving', async () => {
    const keys = { alice: 'wk_alice_0123456789abcdef', bob: 'wk_bob_fedcba9876543210' };
    const adminToken = 'adm-e2e-7c1f';
    const tmp = tempDir();
    cleanups.push(tmp.cleanup);
    writeFileSync(join(tmp.dir, 'policy.rego'), POLICY);
    const yaml = `
backends:
  - { name: qubinode, transport: stdio, command: ${JSON.stringify(process.execPath)}, args: [${JSON.stringify(QUBINODE)}] }
policy: { paths: [${JSON.stringify(join(tmp.dir, 'policy.rego'))}], watch: false }
auth:
  apiKeys:
    - { id: k_alice, hash: "${hashApiKey(keys.alice)}", client: alice, name: Alice, roles: [admin] }
    - { id: k_bob, hash: "${hashApiKey(keys.bob)}", client: bob, name: Bob, roles: [dev] }
audit: { path: ./audit.db }
admin: { tokenHashes: ["${adminTokenHash(adminToken)}"] }
`;
    const serve: ServeProcess = await startServe(yaml);
    const db = join(serve.dir, 'audit.db');
    cleanups.push(async () => void (await serve.stop()));
    const open = async (key: string) => {
      const client = testClient();
      const { StreamableHTTPClientTransport } = await import('@modelcontextprotocol/sdk/client/streamableHttp.js');
      await client.connect(new StreamableHTTPClientTransport(new URL(serve.url), { requestInit: { headers: { 'x-api-key': key } } }));
      return client;
    };
    const alice = await open(keys.alice);
    const bob = await open(keys.bob);
    const tool = async (c: Awaited<ReturnType<typeof open>>, name: string, args: Record<string, unknown>) => c.callTool({ name, arguments: args });
    const names = (await alice.listTools()).tools.map((t) => t.name);
    const del = names.find((n) => n.endsWith('delete_vm'))!;
    const list = names.find((n) => n.endsWith('list_vms'))!;
    await Promise.all([tool(alice, list, {}), tool(bob, list, {}), tool(bob, del, { vm_name: 'rhel9-web', api_key: SECRETS[1] })]);
    await tool(alice, del, { vm_name: 'rhel9-web', password: SECRETS[0] });
    await alice.close();
    await bob.close();

    await expect.poll(async () => (await queryJson(db, ['--tool', `*delete_vm`])).length, { timeout: 30_000 }).toBe(2);
    const deletes = await queryJson(db, ['--tool', '*delete_vm']);
    expect(deletes.map((r) => [r.clientId, r.roles, r.decision, r.transport])).toEqual(
      expect.arrayContaining([
        ['bob', ['dev'], 'deny', 'streamable-http'],
        ['alice', ['admin'], 'allow', 'streamable-http'],
      ]),
    );
    // The calls made with the admin role, and the rows of the role the deny names.
    expect((await queryJson(db, ['--role', 'admin', '--method', 'tools/call'])).map((r) => `${r.clientId}:${r.tool}`).sort()).toEqual([`alice:${del}`, `alice:${list}`]);
    const calls = (await queryJson(db, ['--method', 'tools/call'])).map((r) => `${r.clientId}:${r.tool}:${r.decision}`).sort();
    expect(calls).toEqual([`alice:${del}:allow`, `alice:${list}:allow`, `bob:${del}:deny`, `bob:${list}:allow`]);

    const unauth = await fetch(`${new URL(serve.url).origin}/admin/audit`, { headers: { 'x-api-key': keys.alice } });
    expect(unauth.status).toBe(401);
    const viaApi = await fetch(`${new URL(serve.url).origin}/admin/audit?client=bob&decision=deny`, { headers: { authorization: `Bearer ${adminToken}` } });
    expect(viaApi.status).toBe(200);
    const body = (await viaApi.json()) as { rows: Row[] };
    expect(body.rows.map((r) => [r.clientId, r.roles, r.tool, r.reasons])).toEqual([['bob', ['dev'], del, ['delete_vm requires the admin role']]]);
    const byRole = await fetch(`${new URL(serve.url).origin}/admin/audit?role=dev&tool=*delete_vm`, { headers: { authorization: `Bearer ${adminToken}` } });
    expect(byRole.status).toBe(200);
    expect(((await byRole.json()) as { rows: Row[] }).rows.map((r) => [r.clientId, r.roles, r.decision])).toEqual([['bob', ['dev'], 'deny']]);

    // The files as they are on disk while serving (database, WAL, journal), and the chain.
    const bytes = databaseBytes(db);
    for (const s of SECRETS) expect(bytes.includes(Buffer.from(s)), s).toBe(false);
    for (const k of Object.values(keys)) expect(bytes.includes(Buffer.from(k)), 'API key in audit files').toBe(false);
    expect((await runCli(['audit', 'verify', '--db', db])).code).toBe(0);
    expect(await serve.stop()).toBe(0);
  });
});
