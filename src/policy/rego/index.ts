/**
 * The Rego engine: a Rego v1 parser, compiler and top-down evaluator. Public API:
 *   const policy = compilePolicy([{ file, source }], { data })   // throws RegoCompileError
 *   policy.eval('data.x.allow == true', { input })               // -> result rows
 *   const allow = policy.prepareRule('data.mcp.authz.allow')     // fast path
 *   allow.eval(input)                                             // -> Value | undefined
 *   policy.prepareRules(['data.p.allow', 'data.p.deny']).eval(input) // one query, both values
 *   policy.dependsOnInput(['p'], ['allow', 'deny'])               // static: may input change them?
 *   policy.isPure(['p'], ['allow', 'deny'])                       // static: a function of input and data?
 *   policy.inputFootprint(['p'], ['allow', 'deny'])               // static: which input.arguments members they observe
 * This folder imports nothing from the rest of mcp-warden.
 */
import './builtins/index.js';
import type { Expr, Module } from './ast/types.js';
import { BodyCompiler, compileModules as compileTree, type Compiled, type CompiledQuery, type SourceFile } from './compile/compiler.js';
import type { RuleNode } from './compile/tree.js';
import { Evaluator } from './topdown/eval.js';
import { QueryContext } from './topdown/context.js';
import { carryOver } from './topdown/carry.js';
import { decisionMemo, memoLookup, memoStore, type DecisionMemo, type ReaderCompiler } from './topdown/memo.js';
import { lookup, nodeValue } from './topdown/refs.js';
import { inputFree, nodePure, subtreeFree, subtreePure } from './topdown/dependence.js';
import { inputFootprint, type InputFootprint } from './topdown/footprint.js';
import { classFootprint, type ClassFootprint } from './topdown/class-walk.js';
import { fromJSON, type Value } from './value/index.js';
import { compileBody, compileRules, type Generated, type RulesFunction } from './codegen/index.js';

export { RegoCompileError, type CompileIssue } from './compile/errors.js';
export { RegoEvalError } from './topdown/errors.js';
export type { InputFootprint } from './topdown/footprint.js';
export type { ClassFootprint, MemberClass } from './topdown/class-walk.js';
import { RegoEvalError } from './topdown/errors.js';
export { parseModule, parseQuery, RegoSyntaxError } from './ast/parser.js';
export type { SourceFile } from './compile/compiler.js';
export { evalQuery, type QueryResult, type ExpressionResult } from './query.js';
export { loadPaths, LoadError, type Loaded } from './loader.js';
/** YAML as OPA reads data files and yaml.unmarshal (go-yaml v2 through sigs.k8s.io/yaml) */
export { goYamlUnmarshal } from './builtins/yaml-go.js';
export { runTests, testNames, type TestResult } from './tester.js';
export * from './value/index.js';

export interface EvalOptions {
  input?: Value;
  /** base documents; overrides the policy's data for this evaluation */
  data?: Value;
  /** builtin errors abort the query (default false, as OPA) */
  strict?: boolean;
  print?: (msg: string) => void;
  /** fixed time.now_ns for the query */
  nowNs?: bigint;
}

export type ResultRow = Record<string, Value>;

export interface PolicyOptions {
  data?: Value;
}

export class Policy {
  private readonly bodies: BodyCompiler;
  private readonly queries = new Map<string, CompiledQuery>();
  data: Value;
  constructor(
    readonly compiled: Compiled,
    data: Value = {},
  ) {
    this.bodies = new BodyCompiler(compiled.root);
    this.data = data;
  }

  get modules(): Module[] {
    return this.compiled.modules;
  }

  /** compiles (and caches) a query */
  prepare(query: string): CompiledQuery {
    let q = this.queries.get(query);
    if (!q) {
      q = this.bodies.compileQuery(query);
      if (this.queries.size > 1000) this.queries.clear();
      this.queries.set(query, q);
    }
    return q;
  }

  /** evaluates a query; returns one row of variable bindings per solution (empty: undefined) */
  eval(query: string, opts: EvalOptions = {}): ResultRow[] {
    return this.run(this.prepare(query), opts, false);
  }

  /** evaluates parsed query expressions; withHidden also returns $-named variables */
  evalBody(body: Expr[], opts: EvalOptions = {}, withHidden = false): ResultRow[] {
    return this.run(this.bodies.compileQuery(body), opts, withHidden);
  }

