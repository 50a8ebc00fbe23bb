/**
 * Whole results of a prepared query (PreparedRules: the decision rules of one package) kept within
 * a carry epoch (carry.ts), with early cutoff on the arguments members that only a few small rules
 * read. The values of the query's rule nodes are a function of the input they can observe (keyed.ts:
 * the roots, and the members of input.arguments / input.params the footprint names). For a member
 * whose readers (footprint.ts memberReaders: the rule nodes that observe it themselves, not through
 * another rule's value) are all complete rules without functions or children below them, outside
 * the query's own nodes, that member reaches the query's values only through those readers' values.
 * So the query is keyed on every other reading as keyed.ts reads it, plus the readers' values in
 * this query: `reads_secrets if lower(args.resourceType) in {"secret", "secrets"}` is evaluated for
 * a new resourceType, and when it comes out as before (and nothing else changed) the kept result
 * is the result. Only the readers of members that changed are evaluated: a reader none of whose
 * cut members (its footprint, through all it reaches) reads otherwise than when kept has its kept
 * value. Readers' values must be scalars (compared with Object.is); a reader that fails to
 * evaluate, a reading that cannot be kept, or `with` anywhere (the footprint is then unbounded)
 * keeps nothing. A reader evaluated for the check but never read by the query itself is cached in
 * the query as the query would have computed it; an error there only means the check misses. With
 * a reader compiler (PreparedRules' memoCodegen) a reader is evaluated for the check by JavaScript
 * generated from its rules (codegen/, the interpreter's values and errors), several times cheaper
 * than interpreting it (most of the cost of a true miss otherwise); not cached in the query then
 * (on a miss the query evaluates it again), and a reader it does not compile is interpreted.
 */
import type { RuleNode } from '../compile/tree.js';
import type { Value } from '../value/index.js';
import type { Evaluator } from './eval.js';
import { memberReaders, nodeFootprint, type InputFootprint } from './footprint.js';
import { changedMask, keepKeyed, keyedValue, keyedWithout, memberSlots, NOT_KEYED, readInto, worthTrying, type Keyed } from './keyed.js';
import { inputRoots } from './partial.js';
import { checkedRuleValue } from './rules.js';

export interface DecisionMemo {
  /** members that may be cut, each with its readers (plain rules outside the query's nodes) */
  readonly candidates: ReadonlyMap<string, readonly RuleNode[]>;
  readonly roots: Set<string>;
  readonly footprint: InputFootprint;
  /** the members cut: the entry does not read them, the memo compares their readers' values */
  cut: ReadonlySet<string>;
  /** the entry, made when the cut is first chosen and each time it grows; null until then */
  keyed: Keyed | null;
  /** the readers of the members cut */
  readers: RuleNode[];
  /** the probes of the members cut: when they read as when kept too, the readers need no evaluation */
  cutSlots: number[];
  /**
   * for each reader, the bits of the probes in cutSlots it can observe (its own footprint, through
   * all it reaches; all bits when unbounded): a reader none of whose probes read otherwise than when
   * kept has the value kept (its other readings are the entry's, equal), so it is not evaluated
   */
  readerMasks: number[];
  /** stores that could not choose a cut; past many the memo gives up (dead) */
  tries: number;
  dead: boolean;
  /**
   * a reader's value for the check through JavaScript generated from its rules (the caller's
   * code generator, PreparedRules' memoCodegen), or null (the interpreter evaluates it)
   */
  readonly compile: ReaderCompiler | null;
  /** readers as compiled (null: that one interpreted), for the current readers; undefined until needed */
  readerFns: (ReaderFn | null)[] | undefined;
}

/** a reader's value in this query, for its input and data (undefined: undefined) */
export type ReaderFn = (input: Value | undefined, data: Value) => Value | undefined;
export type ReaderCompiler = (reader: RuleNode) => ReaderFn | null;

/** results taken from the memo since the process started (tests read it to see the path taken) */
export const memoStats = { hits: 0 };

