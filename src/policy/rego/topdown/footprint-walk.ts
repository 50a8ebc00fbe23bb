/**
 * The walk behind footprint.ts: FootprintWalk follows, over the compiled rules and everything they
 * reach, which values may be the whole input, input.params or input.arguments (tags on variables,
 * rule values, function parameters and results), records the constant keys looked up in them, and
 * stops (unbounded()) at any other use. footprint.ts says what a footprint means and gives it for
 * a set of rules, a node, a rule, or per member with its readers. With a member (class-walk.ts), it
 * also tracks that member's value (VAL): a use other than a class sink is an exact use, recorded
 * on the rule node where it happens, in its bodies or its values (exactIn).
 */
import type { Expr, Term } from '../ast/types.js';
import type { CallTarget } from '../compile/compiler.js';
import type { CRule, RuleNode } from '../compile/tree.js';
import { SLOT_DATA, SLOT_INPUT } from '../compile/scope.js';
import { mentionsSlot, total } from './footprint-terms.js';

export interface InputFootprint {
  /** top-level members of input.arguments (= input.params.arguments) that can be observed, sorted */
  readonly arguments: readonly string[];
  /** top-level members of input.params other than name and arguments that can be observed, sorted */
  readonly params: readonly string[];
}

/** what a value may be: the whole input, input.params, input.arguments (bits; 0: none of them) */
const INPUT = 1;
const PARAMS = 2;
const ARGS = 4;
/** with a member (ClassWalk, class-walk.ts): the value may be input.arguments[member] itself */
export const VAL = 8;
/** where an exact use of the member happens in the rule node walked now: its bodies, or its values (heads) */
export const IN_BODY = 1;
export const IN_VALUE = 2;

/** builtins that read only the type of an operand */
const TYPE_CHECKS = new Set(['is_string', 'is_number', 'is_boolean', 'is_array', 'is_set', 'is_object', 'is_null', 'type_name']);

/** thrown to stop the walk: the footprint is unbounded */
const UNBOUNDED = { unbounded: true };
const IN_PROGRESS = -1;
/** frames are re-walked until their variables' tags stop growing; beyond this many rounds: unbounded */
const MAX_ROUNDS = 8;

export function unbounded(): never {
  throw UNBOUNDED;
}

type Frame = number[];

export class FootprintWalk {
  readonly args = new Set<string>();
  readonly params = new Set<string>();
  /** value tags of rule nodes (not functions) */
  private readonly nodes = new Map<RuleNode, number>();
  /** result tags of functions, per tags of their arguments */
  private readonly funcs = new Map<RuleNode, Map<string, number>>();
  private changed = false;
  /**
   * With owners (memberReaders): the arguments members each rule node observes itself (its own
   * rules, the functions they call, and through values that may be the arguments object), not
   * through other rule values; `cur` collects the observations of the node or function walked now.
   */
  readonly owned: Map<RuleNode, Set<string>> | null;
  private cur: Set<string> | null = null;
  /** the members a function's walk for one key of argument tags observed (added again on a memo hit) */
  private readonly funcObs = new Map<RuleNode, Map<string, Set<string>>>();

  /**
   * With a member (class-walk.ts): the rule nodes that use its value otherwise than through a class
   * sink (classUse), each with where (IN_BODY | IN_VALUE); a function's exact use is its caller's.
   */
  readonly exactIn = new Map<RuleNode, number>();
  /** the rule node walked now, and whether its bodies or its values (IN_BODY, IN_VALUE) */
  private curNode: RuleNode | null = null;
  private ctx = IN_BODY;
  /** while walking a function: whether it used the member exactly (becomes its caller's exact use) */
  private fnDepth = 0;
  private fnExact = false;
  private readonly funcExact = new Map<RuleNode, Map<string, boolean>>();

  constructor(
    private readonly root: RuleNode,
    owners = false,
    /** the arguments member whose value is tracked (VAL), or null */
    protected readonly member: string | null = null,
  ) {
    this.owned = owners ? new Map() : null;
  }

  /** a value with these tags is observed whole: unbounded for a tracked object, an exact use of the member for VAL */
  protected whole(tags: number): void {
    if ((tags & ~VAL) !== 0) unbounded();
    if (tags !== 0) this.exactUse();
  }

  /** values of two complete rules or clauses, compared by the conflict check: observed whole (for VAL, in the bodies) */
  private compared(tags: number): void {
    const outer = this.ctx;
    this.ctx = IN_BODY;
    this.whole(tags);
    this.ctx = outer;
  }

