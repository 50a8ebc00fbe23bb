/** Query-string parameters of the admin audit routes, validated into the audit query types (400 on bad input). */
import { parseAuditTime, parseExpectedHead, type AuditFilter, type ExpectedHead, type QueryOptions, type StatsOptions } from '../audit/index.js';

export class QueryParamError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'QueryParamError';
  }
}

export const MAX_PAGE = 1000;
/**
 * Groups in each list of GET <prefix>/audit/stats unless `top` says otherwise, and the most `top`
 * may ask for: an answer stays bounded however many distinct tool names (or clients) the rows hold.
 */
export const STATS_TOP = 1000;
export const MAX_STATS_TOP = 100_000;
const FILTER_KEYS = ['client', 'role', 'tool', 'backend', 'decision', 'method', 'outcome', 'text'] as const;

function single(query: Record<string, unknown>, key: string): string | undefined {
  const v = query[key];
  if (v === undefined || v === '') return undefined;
  if (typeof v !== 'string') throw new QueryParamError(`${key}: give it once`);
  return v;
}

function time(query: Record<string, unknown>, key: string): number | undefined {
  const v = single(query, key);
  if (v === undefined) return undefined;
  try {
    return parseAuditTime(v);
  } catch (err) {
    throw new QueryParamError(`${key}: ${(err as Error).message}`);
  }
}

function positiveInt(query: Record<string, unknown>, key: string): number | undefined {
  const v = single(query, key);
  if (v === undefined) return undefined;
  if (!/^\d+$/.test(v) || Number(v) <= 0) throw new QueryParamError(`${key}: expected a positive integer, got "${v}"`);
  return Number(v);
}

const TIME_KEYS = ['since', 'until'] as const;
const PAGE_KEYS = ['limit', 'cursor', 'order'] as const;

/**
 * A parameter a route does not know is refused, not ignored: a misspelt filter (`clinet=alice`)
 * would otherwise answer every row as if it had matched.
 */
function onlyKnown(query: Record<string, unknown>, known: ReadonlyArray<string>): void {
  const unknown = Object.keys(query).filter((k) => !known.includes(k));
  if (unknown.length > 0) throw new QueryParamError(`unknown parameter${unknown.length > 1 ? 's' : ''} ${unknown.map((k) => `"${k}"`).join(', ')} (expected: ${known.join(', ')})`);
}

/** The query of GET <prefix>/audit: filters and a page. */
export function auditQueryFromQuery(query: Record<string, unknown>): AuditFilter & Pick<QueryOptions, 'limit' | 'cursor' | 'order'> {
  onlyKnown(query, [...FILTER_KEYS, ...TIME_KEYS, ...PAGE_KEYS]);
  return { ...filterFromQuery(query), ...pageFromQuery(query) };
}

/** The filter of GET <prefix>/audit/stats (no page) and `top`, the most groups in each list (STATS_TOP unless given). */
export function statsFilterFromQuery(query: Record<string, unknown>): StatsOptions {
  onlyKnown(query, [...FILTER_KEYS, ...TIME_KEYS, 'top']);
  const top = positiveInt(query, 'top') ?? STATS_TOP;
  if (top > MAX_STATS_TOP) throw new QueryParamError(`top: at most ${MAX_STATS_TOP}, got ${top}`);
  return { ...filterFromQuery(query), top };
}

/** The parameters of GET <prefix>/audit/verify: `expect=SEQ:HASH`, a head kept elsewhere (optional). */
export function verifyExpectFromQuery(query: Record<string, unknown>): ExpectedHead | undefined {
  onlyKnown(query, ['expect']);
  const v = single(query, 'expect');
  if (v === undefined) return undefined;
  try {
    return parseExpectedHead(v);
  } catch (err) {
    throw new QueryParamError(`expect: ${(err as Error).message}`);
  }
}

function filterFromQuery(query: Record<string, unknown>): AuditFilter {
  const filter: AuditFilter = { since: time(query, 'since'), until: time(query, 'until') };
  for (const key of FILTER_KEYS) filter[key] = single(query, key);
  return filter;
}

function pageFromQuery(query: Record<string, unknown>): Pick<QueryOptions, 'limit' | 'cursor' | 'order'> {
  const order = single(query, 'order');
  if (order !== undefined && order !== 'asc' && order !== 'desc') throw new QueryParamError(`order: expected asc or desc, got "${order}"`);
  const limit = positiveInt(query, 'limit') ?? 100;
  if (limit > MAX_PAGE) throw new QueryParamError(`limit: at most ${MAX_PAGE}`);
  return { limit, cursor: positiveInt(query, 'cursor'), order: order ?? 'desc' };
}
