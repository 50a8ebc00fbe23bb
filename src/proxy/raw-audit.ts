/**
 * The audit's raw path on the proxy's side (docs/audit.md, "The raw path"): a tools/call nothing
 * judges (the policy allows every request whatever its input and asks for no redaction) whose
 * request line and answer line the recorder finds free of every sensitive field name
 * (Recorder.rawSafeBytes) is recorded from those lines as they came (Recorder.recordRawBytes), neither parsed
 * nor serialized again on the call path; the recorder's writer thread makes its row. A call whose
 * line holds such a name (maybe a secret) takes the parsed path: redacted before it is journaled.
 */
import type { Decision, InterceptContext, RawRecordHead, Recorder } from '../types.js';
import { distinctKeysToolCall, distinctKeysToolCallRawSafe, hasDistinctKeys, hasDistinctKeysRawSafe, NAMES_DECLINED, NAMES_FOUND, NAMES_UNDECIDED } from './distinct-keys.js';
import { auditDecision, type Exchange } from './intercept.js';
import { isUtf8Bytes } from '../transport/json-bytes.js';

/**
 * The length as text of a compactly written tools/call line buf[start, end) (compactToolCallIdAt:
 * its head before `from` holds the members in `seen`) when the audit may record it raw, else -1
 * (it is then parsed, redacted and recorded): the row is made from a parse of these bytes, so they
 * must read the same to every parser (no member name twice at any depth: distinctKeysToolCall; nor
 * names that differ only in case, strict: a Go backend reads `"Name"` as `name`, member-case.ts)
 * or the audit could show another tool or other arguments than the backend took, and it must pass
 * Recorder.rawSafeBytes. In one pass over the line when Recorder.rawNames allows it.
 */
export function rawToolCallChars(recorder: Recorder, decision: Decision, buf: Buffer, start: number, end: number, from: number, seen: number): number {
  if (recorder.rawSafeBytes === undefined || recorder.recordRawBytes === undefined || (decision.redact !== undefined && decision.redact.length > 0)) return -1;
  const names = recorder.rawNames;
  if (names !== undefined) {
    // In native code when the recorder has it (the same verdicts: native/raw_check.c).
    const r = recorder.rawToolCallScan !== undefined ? recorder.rawToolCallScan(buf, start, end, from, seen) : distinctKeysToolCallRawSafe(buf, start, end, from, seen, names);
    if (r >= 0) return r;
    return r === NAMES_UNDECIDED ? recorder.rawSafeBytes(buf, start, end) : -1;
  }
  return distinctKeysToolCall(buf, start, end, from, seen, false, true) ? recorder.rawSafeBytes(buf, start, end) : -1;
}

/** Whether src[start, end) parses as JSON (asked only of the rare line hasDistinctKeys declines). */
function isJson(src: Buffer, start: number, end: number): boolean {
  try {
    JSON.parse(src.toString('utf8', start, end));
    return true;
  } catch {
    return false;
  }
}

/**
 * The length as text of an answer line src[start, end) when the audit may record it raw, else -1:
 * the line must be valid UTF-8 (the client gets its bytes, the row their text: they must agree), the
 * row is made from a parse of these bytes, so valid JSON must read the same to every parser (no
 * member name twice at any depth) or the audit could show another result than the client reads (a
 * line that is not JSON at all reads alike to every parser: an error, recorded as -32700), and it
 * must pass Recorder.rawSafeBytes. In one pass over the line when Recorder.rawNames allows it (a
 * line that pass proves is valid UTF-8; the caller does not check it before).
 */
export function rawAnswerChars(recorder: Recorder, src: Buffer, start: number, end: number): number {
  const names = recorder.rawNames;
  if (names !== undefined) return rawAnswerCharsOf(recorder, src, start, end, hasDistinctKeysRawSafe(src, start, end, names));
  if (hasDistinctKeys(src, start, end)) return recorder.rawSafeBytes!(src, start, end);
  return notJsonChars(recorder, src, start, end);
}

/**
 * rawAnswerChars of the line src[start, end) once the one-pass scan with Recorder.rawNames gave `r`
 * (hasDistinctKeysRawSafe's verdict, or the same verdict from Recorder.recordRawAnswer).
 */
export function rawAnswerCharsOf(recorder: Recorder, src: Buffer, start: number, end: number, r: number): number {
  if (r >= 0) return r;
  if (r === NAMES_FOUND) return -1;
  if (r !== NAMES_DECLINED) return recorder.rawSafeBytes!(src, start, end);
  return notJsonChars(recorder, src, start, end);
}

/**
 * A line the proof declined: not valid UTF-8 (parsed after decoding, as always), JSON that may
 * read differently (parsed and serialized again), or not JSON at all (recorded raw as a parse error).
 */
function notJsonChars(recorder: Recorder, src: Buffer, start: number, end: number): number {
  if (!isUtf8Bytes(src, start, end) || isJson(src, start, end)) return -1;
  return recorder.rawSafeBytes!(src, start, end);
}

/** The head of a session's raw records (Recorder.recordRaw), made again only when the context or decision changes. */
export class RawHeads {
  private ctx: InterceptContext | undefined;
  private decision: Decision | undefined;
  private head: RawRecordHead | undefined;

  of(ex: Exchange): RawRecordHead {
    const ctx = ex.ctx;
    const d = ex.decision;
    if (this.head !== undefined && this.ctx === ctx && this.decision === d) return this.head;
    this.ctx = ctx;
    this.decision = d;
    this.head = {
      clientId: ctx.client.id,
      clientName: ctx.client.name,
      authMethod: ctx.client.auth,
      roles: ctx.client.roles,
      sessionId: ctx.session.id,
      transport: ctx.session.transport,
      backend: ctx.backend?.name,
      decision: auditDecision(d),
      reasons: d.reasons,
      policyVersion: d.policyVersion,
      decisionMicros: d.micros,
    };
    return this.head;
  }
}
