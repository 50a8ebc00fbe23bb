/**
 * Rule nodes to JS functions, following topdown/ruleeval.ts: complete rules (each rule's body, then
 * its else clauses while undefined; every solution checked for a conflict unless the value is a
 * constant; a rule whose constant equals the value found is skipped; then the default), partial set
 * and object rules, and user functions (parameters unified with the arguments, several definitions,
 * conflicts, default). Each function declares its rule's frame slots as block-scoped locals.
 */
import type { CRule, ElseBody, RuleNode } from '../compile/tree.js';
import type { Expr, Term } from '../ast/types.js';
import { Unsupported, type Bound, type Gen } from './gen.js';
import { emitBody, emitExists } from './emit-bodies.js';
import { emitItems, emitTerm, emitUnifyValue, slotName } from './emit-terms.js';

const NONE: Bound = new Set();

function frame(n: number): string {
  if (n === 0) return '';
  const names: string[] = [];
  for (let i = 0; i < n; i++) names.push(slotName(i));
  return `let ${names.join(', ')};\n`;
}

/** the clauses of a rule: its body and value, then its else clauses */
function clauses(r: CRule): { body: Expr[]; value: Term }[] {
  return [{ body: r.body, value: r.value }, ...r.elses.map((e: ElseBody) => ({ body: e.body, value: e.value }))];
}

/**
 * code giving res the value of rule r combined with res (ruleeval.ts completeRule / evalFunc):
 * the first clause with a solution; each solution's value must equal res when res has one
 */
function ruleClauses(g: Gen, node: RuleNode, r: CRule, res: string, b: Bound, fn: boolean): string {
  const nodeK = g.k(node);
  const locK = g.k(r.loc);
  const stops = r.constValue !== undefined;
  let code = '';
  let close = '';
  for (const cl of clauses(r)) {
    const { flag, code: run } = emitExistsAll(g, stops, (found) =>
      emitBody(g, cl.body, b, (b2) =>
        emitTerm(
          g,
          cl.value,
          b2,
          (v) =>
            `if (${res} === undefined) ${res} = ${v};\nelse if (${res} !== ${v} && !R.equal(${res}, ${v})) throw R.conflict(${nodeK}, ${locK}, ${fn});\n${found}`,
        ),
      ),
    );
    code += `${run}\nif (!${flag}) {\n`;
    close += '}\n';
  }
  return code + close;
}

/** like emitExists, but when all is false the body runs to its last solution (found only sets the flag) */
function emitExistsAll(g: Gen, stops: boolean, inner: (found: string) => string): { flag: string; code: string } {
  if (stops) return emitExists(g, (stop) => inner(stop(NONE)));
  const flag = g.tmp('ok');
  return { flag, code: `let ${flag} = false;\n{\n${inner(`${flag} = true;`)}\n}` };
}

/** `if (<rule with a constant value may change res>) { ... }`: a constant equal to res is skipped */
function skipSame(g: Gen, r: CRule, res: string, code: string): string {
  if (r.constValue === undefined) return `{\n${code}\n}`;
  return `if (${res} === undefined || !R.equal(${res}, ${g.k(r.constValue)})) {\n${code}\n}`;
}

function emitDefault(g: Gen, node: RuleNode, res: string): string {
  const d = node.defaultRule;
  if (d === undefined) return '';
  const label = g.tmp('D');
  return `if (${res} === undefined) {\n${frame(d.nslots)}${label}: {\n${emitTerm(g, d.value, NONE, (v) => `${res} = ${v};\nbreak ${label};`)}\n}\n}`;
}

function checkRule(r: CRule): void {
  if (r.meta !== undefined) throw new Unsupported('rules with METADATA');
}

/** the body of the JS function giving a rule node's value */
export function emitNode(g: Gen, node: RuleNode): string {
  if (node.children.size > 0) throw new Unsupported('rule node with nodes below');
  if (node.sets.length > 0) return emitSets(g, node);
  if (node.objects.length > 0) return emitObjects(g, node);
  const res = g.tmp('res');
  let code = `let ${res};\n`;
  for (const r of node.complete) {
    checkRule(r);
    code += skipSame(g, r, res, frame(r.nslots) + ruleClauses(g, node, r, res, NONE, false)) + '\n';
  }
  code += emitDefault(g, node, res);
  return `${code}\nreturn ${res};`;
}

function emitSets(g: Gen, node: RuleNode): string {
  const out = g.tmp('out');
  let code = `const ${out} = new R.RSet();\n`;
  for (const r of node.sets) {
    checkRule(r);
    const body = emitBody(g, r.body, NONE, (b) => emitTerm(g, r.keyPath[0]!, b, (v) => `${out}.add(${v});`));
    code += `{\n${frame(r.nslots)}${body}\n}\n`;
  }
  return `${code}return ${out};`;
}

function emitObjects(g: Gen, node: RuleNode): string {
  const out = g.tmp('out');
  const owned = g.tmp('owned');
  let code = `const ${out} = new R.RObject();\nconst ${owned} = new WeakSet();\n`;
  const nodeK = g.k(node);
  for (const r of node.objects) {
    checkRule(r);
    const multi = r.setElem !== undefined;
    let inner = '';
    let close = '';
    for (const cl of clauses(r)) {
      const { flag, code: run } = emitExistsAll(g, false, (found) =>
        emitBody(g, cl.body, NONE, (b) =>
          emitItems(g, r.keyPath, b, (keys, b2) =>
            emitTerm(g, r.setElem ?? cl.value, b2, (v) => `${found}\nR.insert(${out}, [${keys.join(', ')}], ${v}, ${nodeK}, ${g.k(r)}, ${multi}, ${owned});`),
          ),
        ),
      );
      inner += `${run}\nif (!${flag}) {\n`;
      close += '}\n';
    }
    code += `{\n${frame(r.nslots)}${inner}${close}}\n`;
  }
  return `${code}return ${out};`;
}

/** the body of the JS function of a user function (parameters a0, a1, ...) */
export function emitFunc(g: Gen, node: RuleNode): string {
  if (node.funcs.length === 0) throw new Unsupported('function without definitions');
  const res = g.tmp('res');
  let code = `let ${res};\n`;
  for (const r of node.funcs) {
    checkRule(r);
    const params = r.args!;
    const bind = (i: number, b: Bound): string =>
      i === params.length ? ruleClauses(g, node, r, res, b, true) : emitUnifyValue(g, params[i]!, `a${i}`, b, (b2) => bind(i + 1, b2));
    code += skipSame(g, r, res, frame(r.nslots) + bind(0, NONE)) + '\n';
  }
  code += emitDefault(g, node, res);
  return `${code}\nreturn ${res};`;
}

export function arityOf(node: RuleNode): number {
  const r = node.funcs[0] ?? node.defaultRule;
  return r?.args?.length ?? 0;
}
