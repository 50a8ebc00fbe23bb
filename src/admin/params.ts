/** Query-string parameters of the admin audit routes, validated into the audit query types (400 on bad input). */
import { parseAuditTime, type AuditFilter, type QueryOptions } from '../audit/index.js';

export class QueryParamError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'QueryParamError';
  }
}

export const MAX_PAGE = 1000;
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

export function filterFromQuery(query: Record<string, unknown>): AuditFilter {
  const filter: AuditFilter = { since: time(query, 'since'), until: time(query, 'until') };
  for (const key of FILTER_KEYS) filter[key] = single(query, key);
  return filter;
}

export function pageFromQuery(query: Record<string, unknown>): Pick<QueryOptions, 'limit' | 'cursor' | 'order'> {
  const order = single(query, 'order');
  if (order !== undefined && order !== 'asc' && order !== 'desc') throw new QueryParamError(`order: expected asc or desc, got "${order}"`);
  const limit = positiveInt(query, 'limit') ?? 100;
  if (limit > MAX_PAGE) throw new QueryParamError(`limit: at most ${MAX_PAGE}`);
  return { limit, cursor: positiveInt(query, 'cursor'), order: order ?? 'desc' };
}
