/**
 * Watches policy and data files for changes and calls back once per burst of changes (editors
 * write, rename and touch several times per save), once the files have settled: a burst is over
 * when no event came for DEBOUNCE_MS and the watched files' sizes and modification times stayed the
 * same for SETTLE_MS more (a writer that truncates a file and writes it in several steps is not read
 * half-way). Folders are watched recursively. A file is watched itself (its inode), not through its
 * folder: a folder's watch wakes the proxy for every write to any file in it, and a busy neighbour
 * (an audit database and its WAL next to the policy: hundreds of writes a second under load) then
 * costs the proxy's thread a wake-up and a callback per write. When the file is replaced (renamed
 * over, deleted and written again: its watch ends with a 'rename' event) the watch moves to the file
 * now at that path, and while there is none, to its folder until the name appears. Writing a file
 * elsewhere and renaming it into place is the one way to never be read half-written
 * (docs/policy-contract.md, "Reload").
 */
import { watch, type FSWatcher } from 'node:fs';
import { join } from 'node:path';
import { readdirSync, statSync } from 'node:fs';
import { FileWatch } from '../config/file-watch.js';
import type { Logger } from '../log/logger.js';

const DEBOUNCE_MS = 100;
const SETTLE_MS = 50;

/** Sizes and modification times of the files at `paths` (folders: their files, recursively), as one string. */
export function filesState(paths: readonly string[]): string {
  const parts: string[] = [];
  const visit = (path: string, depth: number): void => {
    try {
      const st = statSync(path, { bigint: true });
      if (st.isDirectory()) {
        if (depth < 8) for (const name of readdirSync(path).sort()) visit(join(path, name), depth + 1);
      } else parts.push(`${path}:${st.size}:${st.mtimeNs}`);
    } catch {
      parts.push(`${path}:-`);
    }
  };
  for (const path of paths) visit(path, 0);
  return parts.join('\n');
}

export interface PolicyWatcher {
  close(): void;
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

/** How long a burst of events and then the files' state must stay quiet (tests lengthen them). */
export interface WatchTiming {
  debounceMs: number;
  settleMs: number;
}

/** Settle checks before a file that never stops changing is read anyway. */
const MAX_SETTLE_ROUNDS = 20;

export function watchPolicyFiles(paths: readonly string[], onChange: () => void, logger?: Logger, timing: WatchTiming = { debounceMs: DEBOUNCE_MS, settleMs: SETTLE_MS }): PolicyWatcher {
  const watchers: FSWatcher[] = [];
  let timer: NodeJS.Timeout | undefined;
  /** the files' state when the burst seemed over: onChange once it is still the same SETTLE_MS later */
  let seen = '';
  let rounds = 0;
  const settled = (): void => {
    const now = filesState(paths);
    if (now !== seen && ++rounds < MAX_SETTLE_ROUNDS) return settleFrom(now);
    timer = undefined;
    onChange();
  };
  const settleFrom = (state: string): void => {
    seen = state;
    timer = setTimeout(settled, timing.settleMs);
    timer.unref();
  };
  const trigger = (): void => {
    if (timer) clearTimeout(timer);
    rounds = 0;
    timer = setTimeout(() => settleFrom(filesState(paths)), timing.debounceMs);
    timer.unref();
  };
  const files: FileWatch[] = [];
  for (const path of paths) {
    if (!isDirectory(path)) {
      files.push(new FileWatch(path, trigger, (at, err, started) => logger?.warn({ path: at, err: err.message }, started ? 'policy watch error' : 'cannot watch policy files (reload with SIGHUP)')));
      continue;
    }
    try {
      const w = watch(path, { recursive: true, persistent: false }, trigger);
      w.on('error', (err) => logger?.warn({ dir: path, err: err.message }, 'policy watch error'));
      watchers.push(w);
    } catch (err) {
      logger?.warn({ dir: path, err: (err as Error).message }, 'cannot watch policy files (reload with SIGHUP)');
    }
  }
  return {
    close(): void {
      if (timer) clearTimeout(timer);
      for (const w of watchers) w.close();
      for (const f of files) f.close();
    },
  };
}
