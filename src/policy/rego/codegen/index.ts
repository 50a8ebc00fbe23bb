/**
 * Code generation stage: compiles the rule tree's decision rules (the nodes of one prepared query,
 * src/policy/rego/index.ts PreparedRules, or a query body) into one straight-line JavaScript
 * function built with `new Function`, with the interpreter's semantics (topdown/): bodies become
 * nested blocks and loops, rule nodes functions whose values are cached per query, builtins are
 * called through the interpreter's call path. No text of the policy is spliced into the generated
 * source: every constant is passed in the array K and every identifier is generated. What it does
 * not compile (`with`, template strings, print, walk, METADATA, refs over rule subtrees...) makes
 * compileRules / compileBody return the reason instead, and the caller keeps the interpreter.
 */
import type { RuleNode } from '../compile/tree.js';
import type { CompiledQuery } from '../compile/compiler.js';
import type { Value } from '../value/index.js';
import type { Evaluator } from '../topdown/eval.js';
import { Gen, Unsupported, type Bound } from './gen.js';
import { arityOf, emitFunc, emitNode } from './emit-rules.js';
import { emitBody } from './emit-bodies.js';
import { slotName } from './emit-terms.js';
import { runtimeFor, type Runtime } from './runtime.js';
import { inputRoots } from '../topdown/partial.js';

export { Unsupported } from './gen.js';

/** the generated decision query: the value of each ref's node (or base document) for an input and data */
export type RulesFunction = (input: Value | undefined, data: Value) => (Value | undefined)[];
/** a generated query body: one row of bindings per solution */
export type BodyFunction = (input: Value | undefined, data: Value) => Record<string, Value>[];

export interface Generated<F> {
  run: F;
  /** the generated source (for tests and debugging) */
  source: string;
  consts: readonly unknown[];
}

/**
 * the input roots a node's value reads when all are stable roots (then it is kept across queries
 * while the data document and those roots are the same: topdown/partial.ts, static.ts); else null
 */
function keptRoots(g: Gen, node: RuleNode): string[] | null {
  if (g.stable === null) return null;
  const roots = inputRoots(node, g.root);
  if (roots === null) return null;
  for (const r of roots) if (!g.stable.includes(r)) return null;
  return [...roots];
}

/**
 * the factory source: the node and function definitions the main code reached, then the query
 * function. A node's value is cached for the query (its generation GEN); a node that reads only
 * stable roots and data is also kept across queries while the data and those roots are the same
 */
function assemble(g: Gen, main: string): string {
  const fns: string[] = [];
  const decls: string[] = [];
  while (g.pendingNodes.length > 0 || g.pendingFuncs.length > 0) {
    const node = g.pendingNodes.shift();
    if (node !== undefined) {
      const name = g.nodeNames.get(node)!;
      const body = emitNode(g, node);
      decls.push(`g_${name} = 0`, `c_${name}`);
      const roots = keptRoots(g, node);
      let kept = '';
      let keep = '';
      if (roots !== null) {
        const tests = [`kd_${name} === DATA`];
        decls.push(`kd_${name} = U`, `kv_${name}`);
        roots.forEach((r, i) => {
          decls.push(`kr_${name}_${i}`);
          tests.push(`kr_${name}_${i} === ${g.stableRoot(r)}`);
          keep += `kr_${name}_${i} = ${g.stableRoot(r)};\n`;
        });
        kept = `if (${tests.join(' && ')}) {\ng_${name} = GEN;\nreturn (c_${name} = kv_${name});\n}\n`;
        keep += `kd_${name} = DATA;\nkv_${name} = v;\n`;
      }
      fns.push(
        `function ${name}_() {\n${body}\n}\nfunction ${name}() {\nif (g_${name} === GEN) return c_${name};\n${kept}` +
          `const v = ${name}_();\n${keep}g_${name} = GEN;\nreturn (c_${name} = v);\n}`,
      );
      continue;
    }
    const fn = g.pendingFuncs.shift()!;
    const name = g.funcNames.get(fn)!;
    const params: string[] = [];
    for (let i = 0; i < arityOf(fn); i++) params.push(`a${i}`);
    fns.push(`function ${name}(${params.join(', ')}) {\n${emitFunc(g, fn)}\n}`);
  }
  const roots = g.stableRoots
    .map((r, i) => {
      const k = g.k(r);
      // a plain object's own member read in place (a name Object.prototype has goes through R.rootOf)
      if (r in Object.prototype || r === '__proto__') return `S${i} = R.rootOf(IN, ${k});`;
      return `S${i} = (IN !== null && typeof IN === 'object' && IN.constructor === Object ? IN[${k}] : R.rootOf(IN, ${k}));`;
    })
    .join('\n');
  if (g.stableRoots.length > 0) decls.push(...g.stableRoots.map((_, i) => `S${i}`));
  return (
    `"use strict";\nconst U = R.U;\nlet IN, DATA, GEN = 0;\n${decls.length > 0 ? `let ${decls.join(', ')};\n` : ''}` +
    `${fns.join('\n')}\nreturn function query(input, data) {\nIN = input;\nDATA = data;\nGEN++;\n${roots}\n${main}\n};`
  );
}

