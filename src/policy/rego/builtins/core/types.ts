/** Comparison, type-check, cast and membership builtins. */
import {
  BigNum,
  RObject,
  RSet,
  compare,
  equal,
  formatRaw,
  isObject,
  objForEach,
  objGet,
  parseNumber,
  typeName,
  type Value,
} from '../../value/index.js';
import { BuiltinError, operandTypeError, type BuiltinDef } from '../registry.js';

function cmp(name: string, f: (c: number) => boolean): BuiltinDef {
  return { name, arity: 2, fn: ([a, b]) => f(compare(a!, b!)) };
}

function isType(name: string, test: (v: Value) => boolean): BuiltinDef {
  return { name, arity: 1, fn: ([a]) => test(a!) };
}

/** x in coll: membership among array/set elements or object values */
export function memberOf(x: Value, coll: Value): boolean {
  if (Array.isArray(coll)) {
    for (const v of coll) if (equal(v, x)) return true;
    return false;
  }
  if (coll instanceof RSet) return coll.has(x);
  if (isObject(coll)) {
    let found = false;
    objForEach(coll, (_k, v) => {
      if (equal(v, x)) found = true;
      return found;
    });
    return found;
  }
  return false;
}

export function member3(k: Value, x: Value, coll: Value): boolean {
  if (Array.isArray(coll)) {
    if (typeof k !== 'number' || !Number.isInteger(k) || k < 0 || k >= coll.length) return false;
    return equal(coll[k]!, x);
  }
  if (isObject(coll)) {
    const v = objGet(coll, k);
    return v !== undefined && equal(v, x);
  }
  return false;
}

export const typeBuiltins: BuiltinDef[] = [
  { name: 'equal', arity: 2, fn: ([a, b]) => equal(a!, b!) },
  { name: 'neq', arity: 2, fn: ([a, b]) => !equal(a!, b!) },
  cmp('lt', (c) => c < 0),
  cmp('lte', (c) => c <= 0),
  cmp('gt', (c) => c > 0),
  cmp('gte', (c) => c >= 0),
  isType('is_number', (v) => typeof v === 'number' || v instanceof BigNum),
  isType('is_string', (v) => typeof v === 'string'),
  isType('is_boolean', (v) => typeof v === 'boolean'),
  isType('is_array', (v) => Array.isArray(v)),
  isType('is_set', (v) => v instanceof RSet),
  isType('is_object', (v) => isObject(v)),
  isType('is_null', (v) => v === null),
  { name: 'type_name', arity: 1, fn: ([a]) => typeName(a!) },
  {
    name: 'to_number',
    arity: 1,
    fn: ([a]) => {
      const v = a!;
      if (v === null) return 0;
      if (typeof v === 'boolean') return v ? 1 : 0;
      if (typeof v === 'number' || v instanceof BigNum) return v;
      if (typeof v === 'string') {
        const n = parseNumber(v);
        if (n === undefined && /^[+-]?(nan|inf|infinity)$/i.test(v.trim())) throw operandTypeError(1, v, 'valid number string');
        if (n === undefined) throw new BuiltinError(`strconv.ParseFloat: parsing ${JSON.stringify(v)}: invalid syntax`);
        return n;
      }
      throw operandTypeError(1, v, 'null', 'boolean', 'number', 'string');
    },
  },
  { name: 'print', arity: 0, variadic: true, fn: (args, ctx) => (ctx.print(args.map(formatRaw).join(' ')), true) },
  { name: 'trace', arity: 1, fn: () => true },
  // evaluated by the engine with the active rule's METADATA
  { name: 'rego.metadata.rule', arity: 0, fn: () => new RObject() },
  { name: 'rego.metadata.chain', arity: 0, fn: () => [] },
  // no runtime configuration is exposed to policies
  { name: 'opa.runtime', arity: 0, fn: () => new RObject() },
  {
    // declared so that tests can mock it (with http.send as ...); a policy cannot make HTTP calls
    name: 'http.send',
    arity: 1,
    fn: () => {
      throw new BuiltinError('http.send is not available in mcp-warden policies');
    },
  },
  {
    name: 'walk',
    arity: 1,
    fn: () => {
      throw new BuiltinError('walk is evaluated by the engine');
    },
  },
  { name: 'internal.member_2', arity: 2, fn: ([x, c]) => memberOf(x!, c!) },
  { name: 'internal.member_3', arity: 3, fn: ([k, x, c]) => member3(k!, x!, c!) },
];
