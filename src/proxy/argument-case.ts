/**
 * Arguments spelled like a tool's own but for case (member-case.ts does the envelope and params).
 * A Go tool handler that binds a call's arguments to a struct with encoding/json (mcp-go's
 * CallToolRequest.BindArguments; the go-sdk's typed handlers before GHSA-wvj2-96wp-fq3f) fills
 * the field tagged `namespace` from a lone `"Namespace"` (or `"nameſpace"`, U+017F), while the
 * policy reads input.arguments.namespace and sees none (the kubernetes pack then judges the call
 * as in "default"). So a tools/call is refused when a member of its arguments, or of a nested
 * object the tool's inputSchema declares, folds (goFold) like a name known there but is spelled
 * otherwise. The names known at a level:
 *   - the properties the tool's inputSchema declares there (`properties`; a declared property's
 *     own `properties`, or its `items`' for an array of objects, is the level below it: a Go
 *     nested struct or slice of structs; the values of a map of structs, `additionalProperties` or
 *     `patternProperties`, are a level below every name the map's level does not declare, its keys
 *     free-form: Level.others), followed through local `$ref`s (`#/$defs/Spec`,
 *     `#/definitions/Spec`) and allOf/anyOf/oneOf, whose names at a level are their union
 *     (schema-names.ts; Go schema generators describe nested and embedded structs so). A level
 *     with a `$ref` that points at nothing or outside the schema is strict (its struct has fields
 *     the schema does not show): its declared names are known, any other name there that is not its
 *     own lower case is refused. A schema too large to follow (schema-names.ts MAX_NODES) is read
 *     as such a level, with the policy's names. The levels are made once per tool (argumentNames
 *     keeps them), not per call;
 *   - at the top level, also the members of arguments the policy reads (PolicyDecider.argumentsRead,
 *     when static analysis bounds them): a name the policy reads is a name its decision depends on.
 * A name declared exactly is never refused (Go prefers the exact match), nor one folding like no
 * known name (no field takes it, or the policy does not read it), nor the members of an object
 * the schema does not describe (a free-form map: `labels: {"App": "web"}` is legitimate).
 * When the schema declares no properties (or the tool's definition is unknown) the backend's
 * struct is unknown: the top level's known names are then the policy's. When the policy's are
 * unknown too (not analysed: rate limits, wasm), nothing is known about what either side reads,
 * and the check fails closed: any argument name at any depth that is not its own lower case
 * (an ASCII capital, a non-ASCII upper-case letter, ſ, ı, İ, K) is refused.
 */
import type { PolicyDecider, ToolInfo } from '../types.js';
import { foldable, goFold } from './member-case.js';
import { SchemaWalk } from './schema-names.js';

/** The names known at one level of arguments. */
interface Level {
  /** names known exactly (declared, or read by the policy at the top level) */
  readonly exact: Set<string>;
  /** the same as UTF-8 bytes, for the byte check */
  readonly exactBytes: Buffer[];
  /** byLength[len]: the indexes in exactBytes of the names of len bytes (len < MAX_NAME), else in byLength[MAX_NAME] */
  readonly byLength: Array<number[] | undefined>;
  /** goFold(name) -> name, for each known name */
  readonly folds: Map<string, string>;
  /** known name -> the level of its object's (or its array items') declared properties */
  readonly nested: Map<string, Level> | undefined;
  /** the level of the values of the members it does not declare (a map of structs: additionalProperties), if described */
  readonly others: Level | undefined;
  /** deepMasks' bits for a member it does not declare (its value is at `others`) */
  readonly othersMask: number;
  /**
   * For each of exactBytes: which deep-name bits (argSpans.deep: DEEP_NAME, DEEP_FOLDABLE) of that
   * member's value make the byte check give up (the line is then parsed and checked here): 0 when
   * no level below it is known; DEEP_FOLDABLE when the levels below it know only names that are
   * their own lower case (a name folding like one of them has a capital or a non-ASCII
   * character); DEEP_NAME otherwise.
   */
  readonly deepMasks: Uint8Array;
  /** nothing known: every name must be its own lower case, at any depth below too */
  readonly strict: boolean;
}

