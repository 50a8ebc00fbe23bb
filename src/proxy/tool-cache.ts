/**
 * One backend session's tool definitions, so that a tools/call is decided with the tool's
 * annotations and schema even when the client never listed: filled from every tools/list answer
 * the client gets, fetched in full (all pages) on a call for an unknown tool, and dropped on
 * notifications/tools/list_changed or a restart.
 */
import type { ToolInfo } from '../types.js';
import { toToolInfo } from './intercept.js';
import type { RpcMessage } from './jsonrpc.js';

/** Sends a request of the proxy's own; undefined when the backend is not up. */
export type InternalCall = (method: string, params: Record<string, unknown> | undefined) => Promise<RpcMessage> | undefined;

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
    let cursor: string | undefined;
    for (let page = 0; page < 1000; page++) {
      const answer = await this.call('tools/list', cursor === undefined ? undefined : { cursor });
      const tools = answer?.result?.tools;
      if (!Array.isArray(tools)) return;
      for (const t of tools as Array<Record<string, unknown>>) {
        if (typeof t?.name === 'string') fresh.set(t.name, toToolInfo(t, this.exposeName(t.name)));
      }
      cursor = typeof answer!.result!.nextCursor === 'string' ? answer!.result!.nextCursor : undefined;
      if (cursor === undefined) break;
    }
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
