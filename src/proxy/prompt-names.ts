/**
 * One backend session's prompt names, for routing a prompt name when several backends show their
 * prompts unprefixed (`prefix: ''`): filled from the prompts/list answers the client gets, fetched
 * in full (all pages) when a name is not known, and dropped on notifications/prompts/list_changed
 * or a restart. Only names: prompts are judged by their name, never by a definition.
 */
import { readAllPages, type InternalCall } from './list-pages.js';

export class PromptNames {
  private names = new Set<string>();
  /** True when the set holds the backend's whole current list. */
  complete = false;
  private loading: Promise<void> | undefined;

  constructor(private readonly call: InternalCall) {}

  has(name: string): boolean {
    return this.names.has(name);
  }

  /** Remembers the names of a prompts/list answer; `complete` when that answer was the whole list. */
  remember(names: readonly string[], complete: boolean): void {
    for (const n of names) this.names.add(n);
    if (complete) this.complete = true;
  }

  /** Fetches every page of prompts/list (once at a time). Never rejects. */
  fetchAll(): Promise<void> {
    if (this.complete) return Promise.resolve();
    this.loading ??= this.load().finally(() => {
      this.loading = undefined;
    });
    return this.loading;
  }

  private async load(): Promise<void> {
    const fresh = new Set<string>();
    if (!(await readAllPages(this.call, 'prompts/list', 'prompts', (name) => fresh.add(name)))) return;
    this.names = fresh;
    this.complete = true;
  }

  invalidate(): void {
    this.names = new Set();
    this.complete = false;
  }
}
