/**
 * One file watched through its own inode, not through its folder: a folder's watch wakes the
 * process for every write to any file in it, and a busy neighbour (an audit database and its WAL
 * next to a policy or keys file: hundreds of writes a second under load) then costs the proxy's
 * thread a wake-up and a callback per write. Every event of the file calls onChange; a 'rename'
 * (the file was renamed over, moved away or deleted: this watch has ended) moves the watch to
 * whatever file is at the path now, or, while there is none, to the folder, whose events for this
 * name call onChange and bring the watch back to the file. Used by the policy watch and the API
 * keys file.
 */
import { existsSync, watch, type FSWatcher } from 'node:fs';
import { basename, dirname } from 'node:path';

/** A watch could not be set up on `at` (started false), or reported an error (true): changes may go unseen. */
export type FileWatchProblem = (at: string, err: Error, started: boolean) => void;

export class FileWatch {
  private file: FSWatcher | undefined;
  private folder: FSWatcher | undefined;
  private closed = false;
  private readonly name: string;

  constructor(
    private readonly path: string,
    private readonly onChange: () => void,
    private readonly onProblem?: FileWatchProblem,
  ) {
    this.name = basename(path);
    this.arm();
  }

  close(): void {
    this.closed = true;
    this.file?.close();
    this.file = undefined;
    this.folder?.close();
    this.folder = undefined;
  }

  /** Watches the file at the path (else its folder, until a file comes there). */
  private arm(): void {
    if (this.closed) return;
    this.file?.close();
    this.file = undefined;
    let w: FSWatcher;
    try {
      w = watch(this.path, { persistent: false }, (event) => this.onFileEvent(w, event));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') {
        this.onProblem?.(this.path, err as Error, false);
        return;
      }
      this.watchFolder();
      // The file may have come between the failed watch and the folder's.
      if (existsSync(this.path)) this.arm();
      return;
    }
    w.on('error', (err) => this.onProblem?.(this.path, err, true));
    this.file = w;
    this.folder?.close();
    this.folder = undefined;
  }

  private onFileEvent(w: FSWatcher, event: string): void {
    this.onChange();
    if (event === 'rename' && w === this.file) this.arm();
  }

  private watchFolder(): void {
    if (this.folder !== undefined) return;
    const dir = dirname(this.path);
    try {
      this.folder = watch(dir, { persistent: false }, (_event, file) => {
        if (file !== null && basename(String(file)) !== this.name) return;
        this.onChange();
        if (existsSync(this.path)) this.arm();
      });
      this.folder.on('error', (err) => this.onProblem?.(dir, err, true));
    } catch (err) {
      this.onProblem?.(dir, err as Error, false);
    }
  }
}
