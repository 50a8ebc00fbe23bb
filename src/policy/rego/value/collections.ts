/**
 * Set and object collections with Rego value keys. Primitive members (string, number, boolean,
 * null) are keyed natively in a JS Map; composite members (arrays, objects, sets, big numbers) by
 * a canonical string (see canonicalKey). Iteration is in OPA's sorted order (sorted lazily).
 */
import type { Value } from './types.js';
import { compare } from './compare.js';
import { canonicalKey } from './hash.js';

type Prim = string | number | boolean | null;

/** members up to which a set finds primitives by scanning its members instead of a native Set */
const SMALL = 8;

/** a member kept in the native Set (big integers beyond 2^53 are keyed canonically, as composites) */
function isPrim(v: Value): v is Prim {
  return (v === null || typeof v !== 'object') && !(typeof v === 'number' && Number.isInteger(v) && !Number.isSafeInteger(v));
}

/** key used inside the maps: primitives as-is; composites as "\u0001" + canonical string in a separate map */
export class RSet {
  private prim: Set<Prim> | null = null;
  private comp: Map<string, Value> | null = null;
  private items: Value[] = [];
  private sorted = true;

  static of(...vals: Value[]): RSet {
    const s = new RSet();
    for (const v of vals) s.add(v);
    return s;
  }

  get size(): number {
    return this.items.length;
  }

  has(v: Value): boolean {
    if (v === null || typeof v !== 'object') {
      if (typeof v === 'number' && Number.isInteger(v) && !Number.isSafeInteger(v)) {
        return this.comp !== null && this.comp.has(canonicalKey(v));
      }
      return this.prim !== null ? this.prim.has(v) : this.items.includes(v);
    }
    return this.comp !== null && this.comp.has(canonicalKey(v));
  }

  /** adds v; returns false if it was already present */
  add(v: Value): boolean {
    if (v === null || typeof v !== 'object') {
      if (!(typeof v === 'number' && Number.isInteger(v) && !Number.isSafeInteger(v))) {
        if (this.prim !== null) {
          if (this.prim.has(v)) return false;
          this.prim.add(v);
        } else {
          // small sets find primitives by scanning (no Set to allocate); a Set from SMALL members on
          if (this.items.includes(v)) return false;
          if (this.items.length >= SMALL) this.prim = new Set(this.items.filter(isPrim)).add(v);
        }
        this.push(v);
        return true;
      }
    }
    const k = canonicalKey(v);
    if (this.comp === null) this.comp = new Map();
    else if (this.comp.has(k)) return false;
    this.comp.set(k, v);
    this.push(v);
    return true;
  }

  private push(v: Value): void {
    const n = this.items.length;
    if (this.sorted && n > 0 && compare(this.items[n - 1]!, v) > 0) this.sorted = false;
    this.items.push(v);
  }

  /** members in OPA order (sorted). Do not mutate the returned array. */
  values(): readonly Value[] {
    if (!this.sorted) {
      this.items.sort(compare);
      this.sorted = true;
    }
    return this.items;
  }
}

export class RObject {
  private strs: Map<string, Value> = new Map();
  private others: Map<Prim, [Value, Value]> | null = null;
  private keyList: Value[] = [];
  private sorted = true;

  static fromEntries(entries: Iterable<readonly [Value, Value]>): RObject {
    const o = new RObject();
    for (const [k, v] of entries) o.set(k, v);
    return o;
  }

  get size(): number {
    return this.keyList.length;
  }

  get(k: Value): Value | undefined {
    if (typeof k === 'string') return this.strs.get(k);
    if (this.others === null) return undefined;
    const e = this.others.get(otherKey(k));
    return e === undefined ? undefined : e[1];
  }

  /** sets k to v (replacing any earlier value) */
  set(k: Value, v: Value): void {
    if (typeof k === 'string') {
      if (!this.strs.has(k)) this.pushKey(k);
      this.strs.set(k, v);
      return;
    }
    if (this.others === null) this.others = new Map();
    const ok = otherKey(k);
    const e = this.others.get(ok);
    if (e === undefined) {
      this.others.set(ok, [k, v]);
      this.pushKey(k);
    } else e[1] = v;
  }

  private pushKey(k: Value): void {
    const n = this.keyList.length;
    if (this.sorted && n > 0 && compare(this.keyList[n - 1]!, k) > 0) this.sorted = false;
    this.keyList.push(k);
  }

  /** keys in OPA order (sorted). Do not mutate the returned array. */
  keys(): readonly Value[] {
    if (!this.sorted) {
      this.keyList.sort(compare);
      this.sorted = true;
    }
    return this.keyList;
  }
}

function otherKey(k: Value): Prim {
  if (k === null || typeof k === 'boolean') return k;
  if (typeof k === 'number' && Number.isSafeInteger(k)) return k;
  if (typeof k === 'number' && !Number.isInteger(k)) return k;
  return '\u0001' + canonicalKey(k);
}
