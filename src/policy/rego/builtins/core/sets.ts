/** Set operator builtins: and (intersection), or (union), intersection, union. */
import { RSet, type Value } from '../../value/index.js';
import { operandTypeError, type BuiltinDef } from '../registry.js';

function set(v: Value, pos: number): RSet {
  if (v instanceof RSet) return v;
  throw operandTypeError(pos, v, 'set');
}

export function setAnd(a: RSet, b: RSet): RSet {
  const out = new RSet();
  const [small, big] = a.size <= b.size ? [a, b] : [b, a];
  for (const v of small.values()) if (big.has(v)) out.add(v);
  return out;
}

export function setOr(a: RSet, b: RSet): RSet {
  const out = new RSet();
  for (const v of a.values()) out.add(v);
  for (const v of b.values()) out.add(v);
  return out;
}

function setsOf(v: Value): RSet[] {
  const s = set(v, 1);
  const out: RSet[] = [];
  for (const x of s.values()) {
    if (!(x instanceof RSet)) throw operandTypeError(1, v, 'set[set[any]]');
    out.push(x);
  }
  return out;
}

export const setBuiltins: BuiltinDef[] = [
  { name: 'and', arity: 2, fn: ([a, b]) => setAnd(set(a!, 1), set(b!, 2)) },
  { name: 'or', arity: 2, fn: ([a, b]) => setOr(set(a!, 1), set(b!, 2)) },
  {
    name: 'intersection',
    arity: 1,
    fn: ([a]) => {
      const sets = setsOf(a!);
      if (sets.length === 0) return new RSet();
      let acc = sets[0]!;
      for (let i = 1; i < sets.length; i++) acc = setAnd(acc, sets[i]!);
      return acc === sets[0] ? setOr(acc, new RSet()) : acc;
    },
  },
  {
    name: 'union',
    arity: 1,
    fn: ([a]) => {
      const out = new RSet();
      for (const s of setsOf(a!)) for (const v of s.values()) out.add(v);
      return out;
    },
  },
];
