/** Parses the short durations the `keys` commands and the config accept: 90d, 24h, 30m, 45s, 2w. */

const UNIT_MS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/** Milliseconds for "<n><unit>" (s, m, h, d, w); throws a clear error for anything else. */
export function parseDuration(text: string): number {
  const match = /^(\d+)\s*([smhdw])$/.exec(text.trim());
  if (!match) throw new Error(`invalid duration "${text}": expected a number and a unit (s, m, h, d, w), e.g. 90d or 24h`);
  const ms = Number(match[1]) * UNIT_MS[match[2] as string]!;
  if (!Number.isSafeInteger(ms) || ms <= 0) throw new Error(`invalid duration "${text}": must be positive`);
  return ms;
}
