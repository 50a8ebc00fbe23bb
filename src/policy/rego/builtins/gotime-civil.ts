/**
 * Civil calendar arithmetic and time zones for the time.* builtins, as Go's time package has them:
 * proleptic Gregorian dates from Unix seconds and back (any year OPA's int64 nanoseconds can reach),
 * IANA zones resolved through Intl (offset and abbreviation at an instant), and Go's Date() normalisation.
 */

export interface ZonedTime {
  /** Unix seconds (integer). */
  readonly sec: number;
  /** Nanoseconds within the second, 0..999999999. */
  readonly nsec: number;
  /** Offset from UTC in seconds at this instant. */
  readonly offset: number;
  /** Zone abbreviation ("UTC", "PST"), or '' when the zone has none (Go then prints the numeric offset). */
  readonly abbr: string;
}

export interface Civil {
  year: number;
  month: number; // 1..12
  day: number;
  hour: number;
  minute: number;
  second: number;
  weekday: number; // 0 = Sunday
  yday: number; // 1..366
}

/** Days since 1970-01-01 of a proleptic Gregorian date (month may be any integer, day too: Go normalises). */
export function daysFromCivil(y: number, m: number, d: number): number {
  // normalise month into 1..12 first
  const mm = m - 1;
  y += Math.floor(mm / 12);
  m = (((mm % 12) + 12) % 12) + 1;
  const yy = m <= 2 ? y - 1 : y;
  const era = Math.floor(yy / 400);
  const yoe = yy - era * 400;
  const mp = (m + 9) % 12;
  const doy = Math.floor((153 * mp + 2) / 5) + d - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

export function civilFromDays(z: number): { year: number; month: number; day: number } {
  z += 719468;
  const era = Math.floor(z / 146097);
  const doe = z - era * 146097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365);
  const y = yoe + era * 400;
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const d = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const m = mp < 10 ? mp + 3 : mp - 9;
  return { year: m <= 2 ? y + 1 : y, month: m, day: d };
}

export function isLeap(y: number): boolean {
  return y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0);
}

const DAYS_BEFORE = [0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334, 365];

export function daysIn(month: number, year: number): number {
  if (month === 2 && isLeap(year)) return 29;
  return DAYS_BEFORE[month] - DAYS_BEFORE[month - 1];
}

/** Local civil fields of a zoned time. */
export function civilOf(t: ZonedTime): Civil {
  const local = t.sec + t.offset;
  const days = Math.floor(local / 86400);
  let rem = local - days * 86400;
  const { year, month, day } = civilFromDays(days);
  const hour = Math.floor(rem / 3600);
  rem -= hour * 3600;
  const minute = Math.floor(rem / 60);
  const second = rem - minute * 60;
  const weekday = (((days + 4) % 7) + 7) % 7;
  const yday = DAYS_BEFORE[month - 1] + day + (month > 2 && isLeap(year) ? 1 : 0);
  return { year, month, day, hour, minute, second, weekday, yday };
}

// ---- zones ----

export interface Zone {
  readonly name: string;
  /** offset in seconds and abbreviation at the given Unix second */
  lookup(sec: number): { offset: number; abbr: string };
}

export const UTC: Zone = { name: 'UTC', lookup: () => ({ offset: 0, abbr: 'UTC' }) };

export function fixedZone(name: string, offset: number): Zone {
  return { name, lookup: () => ({ offset, abbr: name }) };
}

const zoneCache = new Map<string, Zone>();

class IntlZone implements Zone {
  private readonly fmt: Intl.DateTimeFormat;
  constructor(readonly name: string) {
    this.fmt = new Intl.DateTimeFormat('en-US', {
      timeZone: name,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
      era: 'short',
      timeZoneName: 'short',
    });
  }
  lookup(sec: number): { offset: number; abbr: string } {
    const parts = this.fmt.formatToParts(new Date(sec * 1000));
    let y = 0;
    let mo = 0;
    let d = 0;
    let h = 0;
    let mi = 0;
    let s = 0;
    let bc = false;
    let abbr = '';
    for (const p of parts) {
      switch (p.type) {
        case 'year':
          y = Number(p.value);
          break;
        case 'month':
          mo = Number(p.value);
          break;
        case 'day':
          d = Number(p.value);
          break;
        case 'hour':
          h = Number(p.value);
          break;
        case 'minute':
          mi = Number(p.value);
          break;
        case 'second':
          s = Number(p.value);
          break;
        case 'era':
          bc = p.value.startsWith('B');
          break;
        case 'timeZoneName':
          abbr = p.value;
          break;
      }
    }
    if (bc) y = 1 - y;
    const localSec = daysFromCivil(y, mo, d) * 86400 + h * 3600 + mi * 60 + s;
    const offset = localSec - sec;
    // Go has abbreviations like "IST"; Intl sometimes only knows "GMT+5:30": Go prints those zones as "+0530"
    if (/^(GMT|UTC)[+-]/.test(abbr) || abbr === 'GMT' && offset !== 0) abbr = goNumericAbbr(offset);
    return { offset, abbr };
  }
}

function goNumericAbbr(offset: number): string {
  const sign = offset < 0 ? '-' : '+';
  const a = Math.abs(offset);
  const hh = Math.floor(a / 3600);
  const mm = Math.floor((a % 3600) / 60);
  return sign + String(hh).padStart(2, '0') + (mm !== 0 ? String(mm).padStart(2, '0') : '');
}

/** Go's time.LoadLocation: "", "UTC" → UTC, "Local" → the process zone, IANA names via Intl. */
export function loadZone(name: string): Zone {
  if (name === '' || name === 'UTC') return UTC;
  let z = zoneCache.get(name);
  if (z !== undefined) return z;
  const iana = name === 'Local' ? Intl.DateTimeFormat().resolvedOptions().timeZone : name;
  if (name !== 'Local' && (name.startsWith('/') || name.includes('..') || name.includes('\\'))) {
    throw new Error(`unknown time zone ${name}`);
  }
  try {
    z = iana === 'UTC' ? UTC : new IntlZone(iana);
  } catch {
    throw new Error(`unknown time zone ${name}`);
  }
  if (zoneCache.size > 256) zoneCache.clear();
  zoneCache.set(name, z);
  return z;
}

export function inZone(sec: number, nsec: number, zone: Zone): ZonedTime {
  const { offset, abbr } = zone.lookup(sec);
  return { sec, nsec, offset, abbr };
}

/**
 * Go's time.Date(year, month, day, hour, min, sec, nsec, loc): out-of-range fields normalise;
 * the wall time is resolved to an instant using the zone's offset at that wall time.
 */
export function goDate(
  year: number,
  month: number,
  day: number,
  hour: number,
  minute: number,
  second: number,
  nsec: number,
  zone: Zone,
): ZonedTime {
  // carry nanoseconds into seconds
  let extra = Math.floor(nsec / 1e9);
  nsec -= extra * 1e9;
  const wall = daysFromCivil(year, month, day) * 86400 + hour * 3600 + minute * 60 + second + extra;
  // resolve the offset: try the offset at (wall - offset) twice, as Go does for transitions
  let { offset } = zone.lookup(wall);
  let sec = wall - offset;
  const second2 = zone.lookup(sec);
  if (second2.offset !== offset) {
    offset = second2.offset;
    sec = wall - offset;
  }
  extra = 0;
  return inZone(sec, nsec, zone);
}