  /**
   * a query compiled to JavaScript (codegen/): run(input, data) gives the rows eval gives, or the
   * reason the query is not compiled (then eval, the interpreter, is the way to run it)
   */
  compileJS(query: string, opts: Omit<EvalOptions, 'input' | 'data'> = {}): CompiledJS | { reason: string } {
    const ctx = new QueryContext(opts.strict ?? false, opts.print, opts.nowNs);
    const ev = new Evaluator(this.compiled.root, { strict: opts.strict ?? false, ctx }, undefined, this.data);
    const g = compileBody(this.compiled.root, this.prepare(query), false, ev);
    if ('reason' in g) return g;
    return {
      source: g.source,
      run: (input, data) => {
        if (opts.nowNs === undefined) ctx.reset();
        return guard(() => g.run(input, data ?? this.data));
      },
    };
  }

  private run(q: CompiledQuery, opts: EvalOptions, withHidden: boolean): ResultRow[] {
    const vars = withHidden ? q.allVars : q.vars;
    const ctx = new QueryContext(opts.strict ?? false, opts.print, opts.nowNs);
    const ev = new Evaluator(this.compiled.root, { strict: opts.strict ?? false, ctx }, opts.input, opts.data ?? this.data);
    const rows: ResultRow[] = [];
    const f = new Array<Value | undefined>(q.nslots);
    guard(() =>
      ev.evalBody(q.body, 0, f, () => {
        const row: ResultRow = {};
        for (const v of vars) if (f[v.slot] !== undefined) row[v.name] = f[v.slot]!;
        rows.push(row);
        return false;
      }),
    );
    return rows;
  }

  /**
   * several rules (e.g. allow and deny of one package) evaluated together, in one query per input.
   * stable: top-level input members the caller passes as the same immutable objects query after
   * query (rule values that read only those are kept while they are the same objects)
   */
  prepareRules(refs: string[], opts: PrepareRulesOptions = {}): PreparedRules {
    return new PreparedRules(this, refs, opts.strict ?? false, opts.print, opts.stable, opts.codegen ?? false, opts.memoCodegen ?? false);
  }

  /**
   * Whether the values of these rules of one package (and of every rule, function and data path
   * they reach) may differ between evaluations over the same data: true when any of them reads
   * `input`, uses `with`, or calls a builtin whose result can change between calls (time, random,
   * uuid, http.send, print, ...). Static and conservative: what the analysis cannot follow counts
   * as dependent. A rule that is not defined depends on nothing.
   */
  dependsOnInput(packagePath: readonly string[], ruleNames: readonly string[]): boolean {
    const root = this.compiled.root;
    for (const name of ruleNames) {
      // rules at an ancestor (package a; b := {...} for data.a.b.allow) give the value too
      let node: RuleNode | undefined = root;
      for (const seg of [...packagePath, name]) {
        if ((node.hasRules || node.isFunc) && !inputFree(node, root)) return true;
        node = node.children.get(seg);
        if (node === undefined) break;
      }
      if (node !== undefined && !subtreeFree(node, root)) return true;
    }
    return false;
  }

  /**
   * Whether the values of these rules of one package (and of every rule, function and data path
   * they reach) are a function of input and data alone: no builtin whose result can change between
   * calls with equal operands or that has effects (time, random, uuid, http.send, net lookups,
   * print, opa.runtime...), directly or through `with`. Static and conservative: what the analysis
   * cannot follow counts as impure. A rule that is not defined is pure.
   */
  isPure(packagePath: readonly string[], ruleNames: readonly string[]): boolean {
    const root = this.compiled.root;
    for (const name of ruleNames) {
      let node: RuleNode | undefined = root;
      for (const seg of [...packagePath, name]) {
        if ((node.hasRules || node.isFunc) && !nodePure(node, root)) return false;
        node = node.children.get(seg);
        if (node === undefined) break;
      }
      if (node !== undefined && !subtreePure(node, root)) return false;
    }
    return true;
  }

