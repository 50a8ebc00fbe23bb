/**
 * Rule values kept across queries by the input they were actually decided by. A node whose rules
 * read some input that changes from query to query (input.arguments) may still have had its value
 * decided, in one query, by stable or scalar input alone: an else-chain whose first clause gave
 * the value (`verb := v if v := fixed_verbs[tool] else := ... args.subCommand ...`), or a rule
 * that only tests other such rule values (`verb_kind`, `allow`). Each clause is analysed once:
 * the input roots it reads itself (input.<root>, functions and data subtrees with all they reach)
 * and the rule nodes it reads as plain values. After a node is evaluated, its effective roots are
 * the union over the clauses that decided its value (complete rules: each rule's clauses up to its
 * first defined one, rules skipped for an equal constant not counted; set rules: every body; the
 * rule index's input path), a clause counting, for each node it reads, that node's effective
 * roots in this query (or all its roots when it was not evaluated). When none is unknown, and each
 * is a stable root (EvalOptions.stable: the same immutable object means the same document) or
 * holds a scalar now, the value is kept with those roots' current values; a later query with the
 * same data and strictness, no `with` in force and the same values there (===) reuses it.
 */
import type { Expr, Term } from '../ast/types.js';
import type { CRule, RuleNode } from '../compile/tree.js';
import { RObject, isObject, objGet, type Value } from '../value/index.js';
import type { Evaluator } from './eval.js';
import { bodyRoots, inputRoots, termRoots } from './partial.js';
import { clausesOf } from './steps.js';
import { record } from './carry.js';

/** effective roots as a bit mask: one bit per input root name; UNKNOWN: not keepable */
export const UNKNOWN = 1 << 30;
const bits = new Map<string, number>();
const names: string[] = [];

function bitOf(name: string): number {
  let b = bits.get(name);
  if (b === undefined) {
    if (names.length >= 30) return UNKNOWN;
    b = 1 << names.length;
    names.push(name);
    bits.set(name, b);
  }
  return b;
}

function maskOf(roots: Iterable<string> | null): number {
  if (roots === null) return UNKNOWN;
  let m = 0;
  for (const r of roots) m |= bitOf(r);
  return m;
}

/** what one clause (body and value) reads: its own input roots, and the rule nodes it reads as values */
export interface Deps {
  mask: number;
  nodes: RuleNode[];
  /** mask with all roots of the nodes: the clause's effective roots are among these */
  all: number;
}

/** the node's effective roots this query (set with its cached value), its static ones, its kept value */
interface Eff {
  gen: number;
  mask: number;
  staticMask: number;
  value: unknown;
  /** the bits of the roots of the kept value, and their values then */
  keyMask: number;
  keys: unknown[];
  /** the names of the roots of keyMask that are not stable (carry.ts) */
  scalars: string[];
  /** setsMask: the body that made the mask hopeless last time */
  hint: number;
  data: unknown;
  strict: boolean;
}

export const NOT_KEPT: unique symbol = Symbol('not kept');

function effOf(ev: Evaluator, node: RuleNode): Eff {
  let e = node.effective as Eff | undefined;
  if (e === undefined) {
    e = { gen: 0, mask: UNKNOWN, staticMask: maskOf(inputRoots(node, ev.root)), value: NOT_KEPT, keyMask: 0, keys: [], scalars: [], hint: 0, data: undefined, strict: false };
    node.effective = e;
  }
  return e;
}

/** records the node's effective roots for this query (its value was just cached under ev.st.gen) */
export function setMask(ev: Evaluator, node: RuleNode, mask: number): void {
  const e = effOf(ev, node);
  e.gen = ev.st.gen;
  e.mask = mask;
}

/** a carried node's effective roots (just set) belong to the carry epoch `gen` (carry.ts) */
export function stampMask(node: RuleNode, gen: number): void {
  const e = node.effective as Eff | undefined;
  if (e !== undefined) e.gen = gen;
}

/** the effective roots of a node read by a clause: this query's when evaluated, else all its roots */
export function nodeMask(ev: Evaluator, node: RuleNode): number {
  const e = effOf(ev, node);
  const st = ev.st;
  return (e.gen === st.gen || e.gen === st.carryGen) && (node.cacheGen === st.gen || node.cacheGen === st.carryGen) ? e.mask : e.staticMask;
}

/**
 * The roots that rule out keeping in this query (UNKNOWN, and roots neither stable nor holding a
 * scalar now: input.arguments): once a mask has one, its exact value no longer matters, so the
 * masks below stop there. Computed once per input document and set of stable roots.
 */
let hopelessInput: unknown = NOT_KEPT;
let hopelessStable: readonly string[] | null = null;
let hopelessNames = -1;
let hopelessMask = UNKNOWN;

export function hopeless(ev: Evaluator): number {
  const input = ev.st.input;
  const stable = ev.stable;
  if (input === hopelessInput && stable === hopelessStable && hopelessNames === names.length) return hopelessMask;
  let m = UNKNOWN;
  if (stable === null || input === undefined || !isObject(input)) m = ~0;
  else {
    if (stable !== stableFor || stableNames !== names.length) {
      const stableBits = maskOf(stable.filter((r) => bits.has(r)));
      unstable = [];
      for (let i = 0; i < names.length; i++) if ((stableBits & (1 << i)) === 0) unstable.push(i);
      stableFor = stable;
      stableNames = names.length;
    }
    // only roots that are not stable can rule keeping out
    const plain = !(input instanceof RObject);
    for (let j = 0; j < unstable.length; j++) {
      const i = unstable[j]!;
      const v = plain ? (input as Record<string, unknown>)[names[i]!] : rootValue(input, names[i]!);
      // (an inherited member of Object.prototype is a function: not an object document, no bit)
      if (typeof v === 'object' && v !== null) m |= 1 << i;
    }
  }
  hopelessInput = input;
  hopelessStable = stable;
  hopelessNames = names.length;
  hopelessMask = m;
  return m;
}

