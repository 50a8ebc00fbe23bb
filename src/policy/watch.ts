/**
 * Watches policy and data files for changes and calls back once per burst of changes (editors
 * write, rename and touch several times per save), once the files have settled: a burst is over
 * when no event came for DEBOUNCE_MS and the watched files' sizes and modification times stayed the
 * same for SETTLE_MS more (a writer that truncates a file and writes it in several steps is not read
 * half-way). Folders are watched recursively; a file is watched through its folder, so that an
 * editor replacing the file (new inode) is still seen. Writing a file elsewhere and renaming it into
 * place is the one way to never be read half-written (docs/policy-contract.md, "Reload").
 */
import { watch, type FSWatcher } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { readdirSync, statSync } from 'node:fs';
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
  const dirs = new Set<string>();
  const filesByDir = new Map<string, Set<string>>();
  for (const path of paths) {
    if (isDirectory(path)) dirs.add(path);
    else {
      const dir = dirname(path);
      let names = filesByDir.get(dir);
      if (!names) filesByDir.set(dir, (names = new Set()));
      names.add(basename(path));
    }
  }
  const open = (dir: string, recursive: boolean, names: Set<string> | undefined): void => {
    try {
      const w = watch(dir, { recursive, persistent: false }, (_event, file) => {
        if (names === undefined || file === null || names.has(basename(String(file)))) trigger();
      });
      w.on('error', (err) => logger?.warn({ dir, err: err.message }, 'policy watch error'));
      watchers.push(w);
    } catch (err) {
      logger?.warn({ dir, err: (err as Error).message }, 'cannot watch policy files (reload with SIGHUP)');
    }
  };
  for (const dir of dirs) open(dir, true, undefined);
  for (const [dir, names] of filesByDir) if (!dirs.has(dir)) open(dir, false, names);
  return {
    close(): void {
      if (timer) clearTimeout(timer);
      for (const w of watchers) w.close();
    },
  };
}
