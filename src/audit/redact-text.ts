/**
 * The scans of free text behind Redactor.redactQuery, each masking the value of a secret a string
 * names itself: a member of JSON encoded twice or more (`{\"password\":\"...\"}` in a string), a
 * name spelled with escapes (`api%5Fkey`, `pass\u0077ord`), the userinfo of a URL
 * (`https://user:secret@host/`, `postgres://u:p@h/db`), which names nothing, an assignment
 * `name=value` in any of its usual spellings (maskAssignments), a member of JSON text whatever its
 * value (maskJsonMembers), and `Name: value` (maskNamedLines). Every scan here is linear in the
 * text (no pattern can backtrack over more than a bounded span per start; a value masked is
 * skipped, not scanned again).
 */
/** What a masked value is replaced by (re-exported by redact.ts). */
export const REDACTED = '[REDACTED]';

/**
 * Bytes whose presence sends text through the masking serializer although no field name shows in
 * it: `%` (a percent-encoded name), `@` (a URL's userinfo) and, for the regular expressions, `\u`
 * (a name written with a JSON escape inside a string). The raw path's byte scan looks for `%` and
 * `@` as one-byte names (it already refuses any `\u`).
 */
export const TRIGGER_ALTERNATIVES = ['%', '@', '\\\\u'];
export const TRIGGER_BYTES = ['%', '@'];

/** `name` with its percent escapes and `\uXXXX` escapes (any number of backslashes) decoded; `name` when it has none. */
export function decodeName(name: string): string {
  let out = name;
  if (out.includes('%')) out = out.replace(/%([0-9A-Fa-f]{2})/g, (_m, h: string) => String.fromCharCode(Number.parseInt(h, 16)));
  // From the first backslash of a run only: tried from each one, a long run would be quadratic.
  if (out.includes('\\')) out = out.replace(/(?<!\\)\\+u([0-9A-Fa-f]{4})/g, (_m, h: string) => String.fromCharCode(Number.parseInt(h, 16)));
  return out;
}

/**
 * A member of JSON written inside a string once more (its quotes preceded by the same run of
 * backslashes: `\"name\":` one level down, `\\\"name\\\":` two): the run, the name, the colon and
 * the value's opening (a quote after the same run, or the first character of a scalar).
 */
const ESCAPED_MEMBER = /(?<!\\)(\\{1,63})"((?:[^"\\\n]|\\{1,63}u[0-9A-Fa-f]{4}){1,128})\1"(\s*:\s*)(?:\1"|(?=[-+\w.]))/g;

/**
 * `text` with the value of each escaped member (ESCAPED_MEMBER) whose name `sensitive` accepts
 * replaced by the marker: a string value to its closing quote at the same level (a quote preceded
 * by exactly the run that opened it; a deeper-escaped quote is part of the value), or, when that
 * quote is missing, to the end of the line; a scalar value to its end.
 */
export function maskEscapedMembers(text: string, sensitive: (name: string) => boolean): string {
  if (!text.includes('\\"')) return text;
  ESCAPED_MEMBER.lastIndex = 0;
  let out = '';
  let copied = 0;
  let lineEnd = -1;
  let m: RegExpExecArray | null;
  while ((m = ESCAPED_MEMBER.exec(text)) !== null) {
    const run = m[1]!;
    const valueStart = m.index + m[0].length;
    if (!sensitive(decodeName(m[2]!))) {
      // The value may itself hold members: scan on from the start of the value.
      ESCAPED_MEMBER.lastIndex = valueStart;
      continue;
    }
    if (lineEnd < valueStart) {
      const nl = text.indexOf('\n', valueStart);
      lineEnd = nl < 0 ? text.length : nl;
    }
    const isString = m[0].endsWith('"');
    const valueEnd = isString ? closingQuote(text, valueStart, run.length, lineEnd) : scalarEnd(text, valueStart);
    if (text.slice(valueStart, valueEnd) === REDACTED) {
      ESCAPED_MEMBER.lastIndex = valueEnd;
      continue;
    }
    out += text.slice(copied, valueStart) + REDACTED;
    copied = valueEnd;
    ESCAPED_MEMBER.lastIndex = valueEnd;
  }
  return copied === 0 ? text : out + text.slice(copied);
}

/**
 * Where the string value starting at `from` ends: the index of the backslash run of exactly `level`
 * before a quote, else `lineEnd` (the index of the line's end, found once per line by the caller:
 * looking for it again from every value would be quadratic in a line of many members).
 */
