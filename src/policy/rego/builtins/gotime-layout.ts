/**
 * Go time layouts ("2006-01-02T15:04:05Z07:00"): tokenising a layout into Go's std chunks (cached)
 * and Time.Format. Parsing is in gotime-parse.ts.
 */
import { civilOf, type ZonedTime } from './gotime-civil.js';

/** The layout names OPA accepts in place of a layout. */
export const NAMED_LAYOUTS: Readonly<Record<string, string>> = {
  ANSIC: 'Mon Jan _2 15:04:05 2006',
  UnixDate: 'Mon Jan _2 15:04:05 MST 2006',
  RubyDate: 'Mon Jan 02 15:04:05 -0700 2006',
  RFC822: '02 Jan 06 15:04 MST',
  RFC822Z: '02 Jan 06 15:04 -0700',
  RFC850: 'Monday, 02-Jan-06 15:04:05 MST',
  RFC1123: 'Mon, 02 Jan 2006 15:04:05 MST',
  RFC1123Z: 'Mon, 02 Jan 2006 15:04:05 -0700',
  RFC3339: '2006-01-02T15:04:05Z07:00',
  RFC3339Nano: '2006-01-02T15:04:05.999999999Z07:00',
};

export type Std =
  | 'Jan' | 'January' | 'Mon' | 'Monday' | 'MST'
  | '1' | '01' | '2' | '_2' | '02' | '002' | '__2'
  | '15' | '3' | '03' | '4' | '04' | '5' | '05'
  | '2006' | '06' | 'PM' | 'pm'
  | '-070000' | '-07:00:00' | '-0700' | '-07:00' | '-07'
  | 'Z070000' | 'Z07:00:00' | 'Z0700' | 'Z07:00' | 'Z07'
  | 'frac0' | 'frac9';

interface Chunk {
  lit: string; // literal text before the element ('' allowed)
  std?: Std;
  fracDigits?: number;
  fracSep?: string;
  raw?: string; // the layout text of this element
}

const layoutCache = new Map<string, Chunk[]>();

export function isDigitAt(s: string, i: number): boolean {
  const c = s.charCodeAt(i);
  return c >= 48 && c <= 57;
}

const ORDERED_STDS: ReadonlyArray<[string, Std]> = [
  ['January', 'January'], ['Jan', 'Jan'], ['Monday', 'Monday'], ['Mon', 'Mon'], ['MST', 'MST'],
  ['01', '01'], ['02', '02'], ['03', '03'], ['04', '04'], ['05', '05'], ['06', '06'], ['002', '002'],
  ['15', '15'], ['1', '1'], ['2006', '2006'], ['2', '2'], ['__2', '__2'], ['_2', '_2'],
  ['3', '3'], ['4', '4'], ['5', '5'], ['PM', 'PM'], ['pm', 'pm'],
  ['-07:00:00', '-07:00:00'], ['-070000', '-070000'], ['-07:00', '-07:00'], ['-0700', '-0700'], ['-07', '-07'],
  ['Z07:00:00', 'Z07:00:00'], ['Z070000', 'Z070000'], ['Z07:00', 'Z07:00'], ['Z0700', 'Z0700'], ['Z07', 'Z07'],
];

function stdAt(layout: string, i: number): { std: Std; len: number; digits?: number } | undefined {
  const c = layout[i];
  if (c === '.' || c === ',') {
    const d = layout[i + 1];
    if (d === '0' || d === '9') {
      let j = i + 1;
      while (j < layout.length && layout[j] === d) j++;
      if (!isDigitAt(layout, j)) return { std: d === '0' ? 'frac0' : 'frac9', len: j - i, digits: j - i - 1 };
    }
    return undefined;
  }
  // Go: "0" followed by 1..6, "002"; "Jan"/"January" only when not followed by a lower-case letter for Mon/Monday
  for (const [text, std] of ORDERED_STDS) {
    if (!layout.startsWith(text, i)) continue;
    if (text === '2' && layout.startsWith('2006', i)) continue;
    if (text === '_2' && layout.startsWith('_2006', i)) return undefined; // "_" literal, then 2006
    if ((text === 'Jan' || text === 'Mon') && /[a-z]/.test(layout[i + 3] ?? '') && !layout.startsWith(text === 'Jan' ? 'January' : 'Monday', i)) {
      continue;
    }
    if (text === '002' || text === '__2') {
      // day of year variants
      return { std, len: text.length };
    }
    return { std, len: text.length };
  }
  return undefined;
}

