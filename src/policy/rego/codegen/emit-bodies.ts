/**
 * Bodies to JS: the expressions of a body nest, each wrapping the code of the ones after it (a
 * failing test skips the rest, a loop runs it once per binding). `not` becomes a labeled block
 * that sets a flag at its first solution; `every` a loop whose body must have a solution for each
 * member; unification of two patterns pairs their items as the interpreter does (eval.ts unify).
 */
import type { Expr, Term } from '../ast/types.js';
import { Unsupported, type Bound, type Gen } from './gen.js';
import { emitCall, emitTerm, emitUnifyValue, unbound, type K0 } from './emit-terms.js';

export function emitBody(g: Gen, body: Expr[], b: Bound, k: K0): string {
  const step = (i: number, b2: Bound): string => (i === body.length ? k(b2) : emitExpr(g, body[i]!, b2, (b3) => step(i + 1, b3)));
  return step(0, b);
}

/** code that sets flag to true when the body (or expression) has a solution, stopping at the first */
export function emitExists(g: Gen, inner: (stop: K0) => string): { flag: string; code: string } {
  const flag = g.tmp('ok');
  const label = g.tmp('L');
  return { flag, code: `let ${flag} = false;\n${label}: {\n${inner(() => `${flag} = true;\nbreak ${label};`)}\n}` };
}

export function emitExpr(g: Gen, e: Expr, b: Bound, k: K0): string {
  if (e.withs.length > 0) throw new Unsupported('with');
  if (e.negated) {
    const { flag, code } = emitExists(g, (stop) => emitInner(g, e, b, stop));
    return `${code}\nif (!${flag}) {\n${k(b)}\n}`;
  }
  return emitInner(g, e, b, k);
}

function emitInner(g: Gen, e: Expr, b: Bound, k: K0): string {
  switch (e.kind) {
    case 'term': {
      const t = e.term!;
      if (t.t === 'call' && e.output) {
        const out = t.args[t.args.length - 1]!;
        return emitCall(g, t, t.args.length - 1, b, (v, b2) => emitUnifyValue(g, out, v, b2, k));
      }
      return emitTerm(g, t, b, (v, b2) => (v.startsWith('K[') ? (g.consts[Number(v.slice(2, -1))] === false ? '' : k(b2)) : `if (${v} !== false) {\n${k(b2)}\n}`));
    }
    case 'unify':
      return emitUnify(g, e.left!, e.right!, b, k);
    case 'assign':
      return emitTerm(g, e.right!, b, (v, b2) => emitUnifyValue(g, e.left!, v, b2, k));
    case 'some':
      return k(b);
    case 'somein':
      return emitTerm(g, e.domain!, b, (coll, b2) => {
        const ps = g.tmp('p');
        const j = g.tmp('j');
        const val = (b3: Bound) => emitUnifyValue(g, e.value!, `${ps}[${j} + 1]`, b3, k);
        const each = e.key ? emitUnifyValue(g, e.key, `${ps}[${j}]`, b2, val) : val(b2);
        return `const ${ps} = R.pairs(${coll});\nfor (let ${j} = 0; ${j} < ${ps}.length; ${j} += 2) {\n${each}\n}`;
      });
    case 'every':
      return emitTerm(g, e.domain!, b, (coll, b2) => {
        const ps = g.tmp('p');
        const j = g.tmp('j');
        const all = g.tmp('all');
        const body = e.body!;
        const { flag, code } = emitExists(g, (stop) => {
          const val = (b3: Bound) => emitUnifyValue(g, e.value!, `${ps}[${j} + 1]`, b3, (b4) => emitBody(g, body, b4, stop));
          return e.key ? emitUnifyValue(g, e.key, `${ps}[${j}]`, b2, val) : val(b2);
        });
        return (
          `if (R.isColl(${coll})) {\nlet ${all} = true;\nconst ${ps} = R.pairs(${coll});\n` +
          `for (let ${j} = 0; ${j} < ${ps}.length; ${j} += 2) {\n${code}\nif (!${flag}) {\n${all} = false;\nbreak;\n}\n}\n` +
          `if (${all}) {\n${k(b2)}\n}\n}`
        );
      });
  }
}

/** a = b (eval.ts unify): the side without unbound variables is evaluated and the other unified with it */
function emitUnify(g: Gen, a: Term, c: Term, b: Bound, k: K0): string {
  if (!unbound(a, b)) return emitTerm(g, a, b, (va, b2) => emitUnifyValue(g, c, va, b2, k));
  if (!unbound(c, b)) return emitTerm(g, c, b, (vc, b2) => emitUnifyValue(g, a, vc, b2, k));
  if (a.t === 'array' && c.t === 'array') {
    if (a.items.length !== c.items.length) return '';
    return emitPairs(g, a.items.map((x, i) => [x, c.items[i]!] as [Term, Term]), b, k);
  }
  if (a.t === 'object' && c.t === 'object') throw new Unsupported('unification of two object patterns');
  return '';
}

function emitPairs(g: Gen, pairs: [Term, Term][], b: Bound, k: K0): string {
  if (pairs.length === 0) return k(b);
  for (let i = 0; i < pairs.length; i++) {
    const [x, y] = pairs[i]!;
    if (!unbound(x, b) || !unbound(y, b) || (x.t === 'array' && y.t === 'array') || (x.t === 'object' && y.t === 'object')) {
      const rest = pairs.slice(0, i).concat(pairs.slice(i + 1));
      return emitUnify(g, x, y, b, (b2) => emitPairs(g, rest, b2, k));
    }
  }
  return '';
}
