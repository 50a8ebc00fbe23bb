/**
 * Tamper check: walks the chain from the anchor (the last row removed by retention, or genesis) in
 * sequence order, recomputing every row's hash from its contents and its predecessor's hash, and
 * names the first row that was changed, deleted or inserted. Runs in one read transaction so a
 * concurrently writing proxy does not disturb it.
 */
import type Database from 'better-sqlite3';
import { chainKeying, checkChainKeying, type ChainKeying } from './chain-key.js';
import { canonicalLine } from './row.js';
import { readMeta } from './schema.js';

export type TamperKind = 'changed' | 'deleted' | 'inserted' | 'replaced';

/**
 * A head an earlier verify printed (`seq:hash`), kept outside the database. The chain alone cannot
 * show rows removed from its end with the recorded head set back to the last row left (every hash
 * is in the file; with a chain key too), nor a database replaced by another valid chain: the row
 * `seq` must still be there with that hash (or be the retention anchor with it).
 */
export interface ExpectedHead {
  seq: number;
  hash: string;
}

/** `SEQ:HASH` as `audit verify` prints it; throws with the reason when it is not that. */
export function parseExpectedHead(text: string): ExpectedHead {
  const m = /^([1-9][0-9]{0,15}):([0-9a-f]{64})$/.exec(text.trim());
  if (!m || !Number.isSafeInteger(Number(m[1]))) throw new Error(`expected SEQ:HASH (a head as audit verify prints it, e.g. 42:${'0'.repeat(8)}...), got "${text}"`);
  return { seq: Number(m[1]), hash: m[2]! };
}

export interface VerifyProblem {
  kind: TamperKind;
  /** The first bad row (for a deletion: the first missing sequence number). */
  seq: number;
  message: string;
}

export interface VerifyResult {
  ok: boolean;
  rows: number;
  anchorSeq: number;
  headSeq: number;
  headHash: string;
  problem?: VerifyProblem;
}

/** Throws ChainKeyError when the database is keyed differently from `keying`. */
export function verifyChain(db: Database.Database, keying: ChainKeying = chainKeying(), expect?: ExpectedHead): VerifyResult {
  return db.transaction((): VerifyResult => {
    checkChainKeying(db, keying, false);
    const meta = readMeta(db);
    let expectedSeq = meta.anchorSeq + 1;
    let prev = meta.anchorHash;
    let rows = 0;
    const base = { anchorSeq: meta.anchorSeq, headSeq: meta.headSeq, headHash: meta.headHash };
    const fail = (problem: VerifyProblem): VerifyResult => ({ ok: false, rows, ...base, problem });
    const iter = db.prepare('SELECT * FROM audit_log ORDER BY seq').iterate() as IterableIterator<Record<string, unknown>>;
    try {
      for (const row of iter) {
        const seq = row.seq as number;
        if (seq < expectedSeq) {
          return fail({ kind: 'inserted', seq, message: `row ${seq} was inserted: it precedes the chain's start (anchor seq ${meta.anchorSeq})` });
        }
        if (seq > meta.headSeq) {
          return fail({ kind: 'inserted', seq, message: `row ${seq} was inserted: it is beyond the recorded head (seq ${meta.headSeq})` });
        }
        if (seq > expectedSeq) {
          const range = seq - 1 === expectedSeq ? `row ${expectedSeq} is` : `rows ${expectedSeq}-${seq - 1} are`;
          return fail({ kind: 'deleted', seq: expectedSeq, message: `${range} missing (deleted): row ${seq} follows row ${expectedSeq - 1}` });
        }
        const own = keying.hash(String(row.prev_hash), canonicalLine(row));
        if (own !== row.hash) {
          return fail({ kind: 'changed', seq, message: `row ${seq} was changed (or inserted): its contents do not match its hash` });
        }
        if (row.prev_hash !== prev) {
          return fail({ kind: 'inserted', seq, message: `row ${seq} does not link to row ${seq - 1}: a row was replaced or inserted here` });
        }
        prev = row.hash as string;
        expectedSeq = seq + 1;
        rows++;
      }
    } finally {
      iter.return?.();
    }
    if (expectedSeq - 1 < meta.headSeq) {
      const first = expectedSeq;
      return fail({ kind: 'deleted', seq: first, message: `rows ${first}-${meta.headSeq} are missing (deleted): the chain ends at row ${first - 1}` });
    }
    if (prev !== meta.headHash) {
      return fail({ kind: 'changed', seq: meta.headSeq, message: `row ${meta.headSeq} does not match the recorded head hash` });
    }
    if (expect !== undefined) {
      const problem = expectedHeadProblem(db, meta, expect);
      if (problem !== undefined) return fail(problem);
    }
    return { ok: true, rows, ...base };
  })();
}

/** Why the verified chain does not hold `expect`, if it does not. */
function expectedHeadProblem(db: Database.Database, meta: { anchorSeq: number; anchorHash: string; headSeq: number }, expect: ExpectedHead): VerifyProblem | undefined {
  const { seq, hash } = expect;
  if (seq > meta.headSeq) {
    return { kind: 'deleted', seq: meta.headSeq + 1, message: `the chain ends at row ${meta.headSeq}, before the expected head row ${seq}: rows ${meta.headSeq + 1}-${seq} were removed from its end (or the database was replaced)` };
  }
  if (seq < meta.anchorSeq) {
    return { kind: 'deleted', seq, message: `the expected head row ${seq} is before the chain's start (retention anchor at row ${meta.anchorSeq}): it cannot be checked; keep a newer head` };
  }
  const stored = seq === meta.anchorSeq ? meta.anchorHash : (db.prepare('SELECT hash FROM audit_log WHERE seq = ?').pluck().get(seq) as string | undefined);
  if (stored !== hash) {
    return { kind: 'replaced', seq, message: `row ${seq} has hash ${stored ?? '(none)'}, not the expected ${hash}: the rows from there on were replaced (or the database is another one)` };
  }
  return undefined;
}
