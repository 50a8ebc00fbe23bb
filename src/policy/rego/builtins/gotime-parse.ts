/**
 * Go's time.Parse for a layout tokenised by gotime-layout.ts: 2-digit years pivot at 69, `_2`,
 * `.000`/`.999` fractions, numeric and `Z` offsets, zone abbreviations, AM/PM, day-of-year, and
 * Go's error messages ("parsing time ... as ...: cannot parse ... as ...", "day out of range").
 */
import { civilOf, daysIn, goDate, UTC, fixedZone, type ZonedTime, type Zone } from './gotime-civil.js';
import { LONG_DAYS, LONG_MONTHS, isDigitAt, parseLayout, type Std } from './gotime-layout.js';

class ParseError extends Error {}

function goQuoteLite(s: string): string {
  return JSON.stringify(s);
}

function lookupName(names: readonly string[], value: string, short: boolean): [number, string] | undefined {
  for (let i = 0; i < names.length; i++) {
    const n = short ? names[i].slice(0, 3) : names[i];
    if (value.length >= n.length && value.slice(0, n.length).toLowerCase() === n.toLowerCase()) return [i, value.slice(n.length)];
  }
  return undefined;
}

/** Go getnum: one or two digits (exactly two when fixed). */
function getnum(value: string, fixed: boolean): [number, string] | undefined {
  if (!isDigitAt(value, 0)) return undefined;
  if (!isDigitAt(value, 1)) {
    if (fixed) return undefined;
    return [value.charCodeAt(0) - 48, value.slice(1)];
  }
  return [(value.charCodeAt(0) - 48) * 10 + (value.charCodeAt(1) - 48), value.slice(2)];
}

function getnum3(value: string, fixed: boolean): [number, string] | undefined {
  let n = 0;
  let i = 0;
  for (; i < 3 && isDigitAt(value, i); i++) n = n * 10 + value.charCodeAt(i) - 48;
  if (i === 0 || (fixed && i !== 3)) return undefined;
  return [n, value.slice(i)];
}

/** Go's parseTimeZone: length of a time zone abbreviation at the start of value, or 0. */
function timeZoneLen(value: string): number {
  if (value.length < 3) return 0;
  if (value.startsWith('ChST') || value.startsWith('MeST')) return 4;
  if (value.startsWith('GMT')) {
    let n = 3;
    if (value[3] === '+' || value[3] === '-') {
      let j = 4;
      while (isDigitAt(value, j)) j++;
      if (j > 4) n = j;
    }
    return n;
  }
  if (value[0] === '+' || value[0] === '-') {
    let j = 1;
    while (isDigitAt(value, j)) j++;
    return j === 3 || j === 5 ? j : 0;
  }
  let n = 0;
  while (n < value.length && value.charCodeAt(n) >= 65 && value.charCodeAt(n) <= 90) n++;
  if (n === 3 || n === 4 || n === 5) {
    if (n === 4 && value[3] !== 'T') return 0;
    return n;
  }
  return 0;
}

