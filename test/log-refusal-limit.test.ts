/**
 * Refusal log lines are rate limited (config log.refusals): a client hammering with a bad or
 * revoked key made one log line per request (two for a revoked key: the authenticator's and the
 * frontend's), so anyone who could reach the port could fill the disk. Now the first `burst` lines
 * of one reason and address (or key, or client) per interval are logged, the rest counted, and a
 * summary line says how many were left out, at the end of the interval and at shutdown; the counts
 * add up to every request. Denied calls are audited, every one (and not logged per call). Real
 * `serve` process, its pino JSON output, the audit database read with the CLI.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { afterEach, describe, expect, it } from 'vitest';
import { generateApiKey, hashApiKey } from '../src/identity/index.js';
import { CLI, ROOT, startServe, type ServeProcess } from './helpers/proxy.js';
import { until } from './helpers/wait.js';

const run = promisify(execFile);
const QUBINODE = join(ROOT, 'test/servers/qubinode-server.mjs');
const GUARD_LINE = 'http: request refused by authenticator';
const keys = { ops: generateApiKey(), revoked: generateApiKey(), wrong: generateApiKey() };

let serve: ServeProcess | undefined;
afterEach(async () => {
  await serve?.stop();
  serve = undefined;
});

interface Line {
  msg: string;
  reason?: string;
  keyId?: string;
  suppressed?: number;
  intervalMs?: number;
}

const lines = (s: ServeProcess): Line[] =>
  s
    .stderr()
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Line);

function config(burst: number, intervalMs: number, auditPath?: string): string {
  return `
backends: [{ name: qubinode, transport: stdio, command: ${JSON.stringify(process.execPath)}, args: [${JSON.stringify(QUBINODE)}] }]
auth:
  apiKeys:
    - { id: k_ops, hash: "${hashApiKey(keys.ops)}", client: ops }
    - { id: k_old, hash: "${hashApiKey(keys.revoked)}", client: old, revoked: "2025-01-01T00:00:00Z" }
policy: { paths: [deny-create.rego], watch: false }
audit: ${auditPath === undefined ? '{ enabled: false }' : `{ enabled: true, path: ${JSON.stringify(auditPath)}, flushIntervalMs: 10 }`}
log: { level: info, refusals: { burst: ${burst}, intervalMs: ${intervalMs} } }
`;
}

const POLICY = `package mcp.authz

import rego.v1

allow if true

deny contains "create_vm is not allowed here" if {
	input.method == "tools/call"
	input.tool.backend_name == "create_vm"
}
`;

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** A directory for the policy and the audit database (startServe's own holds warden.yaml). */
function scratch(): string {
  const dir = mkdtempSync(join(tmpdir(), 'warden-refusal-log-'));
  dirs.push(dir);
  writeFileSync(join(dir, 'deny-create.rego'), POLICY);
  return dir;
}

function start(yaml: string, dir: string): Promise<ServeProcess> {
  return startServe(yaml.replace('deny-create.rego', JSON.stringify(join(dir, 'deny-create.rego'))));
}

async function post(url: string, headers: Record<string, string>): Promise<number> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...headers },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'x', version: '1' } } }),
  });
  await res.text();
  return res.status;
}

describe('refusal log lines are rate limited (log.refusals)', { timeout: 120_000 }, () => {
  it('25 bad and 25 revoked keys log 3 lines of each kind and one summary counting the other 22; 20 denied calls make 20 audit rows', async () => {
    const N = 25;
    const DENIED = 20;
    const dir = scratch();
    const audit = join(dir, 'audit.db');
    serve = await start(config(3, 600_000, audit), dir);
    for (let i = 0; i < N; i++) expect(await post(serve.url, { 'x-api-key': keys.wrong })).toBe(401);
    for (let i = 0; i < N; i++) expect(await post(serve.url, { authorization: `Bearer ${keys.revoked}` })).toBe(401);

    const client = new Client({ name: 'ops', version: '1' });
    await client.connect(new StreamableHTTPClientTransport(new URL(serve.url), { requestInit: { headers: { 'x-api-key': keys.ops } } }));
    for (let i = 0; i < DENIED; i++) {
      const result = await client.callTool({ name: 'create_vm', arguments: { name: `vm${i}`, image: 'rhel9' } });
      expect(result.isError).toBe(true);
    }
    await client.close();
    // Every denied call is in the audit.
    let rows: Array<{ clientId: string; decision: string; tool: string | null }> = [];
    await until(async () => {
      const { stdout } = await run(process.execPath, [CLI, 'audit', 'query', '--db', audit, '--method', 'tools/call', '--json']);
      rows = JSON.parse(stdout) as typeof rows;
      return rows.length >= DENIED;
    }, `${DENIED} audit rows`, 60_000, 100);
    expect(rows).toHaveLength(DENIED);
    expect(rows.every((r) => r.clientId === 'ops' && r.decision === 'deny' && r.tool === 'create_vm')).toBe(true);

    // Shutdown writes the summaries of the interval still open.
    await serve.stop();
    const log = lines(serve);
    const guard = (reason: string) => log.filter((l) => l.msg === GUARD_LINE && l.reason === reason);
    const guardSummary = (reason: string) => log.filter((l) => l.msg === `${GUARD_LINE}: ${N - 3} more like it suppressed` && l.reason === reason);
    expect(guard('invalid API key')).toHaveLength(3);
    expect(guardSummary('invalid API key')).toMatchObject([{ suppressed: N - 3, intervalMs: 600_000 }]);
    expect(guard('API key revoked')).toHaveLength(3);
    expect(guardSummary('API key revoked')).toHaveLength(1);
    expect(log.filter((l) => l.msg === 'authentication refused' && l.keyId === 'k_old')).toHaveLength(3);
    expect(log.filter((l) => l.msg === `authentication refused: ${N - 3} more like it suppressed` && l.keyId === 'k_old')).toMatchObject([{ suppressed: N - 3 }]);
    // Denied calls make no log line of their own (the audit has them).
    expect(serve.stderr()).not.toContain('create_vm');
  });

  it('the summary comes at the end of each interval, not only at shutdown, and logged plus suppressed lines count every request', async () => {
    const N = 15;
    serve = await start(config(2, 3000), scratch());
    // Sent at once, well within one 3 s interval: 2 logged, 13 counted.
    const statuses = await Promise.all(Array.from({ length: N }, () => post(serve!.url, { 'x-api-key': keys.wrong })));
    expect(statuses).toEqual(Array(N).fill(401));
    const counted = (): number =>
      lines(serve!)
        .filter((l) => l.reason === 'invalid API key' && l.msg.startsWith(GUARD_LINE))
        .reduce((n, l) => n + (l.suppressed ?? 1), 0);
    // The process keeps running: the last interval's summary is written by its timer.
    await until(() => counted() === N, `logged and suppressed lines to add up to ${N}`);
    expect(lines(serve).some((l) => l.msg.startsWith(`${GUARD_LINE}: `) && (l.suppressed ?? 0) > 0)).toBe(true);
    expect(lines(serve).filter((l) => l.msg === GUARD_LINE).length).toBeLessThan(N);
  });
});
