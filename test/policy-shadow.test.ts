/**
 * Shadow mode end to end: `mcp-warden wrap --config` with policy.mode: shadow and the read-only
 * pack in front of server-filesystem (behind a recording relay). A call the policy denies is
 * forwarded (the server receives it, the file is written) and the audit records the would-be
 * decision as shadow-deny with the policy's reasons.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI, connectHttp, FILESYSTEM, startServe, type StdioConnection } from './helpers/proxy.js';
import { RELAY, resultText, scratch, wrapWithPolicy, type Scratch } from './helpers/policy-e2e.js';

describe('shadow mode', () => {
  let s: Scratch;
  let conn: StdioConnection;
  let db: string;
  beforeAll(async () => {
    s = await scratch();
    db = join(s.dir, 'audit.db');
    const cfg = await s.write(
      'warden.yaml',
      `backends: [{ name: ignored, transport: stdio, command: unused }]\npolicy: { paths: [read-only], mode: shadow }\n`,
    );
    conn = await wrapWithPolicy(s, [process.execPath, RELAY, process.execPath, FILESYSTEM, s.dir], { config: cfg, extra: ['--audit', db, '--name', 'fs'] });
  });
  afterAll(async () => {
    await conn?.close();
    await s?.remove();
  });

  it('forwards a call that enforce would deny, and records the would-be decision', async () => {
    const target = join(s.dir, 'shadow.txt');
    const result = await conn.client.callTool({ name: 'write_file', arguments: { path: target, content: 'written in shadow mode' } });
    expect(result.isError).not.toBe(true);
    expect(resultText(result)).toContain('Successfully wrote');
    expect(existsSync(target)).toBe(true);
    expect(s.toolsReceived()).toEqual(['write_file']);

    await conn.close();
    const rows = JSON.parse(execFileSync(process.execPath, [CLI, 'audit', 'query', '--db', db, '--tool', 'write_file', '--json'], { encoding: 'utf8' })) as Array<
      Record<string, unknown>
    >;
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      decision: 'shadow-deny',
      reasons: ["Operation 'write' is not allowed in read-only mode (tool 'write_file')"],
      outcome: 'ok',
    });
  });

  it('shows hidden tools in shadow mode (nothing is filtered)', async () => {
    const fresh = await wrapWithPolicy(s, [process.execPath, RELAY, process.execPath, FILESYSTEM, s.dir], {
      config: await s.write('shadow2.yaml', 'backends: [{ name: x, transport: stdio, command: unused }]\npolicy: { paths: [read-only], mode: shadow }\n'),
    });
    try {
      expect((await fresh.client.listTools()).tools.map((t) => t.name)).toContain('write_file');
    } finally {
      await fresh.close();
    }
  });
});

describe('shadow mode per backend (serve)', () => {
  it('a backend with mode: shadow forwards what the policy denies; the other backend enforces', async () => {
    const s = await scratch();
    const db = join(s.dir, 'audit.db');
    const backend = (name: string, mode: string) => `
  - name: ${name}
    transport: stdio
    command: ${JSON.stringify(process.execPath)}
    args: [${JSON.stringify(RELAY)}, ${JSON.stringify(process.execPath)}, ${JSON.stringify(FILESYSTEM)}, ${JSON.stringify(s.dir)}]
    env: { MCP_RECORD_FILE: ${JSON.stringify(s.recordFile)} }${mode ? `\n    mode: ${mode}` : ''}`;
    const serve = await startServe(`backends:${backend('trial', 'shadow')}${backend('prod', '')}
auth: { anonymous: true }
policy: { paths: [read-only] }
audit: { path: ${JSON.stringify(db)} }
`);
    try {
      const client = await connectHttp(serve.url);
      const trial = await client.callTool({ name: 'trial__write_file', arguments: { path: join(s.dir, 'trial.txt'), content: 'x' } });
      expect(trial.isError).not.toBe(true);
      const prod = await client.callTool({ name: 'prod__write_file', arguments: { path: join(s.dir, 'prod.txt'), content: 'x' } });
      expect(resultText(prod)).toBe("Denied by policy: Operation 'write' is not allowed in read-only mode (tool 'prod__write_file')");
      expect(existsSync(join(s.dir, 'trial.txt'))).toBe(true);
      expect(existsSync(join(s.dir, 'prod.txt'))).toBe(false);
      expect(s.toolsReceived()).toEqual(['write_file']);
      await client.close();
      await serve.stop();
      const rows = JSON.parse(execFileSync(process.execPath, [CLI, 'audit', 'query', '--db', db, '--method', 'tools/call', '--json', '--asc'], { encoding: 'utf8' })) as Array<Record<string, unknown>>;
      expect(rows.map((r) => [r.backend, r.decision])).toEqual([
        ['trial', 'shadow-deny'],
        ['prod', 'deny'],
      ]);
    } finally {
      await serve.stop();
      await s.remove();
    }
  }, 120_000);
});
