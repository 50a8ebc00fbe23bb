/**
 * tools/call lines that the policy judges, taken as bytes (stdio): a compactly written call
 * (compactToolCallIdAt) proven to read the same to every JSON parser (one object in valid UTF-8, no
 * member name written twice at any depth, none escaped: distinctKeysToolCall) is decided on its
 * params (parsed once here, or, when the policy observes only some members, those members read off
 * the bytes: projected-params.ts), and then forwarded as the client's own bytes with the id spliced in (the backend reads
 * exactly what the policy judged), or answered as denied. While the policy's request decisions are
 * a function of their input (PolicyDecider.pureDecisionEpoch), the decision of such a line is also
 * kept per session, keyed on the exact bytes of its params (or, when the policy can observe only
 * some members of them, PolicyDecider.pureDecisionFootprint, on the bytes of those: projected-key.ts),
 * and reused for a later line with the same key without parsing or evaluating it. When the footprint
 * has classes (members the policy observes only by class: CallFootprint.classes), a line also has a
 * class key (projected-key.ts classKey), looked up first; a decision is kept under it when the
 * policy says, right after deciding, that it holds for the whole class (decidedByClass), else under
 * the exact key. Either way the input
 * document would be equal in all the policy can observe (same params or observed members, same
 * client, session, backend and tool definition objects, same policy and data). Kept
 * decisions are bounded (MAX_ENTRIES, MAX_KEY_BYTES), bypassed but for a sample in a stream of
 * true misses (BYPASS_AFTER), and forgotten when the policy is reloaded, the
 * session context or client identity object is replaced, or the tool's definition changes. Only while nothing else judges
 * the exchange (judgedOnBytes): no audit record, no response phase, one backend under its own names.
 * Before a decision is used, the line's argument names are checked (argument-case.ts: none spelled
 * like one the tool declares or the policy reads but for case), off the scan's spans; a line the
 * check cannot pass on its bytes is parsed and checked (and refused) the usual way.
 * Contract: docs/policy-contract.md, "Decisions reused".
 */
import type { Decision, InterceptContext, ToolInfo } from '../types.js';
import { compactToolCallIdAt, idSpan } from './compact-bytes.js';
import { bytesHash, DecisionTable, type KeptDecision } from './decision-table.js';
import { argSpans, distinctKeysToolCall, distinctSpan, memberSpans } from './distinct-keys.js';
import { argumentCaseProblem, argumentNames, argumentNamesPass, policyReads } from './argument-case.js';
import { classed, classKey, projected, projectedFind, projectedKeyFound } from './projected-key.js';
import { projectedParams } from './projected-params.js';
import { denyAnswer, isEnforcedDeny, spareExchange, type Exchange } from './intercept.js';
import type { ClientSession } from './session.js';

/** Decisions kept per session (the oldest is forgotten first). */
export const MAX_ENTRIES = 256;
/** Longest params (in bytes) whose decision is kept. Longer ones are still judged and forwarded as bytes. */
export const MAX_KEY_BYTES = 2048;
/**
 * Lookups missed in a row after which a session takes its calls for a stream of true misses (each
 * call new in what the policy observes, so no kept decision is ever reused) and bypasses the kept
 * decisions: only every SAMPLE_EVERY-th call is keyed, looked up and kept, and the first of those
 * found kept ends the bypass. A bypassed call is decided afresh, as a miss is: it changes no
 * decision, only what keeping them costs (the key, its lookup, a copy kept and never used).
 */
export const BYPASS_AFTER = 2 * MAX_ENTRIES;
export const SAMPLE_EVERY = 16;

/**
 * Whether a tools/call judged by the policy may be taken as bytes in this session: nothing judges
 * its exchange other than the request decision (the audit records nothing, no response phase), and
 * it goes to the one backend under its own name.
 */
export function judgedOnBytes(s: ClientSession): boolean {
  const shared = s.shared;
  return shared.recorder.discardsRecords === true && shared.decider.wantsResponsePhase !== true && !s.ns.multi && !s.ns.renames;
}

/** A decision that may be reused for equal input: no evaluation error, no obligation. */
function reusable(d: Decision): boolean {
  return d.error === undefined && (d.redact === undefined || d.redact.length === 0);
}

export class JudgedCalls {
  /** made on first use (most sessions of a transport without byte lines never need one) */
  private kept: DecisionTable | undefined;
  /** what the kept decisions were decided under: the policy's epoch, the session context and client objects */
  private epoch: object | undefined;
  private session: object | undefined;
  private client: object | undefined;
  /** the context of calls whose decision was reused (no params: nobody reads it unless completed from the bytes) */
  private bare: InterceptContext | undefined;
  /** the context of calls decided on their observed members (projected-params.ts): params, tool and arguments set for each */
  private judging: InterceptContext | undefined;
  /** lookups missed in a row (BYPASS_AFTER), and calls since the last one looked up while bypassing */
  private missed = 0;
  private sinceSample = 0;

