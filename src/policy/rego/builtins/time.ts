/**
 * time.* builtins with OPA's int64 nanosecond timestamps: now_ns (fixed per query), parse_ns (Go
 * layouts and OPA's named layouts), parse_rfc3339_ns, parse_duration_ns (Go's ParseDuration), date,
 * clock, weekday, add_date, diff and format, each accepting `ns` or `[ns, tz]` (`[ns, tz, layout]`
 * for format) with IANA zones.
 */
import { BigNum, type Value } from '../value/index.js';
import { type BuiltinDef, BuiltinError } from './registry.js';
import { str, int, operandTypeError } from './operands.js';
import { UTC, civilOf, goDate, inZone, loadZone, type ZonedTime, type Zone } from './gotime-civil.js';
import { NAMED_LAYOUTS, formatTime, weekdayName } from './gotime-layout.js';
import { parseTime, TimeParseError } from './gotime-parse.js';

const INT64_MIN = -(1n << 63n);
const INT64_MAX = (1n << 63n) - 1n;
const NS = 1_000_000_000n;

function nsToValue(ns: bigint): Value {
  return BigNum.fromBigInt(ns);
}

function toNs(t: ZonedTime): bigint {
  return BigInt(t.sec) * NS + BigInt(t.nsec);
}

/** OPA's toSafeUnixNano */
function safeNs(t: ZonedTime): Value {
  const ns = toNs(t);
  if (ns < INT64_MIN || ns > INT64_MAX) throw new BuiltinError('time outside of valid range');
  return nsToValue(ns);
}

function fromNs(ns: bigint, zone: Zone): ZonedTime {
  let sec = ns / NS;
  let nsec = ns % NS;
  if (nsec < 0n) {
    nsec += NS;
    sec -= 1n;
  }
  return inZone(Number(sec), Number(nsec), zone);
}

const TZ_EXPECTED = 'either number (ns) or [number (ns), string (tz)]';

/** OPA's tzTime: ns or [ns, tz] or [ns, tz, layout] */
function tzTime(a: Value): { t: ZonedTime; layout: string; zone: Zone } {
  let n: Value;
  let zone: Zone = UTC;
  let layout = '';
  if (Array.isArray(a)) {
    if (a.length === 0) throw operandTypeError(1, a, TZ_EXPECTED);
    n = a[0]!;
    if (typeof n !== 'number' && !(n instanceof BigNum)) throw operandTypeError(1, n, 'number');
    if (a.length > 1) {
      const tz = str(a[1]!, 1);
      try {
        zone = loadZone(tz);
      } catch (e) {
        throw new BuiltinError((e as Error).message);
      }
    }
    if (a.length > 2) layout = str(a[2]!, 1);
  } else if (typeof a === 'number' || a instanceof BigNum) n = a;
  else throw operandTypeError(1, a, TZ_EXPECTED);
  let ns: bigint | null;
  if (typeof n === 'number') ns = Number.isInteger(n) ? BigInt(n) : null;
  else ns = (n as BigNum).int;
  if (ns === null || ns < INT64_MIN || ns > INT64_MAX) throw new BuiltinError('timestamp too big');
  return { t: fromNs(ns, zone), layout, zone };
}

function parseNs(args: Value[]): Value {
  let layout = str(args[0]!, 1);
  const value = str(args[1]!, 2);
  layout = NAMED_LAYOUTS[layout] ?? layout;
  return safeNs(parseGo(layout, value));
}

function parseGo(layout: string, value: string): ZonedTime {
  try {
    return parseTime(layout, value);
  } catch (e) {
    if (e instanceof TimeParseError) throw new BuiltinError(e.message);
    throw e;
  }
}

// ---- durations (Go time.ParseDuration) ----

const UNITS: Record<string, bigint> = {
  ns: 1n,
  us: 1000n,
  'µs': 1000n,
  'μs': 1000n,
  ms: 1_000_000n,
  s: NS,
  m: 60n * NS,
  h: 3600n * NS,
};

