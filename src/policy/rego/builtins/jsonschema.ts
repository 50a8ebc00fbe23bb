/**
 * json.verify_schema(schema) and json.match_schema(document, schema): JSON Schema (draft 4-7
 * keywords: type, enum, const, properties, required, additionalProperties, patternProperties,
 * items, additionalItems, min/maxItems, uniqueItems, contains, min/maxProperties, min/maxLength,
 * pattern, minimum/maximum (with exclusive forms), multipleOf, allOf/anyOf/oneOf/not, if/then/else,
 * dependencies, local $ref) reporting errors as OPA's gojsonschema does: {error, type, field, desc}.
 * Documents and schemas may be given as values or JSON strings.
 */
import { RE2JS } from 're2js';
import { equal, fromJS, toJSON, type Value } from '../value/index.js';
import { type BuiltinDef, BuiltinError } from './registry.js';
import { parseJSON } from './json-text.js';
import { typeError } from './operands.js';
import { regexMatches } from './regex.js';

type J = unknown;
type Schema = Record<string, J> | boolean;

const TYPES = ['array', 'boolean', 'integer', 'number', 'null', 'object', 'string'];

class SchemaError extends Error {}

interface Err {
  type: string;
  field: string;
  desc: string;
}

function typeOf(v: J): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number';
  if (typeof v === 'object') return 'object';
  return typeof v;
}

function checkSchema(s: J): void {
  if (typeof s === 'boolean') return;
  if (s === null || typeof s !== 'object' || Array.isArray(s)) throw new SchemaError('schema must be an object or a boolean');
  const o = s as Record<string, J>;
  if (o.type !== undefined) {
    const list = Array.isArray(o.type) ? o.type : [o.type];
    for (const t of list) {
      if (typeof t !== 'string' || !TYPES.includes(t)) {
        throw new SchemaError(`has a primitive type that is NOT VALID -- given: /${String(t)}/ Expected valid values are:[${TYPES.join(' ')}]`);
      }
    }
  }
  for (const k of ['properties', 'patternProperties', 'definitions', '$defs', 'dependencies']) {
    const m = o[k];
    if (m !== undefined && m !== null && typeof m === 'object' && !Array.isArray(m)) {
      for (const v of Object.values(m as object)) if (!Array.isArray(v)) checkSchema(v);
    }
  }
  for (const k of ['items', 'additionalItems', 'additionalProperties', 'not', 'contains', 'if', 'then', 'else', 'propertyNames']) {
    const v = o[k];
    if (Array.isArray(v)) v.forEach(checkSchema);
    else if (v !== undefined && typeof v === 'object') checkSchema(v);
  }
  for (const k of ['allOf', 'anyOf', 'oneOf']) {
    const v = o[k];
    if (Array.isArray(v)) v.forEach(checkSchema);
  }
  if (typeof o.pattern === 'string') {
    try {
      RE2JS.compile(o.pattern);
    } catch (e) {
      throw new SchemaError(`Invalid pattern: ${(e as Error).message}`);
    }
  }
}

function jsonText(v: J): string {
  return JSON.stringify(v);
}

class Validator {
  constructor(private readonly root: Schema) {}

  private resolve(ref: string): Schema {
    if (!ref.startsWith('#')) throw new SchemaError(`unsupported $ref ${ref}`);
    let cur: J = this.root;
    for (const part of ref.slice(1).split('/').filter((p) => p !== '')) {
      const key = decodeURIComponent(part).replace(/~1/g, '/').replace(/~0/g, '~');
      cur = cur !== null && typeof cur === 'object' ? (cur as Record<string, J>)[key] : undefined;
    }
    if (cur === undefined) throw new SchemaError(`$ref ${ref} not found`);
    return cur as Schema;
  }

  validate(s: Schema, v: J, path: string, errs: Err[]): void {
    if (s === true) return;
    if (s === false) {
      errs.push({ type: 'false', field: path, desc: 'False always fails validation' });
      return;
    }
    if (typeof s.$ref === 'string') return this.validate(this.resolve(s.$ref), v, path, errs);
    const add = (type: string, desc: string, field = path): void => {
      errs.push({ type, field, desc });
    };
    const t = typeOf(v);
    if (s.type !== undefined) {
      const types = (Array.isArray(s.type) ? s.type : [s.type]) as string[];
      const ok = types.some((x) => x === t || (x === 'number' && t === 'integer') || (x === 'integer' && t === 'number' && Number.isInteger(v)));
      if (!ok) {
        add('invalid_type', `Invalid type. Expected: ${types.length === 1 ? types[0] : types.join(',')}, given: ${t}`);
        return;
      }
    }
    if (Array.isArray(s.enum) && !s.enum.some((e) => equal(fromJS(e), fromJS(v)))) {
      add('enum', `${fieldName(path)} must be one of the following: ${s.enum.map(jsonText).join(', ')}`);
    }
    if (s.const !== undefined && !equal(fromJS(s.const), fromJS(v))) add('const', `${fieldName(path)} does not match: ${jsonText(s.const)}`);
    if (typeof v === 'string') this.string(s, v, add);
    if (typeof v === 'number') this.number(s, v, add);
    if (Array.isArray(v)) this.array(s, v, path, errs, add);
    if (t === 'object') this.object(s, v as Record<string, J>, path, errs, add);
    this.combinators(s, v, path, errs, add);
  }