  constructor(private readonly s: ClientSession) {}

  /** Takes the line buf[start, end) when it can (true); false: the line is parsed and routed the usual way. */
  take(buf: Buffer, start: number, end: number): boolean {
    const s = this.s;
    if (!judgedOnBytes(s)) return false;
    const id = compactToolCallIdAt(buf, start, end);
    if (id < 0) return false;
    const idStart = idSpan.start;
    const idEnd = idSpan.end;
    // params: the object from its `{` (just before idSpan.params) to paramsEnd
    const from = idSpan.params - 1;
    const decider = s.shared.decider;
    const epoch = decider.pureDecisionEpoch;
    const footprint = epoch === undefined ? undefined : decider.pureDecisionFootprint;
    // member spans recorded only when the key is read off them
    if (!distinctKeysToolCall(buf, start, end, idSpan.params, idSpan.before, footprint !== undefined, true)) return false;
    const paramsEnd = distinctSpan.paramsEnd;
    const ascii = distinctSpan.ascii;
    // Arguments spelled like the tool's but for case are checked (argument-case.ts) unless the policy reads no input.
    const checkNames = decider.unconditionalAllow === undefined;
    const b = s.backends[0]!;
    // What kept decisions (and the bare context) were made under: forgotten when it changes.
    if (epoch !== undefined && (epoch !== this.epoch || s.sessionCtx !== this.session || s.client !== this.client)) this.forget(epoch);
    // Looked up (and kept when missed) unless the session is in a stream of true misses (bypassing).
    const lookUp = epoch !== undefined && this.looksUp();
    let hash = 0;
    let keyed = false;
    let hit: KeptDecision | undefined;
    // The key: what of params the decision can observe (projected-key.ts), else all of params' bytes.
    let keyBuf: Buffer = buf;
    let keyFrom = from;
    let keyTo = paramsEnd;
    // whether the observed members were found in the line's spans (projected: decided on them alone)
    let found = false;
    // whether the line has a class key too (classed.bytes: the class-keyed members by class), and its hash
    let byClass = false;
    let classHash = 0;
    // whether the decision found was kept under the class key
    let classHit = false;
    if (footprint !== undefined) {
      found = projectedFind(buf, footprint);
      // the class key first (a decision kept for the whole class): found there, no exact key is made
      if (found && lookUp && footprint.classes !== undefined && classKey(buf, footprint, MAX_KEY_BYTES)) {
        byClass = true;
        classHash = bytesHash(classed.bytes, 0, classed.length);
        this.kept ??= new DecisionTable(MAX_ENTRIES);
        hit = this.lookup(classed.bytes, 0, classed.length, classHash);
        classHit = hit !== undefined;
      }
      // else the exact key (projected-key.ts; when it cannot be made, all of params' bytes)
      if (found && lookUp && hit === undefined && projectedKeyFound(buf, MAX_KEY_BYTES)) {
        keyBuf = projected.bytes;
        keyFrom = 0;
        keyTo = projected.length;
      }
    }
    if (hit !== undefined) {
      keyed = true;
      this.missed = 0;
    } else if (lookUp && keyTo - keyFrom <= MAX_KEY_BYTES) {
      this.kept ??= new DecisionTable(MAX_ENTRIES);
      keyed = true;
      hash = bytesHash(keyBuf, keyFrom, keyTo);
      hit = this.lookup(keyBuf, keyFrom, keyTo, hash);
      if (hit !== undefined) this.missed = 0;
      else this.missed++;
    }
    let ctx: InterceptContext;
    let decision: Decision;
    if (hit !== undefined) {
      // A decision kept under a key of only the members the policy reads says nothing of the other
      // names: they are checked on the bytes. One kept under all of params' bytes was kept after
      // these very bytes passed the check (same tool definition, same policy epoch).
      if (checkNames && (classHit || keyBuf !== buf) && !this.namesPass(hit.tool, buf)) return false;
      // Completed from the line's bytes if something comes to need it (Exchange.unparsedRequest).
      ctx = this.bare ??= s.context('tools/call', undefined, b);
      decision = hit.decision;
    } else {
      // Keyed by what the policy can observe: decided on just that, read off the spans (projected-params.ts).
      const observed = found ? projectedParams(buf, footprint!, ascii) : undefined;
      // Else the line's params, which read the same to every parser: parsed alone.
      const params = observed ?? (JSON.parse(buf.toString(ascii ? 'latin1' : 'utf8', from, paramsEnd)) as Record<string, unknown>);
      const name = params.name;
      const tool = typeof name === 'string' ? b.tools.get(name) : undefined;
      // An unknown tool: the usual way fetches the definitions first.
      if (tool === undefined) return false;
      // A name of arguments that may be read as another: parsed and refused the usual way (argument-case.ts).
      if (checkNames && (observed !== undefined ? !this.namesPass(tool, buf) : argumentCaseProblem(argumentNames(tool, policyReads(decider)), params.arguments) !== undefined)) return false;
      // Observed params are judged in the session's one context for them (decide() keeps nothing of it).
      const judged = observed === undefined ? s.context('tools/call', params, b) : (this.judging ??= s.context('tools/call', undefined, b));
      judged.params = params;
      judged.tool = tool;
      judged.arguments = params.arguments;
      decision = s.decide(judged);
      if (observed !== undefined) {
        judged.params = undefined;
        judged.arguments = undefined;
      }
      // Observed params are for the decision only: the exchange gets the bare context (completed from the bytes if needed).
      ctx = observed === undefined ? judged : (this.bare ??= s.context('tools/call', undefined, b));
      // keyBuf may be the projected key's scratch buffer: still this line's key (deciding scans no other line)
      if (keyed && reusable(decision) && decider.pureDecisionEpoch === epoch) {
        // under the class key when the policy showed this decision holds for the class (asked right after decide)
        if (byClass && decider.decidedByClass?.() === true) this.kept!.set(classed.bytes, 0, classed.length, classHash, decision, name as string, tool, b.tools.generation);
        else this.kept!.set(keyBuf, keyFrom, keyTo, hash, decision, name as string, tool, b.tools.generation);
      }
    }
    if (isEnforcedDeny(decision)) {
      const ex = s.exchangeOf(id, ctx, decision);
      if (ctx.params === undefined) {
        ex.unparsedRequest = buf;
        ex.unparsedStart = start;
        ex.unparsedEnd = end;
      }
      s.out.finish(ex, denyAnswer(id, 'tools/call', decision, s.shared.deniedToolCall), 'denied');
      return true;
    }
    const ex = this.exchange(id, ctx, decision);
    ex.unparsedRequest = buf;
    ex.unparsedStart = start;
    ex.unparsedEnd = end;
    ex.answerAsText = s.answerAsText(ex);
    return b.forwardBytes(ex, buf, start, idStart, idEnd, end);
  }