export function parseDuration(s: string): bigint {
  const orig = s;
  const q = JSON.stringify(orig);
  const invalid = (): never => {
    throw new BuiltinError(`time: invalid duration ${q}`);
  };
  let neg = false;
  if (s !== '' && (s[0] === '-' || s[0] === '+')) {
    neg = s[0] === '-';
    s = s.slice(1);
  }
  if (s === '0') return 0n;
  if (s === '') invalid();
  let total = 0n;
  while (s !== '') {
    const m = /^([0-9]*)(\.([0-9]*))?/.exec(s)!;
    const intPart = m[1]!;
    const fracPart = m[3] ?? '';
    if (intPart === '' && fracPart === '' ) invalid();
    if (intPart === '' && m[2] === undefined) invalid();
    s = s.slice(m[0].length);
    const um = /^[^0-9.]+/.exec(s);
    if (um === null) throw new BuiltinError(`time: missing unit in duration ${q}`);
    const unitName = um[0];
    const unit = UNITS[unitName];
    if (unit === undefined) throw new BuiltinError(`time: unknown unit ${JSON.stringify(unitName)} in duration ${q}`);
    s = s.slice(unitName.length);
    let v = BigInt(intPart === '' ? '0' : intPart) * unit;
    if (fracPart !== '') {
      // fraction scaled by the unit, truncated as Go does
      const scale = 10n ** BigInt(fracPart.length);
      v += (BigInt(fracPart) * unit) / scale;
    }
    total += v;
    if (total > (1n << 63n)) invalid();
  }
  if (neg) total = -total;
  if (total > INT64_MAX || total < INT64_MIN) invalid();
  return total;
}

function addDate(args: Value[]): Value {
  const { t, zone } = tzTime(args[0]!);
  const years = int(args[1]!, 2);
  const months = int(args[2]!, 3);
  const days = int(args[3]!, 4);
  const c = civilOf(t);
  const r = goDate(c.year + years, c.month + months, c.day + days, c.hour, c.minute, c.second, t.nsec, zone);
  return safeNs(r);
}

function diff(args: Value[]): Value {
  let t1 = tzTime(args[0]!).t;
  const z1 = tzTime(args[0]!).zone;
  let t2 = tzTime(args[1]!).t;
  t2 = inZone(t2.sec, t2.nsec, z1);
  if (t1.sec > t2.sec || (t1.sec === t2.sec && t1.nsec > t2.nsec)) [t1, t2] = [t2, t1];
  const a = civilOf(t1);
  const b = civilOf(t2);
  let year = b.year - a.year;
  let month = b.month - a.month;
  let day = b.day - a.day;
  let hour = b.hour - a.hour;
  let min = b.minute - a.minute;
  let sec = b.second - a.second;
  if (sec < 0) {
    sec += 60;
    min--;
  }
  if (min < 0) {
    min += 60;
    hour--;
  }
  if (hour < 0) {
    hour += 24;
    day--;
  }
  if (day < 0) {
    const d32 = civilOf(goDate(a.year, a.month, 32, 0, 0, 0, 0, UTC));
    day += 32 - d32.day;
    month--;
  }
  if (month < 0) {
    month += 12;
    year--;
  }
  return [year, month, day, hour, min, sec];
}

function format(args: Value[]): Value {
  const { t, layout } = tzTime(args[0]!);
  const l = layout === '' ? NAMED_LAYOUTS.RFC3339Nano! : (NAMED_LAYOUTS[layout] ?? layout);
  return formatTime(t, l);
}

export const builtins: BuiltinDef[] = [
  { name: 'time.now_ns', arity: 0, fn: (_a, ctx) => nsToValue(ctx.nowNs) },
  { name: 'time.parse_ns', arity: 2, fn: parseNs },
  {
    name: 'time.parse_rfc3339_ns',
    arity: 1,
    fn: (a) => safeNs(parseGo(NAMED_LAYOUTS.RFC3339!, str(a[0]!, 1))),
  },
  { name: 'time.parse_duration_ns', arity: 1, fn: (a) => nsToValue(parseDuration(str(a[0]!, 1))) },
  {
    name: 'time.date',
    arity: 1,
    fn: (a) => {
      const c = civilOf(tzTime(a[0]!).t);
      return [c.year, c.month, c.day];
    },
  },
  {
    name: 'time.clock',
    arity: 1,
    fn: (a) => {
      const c = civilOf(tzTime(a[0]!).t);
      return [c.hour, c.minute, c.second];
    },
  },
  { name: 'time.weekday', arity: 1, fn: (a) => weekdayName(civilOf(tzTime(a[0]!).t).weekday) },
  { name: 'time.add_date', arity: 4, fn: addDate },
  { name: 'time.diff', arity: 2, fn: diff },
  { name: 'time.format', arity: 1, fn: format },
];
