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

export type TamperKind = 'changed' | 'deleted' | 'inserted';

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
export function verifyChain(db: Database.Database, keying: ChainKeying = chainKeying()): VerifyResult {
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
    return { ok: true, rows, ...base };
  })();
}