  private string(s: Record<string, J>, v: string, add: (t: string, d: string) => void): void {
    const len = [...v].length;
    if (typeof s.minLength === 'number' && len < s.minLength) add('string_gte', `String length must be greater than or equal to ${s.minLength}`);
    if (typeof s.maxLength === 'number' && len > s.maxLength) add('string_lte', `String length must be less than or equal to ${s.maxLength}`);
    if (typeof s.pattern === 'string' && !regexMatches(s.pattern, v)) add('pattern', `Does not match pattern '${s.pattern}'`);
  }

  private number(s: Record<string, J>, v: number, add: (t: string, d: string) => void): void {
    const exMin = s.exclusiveMinimum;
    const exMax = s.exclusiveMaximum;
    if (typeof s.minimum === 'number') {
      if (exMin === true ? v <= s.minimum : v < s.minimum) add(exMin === true ? 'number_gt' : 'number_gte', `Must be greater than ${exMin === true ? '' : 'or equal to '}${s.minimum}`);
    }
    if (typeof exMin === 'number' && v <= exMin) add('number_gt', `Must be greater than ${exMin}`);
    if (typeof s.maximum === 'number') {
      if (exMax === true ? v >= s.maximum : v > s.maximum) add(exMax === true ? 'number_lt' : 'number_lte', `Must be less than ${exMax === true ? '' : 'or equal to '}${s.maximum}`);
    }
    if (typeof exMax === 'number' && v >= exMax) add('number_lt', `Must be less than ${exMax}`);
    if (typeof s.multipleOf === 'number' && s.multipleOf > 0) {
      const q = v / s.multipleOf;
      if (Math.abs(q - Math.round(q)) > 1e-9) add('multiple_of', `Must be a multiple of ${s.multipleOf}`);
    }
  }

  private array(s: Record<string, J>, v: J[], path: string, errs: Err[], add: (t: string, d: string) => void): void {
    if (typeof s.minItems === 'number' && v.length < s.minItems) add('array_min_items', `Array must have at least ${s.minItems} items`);
    if (typeof s.maxItems === 'number' && v.length > s.maxItems) add('array_max_items', `Array must have at most ${s.maxItems} items`);
    if (s.uniqueItems === true) {
      outer: for (let i = 0; i < v.length; i++) {
        for (let j = i + 1; j < v.length; j++) {
          if (equal(fromJS(v[i]), fromJS(v[j]))) {
            add('unique', `array items[${i},${j}] must be unique`);
            break outer;
          }
        }
      }
    }
    if (Array.isArray(s.items)) {
      s.items.forEach((sub, i) => {
        if (i < v.length) this.validate(sub as Schema, v[i], `${path}.${i}`, errs);
      });
      if (s.additionalItems === false && v.length > s.items.length) add('array_no_additional_items', 'No additional items allowed on array');
      else if (s.additionalItems !== undefined && typeof s.additionalItems === 'object') {
        for (let i = s.items.length; i < v.length; i++) this.validate(s.additionalItems as Schema, v[i], `${path}.${i}`, errs);
      }
    } else if (s.items !== undefined) {
      v.forEach((x, i) => this.validate(s.items as Schema, x, `${path}.${i}`, errs));
    }
    if (s.contains !== undefined && !v.some((x) => this.ok(s.contains as Schema, x))) add('contains', 'At least one of the items must match');
  }