/** generated source for the nodes (undefined: the base document at the path) */
export function generateRules(
  root: RuleNode,
  nodes: readonly (RuleNode | undefined)[],
  paths: readonly string[][],
  stable: readonly string[] | null,
): { source: string; consts: unknown[] } {
  const g = new Gen(root, stable);
  const outs: string[] = [];
  for (let i = 0; i < nodes.length; i++) {
    const node = nodes[i];
    if (node === undefined) outs.push(`R.baseAt(DATA, ${g.k(paths[i])})`);
    else if (node.hasRules && node.children.size === 0) outs.push(`${g.node(node)}()`);
    else throw new Unsupported('query of a rule node with nodes below, or of a function');
  }
  // the main code is emitted first: the nodes it names are then defined by assemble
  const main = `return [${outs.join(', ')}];`;
  return { source: assemble(g, main), consts: g.consts };
}

/** generated source for a query body: rows of the named variables bound at each solution */
export function generateBody(root: RuleNode, q: CompiledQuery, withHidden: boolean): { source: string; consts: unknown[] } {
  const g = new Gen(root, null);
  const vars = withHidden ? q.allVars : q.vars;
  const rows = g.tmp('rows');
  const body = emitBody(g, q.body, new Set(), (b: Bound) => {
    const bound = vars.filter((v) => b.has(v.slot));
    return `${rows}.push(R.row(${g.k(bound.map((v) => v.name))}, [${bound.map((v) => slotName(v.slot)).join(', ')}]));`;
  });
  const slots: string[] = [];
  for (let i = 0; i < q.nslots; i++) slots.push(slotName(i));
  const main = `const ${rows} = [];\n${slots.length > 0 ? `let ${slots.join(', ')};\n` : ''}${body}\nreturn ${rows};`;
  return { source: assemble(g, main), consts: g.consts };
}

function build<F>(gen: () => { source: string; consts: unknown[] }, ev: Evaluator): Generated<F> | { reason: string } {
  let out: { source: string; consts: unknown[] };
  try {
    out = gen();
  } catch (e) {
    if (e instanceof Unsupported) return { reason: e.reason };
    // e.g. a body nested too deeply for the generator's recursion: the interpreter runs the query
    return { reason: `generation failed: ${(e as Error).message}` };
  }
  let factory: (K: readonly unknown[], R: Runtime) => F;
  try {
    factory = new Function('K', 'R', out.source) as typeof factory;
  } catch (e) {
    // code generation from strings disallowed (node --disallow-code-generation-from-strings), or a
    // source the engine rejects: the interpreter runs the query
    return { reason: `the generated source was not accepted: ${(e as Error).message}` };
  }
  return { run: factory(out.consts, runtimeFor(ev)), source: out.source, consts: out.consts };
}

/**
 * The rules compiled to a JS function, or the reason they are not (the interpreter runs them). ev
 * gives the builtins' options (strict, context) as the interpreter's Evaluator for the same query does.
 */
export function compileRules(
  root: RuleNode,
  nodes: readonly (RuleNode | undefined)[],
  paths: readonly string[][],
  ev: Evaluator,
  stable: readonly string[] | null,
): Generated<RulesFunction> | { reason: string } {
  return build(() => generateRules(root, nodes, paths, stable), ev);
}

/** a query body compiled to a JS function giving its rows, or the reason it is not */
export function compileBody(root: RuleNode, q: CompiledQuery, withHidden: boolean, ev: Evaluator): Generated<BodyFunction> | { reason: string } {
  return build(() => generateBody(root, q, withHidden), ev);
}