function closingQuote(text: string, from: number, level: number, lineEnd: number): number {
  let at = from;
  for (;;) {
    const q = text.indexOf('"', at);
    if (q < 0 || q > lineEnd) return lineEnd;
    let k = 0;
    while (q - k - 1 >= from && text.charCodeAt(q - k - 1) === 0x5c) k++;
    if (k === level) return q - level;
    at = q + 1;
  }
}

/** Where the scalar value (a number, true, false, null) starting at `from` ends. */
function scalarEnd(text: string, from: number): number {
  SCALAR.lastIndex = from;
  return SCALAR.test(text) ? SCALAR.lastIndex : from;
}
const SCALAR = /[-+\w.]+/y;

/**
 * A URL's authority with userinfo: `://`, then everything up to its last `@` before the authority
 * ends (whitespace, `/`, `?`, `#`, a backslash, a quote or `<`, `>`), as a WHATWG URL parser splits
 * it (`https://u:p@ss@host` has the password `p@ss`).
 */
const USERINFO = /:\/\/([^\s/?#\\"'`<>]*)@/g;

/**
 * `text` with the secret of each URL's userinfo masked: its password when it has one
 * (`postgres://app:[REDACTED]@db/x`), else its user (`https://[REDACTED]@github.com/`: a token
 * given as the user name, or a key with an empty password as in `https://sk_live_...:@api/`).
 */
export function maskUserinfo(text: string): string {
  if (!text.includes('://')) return text;
  return text.replace(USERINFO, (m: string, info: string) => {
    const colon = info.indexOf(':');
    const user = colon < 0 ? info : info.slice(0, colon);
    const password = colon < 0 ? '' : info.slice(colon + 1);
    if (password === REDACTED || (password === '' && user === REDACTED)) return m;
    if (password !== '') return `://${user}:${REDACTED}@`;
    return user === '' ? m : `://${REDACTED}${colon < 0 ? '' : ':'}@`;
  });
}


/**
 * An assignment's name and its `=`: what leads it (the start, a separator of query or matrix
 * parameters, a URL's `#` (an OAuth redirect's `#access_token=`), a comma, whitespace, a quote, an
 * opening bracket, a line break escaped in JSON text: a .env file a tool answered as JSON), the
 * name (no backslash in it but a `\u` escape's), and spaces around the
 * `=` (not `==`). Every lead is a character a name cannot hold, so no name is tried again from
 * inside another: each start scans its own name and the blanks after it once.
 */
const ASSIGNMENT = /(^|[?&;,#\s"'`({]|\\[nrt])((?:[^=&#;?\s"'`<>,(){}\\]|\\+u[0-9A-Fa-f]{4})+)[ \t]*=(?!=)[ \t]*/g;
/**
 * An unquoted value: up to the next separator, whitespace, quote or angle bracket (a query
 * parameter's value), or an escape of a line break, a quote or a backslash (JSON text: the next
 * line of a .env file a tool answered as JSON, the string's end).
 */
const BARE_VALUE = /(?:[^&#;\s"'`<>\\]|\\(?![nrt"'\\]))*/y;
/** An authentication scheme, after which the credential is the next word (`Authorization=Bearer abc`). */
const AUTH_SCHEME = /^(?:bearer|basic|token|digest|negotiate)$/i;
/** The credential after a scheme: blanks, then a word. */
const SCHEME_CREDENTIAL = /[ \t]+(?:[^\s"'`<>&;#\\]|\\(?![nrt"'\\]))+/y;

/**
 * `text` with the value of each assignment whose name `sensitive` accepts replaced by the marker:
 * a query or matrix parameter (`?token=...`, `;Access-Token=...`), an environment or shell
 * variable (`PGPASSWORD=... psql`, `export API_TOKEN="..."`), a line of a .env, INI or TOML file
 * (`password = ...`), a keyword argument in code or in a repr (`Settings(password='...')`), a form
 * body (`a=1,token=...`). A quoted value is masked to its closing quote (a backslash escapes one),
 * or to the end of the line when it has none; an unquoted one to the next separator or blank (and,
 * after an authentication scheme such as `Bearer`, the word after it).
 */
export function maskAssignments(text: string, sensitive: (name: string) => boolean): string {
  if (!text.includes('=')) return text;
  ASSIGNMENT.lastIndex = 0;
  let out = '';
  let copied = 0;
  let lineEnd = -1;
  let m: RegExpExecArray | null;
  while ((m = ASSIGNMENT.exec(text)) !== null) {
    const valueStart = m.index + m[0].length;
    // Not a secret's name: its value may hold assignments of its own (`a=1,token=...`).
    if (!sensitive(m[2]!)) {
      ASSIGNMENT.lastIndex = valueStart;
      continue;
    }
    // A quote after a run of backslashes: the value is in JSON (or a string) encoded once or more,
    // `TOKEN=\"...\"` in a tool's JSON text; it ends at the quote after the same run.
    let run = 0;
    while (run < 64 && text.charCodeAt(valueStart + run) === 0x5c /* \ */) run++;
    const q = text.charCodeAt(valueStart + run);
    let from = valueStart;
    let end: number;
    if (run > 0 && run < 64 && (q === 0x22 /* " */ || q === 0x27) /* ' */) {
      from = valueStart + run + 1;
      if (lineEnd < from) {
        const nl = text.indexOf('\n', from);
        lineEnd = nl < 0 ? text.length : nl;
      }
      end = closingRunQuote(text, from, run, q, lineEnd);
    } else if (q === 0x22 /* " */ || q === 0x27 /* ' */ || q === 0x60 /* ` */) {
      from = valueStart + 1;
      end = closingPlainQuote(text, from, q);
    } else {
      BARE_VALUE.lastIndex = valueStart;
      BARE_VALUE.test(text);
      end = BARE_VALUE.lastIndex;
      if (end - valueStart <= 9 && AUTH_SCHEME.test(text.slice(valueStart, end))) {
        SCHEME_CREDENTIAL.lastIndex = end;
        if (SCHEME_CREDENTIAL.test(text)) end = SCHEME_CREDENTIAL.lastIndex;
      }
    }
    ASSIGNMENT.lastIndex = Math.max(end, valueStart);
    const value = text.slice(from, end);
    if (value.length === 0 || value === REDACTED) continue;
    out += text.slice(copied, from) + REDACTED;
    copied = end;
  }
  return copied === 0 ? text : out + text.slice(copied);
}

/**
 * Where the value opened by `level` backslashes and `quote`, starting at `from`, ends: the index of
 * the run of exactly `level` backslashes before that quote (a longer run escapes it one level
 * deeper: part of the value), else `lineEnd` (found once per line by the caller, as closingQuote).
 */
function closingRunQuote(text: string, from: number, level: number, quote: number, lineEnd: number): number {
  const mark = String.fromCharCode(quote);
  let at = from;
  for (;;) {
    const q = text.indexOf(mark, at);
    if (q < 0 || q > lineEnd) return lineEnd;
    let k = 0;
    while (q - k - 1 >= from && text.charCodeAt(q - k - 1) === 0x5c) k++;
    if (k === level) return q - level;
    at = q + 1;
  }
}

/** Where the value quoted by `quote` and starting at `from` ends: its closing quote (one not escaped by a backslash), else the end of its line. */
function closingPlainQuote(text: string, from: number, quote: number): number {
  for (let at = from; at < text.length; at++) {
    const c = text.charCodeAt(at);
    if (c === quote) return at;
    if (c === 0x0a /* \n */ || c === 0x0d /* \r */) return at;
    if (c === 0x5c /* \ */) at++;
  }
  return text.length;
}

/**
 * A JSON member written in a string (or a hash in Ruby, PHP, Perl: `"name" => "..."`): its name,
 * the colon (or arrow), its value (a string in either quotes, or a scalar), or nothing when the
 * value is an object or an array (its opening bracket follows). The name is bounded, so a start
 * scans a bounded span.
 */
const JSON_MEMBER = /"((?:[^"\\\n]|\\.){1,128})"(\s*(?::|=>)\s*)(?:"(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*'|[-+\w.]+|(?=[[{]))/g;

/**
 * `text` (JSON text a tool answered, pretty-printed or not) with the value of each member whose
 * name `sensitive` accepts replaced by the marker as a string: a string or a scalar; an object or
 * an array (`"authorization": {"scheme": "Bearer", "credentials": "..."}`, `"apiKey": ["...",
 * "..."]`) whole, as the key-based masking replaces such a value in a document, to its closing
 * bracket (strings in it skipped), or to the end of the text when it has none. One pass for both.
 */
export function maskJsonMembers(text: string, sensitive: (name: string) => boolean): string {
  JSON_MEMBER.lastIndex = 0;
  let out = '';
  let copied = 0;
  let m: RegExpExecArray | null;
  while ((m = JSON_MEMBER.exec(text)) !== null) {
    const name = m[1]!;
    // Not a secret's name: an object or array value may hold members of its own (the scan goes on inside it).
    if (!sensitive(name)) continue;
    const valueStart = m.index + name.length + 2 + m[2]!.length;
    const matchEnd = m.index + m[0].length;
    const end = matchEnd === valueStart ? closingBracket(text, valueStart) : matchEnd;
    out += `${text.slice(copied, m.index)}"${name}"${m[2]!}"${REDACTED}"`;
    copied = end;
    JSON_MEMBER.lastIndex = end;
  }
  return copied === 0 ? text : out + text.slice(copied);
}

/** The index just past the bracket that closes the one at `from` (JSON strings skipped), else the text's end. */
function closingBracket(text: string, from: number): number {
  let depth = 0;
  for (let i = from; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22 /* " */) {
      for (i++; i < text.length; i++) {
        const d = text.charCodeAt(i);
        if (d === 0x5c /* \ */) i++;
        else if (d === 0x22) break;
      }
    } else if (c === 0x7b /* { */ || c === 0x5b /* [ */) depth++;
    else if ((c === 0x7d /* } */ || c === 0x5d) /* ] */ && --depth === 0) return i + 1;
  }
  return text.length;
}

/**
 * `Name: value` (a header, YAML): what leads it (the start of a line, a blank, a bracket, a comma or
 * semicolon, a quote, or a line break escaped in JSON text: `\r\n` as a tool's JSON answer writes a
 * header dump), the name, the colon and the blanks after it; a value follows (not a blank, not a
 * line's end). The name is bounded: a start scans a bounded span.
 */
const NAMED_LINE = /(^|[\s{,;(["']|\\[nrt])([A-Za-z][\w.-]{0,63})([ \t]*:[ \t]*)(?![ \t\r\n]|\\[rn])/gm;

/**
 * `text` with the value of each `Name: value` whose name `sensitive` accepts replaced by the marker:
 * after a quote, to the quote that closes it (`curl -H "Authorization: Bearer ..."`, a header in a
 * JSON array); after a line break escaped in JSON text, to the next escaped line break or the
 * string's closing quote; otherwise to the end of the line (`password: ...` in YAML, a header
 * dump).
 */
export function maskNamedLines(text: string, sensitive: (name: string) => boolean): string {
  if (!text.includes(':')) return text;
  NAMED_LINE.lastIndex = 0;
  let out = '';
  let copied = 0;
  let m: RegExpExecArray | null;
  while ((m = NAMED_LINE.exec(text)) !== null) {
    if (!sensitive(m[2]!)) continue;
    const from = m.index + m[0].length;
    const lead = m[1]!;
    const end = lead === '"' || lead === "'" ? quotedValueEnd(text, from, lead.charCodeAt(0)) : lead.length === 2 ? escapedLineEnd(text, from) : lineEnd(text, from);
    NAMED_LINE.lastIndex = end;
    if (end === from || text.slice(from, end) === REDACTED) continue;
    out += text.slice(copied, from) + REDACTED;
    copied = end;
  }
  return copied === 0 ? text : out + text.slice(copied);
}

/** The end of the line `from` is on. */
function lineEnd(text: string, from: number): number {
  for (let at = from; at < text.length; at++) {
    const c = text.charCodeAt(at);
    if (c === 0x0a || c === 0x0d) return at;
  }
  return text.length;
}

/** Where a value after an opening `quote` ends: that quote not escaped by a backslash, else the end of the line. */
function quotedValueEnd(text: string, from: number, quote: number): number {
  for (let at = from; at < text.length; at++) {
    const c = text.charCodeAt(at);
    if (c === quote || c === 0x0a || c === 0x0d) return at;
    if (c === 0x5c /* \ */) at++;
  }
  return text.length;
}

/** Where a value in JSON text after an escaped line break ends: the next escaped `\r` or `\n`, the string's closing quote, or the end of the line. */
function escapedLineEnd(text: string, from: number): number {
  for (let at = from; at < text.length; at++) {
    const c = text.charCodeAt(at);
    if (c === 0x22 /* " */ || c === 0x0a || c === 0x0d) return at;
    if (c === 0x5c /* \ */) {
      const next = text.charCodeAt(at + 1);
      if (next === 0x72 /* r */ || next === 0x6e /* n */) return at;
      at++;
    }
  }
  return text.length;
}
