/**
 * What a session learned from backends' resources/list and resources/templates/list answers (a
 * listed URI -> the backend that owns it; each backend's URI templates), bounded per backend: a
 * backend listing millions of resources must not grow the proxy's memory without limit. The first
 * LISTED_URIS_MAX URIs (LISTED_TEMPLATES_MAX templates) a backend lists in a session are remembered
 * and never forgotten; a URI (template) it lists beyond that is shown to the client in alias form,
 * mcp-warden:<backend>:<uri>, which routes to it by itself, so a read of it is still answered by the
 * backend that listed it and never by another (fail closed: nothing is guessed). A warning says so
 * in the log, at most once a minute per backend name (all sessions together).
 * Only what reaches the client is remembered: the caller collects a page's routes (ListedPage) and
 * remembers them once the page reached the client (Catalog.hold and settle: not when the response
 * phase denies it or the audit refuses its record), and never a hidden item nor a URI a redaction masked.
 */
import type { Logger } from '../log/logger.js';

/** At most this many listed resource URIs remembered per backend of a client session, unless configured (resourceRoutes.listedUris). */
export const LISTED_URIS_MAX = 10_000;
/** At most this many listed URI templates remembered per backend of a client session, unless configured (resourceRoutes.listedTemplates). */
export const LISTED_TEMPLATES_MAX = 1_000;
/** A backend's over-the-cap warning is logged at most once in this many ms. */
export const LISTED_WARN_INTERVAL_MS = 60_000;

/** The routes one list page would add, remembered when it reaches the client. */
export interface ListedPage {
  uris: string[];
  templates: Array<[string, RegExp]>;
}

/** Listed URI -> owning backend index, at most `max` (LISTED_URIS_MAX unless configured) per backend. */
export class ListedUris {
  private readonly owner = new Map<string, number>();
  private readonly counts: number[];

  constructor(
    backends: number,
    private readonly max = LISTED_URIS_MAX,
  ) {
    this.counts = new Array<number>(backends).fill(0);
  }

  get(uri: string): number | undefined {
    return this.owner.get(uri);
  }

  has(uri: string): boolean {
    return this.owner.has(uri);
  }

  /** Whether backend `index` may have `pending` more URIs remembered. */
  hasRoom(index: number, pending: number): boolean {
    return this.counts[index]! + pending < this.max;
  }

  /** Remembers `uri` as `index`'s unless another backend has it or `index` is at the cap. */
  add(uri: string, index: number): void {
    if (this.owner.has(uri) || this.counts[index]! >= this.max) return;
    this.owner.set(uri, index);
    this.counts[index]!++;
  }
}

const lastWarned = new Map<string, number>();

/** Logs (rate-limited per backend name) that a backend listed more than the session remembers. */
export function warnOverCap(logger: Logger | undefined, backend: string, kind: 'resources' | 'resource templates', max: number): void {
  if (logger === undefined) return;
  const key = `${backend}\0${kind}`;
  const now = Date.now();
  const last = lastWarned.get(key);
  if (last !== undefined && now - last < LISTED_WARN_INTERVAL_MS) return;
  if (lastWarned.size > 10_000) lastWarned.clear();
  lastWarned.set(key, now);
  logger.warn(
    { backend, max },
    `backend listed more ${kind} than a session remembers (${max}): those beyond are shown to the client as mcp-warden:${backend}:<uri>, which routes to it`,
  );
}
