/**
 * rego.parse_module(filename, source): parses Rego with the engine's parser and returns the module
 * in the shape of OPA's AST JSON ({"package": {"path": [...]}, "imports": [...], "rules": [...]},
 * terms as {"type", "value"}, expressions as {"index", "terms"}). Syntax errors are builtin errors
 * ("rego_parse_error: ...").
 */
import { fromJS, type Value } from '../value/index.js';
import { type BuiltinDef, BuiltinError } from './registry.js';
import { str } from './operands.js';
import { parseModule, RegoSyntaxError } from '../ast/parser.js';
import type { Expr, Rule, Term } from '../ast/types.js';

type J = Record<string, unknown>;

function constTerm(v: Value): J {
  if (v === null) return { type: 'null' };
  switch (typeof v) {
    case 'boolean':
      return { type: 'boolean', value: v };
    case 'number':
      return { type: 'number', value: v };
    case 'string':
      return { type: 'string', value: v };
  }
  if (Array.isArray(v)) return { type: 'array', value: v.map(constTerm) };
  return { type: 'number', value: String(v) };
}

function ref(name: string): J {
  return { type: 'ref', value: name.split('.').map((p, i) => (i === 0 ? { type: 'var', value: p } : { type: 'string', value: p })) };
}

function term(t: Term): J {
  switch (t.t) {
    case 'const':
      return constTerm(t.v);
    case 'var':
      return { type: 'var', value: t.name };
    case 'ref':
      return { type: 'ref', value: [term(t.head), ...t.path.map(term)] };
    case 'array':
      return { type: 'array', value: t.items.map(term) };
    case 'set':
      return { type: 'set', value: t.items.map(term) };
    case 'object':
      return { type: 'object', value: t.keys.map((k, i) => [term(k), term(t.values[i]!)]) };
    case 'call':
      return { type: 'call', value: [ref(t.name), ...t.args.map(term)] };
    case 'arraycompr':
      return { type: 'arraycomprehension', value: { term: term(t.head), body: body(t.body) } };
    case 'setcompr':
      return { type: 'setcomprehension', value: { term: term(t.head), body: body(t.body) } };
    case 'objectcompr':
      return { type: 'objectcomprehension', value: { key: term(t.key), value: term(t.value), body: body(t.body) } };
    case 'template':
      return { type: 'templatestring', value: t.parts.map((p) => (typeof p === 'string' ? { type: 'string', value: p } : expr(p, 0))) };
  }
}

function expr(e: Expr, index: number): J {
  let terms: unknown;
  switch (e.kind) {
    case 'term':
      terms = e.term!.t === 'call' ? [ref(e.term!.name), ...e.term!.args.map(term)] : term(e.term!);
      break;
    case 'unify':
      terms = [ref('eq'), term(e.left!), term(e.right!)];
      break;
    case 'assign':
      terms = [ref('assign'), term(e.left!), term(e.right!)];
      break;
    case 'some':
      terms = { type: 'some', value: (e.vars ?? []).map(term) };
      break;
    case 'somein':
      terms = { type: 'some', value: [{ type: 'call', value: [ref(e.key ? 'internal.member_3' : 'internal.member_2'), ...(e.key ? [term(e.key)] : []), term(e.value!), term(e.domain!)] }] };
      break;
    case 'every':
      terms = { type: 'every', value: { key: e.key ? term(e.key) : null, value: term(e.value!), domain: term(e.domain!), body: body(e.body ?? []) } };
      break;
  }
  const out: J = { index, terms };
  if (e.negated) out.negated = true;
  if (e.withs.length) out.with = e.withs.map((w) => ({ target: term(w.target), value: term(w.value) }));
  return out;
}

function body(b: Expr[]): J[] {
  return b.map((e, i) => expr(e, i));
}

function rule(r: Rule): J {
  const name = r.ref[0]!.t === 'const' ? String(r.ref[0]!.v) : '';
  const head: J = { name, ref: [{ type: 'var', value: name }, ...r.ref.slice(1).map(term)] };
  if (r.args) head.args = r.args.map(term);
  if (r.key) head.key = term(r.key);
  head.value = r.value ? term(r.value) : r.key ? undefined : { type: 'boolean', value: true };
  if (head.value === undefined) delete head.value;
  if (r.assign) head.assign = true;
  const out: J = { head, body: r.body.length ? body(r.body) : [{ index: 0, terms: { type: 'boolean', value: true } }] };
  if (r.isDefault) out.default = true;
  if (r.elses.length) out.else = r.elses.map((e) => ({ head: { name, value: e.value ? term(e.value) : { type: 'boolean', value: true } }, body: body(e.body) }));
  return out;
}

function parse(file: string, src: string): Value {
  let m;
  try {
    m = parseModule(src, file);
  } catch (e) {
    if (e instanceof RegoSyntaxError) {
      const msg = /^expected identifier \(found EOF\)/.test(e.message) ? 'unexpected eof token: expected ident' : e.message;
      throw new BuiltinError(`${file}:${e.line}: rego_parse_error: ${msg}`);
    }
    throw e;
  }
  return fromJS({
    package: { path: [{ type: 'var', value: 'data' }, ...m.pkg.map((p) => ({ type: 'string', value: p }))] },
    imports: m.imports.map((i) => (i.alias ? { path: term(i.path), alias: i.alias } : { path: term(i.path) })),
    rules: m.rules.map(rule),
  });
}

export const builtins: BuiltinDef[] = [{ name: 'rego.parse_module', arity: 2, fn: (a) => parse(str(a[0]!, 1), str(a[1]!, 2)) }];