/** Bits of argSpans.deep (distinct-keys.ts): a name written in a member's value; one with an ASCII capital or a byte over 0x7f. */
export const DEEP_NAME = 1;
export const DEEP_FOLDABLE = 2;

/** What a tool's arguments are checked against (argumentNames). */
export interface ArgumentNames {
  readonly top: Level;
}

const NONE = new Uint8Array(0);
const MAX_NAME = 64;
const STRICT: Level = { exact: new Set(), exactBytes: [], byLength: [], folds: new Map(), nested: undefined, others: undefined, othersMask: 0, deepMasks: NONE, strict: true };
const MAX_SCHEMA_DEPTH = 32;

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/** A level knowing `names` exactly, with the levels below some of them (deepMasks: set by build). */
function makeLevel(names: Iterable<string>, nested: Map<string, Level> | undefined, strict: boolean): Mutable<Level> {
  const exact = new Set<string>(names);
  const folds = new Map<string, string>();
  for (const n of exact) if (!folds.has(goFold(n))) folds.set(goFold(n), n);
  const exactBytes = [...exact].map((n) => Buffer.from(n, 'utf8'));
  const byLength: Array<number[] | undefined> = [];
  exactBytes.forEach((n, k) => (byLength[Math.min(n.length, MAX_NAME)] ??= []).push(k));
  return { exact, exactBytes, byLength, folds, nested, others: undefined, othersMask: 0, deepMasks: NONE, strict };
}

/**
 * The levels one tool's inputSchema declares (SchemaWalk: `properties` through local `$ref`s and
 * allOf/anyOf/oneOf). A level is made once per set of schemas declaring it: a `$ref` cycle (a tree
 * node whose children are nodes) is a cycle of levels, not MAX_SCHEMA_DEPTH copies (nor, with two
 * such children, 2^32). A level with a part that cannot be read (a `$ref` to nothing, or not local)
 * is strict: its declared names are known, any other name not its own lower case is refused, and
 * so is such a name at any depth below a member it does not describe.
 */
class LevelBuilder {
  readonly walk: SchemaWalk;
  readonly levels: Array<Mutable<Level>> = [];
  private readonly ids = new Map<object, number>();
  private readonly memo = new Map<string, Mutable<Level>>();

  constructor(root: unknown) {
    this.walk = new SchemaWalk(root);
  }

  private key(schemas: readonly unknown[], top: boolean): string {
    const ids = new Set<number>();
    for (const s of schemas) {
      if (typeof s !== 'object' || s === null) continue;
      let id = this.ids.get(s);
      if (id === undefined) this.ids.set(s, (id = this.ids.size));
      ids.add(id);
    }
    return `${top ? 't' : ''}${[...ids].sort((a, b) => a - b).join(',')}`;
  }

  /** The level `schemas` declare, with `extra` names known too; undefined when they declare nothing (nor their items). */
  level(schemas: readonly unknown[], extra: readonly string[], depth: number): Level | undefined {
    const key = this.key(schemas, extra.length > 0);
    const kept = this.memo.get(key);
    if (kept !== undefined) return kept;
    const g = this.walk.gather(schemas);
    if (g.props.size === 0 && extra.length === 0 && !g.unknown) {
      // a map whose values are described (Go's map[string]T): a level knowing no name, its values at
      // `others` (kept before they are made: a map of maps of ... through a $ref is a cycle of levels)
      if (g.additional.length > 0 && depth < MAX_SCHEMA_DEPTH) {
        const map = makeLevel([], undefined, false);
        this.memo.set(key, map);
        const values = this.level(g.additional, [], depth + 1);
        if (values !== undefined) {
          map.others = values;
          this.levels.push(map);
          return map;
        }
        this.memo.delete(key);
      }
      // an array of objects: its items describe them
      return g.items.length > 0 && depth < MAX_SCHEMA_DEPTH ? this.level(g.items, [], depth + 1) : undefined;
    }
    if (depth >= MAX_SCHEMA_DEPTH) return STRICT; // described deeper than followed: fail closed
    const level = makeLevel([...g.props.keys(), ...extra], undefined, g.unknown);
    this.memo.set(key, level);
    this.levels.push(level);
    for (const [name, subs] of g.props) {
      const sub = this.level(subs, [], depth + 1);
      if (sub !== undefined) (level.nested ??= new Map()).set(name, sub);
    }
    // a map of structs (Go's map[string]T): encoding/json decodes each value into T, case-insensitively
    if (g.additional.length > 0) level.others = this.level(g.additional, [], depth + 1);
    return level;
  }
}

