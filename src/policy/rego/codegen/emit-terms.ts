/**
 * Terms to JS: each term is emitted in continuation style at generation time: the code that
 * computes its value(s) wraps the code of what follows (k), so a ref with unbound variables becomes
 * a loop around the rest of the body and an undefined value skips it. Values are bound to generated
 * identifiers only; constants come from K. Also unification of a term with a computed value.
 */
import type { CallTerm, Term } from '../ast/types.js';
import type { CallTarget } from '../compile/compiler.js';
import type { RuleNode } from '../compile/tree.js';
import { SLOT_DATA, SLOT_INPUT } from '../compile/scope.js';
import { RSet } from '../value/index.js';
import { Unsupported, withSlot, type Bound, type Gen } from './gen.js';
import { emitBody } from './emit-bodies.js';

/** continuation given the JS identifier (or K[i]) holding a value */
export type VK = (val: string, b: Bound) => string;
export type K0 = (b: Bound) => string;

export function slotName(slot: number): string {
  return `v${slot}`;
}

/** t has variables not bound yet in pattern position (var, or in an array / object value) */
export function unbound(t: Term, b: Bound): boolean {
  switch (t.t) {
    case 'var':
      return t.slot >= 0 && !b.has(t.slot);
    case 'array':
      return t.items.some((i) => unbound(i, b));
    case 'object':
      return t.values.some((v) => unbound(v, b));
    default:
      return false;
  }
}

/** names Object.prototype has: a plain object's member of that name is read through R.sget */
function inherited(key: string): boolean {
  return key in Object.prototype || key === '__proto__';
}

/**
 * v[key] for a constant string key, as R.sget reads it: a plain JSON object (constructor Object,
 * every input and base document) is read in place, so each site keeps its own property cache;
 * anything else (RObject, arrays, sets, scalars, null-prototype objects) goes through R.sget
 */
export function stringGet(g: Gen, v: string, key: string): string {
  const k = g.k(key);
  if (inherited(key)) return `R.sget(${v}, ${k})`;
  return `(${v} !== null && typeof ${v} === 'object' && ${v}.constructor === Object ? ${v}[${k}] : R.sget(${v}, ${k}))`;
}

/** `const x = expr; if (x !== undefined) { k(x) }` */
function defined(g: Gen, expr: string, b: Bound, k: VK): string {
  const x = g.tmp();
  return `const ${x} = ${expr};\nif (${x} !== undefined) {\n${k(x, b)}\n}`;
}

export function emitTerm(g: Gen, t: Term, b: Bound, k: VK): string {
  switch (t.t) {
    case 'const':
      return k(g.k(t.v), b);
    case 'var':
      if (t.slot >= 0) return b.has(t.slot) ? k(slotName(t.slot), b) : '';
      if (t.slot === SLOT_INPUT) return `if (IN !== undefined) {\n${k('IN', b)}\n}`;
      throw new Unsupported('the whole data document');
    case 'ref':
      return emitRef(g, t, b, k);
    case 'array':
      return emitItems(g, t.items, b, (vals, b2) => {
        const x = g.tmp();
        return `const ${x} = [${vals.join(', ')}];\n${k(x, b2)}`;
      });
    case 'set':
      return emitItems(g, t.items, b, (vals, b2) => {
        const x = g.tmp();
        return `const ${x} = R.setOf([${vals.join(', ')}]);\n${k(x, b2)}`;
      });
    case 'object':
      return emitItems(g, t.keys, b, (keys, b2) =>
        emitItems(g, t.values, b2, (vals, b3) => {
          const x = g.tmp();
          return `const ${x} = R.objOf([${keys.join(', ')}], [${vals.join(', ')}]);\n${k(x, b3)}`;
        }),
      );
    case 'call':
      return emitCall(g, t, t.args.length, b, k);
    case 'arraycompr': {
      const out = g.tmp('c');
      const body = emitBody(g, t.body, b, (b2) => emitTerm(g, t.head, b2, (v) => `${out}.push(${v});`));
      return `const ${out} = [];\n{\n${body}\n}\n${k(out, b)}`;
    }
    case 'setcompr': {
      const out = g.tmp('c');
      const body = emitBody(g, t.body, b, (b2) => emitTerm(g, t.head, b2, (v) => `${out}.add(${v});`));
      return `const ${out} = new R.RSet();\n{\n${body}\n}\n${k(out, b)}`;
    }
    case 'objectcompr': {
      const out = g.tmp('c');
      const loc = g.k(t.loc);
      const body = emitBody(g, t.body, b, (b2) =>
        emitTerm(g, t.key, b2, (key, b3) => emitTerm(g, t.value, b3, (v) => `R.comprPut(${out}, ${key}, ${v}, ${loc});`)),
      );
      return `const ${out} = new R.RObject();\n{\n${body}\n}\n${k(out, b)}`;
    }
    case 'template': {
      const str = g.tmp('s');
      let code = `let ${str} = ${g.k('')};\n`;
      for (const part of t.parts) {
        if (typeof part === 'string') {
          code += `${str} += ${g.k(part)};\n`;
          continue;
        }
        if (part.withs.length > 0) throw new Unsupported('with');
        const vals = g.tmp('c');
        const each = emitTerm(g, part.term!, b, (v) => `${vals}.add(${v});`);
        code += `const ${vals} = new R.RSet();\n{\n${each}\n}\n${str} += R.templatePart(${vals}, ${g.k(part.loc)});\n`;
      }
      return code + k(str, b);
    }
  }
}