  /** the member's value is used otherwise than by its class, here */
  protected exactUse(): void {
    if (this.fnDepth > 0) this.fnExact = true;
    else if (this.curNode !== null) this.exactIn.set(this.curNode, (this.exactIn.get(this.curNode) ?? 0) | this.ctx);
    else unbounded();
  }

  /**
   * A builtin call some of whose operands may be the member's value (VAL): the tags of its result
   * when it is a class sink (class-walk.ts), or undefined (then every operand is observed whole).
   */
  protected classUse(_name: string, _args: readonly Term[], _tags: readonly number[]): number | undefined {
    return undefined;
  }

  /** the tags of the value of the rules at node (not below it) */
  node(node: RuleNode): number {
    const known = this.nodes.get(node);
    if (known === IN_PROGRESS) unbounded();
    if (known !== undefined) return known;
    this.nodes.set(node, IN_PROGRESS);
    const outer = this.cur;
    const outerNode = this.curNode;
    const outerDepth = this.fnDepth;
    const outerExact = this.fnExact;
    this.curNode = node;
    this.fnDepth = 0;
    if (this.owned !== null) {
      this.cur = new Set();
      this.owned.set(node, this.cur);
    }
    let tags = 0;
    for (const r of node.complete) tags |= this.rule(r, undefined);
    // two complete rules whose bodies both succeed must give equal values, else a conflict error: compared whole
    if (node.complete.length > 1 && tags !== 0) this.compared(tags);
    for (const list of [node.sets, node.objects]) for (const r of list) this.whole(this.rule(r, undefined));
    if (node.defaultRule !== undefined && node.defaultRule.kind !== 'func') tags |= this.rule(node.defaultRule, undefined);
    // functions defined here too (never called through this node's value): their own observations
    if (node.isFunc) this.call(node, []);
    this.cur = outer;
    this.curNode = outerNode;
    this.fnDepth = outerDepth;
    this.fnExact = outerExact;
    this.nodes.set(node, tags);
    return tags;
  }

  /** the tags of one rule's value (a set rule: 0, or unbounded when its element may be a tracked object) */
  ruleTags(r: CRule): number {
    return this.rule(r, undefined);
  }

  /** every rule at and below node; unbounded when any of their values may be a tracked object (it would be embedded) */
  subtree(node: RuleNode): void {
    if (node.hasRules || node.isFunc) this.whole(this.node(node));
    for (const child of node.children.values()) if (child.subtreeRules) this.subtree(child);
  }

  /** the tags of a function's result for arguments with these tags */
  private call(node: RuleNode, argTags: number[]): number {
    const key = argTags.join(',');
    let memo = this.funcs.get(node);
    if (memo === undefined) this.funcs.set(node, (memo = new Map()));
    const known = memo.get(key);
    if (known === IN_PROGRESS) unbounded();
    if (known !== undefined) {
      // the caller observes what the function's body observed
      if (this.cur !== null) for (const k of this.funcObs.get(node)!.get(key)!) this.cur.add(k);
      if (this.funcExact.get(node)?.get(key) === true) this.exactUse();
      return known;
    }
    memo.set(key, IN_PROGRESS);
    const outer = this.cur;
    const mine = new Set<string>();
    if (outer !== null) this.cur = mine;
    const outerExact = this.fnExact;
    this.fnExact = false;
    this.fnDepth++;
    let tags = 0;
    for (const r of node.funcs) tags |= this.rule(r, argTags);
    // two clauses that both apply must give equal results, else a conflict error: compared whole
    if (node.funcs.length > 1 && tags !== 0) this.compared(tags);
    if (node.defaultRule !== undefined && node.defaultRule.kind === 'func') tags |= this.rule(node.defaultRule, argTags);
    this.fnDepth--;
    const exact = this.fnExact;
    this.fnExact = outerExact;
    let ex = this.funcExact.get(node);
    if (ex === undefined) this.funcExact.set(node, (ex = new Map()));
    ex.set(key, exact);
    // the function's exact use is its caller's, where it calls it
    if (exact) this.exactUse();
    this.cur = outer;
    if (outer !== null) for (const k of mine) outer.add(k);
    let obs = this.funcObs.get(node);
    if (obs === undefined) this.funcObs.set(node, (obs = new Map()));
    obs.set(key, mine);
    memo.set(key, tags);
    return tags;
  }