  /** argumentNamesPass of this line (its scan's spans, complete), for `tool`. */
  private namesPass(tool: ToolInfo, buf: Buffer): boolean {
    if (memberSpans.overflow) return false;
    return argumentNamesPass(argumentNames(tool, policyReads(this.s.shared.decider)), buf, argSpans.nameStart, argSpans.nameEnd, argSpans.deep, memberSpans.argsCount);
  }

  /** The decision kept under this key, if still for the same tool definition (else forgotten). */
  private lookup(key: Buffer, from: number, to: number, hash: number): KeptDecision | undefined {
    const kept = this.kept!;
    const b = this.s.backends[0]!;
    const hit = kept.get(key, from, to, hash);
    if (hit !== undefined && hit.toolsGeneration !== b.tools.generation) {
      // The tool definitions changed since: still the same definition object for this tool?
      if (b.tools.get(hit.toolName) === hit.tool) hit.toolsGeneration = b.tools.generation;
      else {
        kept.delete(key, from, to, hash);
        return undefined;
      }
    }
    return hit;
  }

  /** Forgets the kept decisions and the bare context: now decided under this epoch, the session's context and client. */
  private forget(epoch: object): void {
    this.kept?.clear();
    this.epoch = epoch;
    this.session = this.s.sessionCtx;
    this.client = this.s.client;
    this.bare = undefined;
    this.judging = undefined;
    this.missed = 0;
    this.sinceSample = 0;
  }

  /** Whether this call's key is looked up (and its decision kept if missed): always, except while bypassing (BYPASS_AFTER). */
  private looksUp(): boolean {
    if (this.missed < BYPASS_AFTER) return true;
    if (++this.sinceSample < SAMPLE_EVERY) return false;
    this.sinceSample = 0;
    return true;
  }

  /** An exchange for a forwarded call (a spare one when there is: every field set as exchangeOf sets them). */
  private exchange(id: number, ctx: InterceptContext, decision: Decision): Exchange {
    const ex = spareExchange();
    if (ex === undefined) return this.s.exchangeOf(id, ctx, decision);
    ex.originalId = id;
    ex.method = 'tools/call';
    ex.ctx = ctx;
    ex.decision = decision;
    ex.time = 0;
    ex.sentAt = 0;
    ex.requestBytes = undefined;
    ex.listIndex = -1;
    ex.listFirstPage = false;
    ex.progressToken = undefined;
    ex.rawRequestChars = -1;
    return ex;
  }
}