  /**
   * Which top-level members of input.arguments (and of input.params, other than name and arguments)
   * the values of these rules of one package (and everything they reach) can observe; null when the
   * analysis cannot bound it (iteration over the arguments, a variable key, a builtin given the whole
   * object, a comparison, `with`...). Inputs equal in those members, in whether input.arguments is an
   * object, and in every other root get equal values (purity aside: see isPure). topdown/footprint.ts.
   */
  inputFootprint(packagePath: readonly string[], ruleNames: readonly string[]): InputFootprint | null {
    return inputFootprint(this.compiled.root, packagePath, ruleNames);
  }

  /**
   * The members of input.arguments the values of these rules depend on only by class (a JSON type,
   * and for strings which of some constant prefixes, suffixes and values they have), with the rules
   * that read them otherwise (all undefined: the values hold for the whole class); null when none.
   * topdown/class-walk.ts.
   */
  classFootprint(packagePath: readonly string[], ruleNames: readonly string[]): ClassFootprint | null {
    return classFootprint(this.compiled.root, packagePath, ruleNames);
  }

  /** fast path for evaluating one rule (e.g. data.mcp.authz.allow) repeatedly with different inputs */
  prepareRule(ref: string, opts: { strict?: boolean; print?: (msg: string) => void } = {}): PreparedRule {
    const segs = ref.split('.');
    if (segs[0] !== 'data') throw new Error(`rule reference must start with data: ${ref}`);
    const node = this.compiled.root.find(segs.slice(1));
    return new PreparedRule(this, node, segs.slice(1), opts.strict ?? false, opts.print);
  }
}

export class PreparedRule {
  private readonly ctx: QueryContext;
  private readonly ev: Evaluator;
  constructor(
    private readonly policy: Policy,
    private readonly node: RuleNode | undefined,
    private readonly path: string[],
    strict: boolean,
    print?: (msg: string) => void,
  ) {
    this.ctx = new QueryContext(strict, print);
    this.ev = new Evaluator(policy.compiled.root, { strict, ctx: this.ctx }, undefined, policy.data);
  }

  /** value of the rule for this input (undefined when the rule is undefined) */
  eval(input: unknown): Value | undefined {
    const ev = this.ev;
    ev.st.input = input === undefined ? undefined : fromJSON(input);
    ev.st.data = this.policy.data;
    ev.fresh();
    this.ctx.reset();
    const node = this.node;
    if (node !== undefined) return guard(() => nodeValue(ev, node, baseAt(this.policy.data, this.path)));
    return baseAt(this.policy.data, this.path);
  }
}

export interface CompiledJS {
  run(input: Value | undefined, data?: Value): ResultRow[];
  source: string;
}

export interface PrepareRulesOptions {
  strict?: boolean;
  print?: (msg: string) => void;
  stable?: readonly string[];
  /** evaluate through JavaScript generated from the rules (codegen/) when the query compiles */
  codegen?: boolean;
  /**
   * the decision memo (topdown/memo.ts) evaluates its readers for the check through JavaScript
   * generated from their rules (codegen/), each that compiles; the interpreter evaluates the rest and
   * every query the memo does not answer. Not with a print sink (a reader printing would print twice
   * when the check misses)
   */
  memoCodegen?: boolean;
}

/** several rules evaluated in one query with the same input (rules they share run once) */
export class PreparedRules {
  /** the query compiled to JavaScript (codegen/), or null: the interpreter evaluates it */
  readonly generated: Generated<RulesFunction> | null = null;
  /** why the query is not compiled to JavaScript (codegen off, or a construct it does not compile) */
  readonly interpreted: string | null = null;
  private readonly ctx: QueryContext;
  private readonly ev: Evaluator;
  private readonly nodes: (RuleNode | undefined)[];
  private readonly paths: string[][];
  constructor(
    private readonly policy: Policy,
    refs: string[],
    strict: boolean,
    private readonly print?: (msg: string) => void,
    private readonly stable?: readonly string[],
    codegen = false,
    private readonly memoCodegen = false,
  ) {
    this.paths = refs.map((ref) => {
      const segs = ref.split('.');
      if (segs[0] !== 'data') throw new Error(`rule reference must start with data: ${ref}`);
      return segs.slice(1);
    });
    this.nodes = this.paths.map((path) => policy.compiled.root.find(path));
    this.ctx = new QueryContext(strict, print);
    this.ev = new Evaluator(policy.compiled.root, { strict, ctx: this.ctx, stable }, undefined, policy.data);
    if (!codegen) this.interpreted = 'codegen off';
    else {
      const g = compileRules(policy.compiled.root, this.nodes, this.paths, this.ev, stable !== undefined && stable.length > 0 ? stable : null);
      if ('reason' in g) this.interpreted = g.reason;
      else this.generated = g;
    }
  }

