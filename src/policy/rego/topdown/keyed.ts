/**
 * Rule values kept by the input members they can observe. The value of a rule node (or the
 * members one set rule adds) is a function of the data document, the strictness and the input it
 * can observe. Statically (once per node or rule) that is: the input roots its rules and all they
 * reach read (partial.ts inputRoots), and below input.arguments and input.params only the
 * top-level members the footprint analysis names (footprint.ts: through locals, rule values,
 * functions and object.get), when both are bounded and the value cannot be or hold one of those
 * objects. Each is read by a list of probes: a root's value, the kind of the arguments (params,
 * params.arguments) object, a member's value. After an evaluation without `with` in force whose
 * probes all read a stable root (EvalOptions.stable: the same immutable object means the same
 * document), a scalar, or nothing, the value is kept with those readings; a later query with the
 * same data and strictness, no `with` in force and the same readings (Object.is) gets it without
 * evaluating. A value that holds an object there (a fresh document, a big number) is never kept
 * by it. Unlike effective.ts, which keys on whole roots (never on input.arguments, an object), this
 * keys on the members read: a call whose arguments differ only in members a rule cannot observe
 * gets that rule's value, whatever else changed. Pure rules only (a volatile builtin makes the
 * roots unknown).
 */
import type { CRule, RuleNode } from '../compile/tree.js';
import { RObject, isObject, objGet, type Value } from '../value/index.js';
import type { Evaluator } from './eval.js';
import { inputRoots, ruleRoots } from './partial.js';
import { nodeFootprint, ruleFootprint, type InputFootprint } from './footprint.js';
import { member } from './direct.js';
import { keyedRoot } from './carry.js';

import { ARG, ARGS_KIND, PARAM, PARAMS_KIND, PARG, PARGS_KIND, ROOT, makeFill, type Fill } from './keyed-fill.js';

/** the kind read of an object document (its members are probed separately) */
const OBJECT_KIND: unique symbol = Symbol('object');
/** a reading that cannot be kept (an object that is not a stable root, an array, a big number) */
const UNKEPT: unique symbol = Symbol('unkept');
export const NOT_KEYED: unique symbol = Symbol('not keyed');

/** values taken without evaluating, since the process started (tests read it to see the path taken) */
export const keyedStats = { hits: 0 };

/**
 * Probes are numbered once for all entries (one slot per kind and name), and each query reads a
 * slot at most once (Snapshot): entries that probe the same member share the reading, and the
 * members of input.arguments are found by walking its own keys once, not by looking up each name
 * (most of the names a policy probes are absent from a given call's arguments).
 */
/** the readings of one query, slot by slot, made on first use */
const snapGen: number[] = [];
const snapVal: unknown[] = [];
const slotIds = new Map<string, number>();
const slotKinds: number[] = [];
const slotNames: string[] = [];
/** slots of kind ARG by member name */
const argSlots = new Map<string, number>();
const argSlotList: number[] = [];
/** for a PARG slot, the ARG slot of the same name (read instead when params.arguments is input.arguments) */
const pairArg: number[] = [];

/** the query whose arguments' members readArgs walked into snapVal */
let argsGen = -1;

/**
 * every slot read in one pass for a plain input (keyed-fill.ts), made again when slots are added;
 * null: code generation unavailable (slot by slot then). fillGen: the query it last ran for
 */
let fill: Fill | null | undefined;
let fillGen = -1;
/** tests turn the one-pass reading off to compare it with reading slot by slot */
export const keyedFill = { enabled: true };

function slotOf(kind: number, name: string): number {
  const key = `${kind}:${name}`;
  let id = slotIds.get(key);
  if (id === undefined) {
    id = slotKinds.length;
    slotIds.set(key, id);
    slotKinds.push(kind);
    slotNames.push(name);
    snapGen.push(-1);
    snapVal.push(undefined);
    pairArg.push(-1);
    // the one-pass reading is made again with this slot (one made mid-query is read slot by slot in it)
    fill = undefined;
    if (kind === ARG) {
      argSlots.set(name, id);
      argSlotList.push(id);
      // a slot made after this query walked the arguments (an entry made mid-query): walk them again
      argsGen = -1;
    }
    if (kind === PARG) pairArg[id] = slotOf(ARG, name);
  }
  return id;
}