export function parseLayout(layout: string): Chunk[] {
  let chunks = layoutCache.get(layout);
  if (chunks !== undefined) return chunks;
  chunks = [];
  let lit = '';
  for (let i = 0; i < layout.length; ) {
    const m = stdAt(layout, i);
    if (m === undefined) {
      lit += layout[i];
      i++;
      continue;
    }
    chunks.push({ lit, std: m.std, fracDigits: m.digits, fracSep: m.digits !== undefined ? layout[i] : undefined, raw: layout.slice(i, i + m.len) });
    lit = '';
    i += m.len;
  }
  chunks.push({ lit });
  if (layoutCache.size > 512) layoutCache.clear();
  layoutCache.set(layout, chunks);
  return chunks;
}

export const LONG_MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];
export const LONG_DAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];

export function weekdayName(i: number): string {
  return LONG_DAYS[i];
}

function pad(n: number, w: number): string {
  const s = String(Math.abs(n));
  return (n < 0 ? '-' : '') + (s.length < w ? '0'.repeat(w - s.length) + s : s);
}

function fmtOffset(offset: number, std: Std): string {
  if (std.startsWith('Z') && offset === 0) return 'Z';
  const sign = offset < 0 ? '-' : '+';
  const a = Math.abs(offset);
  const hh = pad(Math.floor(a / 3600), 2);
  const mm = pad(Math.floor((a % 3600) / 60), 2);
  const ss = pad(a % 60, 2);
  switch (std) {
    case '-07':
    case 'Z07':
      return sign + hh;
    case '-0700':
    case 'Z0700':
      return sign + hh + mm;
    case '-07:00':
    case 'Z07:00':
      return sign + hh + ':' + mm;
    case '-070000':
    case 'Z070000':
      return sign + hh + mm + ss;
    default:
      return sign + hh + ':' + mm + ':' + ss;
  }
}

/** Go's Time.Format. */
export function formatTime(t: ZonedTime, layout: string): string {
  const c = civilOf(t);
  let out = '';
  for (const ch of parseLayout(layout)) {
    out += ch.lit;
    if (ch.std === undefined) continue;
    switch (ch.std) {
      case '2006':
        out += c.year >= 0 && c.year < 10000 ? pad(c.year, 4) : String(c.year);
        break;
      case '06':
        out += pad(((c.year % 100) + 100) % 100, 2);
        break;
      case 'Jan':
        out += LONG_MONTHS[c.month - 1].slice(0, 3);
        break;
      case 'January':
        out += LONG_MONTHS[c.month - 1];
        break;
      case '1':
        out += String(c.month);
        break;
      case '01':
        out += pad(c.month, 2);
        break;
      case 'Mon':
        out += LONG_DAYS[c.weekday].slice(0, 3);
        break;
      case 'Monday':
        out += LONG_DAYS[c.weekday];
        break;
      case '2':
        out += String(c.day);
        break;
      case '_2':
        out += c.day < 10 ? ' ' + c.day : String(c.day);
        break;
      case '02':
        out += pad(c.day, 2);
        break;
      case '__2':
        out += String(c.yday).padStart(3, ' ');
        break;
      case '002':
        out += pad(c.yday, 3);
        break;
      case '15':
        out += pad(c.hour, 2);
        break;
      case '3':
        out += String(c.hour % 12 === 0 ? 12 : c.hour % 12);
        break;
      case '03':
        out += pad(c.hour % 12 === 0 ? 12 : c.hour % 12, 2);
        break;
      case '4':
        out += String(c.minute);
        break;
      case '04':
        out += pad(c.minute, 2);
        break;
      case '5':
        out += String(c.second);
        break;
      case '05':
        out += pad(c.second, 2);
        break;
      case 'PM':
        out += c.hour >= 12 ? 'PM' : 'AM';
        break;
      case 'pm':
        out += c.hour >= 12 ? 'pm' : 'am';
        break;
      case 'MST':
        out += t.abbr !== '' ? t.abbr : fmtOffset(t.offset, '-0700');
        break;
      case 'frac0':
        out += ch.fracSep + pad(t.nsec, 9).slice(0, ch.fracDigits);
        break;
      case 'frac9': {
        const digits = pad(t.nsec, 9).slice(0, ch.fracDigits).replace(/0+$/, '');
        if (digits !== '') out += ch.fracSep + digits;
        break;
      }
      default:
        out += fmtOffset(t.offset, ch.std);
    }
  }
  return out;
}

