/**
 * Under policy.builtinErrors strict a builtin's error denies, and the deny reason named the error
 * with the builtin's whole message: many builtins quote the value they failed on
 * (`to_number: strconv.ParseFloat: parsing "<value>": invalid syntax`, `net.cidr_contains: invalid
 * CIDR address: <value>`), so a secret argument, or a secret in the policy's data, reached the
 * client in the deny, the audit database and the operator's log. Now those three get the rule's
 * location, the error's code and the builtin's name; a message made only of operand positions and
 * type names (`operand 1 must be string but got number`) is still given whole. Real `wrap` (the
 * built CLI over stdio pipes) in front of a real test server, the real audit SQLite file with its
 * -wal and journal, and wrap's log. (The arguments are named as secrets, so the audit masks them
 * in the arguments column: what is left to find is the deny reason.)
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { databaseBytes, runCli } from './helpers/audit.js';
import { LineClient } from './helpers/line-client.js';
import { ROOT } from './helpers/proxy.js';

const SERVER = join(ROOT, 'test/servers/listed-tools-server.mjs');
const SECRETS = { limit: 'SEKRIT-limit-6b1f', cidr: 'SEKRIT-cidr-2c7d', data: 'SEKRIT-data-9e3a' };

const POLICY = `package mcp.authz

import rego.v1

deny contains "too many" if to_number(input.arguments.token) > 100

deny contains "internal" if net.cidr_contains(input.arguments.secret, "10.0.0.1")

deny contains "upstream" if {
	input.arguments.mode == "data"
	to_number(data.upstream.token) > 0
}
`;

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'warden-builtin-detail-'));
  await writeFile(join(dir, 'echo.rego'), POLICY);
  await writeFile(join(dir, 'upstream.json'), JSON.stringify({ upstream: { token: SECRETS.data } }));
  await writeFile(join(dir, 'warden.yaml'), 'policy:\n  paths: [allow-all, ./echo.rego]\n  dataFiles: [./upstream.json]\n  watch: false\n');
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('wrap: a builtin error under builtinErrors strict', () => {
  it('names the rule, the code and the builtin, not the values it failed on, to the client, the audit and the log', async () => {
    const db = join(dir, 'audit.db');
    const c = new LineClient(['wrap', '--config', join(dir, 'warden.yaml'), '--audit', db, '--', process.execPath, SERVER], {
      MCP_WARDEN_LOG_LEVEL: 'info',
      LISTED_TOOLS: JSON.stringify({ safe: {} }),
    });
    await c.initialize();
    const deny = async (id: number, args: Record<string, unknown>): Promise<string> => {
      const answer = (await c.request(id, 'tools/call', { name: 'safe', arguments: args })) as { result?: { content: { text: string }[]; isError?: boolean } };
      expect(answer.result?.isError).toBe(true);
      return answer.result!.content[0]!.text;
    };
    const at = (line: number) => `${join(dir, 'echo.rego')}:${line}:`;
    // Before the fix: `... eval_builtin_error: to_number: strconv.ParseFloat: parsing "SEKRIT-limit-6b1f": invalid syntax`.
    expect(await deny(2, { token: SECRETS.limit })).toMatch(new RegExp(`^Denied by policy: policy error: ${at(5)}\\d+: eval_builtin_error: to_number$`));
    expect(await deny(3, { secret: SECRETS.cidr })).toMatch(new RegExp(`^Denied by policy: policy error: ${at(7)}\\d+: eval_builtin_error: net.cidr_contains$`));
    expect(await deny(4, { mode: 'data' })).toMatch(new RegExp(`^Denied by policy: policy error: ${at(11)}\\d+: eval_builtin_error: to_number$`));
    // A type error quotes no value: given whole, as before.
    expect(await deny(5, { token: { n: 1 } })).toMatch(/: eval_type_error: to_number: operand 1 must be one of \{.*\} but got object$/);
    c.proc.stdin.end();
    await c.exited;

    const log = c.stderr;
    expect(log).toMatch(/policy evaluation error \(request denied\): .*eval_builtin_error: to_number/);
    const rows = await runCli(['audit', 'query', '--db', db, '--json', '--asc', '--limit', '100']);
    expect(rows.code).toBe(0);
    expect(rows.stdout).toContain('eval_builtin_error: net.cidr_contains');
    const bytes = databaseBytes(db);
    for (const s of Object.values(SECRETS)) {
      expect(log, s).not.toContain(s);
      expect(bytes.includes(Buffer.from(s)), s).toBe(false);
    }
  });
});