/** list of terms, each possibly several values; unbound plain variables last (refs may bind them) */
export function emitItems(g: Gen, items: Term[], b: Bound, k: (vals: string[], b: Bound) => string): string {
  const order: number[] = [];
  for (let i = 0; i < items.length; i++) if (!(items[i]!.t === 'var' && unbound(items[i]!, b))) order.push(i);
  for (let i = 0; i < items.length; i++) if (items[i]!.t === 'var' && unbound(items[i]!, b)) order.push(i);
  const vals = new Array<string>(items.length);
  const step = (s: number, b2: Bound): string => {
    if (s === order.length) return k(vals.slice(), b2);
    const i = order[s]!;
    return emitTerm(g, items[i]!, b2, (v, b3) => {
      vals[i] = v;
      return step(s + 1, b3);
    });
  };
  return step(0, b);
}

function emitRef(g: Gen, t: Term & { t: 'ref' }, b: Bound, k: VK): string {
  const h = t.head;
  if (h.t === 'var') {
    if (h.slot >= 0) return b.has(h.slot) ? emitPath(g, slotName(h.slot), t.path, 0, b, k) : '';
    if (h.slot === SLOT_INPUT) return `if (IN !== undefined) {\n${emitPath(g, 'IN', t.path, 0, b, k)}\n}`;
    if (h.slot === SLOT_DATA) {
      if (t.leaf !== undefined) return defined(g, `${g.node(t.leaf as RuleNode)}()`, b, (v, b2) => emitPath(g, v, t.path, t.leafDepth!, b2, k));
      return emitDataPath(g, t.path, b, k);
    }
    throw new Unsupported(`ref head ${h.slot}`);
  }
  return emitTerm(g, h, b, (v, b2) => emitPath(g, v, t.path, 0, b2, k));
}

/** data.<path> with no rule on the way (a leaf would be marked): the base documents */
function emitDataPath(g: Gen, path: Term[], b: Bound, k: VK): string {
  let n: RuleNode | undefined = g.root;
  let i = 0;
  for (; i < path.length && n !== undefined; i++) {
    const p = path[i]!;
    if (p.t !== 'const' || typeof p.v !== 'string') throw new Unsupported('data ref with a variable key among rules');
    n = n.children.get(p.v);
    if (n !== undefined && (n.hasRules || n.isFunc)) throw new Unsupported('data ref into rules with nodes below');
  }
  if (n !== undefined && (n.subtreeRules || n.children.size > 0)) throw new Unsupported('data ref above rules');
  return emitBasePath(g, 'DATA', path, 0, b, k);
}

