/**
 * The chain head in the log (audit.headLogSeconds): the recorder logs `audit chain head` (info, with
 * seq, hash and both as `audit verify --expect` takes them) when its writer first commits, at most
 * every headLogSeconds while the head moves, and at shutdown when it moved since. Kept outside the
 * database (a log collector), such a line is what `--expect` checks: truncating the newest rows
 * is not detectable from the database alone. Real `wrap` with a real audit database, over stdio;
 * the built CLI's `audit verify` reads the same head.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli, tempDir } from './helpers/audit.js';
import { LineClient } from './helpers/line-client.js';
import { until } from './helpers/wait.js';

const BACKEND = join(import.meta.dirname, 'servers/late-progress-backend.mjs');

interface HeadLine {
  seq: number;
  hash: string;
  expect: string;
}

const headLines = (stderr: string): HeadLine[] =>
  stderr
    .split('\n')
    .filter((l) => l.includes('"msg":"audit chain head"'))
    .map((l) => JSON.parse(l) as HeadLine & { level: number })
    .map((l) => {
      expect(l.level).toBe(30); // info
      return { seq: l.seq, hash: l.hash, expect: l.expect };
    });

describe('audit chain head in the log', { timeout: 60_000 }, () => {
  const tmp = tempDir();
  afterAll(() => tmp.cleanup());

  const run = (name: string, headLogSeconds: number): { client: LineClient; db: string } => {
    const db = join(tmp.dir, `${name}.db`);
    const config = join(tmp.dir, `${name}.yaml`);
    writeFileSync(config, `audit:\n  headLogSeconds: ${headLogSeconds}\n`);
    const client = new LineClient(['wrap', '--policy', 'allow-all', '--config', config, '--audit', db, '--', process.execPath, BACKEND], { MCP_WARDEN_LOG_LEVEL: 'info' });
    return { client, db };
  };
  const call = (c: LineClient, id: number) => c.request(id, 'tools/call', { name: 'work', arguments: { key: String(id) } });
  const stop = async (c: LineClient): Promise<void> => {
    c.proc.stdin.end();
    await c.exited;
    await until(() => c.proc.stderr.readableEnded, "the end of wrap's stderr");
  };

  it('logs the head as it moves (at most every headLogSeconds) and at shutdown; audit verify reports the last one', async () => {
    const { client: c, db } = run('moving', 1);
    await c.initialize();
    await call(c, 1);
    await until(() => headLines(c.stderr).length >= 1, 'the first audit chain head line');
    const first = headLines(c.stderr)[0]!;
    expect(first.seq).toBeGreaterThanOrEqual(1);
    expect(first.expect).toBe(`${first.seq}:${first.hash}`);
    expect(first.hash).toMatch(/^[0-9a-f]{64}$/);

    // More rows: a later line (not before a second has passed since the first) with a later head.
    for (let id = 2; id <= 4; id++) await call(c, id);
    await until(() => headLines(c.stderr).length >= 2, 'a second audit chain head line');
    expect(headLines(c.stderr)[1]!.seq).toBeGreaterThan(first.seq);
    // The head a line gave is one --expect accepts, while the proxy runs on.
    expect((await runCli(['audit', 'verify', '--db', db, '--expect', first.expect])).code).toBe(0);

    await call(c, 5);
    await stop(c);
    const lines = headLines(c.stderr);
    // only when it moved: no line repeats a head
    for (let i = 1; i < lines.length; i++) expect(lines[i]!.seq).toBeGreaterThan(lines[i - 1]!.seq);
    const last = lines.at(-1)!;
    const verified = await runCli(['audit', 'verify', '--db', db]);
    expect(verified.code).toBe(0);
    // `ok: N rows verified (seq 1-N), head N:<hash>`: the line at shutdown gave that head
    expect(verified.stdout).toContain(`head ${last.seq}:${last.hash}\n`);
    expect((await runCli(['audit', 'verify', '--db', db, '--expect', last.expect])).code).toBe(0);
  });

  it('headLogSeconds: 0 logs no head', async () => {
    const { client: c, db } = run('off', 0);
    await c.initialize();
    await call(c, 1);
    await stop(c);
    expect((await runCli(['audit', 'verify', '--db', db])).stdout).toMatch(/^ok: /);
    expect(c.stderr).not.toContain('audit chain head');
  });
});
