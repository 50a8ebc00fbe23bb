/**
 * Whether a journal line's row is one the proxy could have written (docs/audit.md, "A damaged
 * journal line"). The journal is written by this process and read back by its writer thread or,
 * after a crash, by the next start: disk corruption, a torn write or an edit of its files can
 * change a line. A row made of such a line would be stored as if it were recorded: a value of
 * another type that SQLite converts (a row `audit verify` then refuses), a NULL in a NOT NULL column
 * or a value SQLite cannot bind (the batch then fails on every retry), a number or a payload size
 * that was never recorded. The readers (journal-line.ts, raw-entry.ts) refuse such a line with
 * refuse(why), the writer skips it, counts it `unreadable` and says which line and why
 * (chain-writer.ts). Checks only what is cheap on the writer thread; a value changed into another
 * value of the right type and form cannot be told from a recorded one (the journal has no checksum:
 * that would be work on the proxy's thread for every call).
 */
import { SCALAR_COLUMNS } from './schema.js';

/** Why the line a reader refused last was refused: set only on a refusal (nothing per good row). */
export const refusal = { why: '' };

/** Records why the line is refused; returns undefined (what the readers return for it). */
export function refuse(why: string): undefined {
  refusal.why = why;
  return undefined;
}

/** Kinds of the scalar columns (SCALAR_COLUMNS order): S text NOT NULL, s text or null, I integer NOT NULL, i integer or null, b 0/1/null. */
const KINDS = 'IISSSSSsSssssisSSsSisbisIiii';
if (KINDS.length !== SCALAR_COLUMNS.length) throw new Error('line-check.ts: KINDS must name every scalar column');

const wellFormed = (s: string): boolean => (s as string & { isWellFormed(): boolean }).isWellFormed();
/** A JSON array of strings as JSON.stringify writes one (checked at its ends only). */
const stringArray = (s: string): boolean => s === '[]' || (s.charCodeAt(0) === 0x5b && s.charCodeAt(1) === 0x22 && s.endsWith('"]'));

/**
 * Why a parsed row is not one of a journal body the proxy wrote, or undefined when it is: `scalars`
 * is JSON.parse of the canonical line's scalar part `scalarsJson` (seq, the scalars, the roles when
 * the line has them), `args` and `result` its payload texts (null: none). The line must be what
 * verify recomputes from the stored values: JSON.stringify of the scalars, a tab, the payloads.
 */
export function parsedRowProblem(scalars: unknown[], scalarsJson: string, args: string | null, result: string | null): string | undefined {
  const n = SCALAR_COLUMNS.length;
  for (let k = 1; k < n; k++) {
    const x = scalars[k];
    const kind = KINDS.charCodeAt(k);
    if (x === null) {
      if (kind === 0x53 /* S */ || kind === 0x49 /* I */) return `${SCALAR_COLUMNS[k]} is null`;
    } else if (typeof x === 'string') {
      if (kind !== 0x53 && kind !== 0x73 /* s */) return `${SCALAR_COLUMNS[k]} is not an integer`;
      if (!wellFormed(x)) return `${SCALAR_COLUMNS[k]} holds a lone surrogate`;
    } else if (typeof x === 'number') {
      if (kind === 0x53 || kind === 0x73) return `${SCALAR_COLUMNS[k]} is not a string`;
      if (!Number.isInteger(x) || (kind === 0x62 /* b */ && x !== 0 && x !== 1)) return `${SCALAR_COLUMNS[k]} is ${x}`;
    } else return `${SCALAR_COLUMNS[k]} is ${Array.isArray(x) ? 'an array' : typeof x}`;
  }
  if (!stringArray(scalars[16] as string)) return 'reasons is not a JSON array of strings';
  // Roles (parseCanonicalLine checked it is a string) as rolesText writes them: never '[]'.
  const roles = scalars[n] as string | undefined;
  if (roles !== undefined && (roles === '[]' || !stringArray(roles) || !wellFormed(roles))) return 'roles is not a JSON array of strings';
  const problem = payloadProblem('arguments', args, scalars[13], scalars[14]) ?? payloadProblem('result', result, scalars[22], scalars[23]);
  if (problem !== undefined) return problem;
  // Last (the costliest): anything else would be stored as a row verify refuses.
  if (JSON.stringify(scalars) !== scalarsJson) return 'its scalars are not written as JSON.stringify writes them';
  return undefined;
}

/** Why a payload's text, size and SHA-256 are not as payload() (journal-line.ts) gives them. */
function payloadProblem(name: string, text: string | null, bytes: unknown, sha: unknown): string | undefined {
  if (text !== null) return bytes === Buffer.byteLength(text) && sha === null ? undefined : `${name}_bytes is not the size of the ${name} it has`;
  if (bytes === null) return sha === null ? undefined : `${name}_sha256 without ${name}_bytes`;
  return typeof sha === 'string' && sha.length === 64 ? undefined : `${name} over the cap without its SHA-256`;
}