/** input.params.arguments in query pargsGen, and whether it is input.arguments itself */
let pargsGen = -1;
let pargs: Value | undefined;
let pargsSame = false;

/** what a node's (or a set rule's) value is kept by, and the last value with its readings */
export interface Keyed {
  /** the probes' slots */
  slots: number[];
  /** the carry epoch (carry.ts) the value was kept in: only a query of that epoch may take it */
  epoch: number;
  /** the probes read to take it: all but the roots the carry was keyed on when it was kept (equal in every later query of the epoch) */
  checks: number[];
  readings: unknown[];
  /** UNDEF-encoded value (nodes), or the members added (set rules); NOT_KEYED until kept */
  value: unknown;
  /**
   * the effective roots (effective.ts) the value was decided by when kept: an evaluation of equal
   * readings takes the same path, so they are the same now
   */
  mask: number;
  /**
   * the carry epoch of the last evaluation that did not keep: a node's value is kept from the
   * second evaluation of an epoch on, when the rule values it reads that the epoch carries are
   * carried and its roots are exact (a value kept with the first one's roots could stop
   * effective.ts from carrying the rules that read it)
   */
  seen: number;
  /** misses in a row; past a few, only every 16th query looks (a value whose members change every call) */
  misses: number;
  tries: number;
}

/** the probes of these roots and footprint; arguments members in `unread` get none (memo.ts reads them otherwise) */
function probesOf(roots: Set<string>, fp: InputFootprint, unread: ReadonlySet<string> | null): number[] {
  const slots: number[] = [];
  for (const r of [...roots].sort()) {
    if (r === 'arguments') {
      slots.push(slotOf(ARGS_KIND, r));
      for (const a of fp.arguments) if (unread === null || !unread.has(a)) slots.push(slotOf(ARG, a));
    } else if (r === 'params') {
      slots.push(slotOf(PARAMS_KIND, r));
      slots.push(slotOf(PARAM, 'name'));
      for (const p of fp.params) if (p !== 'name' && p !== 'arguments') slots.push(slotOf(PARAM, p));
      slots.push(slotOf(PARGS_KIND, r));
      for (const a of fp.arguments) if (unread === null || !unread.has(a)) slots.push(slotOf(PARG, a));
    } else slots.push(slotOf(ROOT, r));
  }
  return slots;
}

function make(roots: Set<string> | null, fp: InputFootprint | null, unread: ReadonlySet<string> | null = null): Keyed | null {
  if (roots === null || fp === null) return null;
  const slots = probesOf(roots, fp, unread);
  return { slots, epoch: -1, checks: [], readings: new Array(slots.length), value: NOT_KEYED, mask: 0, seen: -1, misses: 0, tries: 0 };
}

/**
 * A keyed entry over the input these roots and this footprint name, except the arguments members
 * in `unread` (whose readers' values the caller compares instead: memo.ts).
 */
export function keyedWithout(roots: Set<string>, fp: InputFootprint, unread: ReadonlySet<string>): Keyed {
  return make(roots, fp, unread)!;
}

/** the probes of these arguments members (input.arguments and input.params.arguments) */
export function memberSlots(members: Iterable<string>): number[] {
  const slots: number[] = [];
  for (const m of members) slots.push(slotOf(ARG, m), slotOf(PARG, m));
  return slots;
}

/** this query's readings of these probes into `into`; false when one cannot be kept */
export function readInto(ev: Evaluator, slots: readonly number[], into: unknown[]): boolean {
  for (let i = 0; i < slots.length; i++) {
    const v = read(ev, slots[i]!);
    if (v === UNKEPT) return false;
    into[i] = v;
  }
  return true;
}

/**
 * Which of these probes (at most 31) this query reads otherwise than `readings` (made by readInto):
 * bit i set when slots[i] reads differently (Object.is).
 */
