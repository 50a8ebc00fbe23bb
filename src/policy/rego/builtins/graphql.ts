/**
 * graphql.* builtins: parse_query, parse_schema, parse, parse_and_verify, is_valid and
 * schema_is_valid, over the GraphQL parser and validators in graphql-*.ts. ASTs are returned as
 * OPA returns gqlparser's: null and empty members and positions pruned. Queries and schemas may be
 * strings or AST objects; errors read "<message> in GraphQL string at location L:C".
 */
import { fromJS, isObject, toJSON, type Value } from '../value/index.js';
import { type BuiltinDef, BuiltinError } from './registry.js';
import { operandTypeError, str } from './operands.js';
import { GraphQLError, parseQueryDocument, type Node } from './graphql-parser.js';
import { parseSchemaDocument } from './graphql-sdl.js';
import { buildSchema, ValidationError } from './graphql-schema.js';
import { validateQuery } from './graphql-validate.js';

function located(e: unknown): BuiltinError {
  if (e instanceof GraphQLError) return new BuiltinError(`${e.message} in GraphQL string at location ${e.line}:${e.col}`);
  if (e instanceof ValidationError && e.line > 0) {
    return new BuiltinError(`${e.message.replace(/\.$/, '')} in GraphQL string at location ${e.line}:${e.col}`);
  }
  if (e instanceof ValidationError) return new BuiltinError(e.message.replace(/\.$/, ''));
  throw e;
}

/** OPA's pruneIrrelevantGraphQLASTNodes */
function prune(v: unknown): unknown {
  if (Array.isArray(v)) {
    const out: unknown[] = [];
    for (const x of v) {
      if (x === null || x === undefined) continue;
      const p = prune(x);
      if (p !== null && typeof p === 'object' && (Array.isArray(p) ? p.length === 0 : Object.keys(p).length === 0)) continue;
      out.push(p);
    }
    return out;
  }
  if (v !== null && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) {
      if (k === 'Position' || x === null || x === undefined) continue;
      const p = prune(x);
      if (p !== null && typeof p === 'object' && (Array.isArray(p) ? p.length === 0 : Object.keys(p).length === 0)) continue;
      out[k] = p;
    }
    return out;
  }
  return v;
}

function output(doc: Node): Value {
  return fromJS(prune(doc));
}

function queryDoc(v: Value, pos: number, strict: boolean): Node {
  if (typeof v === 'string') {
    try {
      return parseQueryDocument(v);
    } catch (e) {
      throw located(e);
    }
  }
  if (isObject(v)) return toJSON(v) as Node;
  if (strict) throw operandTypeError(pos, v, 'string', 'object');
  throw new BuiltinError('invalid query');
}

function schemaDoc(v: Value, pos: number, strict: boolean): Node {
  if (typeof v === 'string') {
    try {
      return parseSchemaDocument(v);
    } catch (e) {
      throw located(e);
    }
  }
  if (isObject(v)) return toJSON(v) as Node;
  if (strict) throw operandTypeError(pos, v, 'string', 'object');
  throw new BuiltinError('invalid schema');
}

function verify(q: Node, s: Node): void {
  let schema;
  try {
    schema = buildSchema(s);
  } catch (e) {
    if (e instanceof ValidationError) throw new BuiltinError(`Error in gqlparser SchemaDocument to Schema conversion: ${e.message}`);
    throw e;
  }
  try {
    validateQuery(schema, q);
  } catch (e) {
    throw located(e);
  }
}

function attempt(f: () => void): boolean {
  try {
    f();
    return true;
  } catch (e) {
    if (e instanceof BuiltinError || e instanceof ValidationError || e instanceof GraphQLError) return false;
    throw e;
  }
}

export const builtins: BuiltinDef[] = [
  { name: 'graphql.parse_query', arity: 1, fn: (a) => output(queryDoc(str(a[0]!, 1), 1, true)) },
  { name: 'graphql.parse_schema', arity: 1, fn: (a) => output(schemaDoc(str(a[0]!, 1), 1, true)) },
  {
    name: 'graphql.parse',
    arity: 2,
    fn: (a) => {
      const q = queryDoc(a[0]!, 0, true);
      const s = schemaDoc(a[1]!, 1, true);
      const out = [output(q), output(s)];
      verify(q, s);
      return out;
    },
  },
  {
    name: 'graphql.parse_and_verify',
    arity: 2,
    fn: (a) => {
      let q: Node | undefined;
      let s: Node | undefined;
      const ok = attempt(() => {
        q = queryDoc(a[0]!, 0, false);
        s = schemaDoc(a[1]!, 1, false);
        verify(q, s);
      });
      return ok ? [true, output(q!), output(s!)] : [false, {}, {}];
    },
  },
  {
    name: 'graphql.is_valid',
    arity: 2,
    fn: (a) => attempt(() => verify(queryDoc(a[0]!, 0, false), schemaDoc(a[1]!, 1, false))),
  },
  {
    name: 'graphql.schema_is_valid',
    arity: 1,
    fn: (a) => attempt(() => void buildSchema(schemaDoc(a[0]!, 0, false))),
  },
];
