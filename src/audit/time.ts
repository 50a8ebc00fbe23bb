/** Reading time arguments of audit queries: ISO dates, epoch milliseconds, or a duration ago (15m, 2h, 7d). */

const DURATION = /^(\d+(?:\.\d+)?)(ms|s|m|h|d|w)$/;
const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/** Milliseconds since the epoch; throws an Error naming the accepted forms when unreadable. */
export function parseAuditTime(value: string, now: number = Date.now()): number {
  const trimmed = value.trim();
  const rel = DURATION.exec(trimmed);
  if (rel) return now - Number(rel[1]) * UNIT_MS[rel[2]!]!;
  if (/^\d{10,}$/.test(trimmed)) return Number(trimmed);
  const t = Date.parse(trimmed);
  if (Number.isNaN(t)) throw new Error(`cannot read "${value}" as a time (use an ISO date, epoch milliseconds, or a duration like 15m, 2h, 7d)`);
  return t;
}