/** the indexes of the roots that are not stable (stableFor) among the first stableNames names */
let unstable: number[] = [];
let stableFor: readonly string[] | null = null;
let stableNames = -1;

/** the effective roots of one clause that ran (or was ruled out) in this query; stops at a hopeless root */
export function clauseMask(ev: Evaluator, d: Deps, stop: number): number {
  let m = d.mask;
  if ((d.all & stop) === 0) return d.all;
  const ns = d.nodes;
  for (let i = 0; i < ns.length && (m & stop) === 0; i++) m |= nodeMask(ev, ns[i]!);
  return m;
}

/** the static mask of the node (all roots its rules can read) */
export function staticMask(ev: Evaluator, node: RuleNode): number {
  return effOf(ev, node).staticMask;
}

/** the effective roots of the clauses of r up to `upTo` (those that decided its value) */
export function triedMask(ev: Evaluator, r: CRule, upTo: number, stop: number): number {
  const clauses = clausesOf(r);
  let m = 0;
  for (let c = 0; c <= upTo && c < clauses.length && (m & stop) === 0; c++) {
    const cl = clauses[c]!;
    m |= clauseMask(ev, depsOf(cl, cl.body, cl.value, ev.root), stop);
  }
  return m;
}

/**
 * The effective roots of a set node's bodies (every one counts: each may add members), read after
 * all ran. The body that made it hopeless last time is looked at first.
 */
export function setsMask(ev: Evaluator, node: RuleNode, rules: readonly CRule[]): number {
  const stop = hopeless(ev);
  const e = effOf(ev, node);
  if ((e.staticMask & stop) === 0) return e.staticMask;
  const n = rules.length;
  const first = e.hint < n ? e.hint : 0;
  let m = 0;
  for (let k = 0; k < n; k++) {
    const j = (first + k) % n;
    const cl = clausesOf(rules[j]!)[0]!;
    m |= clauseMask(ev, depsOf(cl, cl.body, cl.value, ev.root), stop);
    if ((m & stop) !== 0) {
      e.hint = j;
      return m;
    }
  }
  return m;
}

export function rootBit(name: string | undefined): number {
  return name === undefined ? UNKNOWN : bitOf(name);
}

function rootValue(input: Value | undefined, name: string): unknown {
  return objGet(input as never, name);
}

/** the value kept for node when the roots it was decided by hold the same values now, else NOT_KEPT */
export function effectiveValue(ev: Evaluator, node: RuleNode): unknown {
  const e = node.effective as Eff | undefined;
  if (e === undefined || e.value === NOT_KEPT || e.data !== ev.st.data || e.strict !== ev.opts.strict) return NOT_KEPT;
  const input = ev.st.input;
  if (input === undefined || !isObject(input)) return NOT_KEPT;
  const m = e.keyMask;
  const keys = e.keys;
  let j = 0;
  for (let i = 0; i < names.length; i++) {
    if ((m & (1 << i)) === 0) continue;
    if (rootValue(input, names[i]!) !== keys[j++]) return NOT_KEPT;
  }
  e.gen = ev.st.gen;
  e.mask = m;
  // cached before it is recorded: the carry takes the node's cached value
  node.cacheGen = ev.st.gen;
  node.cacheVal = e.value;
  record(ev, node, e.scalars);
  return e.value;
}

/** keeps the node's value when its effective roots allow it (see the header) */
export function keepEffective(ev: Evaluator, node: RuleNode, value: unknown): void {
  const stable = ev.stable;
  const e = effOf(ev, node);
  const m = e.mask;
  const input = ev.st.input;
  if (stable === null || (m & hopeless(ev)) !== 0 || input === undefined || !isObject(input)) return;
  const keys: unknown[] = [];
  const scalars: string[] = [];
  for (let i = 0; i < names.length; i++) {
    if ((m & (1 << i)) === 0) continue;
    const v = rootValue(input, names[i]!);
    const isStable = stable.includes(names[i]!);
    if (typeof v === 'object' && v !== null && !isStable) return;
    keys.push(v);
    if (!isStable) scalars.push(names[i]!);
  }
  e.keyMask = m;
  e.keys = keys;
  e.scalars = scalars;
  record(ev, node, scalars);
  e.data = ev.st.data;
  e.strict = ev.opts.strict;
  e.value = value;
}

type WithDeps = { deps?: unknown };

/** the deps of a clause (body and value; set rules: the element), made once per clause */
export function depsOf(holder: object, body: Expr[], value: Term, root: RuleNode): Deps {
  const h = holder as WithDeps;
  let d = h.deps as Deps | undefined;
  if (d === undefined) {
    const roots = new Set<string>();
    const nodes = new Set<RuleNode>();
    const ok = bodyRoots(body, root, roots, nodes) && termRoots(value, root, roots, nodes);
    if (ok) {
      let all = maskOf(roots);
      for (const n of nodes) all |= maskOf(inputRoots(n, root));
      d = { mask: maskOf(roots), nodes: [...nodes], all };
    } else d = { mask: UNKNOWN, nodes: [], all: UNKNOWN };
    h.deps = d;
  }
  return d;
}

const defaults = new WeakMap<CRule, { deps?: unknown }>();

/** the deps of a rule's default value (kept aside: a property on the rule would change its shape) */
export function defaultDeps(r: CRule, root: RuleNode): Deps {
  let h = defaults.get(r);
  if (h === undefined) defaults.set(r, (h = {}));
  return depsOf(h, [], r.value, root);
}