export function changedMask(ev: Evaluator, slots: readonly number[], readings: readonly unknown[]): number {
  let mask = 0;
  for (let i = 0; i < slots.length; i++) if (!Object.is(read(ev, slots[i]!), readings[i])) mask |= 1 << i;
  return mask;
}

/** the keyed entry of a node, or null when its value is not a bounded function of input members */
export function keyedOf(ev: Evaluator, node: RuleNode): Keyed | null {
  let k = node.keyed as Keyed | null | undefined;
  if (k === undefined) {
    k = make(inputRoots(node, ev.root), nodeFootprint(ev.root, node));
    node.keyed = k;
  }
  return k;
}

/** the keyed entry of one set rule (the members it adds), or null */
export function ruleKeyedOf(ev: Evaluator, r: CRule): Keyed | null {
  let k = r.keyed as Keyed | null | undefined;
  if (k === undefined) {
    const roots = new Set<string>();
    k = make(ruleRoots(r, ev.root, roots) ? roots : null, ruleFootprint(ev.root, r));
    r.keyed = k;
  }
  return k;
}

function kindOf(v: unknown): unknown {
  if (v === undefined || v === null || typeof v !== 'object') return v;
  return isObject(v as Value) ? OBJECT_KIND : UNKEPT;
}

function rootOf(input: Value, name: string): unknown {
  if (input instanceof RObject || name === '__proto__') return objGet(input as never, name);
  const v = (input as Record<string, unknown>)[name];
  return typeof v === 'function' ? undefined : v;
}

/** the reading of a slot in this query (UNKEPT: cannot be kept) */
function read(ev: Evaluator, slot: number): unknown {
  // small enough to be inlined where probes are compared: the reading is made once per query
  const gen = ev.st.gen;
  return snapGen[slot] === gen ? snapVal[slot] : readSlot(ev, slot, gen);
}

/** read()'s reading not made yet in this query: every slot at once, or this one */
function readSlot(ev: Evaluator, slot: number, gen: number): unknown {
  const input = ev.st.input!;
  if (fillGen !== gen) {
    // the first read of this query: every slot at once when the input is a plain object
    fillGen = gen;
    if (input !== null && typeof input === 'object' && (input as { constructor?: unknown }).constructor === Object && keyedFill.enabled) {
      if (fill === undefined) fill = makeFill(slotKinds, slotNames, pairArg, FILL_HELPERS);
      if (fill !== null) {
        fill(input as Record<string, unknown>, gen, snapGen, snapVal);
        if (snapGen[slot] === gen) return snapVal[slot];
      }
    }
  }
  const name = slotNames[slot]!;
  let v: unknown;
  switch (slotKinds[slot]) {
    case ROOT:
      v = rootOf(input, name);
      if (v !== null && typeof v === 'object' && !ev.stable!.includes(name)) v = UNKEPT;
      break;
    case ARGS_KIND:
      v = kindOf(rootOf(input, 'arguments'));
      break;
    case PARAMS_KIND:
      v = kindOf(rootOf(input, 'params'));
      break;
    case PARGS_KIND:
      v = kindOf(member(rootOf(input, 'params') as Value | undefined, 'arguments'));
      break;
    case ARG:
      if (argsGen !== gen) readArgs(ev);
      return snapVal[slot];
    case PARAM:
      v = scalar(field(rootOf(input, 'params') as Value | undefined, name));
      break;
    default: {
      // the proxy passes one object as both: its members are read once (readArgs)
      if (pargsGen !== gen) {
        pargsGen = gen;
        pargs = member(rootOf(input, 'params') as Value | undefined, 'arguments');
        pargsSame = pargs !== undefined && pargs === rootOf(input, 'arguments');
      }
      v = pargsSame ? read(ev, pairArg[slot]!) : scalar(field(pargs, name));
    }
  }
  snapGen[slot] = gen;
  snapVal[slot] = v;
  return v;
}

