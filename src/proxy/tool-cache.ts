/**
 * One backend session's tool definitions, so that a tools/call is decided with the tool's
 * annotations and schema even when the client never listed: filled from every tools/list answer
 * the client gets, fetched in full (all pages) on a call for an unknown tool, and dropped on
 * notifications/tools/list_changed or a restart.
 */
import type { ToolInfo } from '../types.js';
import { toToolInfo } from './intercept.js';
import { readAllPages, type InternalCall } from './list-pages.js';

export class ToolCache {
  private byName = new Map<string, ToolInfo>();
  /** True when the cache holds the backend's whole current list. */
  complete = false;
  /** Changes whenever a definition may have changed (remembered, fetched, dropped): who kept one may check this first. */
  generation = 0;
  private loading: Promise<void> | undefined;

  constructor(
    private readonly exposeName: (name: string) => string,
    private readonly call: InternalCall,
  ) {}

  get(backendName: string): ToolInfo | undefined {
    return this.byName.get(backendName);
  }

  has(backendName: string): boolean {
    return this.byName.has(backendName);
  }

  /** Remembers the tools of a tools/list answer; `complete` when that answer was the whole list. */
  remember(tools: ToolInfo[], complete: boolean): void {
    for (const t of tools) this.byName.set(t.backendName, t);
    if (complete) this.complete = true;
    this.generation++;
  }

  /** Fetches every page of tools/list (once at a time). Never rejects. */
  fetchAll(): Promise<void> {
    if (this.complete) return Promise.resolve();
    this.loading ??= this.load().finally(() => {
      this.loading = undefined;
    });
    return this.loading;
  }

  private async load(): Promise<void> {
    const fresh = new Map<string, ToolInfo>();
    if (!(await readAllPages(this.call, 'tools/list', 'tools', (name, t) => fresh.set(name, toToolInfo(t, this.exposeName(name)))))) return;
    this.byName = fresh;
    this.complete = true;
    this.generation++;
  }

  invalidate(): void {
    this.byName = new Map();
    this.complete = false;
    this.generation++;
  }
}
