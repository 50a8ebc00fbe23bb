/**
 * The readings of every probe of keyed.ts in one pass, for an input that is a plain object: a
 * function generated (new Function) from the probe table, whose member reads name their member as
 * a constant (K[i], never text of the policy), so each read site keeps its own inline cache
 * (monomorphic for a stream of calls alike) instead of the one megamorphic site of keyed.ts's
 * read(), which reads a slot at a time through a switch on its kind (most of the cost of a true
 * miss answered by the decision memo). It reads what read() reads, slot by slot:
 *   ROOT         input.<name>; a function is undefined; an object is left to read() (UNKEPT unless
 *                a stable root of the evaluator; the carry checks those, so they are seldom read)
 *   ARGS_KIND    kindOf(input.arguments), PARAMS_KIND kindOf(input.params),
 *   PARGS_KIND   kindOf(member(input.params, "arguments"))
 *   ARG          scalar(member(input.arguments, name))
 *   PARAM        scalar(member(input.params, name))
 *   PARG         the ARG reading of the same name when params.arguments is input.arguments itself,
 *                else scalar(member(params.arguments, name))
 * A member of a plain object (constructor Object: no RObject, array, set or big number) is read in
 * place, as member() reads it (readArgs walks a plain object's enumerable keys instead: the same
 * members, for any object JSON or a literal makes); names Object.prototype has go through the helpers. Where code
 * generation is disallowed (node --disallow-code-generation-from-strings) makeFill gives null and
 * keyed.ts reads slot by slot.
 */

/** slot kinds (keyed.ts) */
export const ROOT = 0;
export const ARGS_KIND = 1;
export const ARG = 2;
export const PARAMS_KIND = 3;
export const PARAM = 4;
export const PARGS_KIND = 5;
export const PARG = 6;

export interface FillHelpers {
  UNKEPT: symbol;
  rootOf(input: object, name: string): unknown;
  kindOf(v: unknown): unknown;
  scalar(v: unknown): unknown;
  member(v: unknown, name: string): unknown;
  /** an ARG reading of a name Object.prototype has, as keyed.ts reads it */
  argOf(args: unknown, name: string): unknown;
}

/** fills snapGen/snapVal of every slot for this query's input (a plain object: constructor Object) */
export type Fill = (input: Record<string, unknown>, gen: number, snapGen: number[], snapVal: unknown[]) => void;

/** names a plain object inherits (read through the helpers, never in place) */
function inherited(name: string): boolean {
  return name in Object.prototype || name === '__proto__';
}

/** the fill of these slots (their kinds, names, and for PARG the ARG slot of the same name), or null */
export function makeFill(kinds: readonly number[], names: readonly string[], pairArg: readonly number[], h: FillHelpers): Fill | null {
  const K: string[] = [];
  const k = (name: string): string => {
    let i = K.indexOf(name);
    if (i < 0) i = K.push(name) - 1;
    return `K[${i}]`;
  };
  // the arguments object read in place when plain (Ap), as member() reads it
  const argGet = (name: string): string => `(Ap ? A[${k(name)}] : h.member(A, ${k(name)}))`;
  // a plain object's member as scalar(member()) reads it (a function is undefined there)
  const scalarOf = (x: string): string => `(${x} === undefined || typeof ${x} === 'function' ? undefined : ${x} === null || typeof ${x} !== 'object' ? ${x} : U)`;
  const rootRead = (name: string): string => (inherited(name) ? `h.rootOf(I, ${k(name)})` : `I[${k(name)}]`);
  const lines: string[] = [];
  const late: string[] = [];
  for (let s = 0; s < kinds.length; s++) {
    const name = names[s]!;
    let code: string;
    switch (kinds[s]) {
      case ROOT:
        // an object (a stable root, or UNKEPT) is left to read() (seldom read: the carry checks the stable roots)
        lines.push(`x = ${rootRead(name)};\nif (typeof x === 'function') x = undefined;\nif (x === null || typeof x !== 'object') {\nG[${s}] = gen;\nV[${s}] = x;\n}`);
        continue;
      case ARGS_KIND:
        code = `V[${s}] = h.kindOf(A);`;
        break;
      case PARAMS_KIND:
        code = `V[${s}] = h.kindOf(P);`;
        break;
      case PARGS_KIND:
        code = `V[${s}] = h.kindOf(PA);`;
        break;
      case ARG:
        code = inherited(name) ? `V[${s}] = h.argOf(A, ${k(name)});` : `x = ${argGet(name)};\nV[${s}] = ${scalarOf('x')};`;
        break;
      case PARAM:
        code = `V[${s}] = h.scalar(h.member(P, ${k(name)}));`;
        break;
      case PARG:
        // after every ARG slot (the pair is read from it)
        late.push(`G[${s}] = gen;\nV[${s}] = same ? V[${pairArg[s]!}] : h.scalar(h.member(PA, ${k(name)}));`);
        continue;
      default:
        return null;
    }
    lines.push(`G[${s}] = gen;\n${code}`);
  }
  const source =
    `"use strict";\nconst U = h.UNKEPT;\nreturn function fill(I, gen, G, V) {\nlet x;\n` +
    `let A = ${rootRead('arguments')};\nif (typeof A === 'function') A = undefined;\n` +
    `const Ap = A !== null && typeof A === 'object' && A.constructor === Object;\n` +
    `let P = ${rootRead('params')};\nif (typeof P === 'function') P = undefined;\n` +
    `const PA = h.member(P, ${k('arguments')});\nconst same = PA !== undefined && PA === A;\n` +
    `${lines.join('\n')}\n${late.join('\n')}\n};`;
  try {
    return new Function('K', 'h', source)(K, h) as Fill;
  } catch {
    return null;
  }
}