/** Go's time.Parse (UTC as the default location). Returns the instant. */
export function parseTime(layout: string, value: string): ZonedTime {
  const orig = value;
  const chunks = parseLayout(layout);
  let year = 1;
  let month = -1;
  let day = -1;
  let yday = -1;
  let hour = 0;
  let min = 0;
  let sec = 0;
  let nsec = 0;
  let pmSet = false;
  let amSet = false;
  let zoneOffset: number | undefined;
  let zoneName = '';
  const fail = (elem: string, rest: string, extra = ''): never => {
    throw new ParseError(
      extra !== ''
        ? `parsing time ${goQuoteLite(orig)}${extra}`
        : `parsing time ${goQuoteLite(orig)} as ${goQuoteLite(layout)}: cannot parse ${goQuoteLite(rest)} as ${goQuoteLite(elem)}`,
    );
  };
  const range = (what: string): never => {
    throw new ParseError(`parsing time ${goQuoteLite(orig)}: ${what} out of range`);
  };
  for (let ci = 0; ci < chunks.length; ci++) {
    const ch = chunks[ci];
    // literal prefix (Go skips leading spaces in both)
    let lit = ch.lit;
    if (lit !== '') {
      if (!value.startsWith(lit)) {
        // Go's skip(): spaces in layout match one or more spaces in value
        let v = value;
        let ok = true;
        let l = lit;
        while (l.length > 0) {
          if (l[0] === ' ') {
            if (v.length > 0 && v[0] !== ' ') {
              ok = false;
              break;
            }
            while (l[0] === ' ') l = l.slice(1);
            while (v[0] === ' ') v = v.slice(1);
            continue;
          }
          if (v.length === 0 || v[0] !== l[0]) {
            ok = false;
            break;
          }
          l = l.slice(1);
          v = v.slice(1);
        }
        if (!ok) fail(lit, value);
        value = v;
      } else value = value.slice(lit.length);
      lit = '';
    }
    if (ch.std === undefined) {
      if (value.length > 0) fail('', '', `: extra text: ${goQuoteLite(value)}`);
      break;
    }
    const before = value;
    const elem = ch.raw!;
    let r: [number, string] | undefined;
    switch (ch.std) {
      case '2006': {
        if (value.length < 4 || !isDigitAt(value, 0) || !/^\d{4}/.test(value)) fail(elem, before);
        year = Number(value.slice(0, 4));
        value = value.slice(4);
        break;
      }
      case '06': {
        r = getnum(value, true);
        if (!r) fail(elem, before);
        year = r![0] >= 69 ? 1900 + r![0] : 2000 + r![0];
        value = r![1];
        break;
      }
      case 'Jan':
      case 'January':
        r = lookupName(LONG_MONTHS, value, ch.std === 'Jan');
        if (!r) fail(elem, before);
        month = r![0] + 1;
        value = r![1];
        break;
      case 'Mon':
      case 'Monday':
        r = lookupName(LONG_DAYS, value, ch.std === 'Mon');
        if (!r) fail(elem, before);
        value = r![1];
        break;
      case '1':
      case '01':
        r = getnum(value, ch.std === '01');
        if (!r) fail(elem, before);
        if (r![0] <= 0 || r![0] > 12) range('month');
        month = r![0];
        value = r![1];
        break;
      case '2':
      case '_2':
      case '02':
        if (ch.std === '_2' && value[0] === ' ') value = value.slice(1);
        r = getnum(value, ch.std === '02');
        if (!r) fail(elem, before);
        day = r![0];
        value = r![1];
        break;
      case '002':
      case '__2':
        if (ch.std === '__2') value = value.replace(/^ {1,2}/, '');
        r = getnum3(value, ch.std === '002');
        if (!r) fail(elem, before);
        yday = r![0];
        value = r![1];
        break;
      case '15':
        r = getnum(value, false);
        if (!r) fail(elem, before);
        if (r![0] < 0 || r![0] > 23) range('hour');
        hour = r![0];
        value = r![1];
        break;
      case '3':
      case '03':
        r = getnum(value, ch.std === '03');
        if (!r) fail(elem, before);
        if (r![0] < 0 || r![0] > 12) range('hour');
        hour = r![0];
        value = r![1];
        break;
      case '4':
      case '04':
        r = getnum(value, ch.std === '04');
        if (!r) fail(elem, before);
        if (r![0] < 0 || r![0] >= 60) range('minute');
        min = r![0];
        value = r![1];
        break;
      case '5':
      case '05': {
        r = getnum(value, ch.std === '05');
        if (!r) fail(elem, before);
        if (r![0] < 0 || r![0] >= 60) range('second');
        sec = r![0];
        value = r![1];
        // a fractional second in the value that the layout does not mention
        const next = chunks[ci + 1];
        if ((value[0] === '.' || value[0] === ',') && isDigitAt(value, 1) && !(next && next.lit === '' && (next.std === 'frac0' || next.std === 'frac9'))) {
          let j = 1;
          while (isDigitAt(value, j)) j++;
          nsec = fracToNanos(value.slice(1, j));
          value = value.slice(j);
        }
        break;
      }
      case 'PM':
      case 'pm': {
        const p = value.slice(0, 2);
        const up = ch.std === 'PM' ? p : p.toUpperCase();
        if (up === 'PM') pmSet = true;
        else if (up === 'AM') amSet = true;
        else fail(elem, before);
        if (ch.std === 'PM' && p !== up) fail(elem, before);
        value = value.slice(2);
        break;
      }
      case 'MST': {
        if (value.length >= 3 && value.startsWith('UTC')) {
          zoneName = 'UTC';
          value = value.slice(3);
          break;
        }
        const n = timeZoneLen(value);
        if (n === 0) fail(elem, before);
        zoneName = value.slice(0, n);
        value = value.slice(n);
        break;
      }
      case 'frac0': {
        const n = ch.fracDigits! + 1;
        if (value.length < n || (value[0] !== '.' && value[0] !== ',') || !/^\d+$/.test(value.slice(1, n))) fail(elem, before);
        nsec = fracToNanos(value.slice(1, n));
        value = value.slice(n);
        break;
      }
      case 'frac9': {
        if (value.length < 2 || (value[0] !== '.' && value[0] !== ',') || !isDigitAt(value, 1)) break;
        let j = 1;
        while (j < 10 && isDigitAt(value, j)) j++;
        nsec = fracToNanos(value.slice(1, j));
        value = value.slice(j);
        break;
      }
      default: {
        // numeric offsets, Z-forms accept "Z"
        if (ch.std.startsWith('Z') && value[0] === 'Z') {
          value = value.slice(1);
          zoneOffset = 0;
          zoneName = 'UTC';
          break;
        }
        const m = offsetPattern(ch.std).exec(value);
        if (!m) fail(elem, before);
        const sign = m![1] === '-' ? -1 : 1;
        const hh = Number(m![2]);
        const mm = Number(m![3] ?? '0');
        const ss = Number(m![4] ?? '0');
        if (hh > 24 || mm > 60 || ss > 60) range('time zone offset');
        zoneOffset = sign * (hh * 3600 + mm * 60 + ss);
        value = value.slice(m![0].length);
      }
    }
  }
  if (pmSet && hour < 12) hour += 12;
  else if (amSet && hour === 12) hour = 0;
  if (yday >= 0) {
    if (yday < 1 || yday > (year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 366 : 365)) range('day-of-year');
    if (month < 0 && day < 0) {
      const start = goDate(year, 1, yday, 0, 0, 0, 0, UTC);
      const c = civilOf(start);
      month = c.month;
      day = c.day;
    }
  }
  if (month < 0) month = 1;
  if (day < 0) day = 1;
  if (day < 1 || day > daysIn(month, year)) range('day');
  let zone: Zone = UTC;
  if (zoneOffset !== undefined) zone = zoneOffset === 0 && zoneName === 'UTC' ? UTC : fixedZone('', zoneOffset);
  else if (zoneName !== '' && zoneName !== 'UTC') {
    // Go: an unknown abbreviation gets a fabricated location with offset 0 (GMT+h gets its offset)
    const gm = /^GMT([+-]\d+)$/.exec(zoneName);
    zone = fixedZone(zoneName, gm ? Number(gm[1]) * 3600 : 0);
  }
  return goDate(year, month, day, hour, min, sec, nsec, zone);
}

function fracToNanos(digits: string): number {
  const d = digits.length > 9 ? digits.slice(0, 9) : digits.padEnd(9, '0');
  return Number(d);
}

const offsetRes = new Map<Std, RegExp>([
  ['-07', /^([+-])(\d\d)/],
  ['Z07', /^([+-])(\d\d)/],
  ['-0700', /^([+-])(\d\d)(\d\d)/],
  ['Z0700', /^([+-])(\d\d)(\d\d)/],
  ['-07:00', /^([+-])(\d\d):(\d\d)/],
  ['Z07:00', /^([+-])(\d\d):(\d\d)/],
  ['-070000', /^([+-])(\d\d)(\d\d)(\d\d)/],
  ['Z070000', /^([+-])(\d\d)(\d\d)(\d\d)/],
  ['-07:00:00', /^([+-])(\d\d):(\d\d):(\d\d)/],
  ['Z07:00:00', /^([+-])(\d\d):(\d\d):(\d\d)/],
]);

function offsetPattern(std: Std): RegExp {
  return offsetRes.get(std)!;
}

export { ParseError as TimeParseError };