interface KeptResult {
  /** the result: never written (returned as is by PreparedRules.evalShared) */
  out: readonly (Value | undefined)[];
  /** the readers' values (undefined: undefined), in the order of DecisionMemo.readers */
  readerValues: unknown[];
  /** the readings of DecisionMemo.cutSlots, or null when they could not be kept */
  cutReadings: unknown[] | null;
}

/**
 * Values compared exactly by sameValue: scalars (JS numbers, strings, booleans, null, undefined)
 * and arrays of such. Rego evaluates on values alone, so equal ones of these give equal results.
 */
function comparable(v: unknown, depth = 0): boolean {
  if (v === undefined || v === null || typeof v !== 'object') return true;
  if (!Array.isArray(v) || depth > 4) return false;
  for (let i = 0; i < v.length; i++) if (!comparable(v[i], depth + 1)) return false;
  return true;
}

/** equality of two values of which the second is comparable */
function sameValue(a: unknown, b: unknown): boolean {
  if (Object.is(a, b)) return true;
  if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (!sameValue(a[i], b[i])) return false;
  return true;
}

/** a reader whose value is its rules' value alone (no children merged in, no function, no partial set or object) */
function plainRule(node: RuleNode): boolean {
  return node.hasRules && !node.isFunc && node.sets.length === 0 && node.objects.length === 0 && node.children.size === 0;
}

/** a query node whose value is its rules' value (nodeValue gives it as is) */
function plainTop(node: RuleNode): boolean {
  return node.hasRules && node.children.size === 0;
}

/** the memo of a query over these nodes (undefined: a base document), or null when none applies */
export function decisionMemo(ev: Evaluator, nodes: readonly (RuleNode | undefined)[], compile: ReaderCompiler | null = null): DecisionMemo | null {
  if (ev.stable === null) return null;
  const ruled: RuleNode[] = [];
  const roots = new Set<string>();
  for (const node of nodes) {
    if (node === undefined) continue; // a base document: the same for the whole epoch (same data)
    if (!plainTop(node)) return null;
    const r = inputRoots(node, ev.root);
    if (r === null) return null;
    for (const x of r) roots.add(x);
    ruled.push(node);
  }
  if (ruled.length === 0 || !roots.has('arguments')) return null;
  const found = memberReaders(ev.root, ruled);
  if (found === null) return null;
  const candidates = new Map<string, readonly RuleNode[]>();
  for (const m of found.footprint.arguments) {
    const rs = found.readers.get(m) ?? [];
    if (rs.length > 0 && rs.every((n) => plainRule(n) && !ruled.includes(n))) candidates.set(m, rs);
  }
  if (candidates.size === 0) return null;
  return {
    candidates,
    roots,
    footprint: found.footprint,
    cut: new Set(),
    keyed: null,
    readers: [],
    cutSlots: [],
    readerMasks: [],
    tries: 0,
    dead: false,
    compile,
    readerFns: undefined,
  };
}

/** a node evaluated (or carried) in this query: reading it again costs a cache hit */
function evaluated(ev: Evaluator, node: RuleNode): boolean {
  return node.cacheGen === ev.st.gen || node.cacheGen === ev.st.carryGen;
}

/**
 * The cut grows at a store with the candidates whose readers were all evaluated in the query, to
 * values memo can compare (the others are read by value). Readers the queries did not need (a
 * command line parsed only for kubectl_generic) are not made part of every lookup. Each growth
 * makes a new entry (the kept result goes); there are at most as many as candidates.
 */
function growCut(ev: Evaluator, m: DecisionMemo): void {
  let grown: Set<string> | null = null;
  for (const [member, rs] of m.candidates) {
    if (m.cut.has(member)) continue;
    if (!rs.every((n) => evaluated(ev, n) && comparable(n.cacheVal))) continue;
    grown ??= new Set(m.cut);
    grown.add(member);
  }
  if (grown === null) {
    if (m.keyed === null && ++m.tries > 64) m.dead = true;
    return;
  }
  const readers = new Set<RuleNode>();
  for (const member of grown) for (const n of m.candidates.get(member)!) readers.add(n);
  const members = [...grown];
  m.cut = grown;
  m.keyed = keyedWithout(m.roots, m.footprint, grown);
  m.readers = [...readers];
  m.readerFns = undefined;
  m.cutSlots = memberSlots(members);
  m.readerMasks = m.readers.map((n) => readerMask(ev, n, members));
}

