/**
 * The policy file watcher (src/policy/watch.ts) reloads only once the watched files have settled: a
 * policy written in two steps (truncated and half written, then completed a moment later, after the
 * burst of events already looked over) is read whole, never half-way (a valid prefix of a policy
 * can allow more than the whole policy). Real files and real fs.watch; the timing is lengthened so
 * that the second step lands well inside the settle window, and a round where the host was too busy
 * for it to land there is run again rather than taken for a failure.
 */
import { appendFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { filesState, watchPolicyFiles, type PolicyWatcher } from '../src/policy/watch.js';
import { sleep, until } from './helpers/wait.js';

const HALF = 'package mcp.authz\n\nimport rego.v1\n\nallow := true\n';
const WHOLE = `${HALF}\ndeny contains "closed" if input.tool.name == "delete_vm"\n`;

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
    const timing = { debounceMs: 50, settleMs: 1000 };
    const window = timing.debounceMs + timing.settleMs;
    // The second step must land inside the settle window: after the burst of events is over, before
    // the files have been quiet for settleMs. A host too busy to run this test's 200 ms timer within
    // that second gets a read of the half file that is right (the file was quiet for the whole
    // window): such a round proves nothing, and is run again.
    for (let round = 1; ; round++) {
      dir = mkdtempSync(join(tmpdir(), 'warden-watch-'));
      const file = join(dir, 'policy.rego');
      writeFileSync(file, 'package mcp.authz\n');
      const read: Array<{ text: string; at: number }> = [];
      watcher = watchPolicyFiles([file], () => read.push({ text: readFileSync(file, 'utf8'), at: performance.now() }), undefined, timing);
      const halfAt = performance.now();
      writeFileSync(file, HALF);
      // The events are over after 50 ms; the second step comes inside the settle window.
      await sleep(200);
      if (read.length > 0) {
        // Read before the second step: only right once the file was quiet for the whole window.
        expect(read[0]!.at - halfAt, 'ms from the first step to a read of the half-written file').toBeGreaterThanOrEqual(window - 5);
        expect(round, 'rounds whose second step came too late (a host this busy cannot run this test)').toBeLessThan(5);
        watcher.close();
        rmSync(dir, { recursive: true, force: true });
        continue;
      }
      // Nothing was read yet (the callback runs on this thread): the append lands before any read.
      appendFileSync(file, WHOLE.slice(HALF.length));
      await until(() => read.length > 0, 'the reload');
      // No second read comes: one would come a whole window after the last event.
      await sleep(window + 200);
      expect(read.map((r) => r.text)).toEqual([WHOLE]);
      return;
    }
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