/** Sets each level's deepMasks: which levels reach (through `nested`, cycles included) one knowing a name that is not its own lower case. */
function setDeepMasks(levels: ReadonlyArray<Mutable<Level>>): void {
  const parents = new Map<Level, Level[]>();
  const reaches = new Set<Level>();
  const todo: Level[] = [];
  for (const l of levels) {
    for (const sub of l.others === undefined ? (l.nested?.values() ?? []) : [...(l.nested?.values() ?? []), l.others]) {
      const list = parents.get(sub);
      if (list === undefined) parents.set(sub, [l]);
      else list.push(l);
    }
    if ([...l.exact].some(foldable)) {
      reaches.add(l);
      todo.push(l);
    }
  }
  while (todo.length > 0) {
    for (const p of parents.get(todo.pop()!) ?? []) {
      if (!reaches.has(p)) {
        reaches.add(p);
        todo.push(p);
      }
    }
  }
  const mask = (sub: Level | undefined): number => (sub === undefined ? 0 : reaches.has(sub) ? DEEP_NAME : DEEP_FOLDABLE);
  for (const l of levels) {
    l.deepMasks = new Uint8Array([...l.exact].map((n) => mask(l.nested?.get(n) ?? (l.strict ? STRICT : undefined))));
    l.othersMask = mask(l.others);
  }
}

/** What the policy reads known but no name known at all: nothing the policy reads can be spelled otherwise. */
const KNOWS_NONE: Level = { exact: new Set(), exactBytes: [], byLength: [], folds: new Map(), nested: undefined, others: undefined, othersMask: 0, deepMasks: NONE, strict: false };

function build(tool: ToolInfo, read: readonly string[] | undefined): ArgumentNames {
  const b = new LevelBuilder(tool.inputSchema);
  const top = b.level(isObject(tool.inputSchema) ? [tool.inputSchema] : [], read ?? [], 0);
  if (b.walk.over) {
    // too large to follow: what the backend's struct holds is unknown, as for a level with a $ref to nothing
    const level = makeLevel(read ?? [], undefined, true);
    setDeepMasks([level]);
    return { top: level };
  }
  setDeepMasks(b.levels);
  return { top: top ?? (read === undefined ? STRICT : KNOWS_NONE) };
}

/** The members of arguments the policy in force reads, when known (PolicyDecider.argumentsRead, else its reuse footprint's). */
export function policyReads(decider: PolicyDecider): readonly string[] | undefined {
  return decider.argumentsRead ?? (decider.pureDecisionEpoch === undefined ? undefined : decider.pureDecisionFootprint?.arguments);
}

const built = new WeakMap<ToolInfo, { read: readonly string[] | undefined; names: ArgumentNames }>();
let lastTool: ToolInfo | undefined;
let lastRead: readonly string[] | undefined;
let last: ArgumentNames | undefined;

/** The names a tool's arguments are checked against, given the members the policy reads (undefined: not known: policyReads). */
export function argumentNames(tool: ToolInfo, read: readonly string[] | undefined): ArgumentNames {
  if (tool === lastTool && read === lastRead) return last!;
  let entry = built.get(tool);
  if (entry === undefined || entry.read !== read) {
    entry = { read, names: build(tool, read) };
    built.set(tool, entry);
  }
  lastTool = tool;
  lastRead = read;
  last = entry.names;
  return last;
}