  /** whole results kept within a carry epoch (topdown/memo.ts); null: none applies, undefined: not made yet */
  private memo: DecisionMemo | null | undefined = undefined;

  /** the memo's reader compiler (memoCodegen), or null: readers interpreted */
  private readerCompiler(): ReaderCompiler | null {
    if (!this.memoCodegen || this.print !== undefined) return null;
    const root = this.policy.compiled.root;
    const ev = this.ev;
    const stable = this.stable !== undefined && this.stable.length > 0 ? this.stable : null;
    return (reader) => {
      const g = compileRules(root, [reader], [reader.path], ev, stable);
      if ('reason' in g) return null;
      const run = g.run;
      return (input, data) => run(input, data)[0];
    };
  }

  /** the base documents at the refs' paths, for the data document basesOf (looked up once per data) */
  private bases: (Value | undefined)[] = [];
  private basesOf: Value | undefined = undefined;

  /** the value of each rule for this input, in the order of the refs (undefined: undefined) */
  eval(input: unknown): (Value | undefined)[] {
    return this.evalShared(input).slice();
  }

  /**
   * eval without a copy: the array may be a result the memo keeps (topdown/memo.ts), returned again
   * (the same array, the same values) whenever its result is taken. The caller only reads it; an
   * array returned twice holds the same values both times.
   */
  evalShared(input: unknown): readonly (Value | undefined)[] {
    const generated = this.generated;
    if (generated !== null) {
      this.ctx.reset();
      try {
        return generated.run(input === undefined ? undefined : fromJSON(input), this.policy.data);
      } catch (e) {
        throw stackOverflow(e);
      }
    }
    const ev = this.ev;
    const data = this.policy.data;
    ev.st.input = input === undefined ? undefined : fromJSON(input);
    ev.st.data = data;
    ev.fresh();
    this.ctx.reset();
    carryOver(ev);
    if (this.basesOf !== data) {
      this.bases = this.paths.map((path) => baseAt(data, path));
      this.basesOf = data;
    }
    const nodes = this.nodes;
    const bases = this.bases;
    let memo = this.memo;
    if (memo === undefined) memo = this.memo = decisionMemo(ev, nodes, this.readerCompiler());
    if (memo !== null) {
      const kept = memoLookup(ev, memo);
      if (kept !== null) return kept;
    }
    const out = new Array<Value | undefined>(nodes.length);
    try {
      for (let i = 0; i < out.length; i++) {
        const node = nodes[i];
        out[i] = node === undefined ? bases[i] : nodeValue(ev, node, bases[i]);
      }
    } catch (e) {
      throw stackOverflow(e);
    }
    if (memo !== null) memoStore(ev, memo, out);
    return out;
  }
}

/** a JS stack overflow (absurdly deep input or recursion) becomes an evaluation error */
function guard<T>(f: () => T): T {
  try {
    return f();
  } catch (e) {
    throw stackOverflow(e);
  }
}

/** what to throw for an error caught in evaluation: a JS stack overflow becomes an evaluation error */
function stackOverflow(e: unknown): unknown {
  if (e instanceof RangeError && /call stack/i.test(e.message)) return new RegoEvalError('eval_internal_error', 'evaluation too deep (stack overflow)');
  return e;
}

function baseAt(data: Value, path: string[]): Value | undefined {
  let v: Value | undefined = data;
  for (const p of path) {
    v = lookup(v, p);
    if (v === undefined) return undefined;
  }
  return v;
}

/** alias of compilePolicy */
export function compileModules(files: (SourceFile | Module)[], opts: PolicyOptions = {}): Policy {
  return compilePolicy(files, opts);
}

/** parses and compiles modules into a Policy; throws RegoCompileError listing file:line:col: message */
export function compilePolicy(files: (SourceFile | Module)[], opts: PolicyOptions = {}): Policy {
  return new Policy(compileTree(files), opts.data ?? {});
}
