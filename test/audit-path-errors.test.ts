/**
 * An audit database path whose directory cannot be made: `wrap --audit` says so in one line and
 * exits 4 before starting the server, for a file in the way, and under procfs, where mkdir fails with
 * ENOENT below an existing /proc and Node's recursive mkdirSync spun at 100% CPU forever (the
 * database's directory, and the journal directory beside the database). Real CLI, real files.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const CLI = resolve('dist/cli/main.js');

/** wrap with `--audit db` around a server that would print if it were started; killed after 20 s (a hang). */
function wrapWithAudit(db: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((done) => {
    const args = [CLI, 'wrap', '--policy', 'read-only', '--audit', db, '--', process.execPath, '-e', 'console.log("server started")'];
    const child = execFile(process.execPath, args, { timeout: 20_000, killSignal: 'SIGKILL' }, (err, stdout, stderr) => {
      done({ code: err === null ? 0 : (child.exitCode ?? null), stdout, stderr });
    });
    child.stdin?.end();
  });
}

/** The lines mcp-warden wrote to stderr that are not its JSON log. */
const plainLines = (stderr: string): string[] => stderr.split('\n').filter((l) => l !== '' && !l.startsWith('{'));

describe('audit database paths whose directory cannot be made', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'warden-audit-path-'));
    writeFileSync(join(dir, 'a-file'), 'not a directory\n');
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('a file in the way: one line naming it, exit 4, the server not started', async () => {
    const db = join(dir, 'a-file', 'sub', 'audit.db');
    const r = await wrapWithAudit(db);
    expect(r.code).toBe(4);
    expect(r.stdout).toBe('');
    expect(plainLines(r.stderr)).toEqual([
      `mcp-warden: audit: cannot create the directory of the audit database ${db} (${join(dir, 'a-file')} is not a directory): set audit.path (wrap: --audit PATH or --no-audit)`,
    ]);
  });

  it.runIf(process.platform === 'linux' && existsSync('/proc/self'))('under procfs: one line and exit 4, for the database directory and for the journal directory (both spun forever)', async () => {
    const below = await wrapWithAudit('/proc/mcp-warden-test/audit.db');
    expect(below.code).toBe(4);
    expect(plainLines(below.stderr)).toEqual([
      'mcp-warden: audit: cannot create the directory of the audit database /proc/mcp-warden-test/audit.db (cannot create /proc/mcp-warden-test: ENOENT): set audit.path (wrap: --audit PATH or --no-audit)',
    ]);
    const journal = await wrapWithAudit('/proc/mcp-warden-test.db');
    expect(journal.code).toBe(4);
    expect(plainLines(journal.stderr)).toEqual(['mcp-warden: audit: cannot create /proc/mcp-warden-test.db.journal: ENOENT']);
  });
});