/** `name` with every letter in lower case as Go folds it (ſ to s, ı and İ to i, K to k). */
function lowerCase(name: string): string {
  let out = '';
  for (const ch of name) {
    if (ch === '\u017f') out += 's';
    else if (ch === '\u0131' || ch === '\u0130') out += 'i';
    else {
      const l = ch.toLowerCase();
      out += [...l].length === 1 ? l : ch;
    }
  }
  return out;
}

function problem(path: string, like: string): string {
  return `Invalid Request: argument '${path}' differs from '${like}' only in case (a backend may read it as '${like}'): refused`;
}

/** The known name `name` would be read as at `level` when it is not that name itself, else undefined. */
function readAs(name: string, level: Level): string | undefined {
  const like = level.folds.get(goFold(name));
  if (like !== undefined) return like;
  if (level.strict) {
    const lower = lowerCase(name);
    if (lower !== name) return lower;
  }
  return undefined;
}

function levelProblem(value: unknown, level: Level, path: string, depth: number): string | undefined {
  if (depth > 256) return undefined; // the message's nesting was bounded before
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const p = levelProblem(value[i], level, `${path}${i}.`, depth + 1);
      if (p !== undefined) return p;
    }
    return undefined;
  }
  if (!isObject(value)) return undefined;
  for (const key in value) {
    let sub: Level | undefined;
    if (!level.exact.has(key)) {
      const like = readAs(key, level);
      if (like !== undefined) return problem(path + key, like);
      // a name it does not declare: a map's key (free-form), its value described by the map's values' level
      sub = level.strict ? STRICT : level.others;
    } else sub = level.nested?.get(key) ?? (level.strict ? STRICT : undefined);
    if (sub !== undefined) {
      const p = levelProblem(value[key], sub, `${path}${key}.`, depth + 1);
      if (p !== undefined) return p;
    }
  }
  return undefined;
}

/** The reason to refuse a tools/call for its arguments' names (parsed), or undefined. */
export function argumentCaseProblem(names: ArgumentNames, args: unknown): string | undefined {
  return isObject(args) ? levelProblem(args, names.top, '', 0) : undefined;
}

/** The index in level.exactBytes of the name b[s, e) (byte for byte), or -1. */
function knownBytes(b: Uint8Array, s: number, e: number, level: Level): number {
  const len = e - s;
  const candidates = level.byLength[Math.min(len, MAX_NAME)];
  if (candidates === undefined) return -1;
  for (let c = 0; c < candidates.length; c++) {
    const k = candidates[c]!;
    const n = level.exactBytes[k]!;
    if (n.length !== len) continue;
    let j = 0;
    while (j < len && n[j] === b[s + j]) j++;
    if (j === len) return k;
  }
  return -1;
}

/**
 * The check on a line's bytes (judged byte path): true when no name of arguments may be read as
 * another, from the members of arguments its strict scan recorded (`count` of them, complete: their
 * names b[nameStart[i], nameEnd[i]) and the deep-name bits of their values, deep[i]); false when
 * one may be, or when this cannot tell without a parse (the line is then parsed, and
 * argumentCaseProblem decides): a name in the value of a member whose object the schema describes
 * (DEEP_NAME, or DEEP_FOLDABLE when the names described there are all their own lower case), or,
 * nothing being known, any name with a capital or non-ASCII character in a value. Names in the
 * values of other members are not looked at (no level is known there). Allocates only for a name
 * not known exactly.
 */
export function argumentNamesPass(names: ArgumentNames, b: Uint8Array, nameStart: Int32Array, nameEnd: Int32Array, deep: Uint8Array, count: number): boolean {
  const top = names.top;
  const strictMask = top.strict ? DEEP_FOLDABLE : 0;
  for (let i = 0; i < count; i++) {
    const s = nameStart[i]!;
    const e = nameEnd[i]!;
    const k = knownBytes(b, s, e, top);
    if (k >= 0) {
      if ((deep[i]! & top.deepMasks[k]!) !== 0) return false;
      continue;
    }
    if ((deep[i]! & (strictMask | top.othersMask)) !== 0) return false;
    if (readAs(Buffer.from(b.buffer, b.byteOffset + s, e - s).toString('utf8'), top) !== undefined) return false;
  }
  return true;
}