  /** the tags of a rule's value (complete rules and functions), walking it until its frame is stable */
  private rule(r: CRule, argTags: number[] | undefined): number {
    const frame: Frame = new Array<number>(r.nslots).fill(0);
    if (argTags !== undefined && r.args !== undefined) this.bindParams(r.args, argTags, frame);
    const outer = this.changed; // the rule whose walk reached this one keeps its own flag
    const outerCtx = this.ctx;
    for (let round = 0; round < MAX_ROUNDS; round++) {
      this.changed = false;
      this.ctx = IN_BODY;
      this.body(r.body, frame);
      // an exact use in a value that may be undefined when its body succeeded counts as the body's
      this.ctx = total(r.value) ? IN_VALUE : IN_BODY;
      let tags = this.term(r.value, frame);
      for (const k of r.keyPath) this.whole(this.term(k, frame));
      if (r.setElem !== undefined) this.whole(this.term(r.setElem, frame));
      for (const e of r.elses) {
        this.ctx = IN_BODY;
        this.body(e.body, frame);
        this.ctx = total(e.value) ? IN_VALUE : IN_BODY;
        tags |= this.term(e.value, frame);
      }
      if (!this.changed) {
        this.changed = outer;
        this.ctx = outerCtx;
        return tags;
      }
    }
    return unbounded();
  }

  /** a function's parameters: a tracked argument may only be bound to a plain variable named once */
  private bindParams(params: Term[], argTags: number[], frame: Frame): void {
    for (let i = 0; i < params.length; i++) {
      const p = params[i]!;
      const tags = argTags[i] ?? 0;
      if (tags === 0) continue;
      // matched against a pattern or another parameter: a tracked object unbounded, the member's value used whole
      if (p.t !== 'var' || p.slot < 0 || params.some((q, j) => j !== i && mentionsSlot(q, p.slot))) {
        this.whole(tags);
        continue;
      }
      frame[p.slot] = tags;
    }
  }

  private bind(frame: Frame, slot: number, tags: number): void {
    const now = frame[slot] ?? 0;
    if ((now | tags) !== now) {
      frame[slot] = now | tags;
      this.changed = true;
    }
  }

  body(body: Expr[], frame: Frame): void {
    for (const e of body) this.expr(e, frame);
  }

  private expr(e: Expr, frame: Frame): void {
    if (e.withs.length > 0) unbounded();
    switch (e.kind) {
      case 'term': {
        const t = e.term!;
        // a call with an output argument: its result is unified with that argument, which may be bound
        // already (a variable bound before: then they are compared), so both are observed whole
        if (e.output === true && t.t === 'call') this.whole(this.callTerm(t, t.args.length - 1, frame) | this.term(t.args[t.args.length - 1]!, frame));
        else this.term(t, frame); // tested for being defined and not false: fine for any value
        return;
      }
      case 'assign':
        this.output(e.left!, this.term(e.right!, frame), frame);
        return;
      case 'unify':
        // `=` may compare two values: a tracked value on either side is observed whole
        this.whole(this.term(e.left!, frame) | this.term(e.right!, frame));
        return;
      case 'some':
        return;
      case 'somein':
      case 'every':
        this.whole(this.term(e.domain!, frame)); // iterated
        if (e.key !== undefined) this.whole(this.term(e.key, frame));
        if (e.value !== undefined) this.whole(this.term(e.value, frame));
        if (e.body !== undefined) this.body(e.body, frame);
        return;
    }
  }

  /** a value with these tags goes to a variable (or a pattern: then it must be untracked) */
  private output(target: Term, tags: number, frame: Frame): void {
    if (target.t === 'var' && target.slot >= 0) this.bind(frame, target.slot, tags);
    else this.whole(tags | this.term(target, frame));
  }

  /** the tags of a term's value, recording what it observes */
  term(t: Term, frame: Frame): number {
    switch (t.t) {
      case 'const':
        return 0;
      case 'var':
        if (t.slot >= 0) return frame[t.slot] ?? 0;
        if (t.slot === SLOT_INPUT) return INPUT;
        if (t.slot === SLOT_DATA) {
          this.subtree(this.root);
          return 0;
        }
        return unbounded();
      case 'ref':
        return this.ref(t, frame);
      case 'array':
      case 'set':
        for (const x of t.items) this.whole(this.term(x, frame));
        return 0;
      case 'object':
        for (const x of t.keys) this.whole(this.term(x, frame));
        for (const x of t.values) this.whole(this.term(x, frame));
        return 0;
      case 'call':
        return this.callTerm(t, t.args.length, frame);
      case 'arraycompr':
      case 'setcompr':
        this.body(t.body, frame);
        this.whole(this.term(t.head, frame));
        return 0;
      case 'objectcompr':
        this.body(t.body, frame);
        this.whole(this.term(t.key, frame) | this.term(t.value, frame));
        return 0;
      case 'template':
        for (const p of t.parts) {
          if (typeof p === 'string') continue;
          if (p.withs.length > 0 || p.kind !== 'term') unbounded();
          this.whole(this.term(p.term!, frame)); // written out whole
        }
        return 0;
      default:
        return unbounded();
    }
  }