  private object(s: Record<string, J>, v: Record<string, J>, path: string, errs: Err[], add: (t: string, d: string, f?: string) => void): void {
    const keys = Object.keys(v);
    if (typeof s.minProperties === 'number' && keys.length < s.minProperties) add('array_min_properties', `Must have at least ${s.minProperties} properties`);
    if (typeof s.maxProperties === 'number' && keys.length > s.maxProperties) add('array_max_properties', `Must have at most ${s.maxProperties} properties`);
    if (Array.isArray(s.required)) {
      for (const r of s.required) if (typeof r === 'string' && !(r in v)) add('required', `${r} is required`);
    }
    const props = (s.properties ?? {}) as Record<string, Schema>;
    const patterns = (s.patternProperties ?? {}) as Record<string, Schema>;
    for (const k of keys) {
      let matched = false;
      if (Object.prototype.hasOwnProperty.call(props, k)) {
        matched = true;
        this.validate(props[k]!, v[k], join(path, k), errs);
      }
      for (const [p, ps] of Object.entries(patterns)) {
        if (regexMatches(p, k)) {
          matched = true;
          this.validate(ps, v[k], join(path, k), errs);
        }
      }
      if (!matched && s.additionalProperties !== undefined) {
        if (s.additionalProperties === false) add('additional_property_not_allowed', `Additional property ${k} is not allowed`);
        else this.validate(s.additionalProperties as Schema, v[k], join(path, k), errs);
      }
    }
    if (s.dependencies !== null && typeof s.dependencies === 'object') {
      for (const [k, dep] of Object.entries(s.dependencies as object)) {
        if (!(k in v)) continue;
        if (Array.isArray(dep)) {
          for (const d of dep) if (!(d in v)) add('missing_dependency', `Has a dependency on ${d}`);
        } else this.validate(dep as Schema, v, path, errs);
      }
    }
  }

  private combinators(s: Record<string, J>, v: J, path: string, errs: Err[], add: (t: string, d: string) => void): void {
    if (Array.isArray(s.allOf)) {
      const sub: Err[] = [];
      for (const x of s.allOf) this.validate(x as Schema, v, path, sub);
      if (sub.length) {
        add('number_all_of', 'Must validate all the schemas (allOf)');
        errs.push(...sub);
      }
    }
    if (Array.isArray(s.anyOf) && !s.anyOf.some((x) => this.ok(x as Schema, v))) add('number_any_of', 'Must validate at least one schema (anyOf)');
    if (Array.isArray(s.oneOf) && s.oneOf.filter((x) => this.ok(x as Schema, v)).length !== 1) add('number_one_of', 'Must validate one and only one schema (oneOf)');
    if (s.not !== undefined && this.ok(s.not as Schema, v)) add('number_not', 'Must not validate the schema (not)');
    if (s.if !== undefined) {
      if (this.ok(s.if as Schema, v)) {
        if (s.then !== undefined && !this.ok(s.then as Schema, v)) add('condition_then', 'Must validate "then" as "if" was valid');
      } else if (s.else !== undefined && !this.ok(s.else as Schema, v)) add('condition_else', 'Must validate "else" as "if" was not valid');
    }
  }

  private ok(s: Schema, v: J): boolean {
    const e: Err[] = [];
    this.validate(s, v, '(root)', e);
    return e.length === 0;
  }
}

function join(path: string, k: string): string {
  return path + '.' + k;
}

function fieldName(path: string): string {
  return path === '(root)' ? '(root)' : path.slice('(root).'.length);
}

function asJSON(v: Value, what: string): J {
  if (typeof v === 'string') {
    try {
      return toJSON(parseJSON(v));
    } catch (e) {
      throw new BuiltinError(`${what}: ${(e as Error).message}`);
    }
  }
  return toJSON(v);
}

function loadSchema(v: Value): Schema {
  if (typeof v !== 'string' && (v === null || typeof v !== 'object' || Array.isArray(v))) {
    if (typeof v !== 'boolean') throw typeError(`operand must be one of {string, object}`);
  }
  const s = asJSON(v, 'schema') as Schema;
  checkSchema(s);
  return s;
}

function matchSchema(args: Value[]): Value {
  const doc = asJSON(args[0]!, 'document');
  let schema: Schema;
  try {
    schema = loadSchema(args[1]!);
  } catch (e) {
    if (e instanceof SchemaError) throw new BuiltinError(e.message);
    throw e;
  }
  const errs: Err[] = [];
  new Validator(schema).validate(schema, doc, '(root)', errs);
  const list = errs.map((e) => {
    const field = fieldName(e.field);
    return { error: `${field}: ${e.desc}`, type: e.type, field, desc: e.desc };
  });
  return [errs.length === 0, fromJS(list)];
}

function verifySchema(args: Value[]): Value {
  try {
    loadSchema(args[0]!);
    return [true, null];
  } catch (e) {
    if (e instanceof SchemaError || e instanceof BuiltinError) return [false, `jsonschema: ${e.message}`];
    throw e;
  }
}

export const builtins: BuiltinDef[] = [
  { name: 'json.verify_schema', arity: 1, fn: verifySchema },
  { name: 'json.match_schema', arity: 2, fn: matchSchema },
];