/** base documents: numeric keys also match string object keys (refs.ts evalBasePath) */
function emitBasePath(g: Gen, v: string, path: Term[], i: number, b: Bound, k: VK): string {
  if (i === path.length) return k(v, b);
  const p = path[i]!;
  if (p.t === 'const') return defined(g, typeof p.v === 'string' ? stringGet(g, v, p.v) : `R.dget(${v}, ${g.k(p.v)})`, b, (c, b2) => emitBasePath(g, c, path, i + 1, b2, k));
  if (p.t === 'var' && p.slot >= 0 && b.has(p.slot)) return defined(g, `R.dget(${v}, ${slotName(p.slot)})`, b, (c, b2) => emitBasePath(g, c, path, i + 1, b2, k));
  return emitPath(g, v, path, i, b, k);
}

/** v<path[i..]>: lookups, and loops over collections for keys not bound yet */
export function emitPath(g: Gen, v: string, path: Term[], i: number, b: Bound, k: VK): string {
  if (i === path.length) return k(v, b);
  const p = path[i]!;
  const next: VK = (c, b2) => emitPath(g, c, path, i + 1, b2, k);
  if (p.t === 'const') return defined(g, typeof p.v === 'string' ? stringGet(g, v, p.v) : `R.lookup(${v}, ${g.k(p.v)})`, b, next);
  if (p.t === 'var' && p.slot >= 0) {
    if (b.has(p.slot)) return defined(g, `R.lookup(${v}, ${slotName(p.slot)})`, b, next);
    const ps = g.tmp('p');
    const j = g.tmp('j');
    const b2 = withSlot(b, p.slot);
    return `const ${ps} = R.pairs(${v});\nfor (let ${j} = 0; ${j} < ${ps}.length; ${j} += 2) {\n${slotName(p.slot)} = ${ps}[${j}];\n${next(`${ps}[${j} + 1]`, b2)}\n}`;
  }
  if (unbound(p, b)) {
    const ps = g.tmp('p');
    const j = g.tmp('j');
    return `const ${ps} = R.pairs(${v});\nfor (let ${j} = 0; ${j} < ${ps}.length; ${j} += 2) {\n${emitUnifyValue(g, p, `${ps}[${j}]`, b, (b2) => next(`${ps}[${j} + 1]`, b2))}\n}`;
  }
  return emitTerm(g, p, b, (key, b2) => defined(g, `R.lookup(${v}, ${key})`, b2, next));
}

/** the type tests of builtins/core/types.ts, inline (they never fail) */
const TYPE_TESTS: Record<string, (v: string) => string> = {
  is_string: (v) => `typeof ${v} === 'string'`,
  is_boolean: (v) => `typeof ${v} === 'boolean'`,
  is_number: (v) => `R.isNumber(${v})`,
  is_array: (v) => `Array.isArray(${v})`,
  is_set: (v) => `${v} instanceof R.RSet`,
  is_object: (v) => `R.isObject(${v})`,
  is_null: (v) => `${v} === null`,
};

/** a call's value: builtins through the interpreter's call path, user functions generated */
export function emitCall(g: Gen, t: CallTerm, nIn: number, b: Bound, k: VK): string {
  const target = t.target as CallTarget;
  if (target.kind === 'builtin') {
    const name = target.def.name;
    if (name.startsWith('rego.metadata.')) throw new Unsupported(`builtin ${name}`);
    if (name === 'print') return emitPrint(g, t, b, k);
    if (name === 'walk') {
      return emitItems(g, t.args.slice(0, 1), b, (vals, b2) => {
        const ws = g.tmp('w');
        const j = g.tmp('j');
        return `const ${ws} = R.walkAll(${vals[0]});\nfor (let ${j} = 0; ${j} < ${ws}.length; ${j}++) {\n${k(`${ws}[${j}]`, b2)}\n}`;
      });
    }
  }
  const inputs = nIn === t.args.length ? t.args : t.args.slice(0, nIn);
  return emitItems(g, inputs, b, (vals, b2) => {
    if (target.kind === 'func') return defined(g, `${g.func(target.node)}(${vals.join(', ')})`, b2, k);
    const name = target.def.name;
    const x = g.tmp();
    if ((name === 'equal' || name === 'neq') && vals.length === 2) {
      // a string, boolean or null constant equals exactly the same JS value (compare.ts equal)
      const exact = inputs.some((a) => a.t === 'const' && (typeof a.v === 'string' || typeof a.v === 'boolean' || a.v === null));
      const test = exact ? `${vals[0]} === ${vals[1]}` : `R.equal(${vals[0]}, ${vals[1]})`;
      return `const ${x} = ${name === 'neq' ? `!(${test})` : test};\n${k(x, b2)}`;
    }
    if (name === 'internal.member_2' && vals.length === 2) {
      // membership in a constant set is the set's own test (memberOf)
      const coll = inputs[1]!;
      const test = coll.t === 'const' && coll.v instanceof RSet ? `${vals[1]}.has(${vals[0]})` : `R.member(${vals[0]}, ${vals[1]})`;
      return `const ${x} = ${test};\n${k(x, b2)}`;
    }
    const test = TYPE_TESTS[name];
    if (test !== undefined && vals.length === 1) return `const ${x} = ${test(vals[0]!)};\n${k(x, b2)}`;
    if ((name === 'lower' || name === 'upper') && vals.length === 1) {
      // a string's case mapped in place (builtins/strings.ts mapCase, what the builtin returns);
      // anything else through the call path, for its type error (strict) or undefined
      const v = vals[0]!;
      return defined(g, `(typeof ${v} === 'string' ? R.mapCase(${v}, ${name === 'upper'}) : R.call(${g.k(target)}, ${g.k(t)}, [${v}]))`, b2, k);
    }
    return defined(g, `R.call(${g.k(target)}, ${g.k(t)}, [${vals.join(', ')}])`, b2, k);
  });
}

