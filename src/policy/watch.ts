/**
 * Watches policy and data files for changes and calls back once per burst of changes (editors
 * write, rename and touch several times per save). Folders are watched recursively; a file is
 * watched through its folder, so that an editor replacing the file (new inode) is still seen.
 */
import { watch, type FSWatcher } from 'node:fs';
import { basename, dirname } from 'node:path';
import { statSync } from 'node:fs';
import type { Logger } from '../log/logger.js';

const DEBOUNCE_MS = 100;

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

export function watchPolicyFiles(paths: readonly string[], onChange: () => void, logger?: Logger): PolicyWatcher {
  const watchers: FSWatcher[] = [];
  let timer: NodeJS.Timeout | undefined;
  const trigger = (): void => {
    if (timer) clearTimeout(timer);
    timer = setTimeout(() => {
      timer = undefined;
      onChange();
    }, DEBOUNCE_MS);
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
