/**
 * The policy file watcher (src/policy/watch.ts) reloads only once the watched files have settled: a
 * policy written in two steps (truncated and half written, then completed a moment later, after the
 * burst of events already looked over) is read whole, never half-way (a valid prefix of a policy
 * can allow more than the whole policy). Real files and real fs.watch; the timing is lengthened so
 * that the second step lands well inside the settle window.
 */
import { appendFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { filesState, watchPolicyFiles, type PolicyWatcher } from '../src/policy/watch.js';

const HALF = 'package mcp.authz\n\nimport rego.v1\n\nallow := true\n';
const WHOLE = `${HALF}\ndeny contains "closed" if input.tool.name == "delete_vm"\n`;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('policy watch: reload once the files settle', () => {
  let dir: string | undefined;
  let watcher: PolicyWatcher | undefined;
  afterEach(() => {
    watcher?.close();
    watcher = undefined;
    if (dir) rmSync(dir, { recursive: true, force: true });
    dir = undefined;
  });

  it('a file completed after the events went quiet is read whole, once', async () => {
    dir = mkdtempSync(join(tmpdir(), 'warden-watch-'));
    const file = join(dir, 'policy.rego');
    writeFileSync(file, 'package mcp.authz\n');
    const read: string[] = [];
    watcher = watchPolicyFiles([file], () => read.push(readFileSync(file, 'utf8')), undefined, { debounceMs: 50, settleMs: 500 });
    writeFileSync(file, HALF);
    // The events are over after 50 ms; the second step comes inside the settle window.
    await sleep(200);
    appendFileSync(file, WHOLE.slice(HALF.length));
    const deadline = Date.now() + 5000;
    while (read.length === 0 && Date.now() < deadline) await sleep(20);
    await sleep(700);
    expect(read).toEqual([WHOLE]);
  });

  it("filesState changes with a file's size and time, and covers the files of a folder", () => {
    dir = mkdtempSync(join(tmpdir(), 'warden-watch-'));
    const file = join(dir, 'sub', 'a.rego');
    mkdirSync(join(dir, 'sub'));
    writeFileSync(file, 'package a\n');
    const before = filesState([dir]);
    expect(before).toContain('a.rego:10:');
    appendFileSync(file, 'x := 1\n');
    expect(filesState([dir])).not.toBe(before);
    expect(filesState([join(dir, 'missing.rego')])).toMatch(/missing\.rego:-$/);
  });
});
