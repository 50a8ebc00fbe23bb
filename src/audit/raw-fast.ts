/**
 * The row of a raw entry read in place (the writer thread's common case): when the request and
 * answer lines are in the form JSON.stringify writes (json-span.ts) and the call is a plain one (a
 * request with a string method and a params object naming a tool; an answer with a result object
 * and no error), the row's payload columns are the spans of the lines themselves, which are then
 * exactly the text that parsing and serializing them again would give. Nothing is parsed and
 * nothing is serialized again. Redaction still applies: a span in which the configured field names
 * could occur is not taken (the caller parses the entry, as before). Anything else gets undefined,
 * and RawEntryReader makes the row the long way; both give the same row (test/audit-raw-fast).
 */
import { objectMembers, plainText, stringAt } from './json-span.js';
import { payload, type StoredRow } from './journal-line.js';
import type { Redactor } from './redact.js';

/** What a raw entry's head gives its row (RawEntryReader's Head). */
export interface FastHead {
  who: Array<string | number | null>;
  whoJson: string;
  decided: Array<string | number | null>;
  decidedJson: string;
  decisionMicros: number;
  roles: string | null;
  /** `,` and the roles' JSON in the canonical line, or '' when roles is null. */
  rolesJson: string;
}

const REQUEST_KEYS = ['method', 'id', 'params'] as const;
const PARAMS_KEYS = ['name', 'arguments'] as const;
const ANSWER_KEYS = ['result', 'error'] as const;
const RESULT_KEYS = ['isError'] as const;
const PARAMS = 2;
const RESULT = 0;

const num = (v: number | null): string => (v === null ? 'null' : `${v}`);
const str = (v: string | null): string => (v === null ? 'null' : JSON.stringify(v));

export class RawFastReader {
  /** Spans: request method, id, params, then params name, arguments. */
  private readonly req = new Int32Array(10);
  /** Spans: answer result, error, then result isError. */
  private readonly ans = new Int32Array(6);

  constructor(
    private readonly redactor: Redactor,
    private readonly cap: number,
  ) {}

  /**
   * The row of the raw entry whose request is `body[reqFrom, ansFrom)` and answer `body[ansFrom, end)`,
   * or undefined when it is not a plain call in the form (see the header). `timeText` is `${time}`.
   */
  row(seq: number, body: string, reqFrom: number, ansFrom: number, head: FastHead, time: number, timeText: string, backendMicros: number, requestBytes: number, responseBytes: number): StoredRow | undefined {
    if (!plainText(body, reqFrom)) return undefined;
    const r = this.req;
    r.fill(-1);
    if (body.charCodeAt(reqFrom) !== 0x7b || objectMembers(body, reqFrom, ansFrom, 0, REQUEST_KEYS, r, 0, PARAMS, PARAMS_KEYS, 6) !== ansFrom) return undefined;
    // method a string; params an object naming a string tool.
    if (r[0]! < 0 || body.charCodeAt(r[0]!) !== 0x22 || r[4]! < 0 || body.charCodeAt(r[4]!) !== 0x7b || r[6]! < 0 || body.charCodeAt(r[6]!) !== 0x22) return undefined;
    const end = body.length;
    const a = this.ans;
    a.fill(-1);
    if (body.charCodeAt(ansFrom) !== 0x7b || objectMembers(body, ansFrom, end, 0, ANSWER_KEYS, a, 0, RESULT, RESULT_KEYS, 4) !== end) return undefined;
    if (a[2]! >= 0 || a[0]! < 0 || body.charCodeAt(a[0]!) !== 0x7b) return undefined;
    const argsJson = r[8]! < 0 ? undefined : body.slice(r[8]!, r[9]!);
    const resultJson = body.slice(a[0]!, a[1]!);
    // Redaction finds nothing to mask where no field name can occur; otherwise the long way.
    if ((argsJson !== undefined && !this.redactor.rawSafe(argsJson)) || !this.redactor.rawSafe(resultJson)) return undefined;
    const methodJson = body.slice(r[0]!, r[1]!);
    const method = stringAt(body, r[0]!, r[1]!);
    const requestId = r[2]! < 0 ? null : body.slice(r[2]!, r[3]!);
    const toolJson = body.slice(r[6]!, r[7]!);
    const tool = stringAt(body, r[6]!, r[7]!);
    let isError: number | null = null;
    let outcome = 'ok';
    if (method === 'tools/call') {
      isError = a[4]! >= 0 && a[5]! - a[4]! === 4 && body.startsWith('true', a[4]!) ? 1 : 0;
      if (isError === 1) outcome = 'tool_error';
    }
    const args = payload(argsJson, this.cap);
    const result = payload(resultJson, this.cap);
    const canonical =
      `[${seq},${timeText},${head.whoJson},${methodJson},${str(requestId)},${toolJson},null,null,${num(args[1])},${str(args[2])},` +
      `${head.decidedJson},"${outcome}",null,null,${num(isError)},${num(result[1])},${str(result[2])},` +
      `${head.decisionMicros},${backendMicros},${requestBytes},${responseBytes}${head.rolesJson}]\t${args[0] ?? ''}\t${result[0] ?? ''}`;
    const w = head.who;
    const d = head.decided;
    const values = [
      seq, time, w[0]!, w[1]!, w[2]!, w[3]!, w[4]!, w[5]!, method, requestId, tool, null, null, args[1], args[2],
      d[0]!, d[1]!, d[2]!, outcome, null, null, isError, result[1], result[2],
      head.decisionMicros, backendMicros, requestBytes, responseBytes, head.roles, args[0], result[0],
    ];
    return [canonical, values];
  }
}
