/**
 * Reading time arguments of audit queries: ISO 8601 dates, epoch milliseconds, or a duration ago
 * (15m, 2h, 7d). Nothing else: `Date.parse` alone also takes "7" (2001-07-01), "-1", "Jan 5" (2001)
 * and "2026-02-31" (March 3), so a mistyped `--until 7` (meant 7d) or `until=1` answered an empty
 * or shifted window as if no row had matched.
 */

const DURATION = /^(\d+(?:\.\d+)?)(ms|s|m|h|d|w)$/;
const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/** YYYY-MM-DD, optionally with a time (T or a space) of hh:mm[:ss[.fraction]] and an offset (Z, ±hh:mm, ±hhmm). */
const ISO = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})?)?$/i;

const FORMS = 'use an ISO date such as 2026-01-31 or 2026-01-31T10:00:00Z, epoch milliseconds, or a duration like 15m, 2h, 7d';

/** Whether the fields of an ISO match name a real date and time (no 2026-02-31, no 25:00). */
function realCalendar(m: RegExpExecArray): boolean {
  const [year, month, day] = [Number(m[1]), Number(m[2]), Number(m[3])];
  if (month < 1 || month > 12 || day < 1 || day > new Date(Date.UTC(year, month, 0)).getUTCDate()) return false;
  if (m[4] !== undefined && (Number(m[4]) > 23 || Number(m[5]) > 59 || Number(m[6] ?? 0) > 59)) return false;
  const offset = m[7] !== undefined && m[7].toUpperCase() !== 'Z' ? /^[+-](\d{2}):?(\d{2})$/.exec(m[7]) : null;
  return offset === null || (Number(offset[1]) <= 23 && Number(offset[2]) <= 59);
}

/**
 * Milliseconds since the epoch; throws an Error naming the accepted forms when unreadable. A date
 * alone is midnight UTC; a date and time without an offset is the local time of the machine that
 * reads it (JavaScript's rule: the server's, for the admin API), so give `Z` or an offset.
 */
export function parseAuditTime(value: string, now: number = Date.now()): number {
  const trimmed = value.trim();
  const rel = DURATION.exec(trimmed);
  if (rel) return now - Number(rel[1]) * UNIT_MS[rel[2]!]!;
  if (/^\d{10,}$/.test(trimmed)) return Number(trimmed);
  const iso = ISO.exec(trimmed);
  const t = iso !== null && realCalendar(iso) ? Date.parse(trimmed) : Number.NaN;
  if (Number.isNaN(t)) {
    const hint = /^\d{1,9}$/.test(trimmed) ? ' (a number needs a unit, e.g. 7d, or is epoch milliseconds: 10 digits or more)' : '';
    throw new Error(`cannot read "${value}" as a time${hint} (${FORMS})`);
  }
  return t;
}