  /** a call with its first n arguments as operands */
  private callTerm(t: Term & { t: 'call' }, n: number, frame: Frame): number {
    const target = t.target as CallTarget | undefined;
    if (target === undefined) unbounded();
    const tags: number[] = [];
    for (let i = 0; i < n; i++) tags.push(this.term(t.args[i]!, frame));
    if (target.kind === 'func') return this.call(target.node, tags);
    const name = target.def.name;
    if (TYPE_CHECKS.has(name)) return 0;
    if (name === 'object.get' && n === 3) return this.objectGet(tags[0]!, t.args[1]!, tags[1]!) | tags[2]!;
    let any = 0;
    for (const x of tags) any |= x;
    if ((any & VAL) !== 0 && (any & ~VAL) === 0) {
      const out = this.classUse(name, t.args, tags);
      if (out !== undefined) return out;
    }
    for (const x of tags) this.whole(x);
    return 0;
  }

  /** object.get(obj, key, _): a constant key or constant path into a tracked object is observed */
  private objectGet(objTags: number, key: Term, keyTags: number): number {
    this.whole(keyTags);
    if (objTags === 0) return 0;
    // looked into: the member's value observed whole (the result comes of an exact use)
    if ((objTags & ~VAL) === 0) {
      this.whole(objTags);
      return 0;
    }
    if (key.t !== 'const') unbounded();
    const k = key.v;
    if (typeof k === 'string') return this.access(objTags, k);
    if (!Array.isArray(k)) return unbounded();
    let tags = objTags;
    for (const p of k) {
      if (tags === 0) break;
      if (typeof p !== 'string') unbounded();
      tags = this.access(tags, p);
    }
    return tags;
  }

  /** looking up the constant key k in a value with these tags: what it observes, and the tags of the result */
  private access(tags: number, k: string): number {
    let out = 0;
    // looked into: the member's value observed whole
    if ((tags & VAL) !== 0) this.exactUse();
    if ((tags & INPUT) !== 0) {
      if (k === 'arguments') out |= ARGS;
      else if (k === 'params') out |= PARAMS;
    }
    if ((tags & PARAMS) !== 0) {
      if (k === 'arguments') out |= ARGS;
      else if (k !== 'name') this.params.add(k);
    }
    if ((tags & ARGS) !== 0) {
      this.args.add(k);
      if (this.cur !== null) this.cur.add(k);
      if (k === this.member) out |= VAL;
    }
    return out;
  }

  private ref(t: Term & { t: 'ref' }, frame: Frame): number {
    for (const p of t.path) this.whole(this.term(p, frame)); // a tracked value used as a key
    let tags: number;
    let from = 0;
    const h = t.head;
    if (h.t === 'var' && h.slot === SLOT_DATA) {
      const leaf = t.leaf as RuleNode | undefined;
      if (leaf !== undefined && t.leafDepth !== undefined) {
        tags = this.node(leaf);
        from = t.leafDepth;
      } else {
        this.dataRef(t);
        return 0;
      }
    } else tags = this.term(h, frame);
    for (let i = from; i < t.path.length && tags !== 0; i++) {
      const p = t.path[i]!;
      if (p.t !== 'const' || typeof p.v !== 'string') unbounded();
      tags = this.access(tags, p.v);
    }
    return tags;
  }

  /** data.<path> not naming a single rule: every rule it can reach */
  private dataRef(t: Term & { t: 'ref' }): void {
    let node = this.root;
    for (const p of t.path) {
      if (node.hasRules || node.isFunc) break;
      if (p.t !== 'const' || typeof p.v !== 'string') break;
      const child = node.children.get(p.v);
      if (child === undefined) return; // only base documents from here on
      node = child;
    }
    this.subtree(node);
  }
}
