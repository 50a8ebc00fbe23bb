/**
 * Reads a backend's whole list (tools/list, prompts/list) page by page with the proxy's own
 * requests, for the caches that route and judge by it (tool-cache.ts, prompt-names.ts).
 */
import type { RpcMessage } from './jsonrpc.js';

/** Sends a request of the proxy's own; undefined when the backend is not up. */
export type InternalCall = (method: string, params: Record<string, unknown> | undefined) => Promise<RpcMessage> | undefined;

/** Most pages read of one list: a backend whose cursors never end is not followed for ever. */
const MAX_PAGES = 1000;

/**
 * Calls `method` from its first page on, handing every named item of each page's `key` array to
 * `each`. True once the list ended (or MAX_PAGES were read); false when an answer held no list
 * (the backend is down, or answered an error): the caller then keeps what it had.
 */
export async function readAllPages(call: InternalCall, method: string, key: string, each: (name: string, item: Record<string, unknown>) => void): Promise<boolean> {
  let cursor: string | undefined;
  for (let page = 0; page < MAX_PAGES; page++) {
    const answer = await call(method, cursor === undefined ? undefined : { cursor });
    const items = answer?.result?.[key];
    if (!Array.isArray(items)) return false;
    for (const item of items as Array<Record<string, unknown>>) if (typeof item?.name === 'string') each(item.name, item);
    cursor = typeof answer!.result!.nextCursor === 'string' ? answer!.result!.nextCursor : undefined;
    if (cursor === undefined) break;
  }
  return true;
}
