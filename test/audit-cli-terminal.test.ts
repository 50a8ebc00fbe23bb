/**
 * `audit query`/`tail`/`stats` print what clients sent: a tool name, a client name or an argument
 * holding terminal escape sequences (ESC [2J clears the screen, ESC ]0; sets the window title,
 * U+009B is CSI, U+202E reverses the text shown) must reach the operator's terminal as visible
 * `\uXXXX` text, never as the control itself. Real `wrap` over a real backend, real SQLite file.
 */
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runCli, tempDir } from './helpers/audit.js';
import { connectCli, ROOT, testClient } from './helpers/proxy.js';

const QUBINODE = join(ROOT, 'test/servers/qubinode-server.mjs');
const EVIL_TOOL = '\u001b[2J\u001b]0;PWNED\u0007list_vms\u009b31m\u202egnp.exe';
const EVIL_CLIENT = '\u001b[31mclaude\u001b[0m\u0085';
const EVIL_ARG = 'x\u001b[5m\u007f\u2066y';
/** Bytes a terminal acts on: C0 controls but newline, DEL, and the UTF-8 of C1 controls and bidi marks. */
const CONTROL = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;

describe('audit CLI output on a terminal', () => {
  const cleanups: Array<() => Promise<void> | void> = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  it('prints control characters from a client as visible escapes in every format', async () => {
    const tmp = tempDir();
    cleanups.push(tmp.cleanup);
    const db = join(tmp.dir, 'audit.db');
    const conn = await connectCli(['wrap', '--audit', db, '--', process.execPath, QUBINODE], testClient(EVIL_CLIENT));
    await conn.client.callTool({ name: EVIL_TOOL, arguments: { note: EVIL_ARG } });
    await conn.close();
    await expect.poll(async () => (await runCli(['audit', 'query', '--db', db, '--tool', '*list_vms*', '--ndjson'])).stdout.length, { timeout: 30_000 }).toBeGreaterThan(0);

    const outputs = [
      await runCli(['audit', 'query', '--db', db, '--table']),
      await runCli(['audit', 'query', '--db', db, '--ndjson']),
      await runCli(['audit', 'query', '--db', db, '--json']),
      await runCli(['audit', 'tail', '--db', db, '--table']),
      await runCli(['audit', 'stats', '--db', db, '--table']),
      await runCli(['audit', 'export', '--db', db]),
    ];
    for (const r of outputs) {
      expect(r.code).toBe(0);
      expect(r.stdout).not.toMatch(CONTROL);
    }
    const table = outputs[0]!.stdout;
    expect(table).toContain('\\u001b[2J\\u001b]0;PWNED');
    expect(outputs[1]!.stdout).toContain('\\u009b31m\\u202egnp');
    // The JSON formats still carry the exact values (only their spelling is escaped).
    const rows = outputs[1]!.stdout.trim().split('\n').map((l) => JSON.parse(l) as { tool: string | null; clientName: string; arguments: unknown });
    const call = rows.find((r) => r.tool !== null)!;
    expect(call.tool).toBe(EVIL_TOOL);
    expect(call.arguments).toEqual({ note: EVIL_ARG });
    const json = JSON.parse(outputs[2]!.stdout) as Array<{ tool: string | null }>;
    expect(json.some((r) => r.tool === EVIL_TOOL)).toBe(true);
  });
});
