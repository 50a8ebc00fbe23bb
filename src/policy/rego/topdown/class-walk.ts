/**
 * Class footprints: for which observed members of input.arguments (footprint.ts) the value of a set
 * of rules depends only on the member's CLASS, and what that class is made of. The class of a value
 * is its JSON type (absent, null, boolean, number, string, array, object), a boolean's or null's
 * value, a number's value when numbersByValue, and for a string, for each constant c collected
 * here: whether it starts with c, ends with c, equals c.
 *
 * ClassWalk is the footprint walk (footprint-walk.ts) with the member's value tracked (VAL) through
 * locals, complete rule values, function parameters and results, and object.get. Class sinks, whose
 * results the class determines (so they may flow anywhere): the type checks (is_string... type_name),
 * `v == c` / `v != c` with c a constant string, null or boolean (a number constant: numbers by value),
 * startswith(v, c) and endswith(v, c) with c a constant string, `v in C` with C a constant collection
 * of such scalars, and being tested for defined and not false. Any other use (the value given to
 * sprintf or any other builtin, put in a collection or a template, looked into, iterated, unified
 * with `=`, compared with a non-constant, matched against a function's pattern, a set's element,
 * the value of one of two complete rules or function clauses, which a conflict check compares, a
 * call's output argument or the result given to it, which are unified) is
 * an EXACT use, recorded on the rule node where it happens (a function's on the node that calls it),
 * with whether it happens in the node's bodies or in its values (heads, comprehensions in them).
 *
 * A member is class-keyed (classFootprint) when every exact use happens in the VALUES of plain
 * complete rules (no default, no partial set or object rule, no function, nothing below them):
 * its exact readers. An exact reader's bodies see the member only by class, and what they reach is
 * reached by value (rule values, each the same by the same argument); so when no body of an exact
 * reader succeeded in an evaluation (the reader was undefined), none succeeds for any value of the
 * member of the same class, other input equal. The caller keeps a decision under the class key
 * only when every exact reader was undefined in the evaluation that made it (classReaders).
 */
import type { Term } from '../ast/types.js';
import type { RuleNode } from '../compile/tree.js';
import { BigNum, RSet } from '../value/index.js';
import { FootprintWalk, IN_BODY, VAL } from './footprint-walk.js';
import { inputFootprint, walkRules } from './footprint.js';

/** what the class of one member of input.arguments is made of */
export interface MemberClass {
  readonly member: string;
  /** strings: whether it starts with each of these, ends with each, equals each (sorted, no duplicates) */
  readonly prefixes: readonly string[];
  readonly suffixes: readonly string[];
  readonly equals: readonly string[];
  /** numbers are compared with a constant: a number's class is its value (else only its type) */
  readonly numbersByValue: boolean;
}

export interface ClassFootprint {
  /** the class-keyed members, in the order of the footprint's arguments */
  readonly classes: readonly MemberClass[];
  /** their exact readers: all must be undefined in an evaluation for its decision to hold by class */
  readonly readers: readonly RuleNode[];
}

class ClassWalk extends FootprintWalk {
  readonly prefixes = new Set<string>();
  readonly suffixes = new Set<string>();
  readonly equals = new Set<string>();
  numbersByValue = false;

  /** a constant operand compared with the member's value: recorded, or false (then an exact use) */
  private constant(v: unknown): boolean {
    if (v === null || typeof v === 'boolean') return true;
    if (typeof v === 'string') {
      if (!wellFormed(v)) return false;
      this.equals.add(v);
      return true;
    }
    if (typeof v === 'number' || v instanceof BigNum) {
      this.numbersByValue = true;
      return true;
    }
    return false;
  }

  protected override classUse(name: string, args: readonly Term[], tags: readonly number[]): number | undefined {
    if (args.length < 2) return undefined;
    const [a, b] = args as [Term, Term];
    switch (name) {
      case 'equal':
      case 'neq': {
        // one side the member's value, the other a constant scalar
        if (tags[0] === VAL && tags[1] === 0 && b.t === 'const' && this.constant(b.v)) return 0;
        if (tags[1] === VAL && tags[0] === 0 && a.t === 'const' && this.constant(a.v)) return 0;
        return undefined;
      }
      case 'startswith':
      case 'endswith': {
        if (tags[0] !== VAL || tags[1] !== 0 || b.t !== 'const' || typeof b.v !== 'string' || !wellFormed(b.v)) return undefined;
        (name === 'startswith' ? this.prefixes : this.suffixes).add(b.v);
        return 0;
      }
      case 'internal.member_2': {
        if (tags[0] !== VAL || tags[1] !== 0) return undefined;
        const items = constItems(b);
        if (items === null) return undefined;
        for (const x of items) if (!this.constant(x)) return undefined;
        return 0;
      }
      default:
        return undefined;
    }
  }
}

/** the elements of a constant array or set (as a term or a value), or null */
function constItems(t: Term): unknown[] | null {
  if (t.t === 'const') {
    if (Array.isArray(t.v)) return t.v;
    if (t.v instanceof RSet) return [...t.v.values()];
    return null;
  }
  if (t.t === 'array' || t.t === 'set') {
    const out: unknown[] = [];
    for (const x of t.items) {
      if (x.t !== 'const') return null;
      out.push(x.v);
    }
    return out;
  }
  return null;
}

/** no lone surrogate: its UTF-8 bytes are its code points (compared on a call's bytes) */
function wellFormed(s: string): boolean {
  return !/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(s);
}

/** a rule node whose value is its complete rules' value alone, undefined when no body succeeds */
function plainComplete(node: RuleNode): boolean {
  return (
    node.hasRules && !node.isFunc && node.complete.length > 0 && node.sets.length === 0 && node.objects.length === 0 && node.children.size === 0 && node.defaultRule === undefined
  );
}

/**
 * The class-keyed members of these rules of one package (as inputFootprint walks them), each with
 * its class, and their exact readers; null when the footprint is unbounded or no member is.
 */
export function classFootprint(root: RuleNode, packagePath: readonly string[], ruleNames: readonly string[]): ClassFootprint | null {
  const fp = inputFootprint(root, packagePath, ruleNames);
  if (fp === null) return null;
  const classes: MemberClass[] = [];
  const readers = new Set<RuleNode>();
  for (const member of fp.arguments) {
    const walk = new ClassWalk(root, false, member);
    try {
      walkRules(walk, root, packagePath, ruleNames);
    } catch {
      continue; // an exact use outside any rule node, or a shape the walk does not know: exact
    }
    let keyed = true;
    const mine: RuleNode[] = [];
    for (const [node, where] of walk.exactIn) {
      if ((where & IN_BODY) !== 0 || !plainComplete(node)) keyed = false;
      mine.push(node);
    }
    if (!keyed) continue;
    for (const n of mine) readers.add(n);
    const sorted = (s: Set<string>) => [...s].sort();
    classes.push({ member, prefixes: sorted(walk.prefixes), suffixes: sorted(walk.suffixes), equals: sorted(walk.equals), numbersByValue: walk.numbersByValue });
  }
  if (classes.length === 0) return null;
  return { classes, readers: [...readers] };
}