/** the readings of every ARG slot in this query, from the arguments' own keys when a plain object */
function readArgs(ev: Evaluator): void {
  const gen = ev.st.gen;
  argsGen = gen;
  const args = rootOf(ev.st.input!, 'arguments') as Value | undefined;
  const list = argSlotList;
  if (args !== null && typeof args === 'object' && Object.getPrototypeOf(args) === Object.prototype) {
    for (let i = 0; i < list.length; i++) {
      const slot = list[i]!;
      snapGen[slot] = gen;
      snapVal[slot] = undefined;
    }
    // own and inherited enumerable members, as member() reads them (no array of keys allocated)
    for (const key in args) {
      const slot = argSlots.get(key);
      if (slot !== undefined) snapVal[slot] = scalar(member(args, key));
    }
    return;
  }
  for (let i = 0; i < list.length; i++) {
    const slot = list[i]!;
    snapGen[slot] = gen;
    snapVal[slot] = scalar(field(args, slotNames[slot]!));
  }
}

/**
 * member() for any name: __proto__ (which member() does not take: it would read an inherited one)
 * as lookup reads it, an own member only (objGet)
 */
function field(v: Value | undefined, name: string): Value | undefined {
  if (name === '__proto__' && v !== null && typeof v === 'object' && isObject(v)) return objGet(v, name);
  return member(v, name);
}

function scalar(v: unknown): unknown {
  return v === undefined || v === null || typeof v !== 'object' ? v : UNKEPT;
}

const FILL_HELPERS = {
  UNKEPT,
  rootOf: (input: object, name: string) => rootOf(input as Value, name),
  kindOf,
  scalar,
  member: (v: unknown, name: string) => field(v as Value | undefined, name),
  argOf,
};

const isEnumerable = Object.prototype.propertyIsEnumerable;

/** the ARG reading of one name as readArgs makes it (plain arguments: only the members for-in walks) */
function argOf(args: unknown, name: string): unknown {
  if (args !== null && typeof args === 'object' && Object.getPrototypeOf(args) === Object.prototype && !isEnumerable.call(args, name)) return undefined;
  return scalar(field(args as Value | undefined, name));
}

/** the readings of these slots in the query of ev (tests compare the one-pass reading with slot by slot) */
export function readingsOf(ev: Evaluator, slots: readonly number[]): unknown[] {
  return slots.map((s) => read(ev, s));
}

/** whether to look this query: not after several misses in a row, except every 16th query */
export function worthTrying(k: Keyed): boolean {
  if (k.misses < 4) return true;
  return (++k.tries & 15) === 0;
}

/** the value kept for this input (UNDEF-encoded for nodes), or NOT_KEYED (a miss, counted) */
export function keyedValue(ev: Evaluator, k: Keyed): unknown {
  // the epoch implies the same data, strictness, stable roots and carry roots, no `with` in force
  if (k.value === NOT_KEYED || k.epoch !== ev.st.carryGen || ev.st.carryGen === -1) {
    k.misses++;
    return NOT_KEYED;
  }
  const readings = k.readings;
  const checks = k.checks;
  const slots = k.slots;
  for (let j = 0; j < checks.length; j++) {
    const i = checks[j]!;
    if (!Object.is(read(ev, slots[i]!), readings[i])) {
      k.misses++;
      return NOT_KEYED;
    }
  }
  k.misses = 0;
  keyedStats.hits++;
  return k.value;
}

/** keeps value (just computed in this query, no `with` in force) with this input's readings, when each can be kept */
export function keepKeyed(ev: Evaluator, k: Keyed, value: unknown, mask: number): void {
  const input = ev.st.input;
  const stable = ev.stable;
  const epoch = ev.st.carryGen;
  if (input === undefined || stable === null || !isObject(input) || epoch === -1) return;
  const readings = k.readings;
  const checks: number[] = [];
  const slots = k.slots;
  for (let i = 0; i < readings.length; i++) {
    const slot = slots[i]!;
    const v = read(ev, slot);
    if (v === UNKEPT) {
      k.value = NOT_KEYED;
      return;
    }
    readings[i] = v;
    if (slotKinds[slot] !== ROOT || !keyedRoot(ev, slotNames[slot]!)) checks.push(i);
  }
  k.epoch = epoch;
  k.checks = checks;
  k.value = value;
  k.mask = mask;
}
