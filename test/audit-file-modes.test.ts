/**
 * The audit's files are owner-only from the moment they exist. The database was made by SQLite
 * under the process's umask (0644 usually: every local user may read it) and set to 0600 right
 * after: a user watching the directory could open it in between, and a descriptor opened then
 * reads every row committed later, whatever the mode becomes. `audit export -o FILE` wrote the
 * decisions (arguments included) to a file every user could read. Real store in a child process
 * (umask 0, the mode the file has when the store's chmod runs recorded), the real CLI.
 */
import { execFile } from 'node:child_process';
import { statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openAuditStore } from '../src/audit/index.js';
import { auditConfig, runCli, sampleRecord, tempDir } from './helpers/audit.js';

/** Opens a store on `db` in a process with umask 0, every chmodSync recording the mode the file had before it; prints what it saw. */
const CHILD = `
import { createRequire, syncBuiltinESMExports } from 'node:module';
const require = createRequire(import.meta.url);
const fs = require('node:fs');
process.umask(0);
const seen = [];
const chmod = fs.chmodSync;
fs.chmodSync = (p, m) => { seen.push({ file: String(p), mode: fs.statSync(p).mode & 0o777 }); return chmod(p, m); };
syncBuiltinESMExports();
const { openAuditStore } = await import(process.argv[1]);
const { auditSchema } = await import(process.argv[2]);
const store = openAuditStore(auditSchema.parse({ path: process.argv[3] }));
await store.close();
process.stdout.write(JSON.stringify(seen));
`;

function openInChild(db: string): Promise<Array<{ file: string; mode: number }>> {
  const args = [resolve('dist/audit/index.js'), resolve('dist/config/audit.js'), db];
  return new Promise((done, fail) =>
    execFile(process.execPath, ['--input-type=module', '-e', CHILD, ...args], (err, stdout, stderr) => (err ? fail(new Error(`${err.message}\n${stderr}`)) : done(JSON.parse(stdout)))),
  );
}

describe('audit file modes', () => {
  const cleanups: Array<() => void> = [];
  afterEach(() => {
    for (const c of cleanups.splice(0)) c();
  });

  it('creates the database owner-only, not readable by others until a chmod after its creation', async () => {
    const tmp = tempDir();
    cleanups.push(tmp.cleanup);
    const db = join(tmp.dir, 'audit.db');
    const seen = await openInChild(db);
    for (const s of seen.filter((x) => x.file === db)) expect(s.mode.toString(8), 'mode before the chmod').toBe('600');
    expect((statSync(db).mode & 0o777).toString(8)).toBe('600');
  });

  it('writes `audit export -o FILE` owner-only', async () => {
    const tmp = tempDir();
    cleanups.push(tmp.cleanup);
    const db = join(tmp.dir, 'audit.db');
    const store = openAuditStore(auditConfig(db));
    store.record(sampleRecord());
    await store.close();
    const out = join(tmp.dir, 'decisions.ndjson');
    const r = await runCli(['audit', 'export', '--db', db, '-o', out]);
    expect(r.code, r.stderr).toBe(0);
    expect((statSync(out).mode & 0o777).toString(8)).toBe('600');
  });
});