/** print (calls.ts doPrint): every value of each argument, printed; its value is true */
function emitPrint(g: Gen, t: CallTerm, b: Bound, k: VK): string {
  let code = '';
  const lists: string[] = [];
  for (const a of t.args) {
    const vals = g.tmp('c');
    lists.push(vals);
    code += `const ${vals} = [];\n{\n${emitTerm(g, a, b, (v) => `${vals}.push(${v});`)}\n}\n`;
  }
  return `${code}R.print(R.printText([${lists.join(', ')}]));\n${k('true', b)}`;
}

/** unifies term t (a pattern or any term) with the value held by v */
export function emitUnifyValue(g: Gen, t: Term, v: string, b: Bound, k: K0): string {
  switch (t.t) {
    case 'var': {
      if (t.slot < 0) return emitTerm(g, t, b, (x, b2) => `if (R.equal(${x}, ${v})) {\n${k(b2)}\n}`);
      if (b.has(t.slot)) return `if (R.equal(${slotName(t.slot)}, ${v})) {\n${k(b)}\n}`;
      return `${slotName(t.slot)} = ${v};\n${k(withSlot(b, t.slot))}`;
    }
    case 'const': {
      const c = t.v;
      if (typeof c === 'string' || typeof c === 'boolean' || c === null) return `if (${v} === ${g.k(c)}) {\n${k(b)}\n}`;
      return `if (R.equal(${g.k(c)}, ${v})) {\n${k(b)}\n}`;
    }
    case 'array': {
      const n = t.items.length;
      const step = (i: number, b2: Bound): string => {
        if (i === n) return k(b2);
        const e = g.tmp('e');
        return `const ${e} = ${v}[${i}];\n${emitUnifyValue(g, t.items[i]!, e, b2, (b3) => step(i + 1, b3))}`;
      };
      return `if (Array.isArray(${v}) && ${v}.length === ${n}) {\n${step(0, b)}\n}`;
    }
    case 'object': {
      if (!unbound(t, b)) return emitTerm(g, t, b, (x, b2) => `if (R.equal(${x}, ${v})) {\n${k(b2)}\n}`);
      const n = t.keys.length;
      const inner = emitItems(g, t.keys, b, (keys, b2) => {
        const step = (i: number, b3: Bound): string => {
          if (i === n) return k(b3);
          const c = g.tmp('e');
          return `const ${c} = R.objGet(${v}, ${keys[i]});\nif (${c} !== undefined) {\n${emitUnifyValue(g, t.values[i]!, c, b3, (b4) => step(i + 1, b4))}\n}`;
        };
        return step(0, b2);
      });
      return `if (R.isObject(${v}) && R.objSize(${v}) === ${n}) {\n${inner}\n}`;
    }
    default:
      return emitTerm(g, t, b, (x, b2) => `if (R.equal(${x}, ${v})) {\n${k(b2)}\n}`);
  }
}