/** ALL: every probe of cutSlots (and the mask of a reader whose probes cannot be told apart) */
const ALL = -1;
/** the most probes a mask tells apart (bits of a 32-bit integer, the sign bit left out) */
const MAX_MASKED = 31;

/** the bits of the probes of `members` (memberSlots order: two per member) that reader can observe */
function readerMask(ev: Evaluator, reader: RuleNode, members: readonly string[]): number {
  if (members.length * 2 > MAX_MASKED) return ALL;
  const fp = nodeFootprint(ev.root, reader);
  if (fp === null) return ALL;
  let mask = 0;
  for (let j = 0; j < members.length; j++) if (fp.arguments.includes(members[j]!)) mask |= 3 << (2 * j);
  return mask;
}

/** the result kept for this query's input, or null (then evaluate, and memoStore the result) */
export function memoLookup(ev: Evaluator, m: DecisionMemo): readonly (Value | undefined)[] | null {
  const k = m.keyed;
  if (k === null || ev.st.carryGen === -1 || k.value === NOT_KEYED || k.epoch !== ev.st.carryGen) return null;
  const misses = k.misses;
  const kept = keyedValue(ev, k);
  if (kept === NOT_KEYED) return null;
  const r = kept as KeptResult;
  // which probes of the members cut read otherwise than when kept (all, when their readings could not be kept)
  const cutSlots = m.cutSlots;
  const changed = r.cutReadings === null || cutSlots.length > MAX_MASKED ? ALL : changedMask(ev, cutSlots, r.cutReadings);
  // none (an identical call): the kept result is the result, as keyed.ts keeps by them
  if (changed === 0) {
    memoStats.hits++;
    return r.out;
  }
  const readers = m.readers;
  const masks = m.readerMasks;
  const want = r.readerValues;
  const compile = m.compile;
  const fns = compile === null ? undefined : (m.readerFns ??= readers.map(compile));
  try {
    for (let i = 0; i < readers.length; i++) {
      // a reader that observes none of the changed probes has the value kept: not evaluated
      if ((masks[i]! & changed) === 0) continue;
      // generated (the value the interpreter gives: test/rego-codegen-differential), else interpreted
      const fn = fns === undefined ? null : fns[i]!;
      const v = fn !== null ? fn(ev.st.input, ev.st.data) : checkedRuleValue(ev, readers[i]!);
      if (!sameValue(v, want[i])) {
        k.misses = misses + 1;
        return null;
      }
    }
  } catch {
    return null;
  }
  memoStats.hits++;
  return r.out;
}

/** keeps the result just evaluated for this query's input, when its readings and readers' values can be kept */
export function memoStore(ev: Evaluator, m: DecisionMemo, out: readonly (Value | undefined)[]): void {
  if (m.dead || ev.st.carryGen === -1 || ev.st.shadow !== null || ev.st.mocks !== null) return;
  if (m.cut.size < m.candidates.size) growCut(ev, m);
  const k = m.keyed;
  // after several misses in a row (a member read by the entry itself changes every query), only every 16th keeps
  if (k === null || !worthTrying(k)) return;
  const readers = m.readers;
  const values = new Array<unknown>(readers.length);
  try {
    for (let i = 0; i < readers.length; i++) {
      const v = checkedRuleValue(ev, readers[i]!);
      if (!comparable(v)) return;
      values[i] = v;
    }
  } catch {
    return;
  }
  const cutReadings = new Array<unknown>(m.cutSlots.length);
  // out is the query's own (a new array, only read by PreparedRules' callers): kept as it is
  const kept: KeptResult = { out, readerValues: values, cutReadings: readInto(ev, m.cutSlots, cutReadings) ? cutReadings : null };
  keepKeyed(ev, k, kept, 0);
}
