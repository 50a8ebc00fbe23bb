/**
 * Adapter from the in-process Rego interpreter (rego/) to the decision point's PolicyEngine: all
 * sources compiled once with their data; each phase's decision rules (request: allow and deny,
 * response: deny and redact) are evaluated together in one query, so rules they share run once,
 * with the input document as is (no conversion: JSON objects are Rego values). Results come back
 * as plain JSON (sets as arrays). Builtin errors (strictBuiltinErrors, policy.builtinErrors) throw
 * with their location, as conflicts and other evaluation errors do; without it they follow OPA's
 * default (the expression is undefined). Every query of the policy (both phases, the interpreter,
 * its decision memo and generated code) evaluates with the same strictness.
 */
import { compilePolicy, RegoCompileError, RegoEvalError, RSet, toJSON, fromJS, type Policy, type PreparedRule, type PreparedRules, type Value } from './rego/index.js';
import { PolicyCompileError, PolicyEvalError, type ClassKeys, type CompileOptions, type CompiledPolicy, type DecisionValues, type PolicyEngine, type PolicySource } from './engine.js';

const PHASE_RULES = { request: ['allow', 'deny'], response: ['deny', 'redact'] } as const;

/**
 * Members of the input document that are the same immutable objects request after request (input.ts
 * builds the client, tool and session documents once per object; backend is the proxy's own per
 * session): rule values that read only these are kept while they stay the same objects.
 */
const STABLE_INPUT = ['client', 'tool', 'session', 'backend'] as const;

/**
 * MCP_WARDEN_REGO_CODEGEN=1: decision queries run as JavaScript generated from the rules
 * (rego/codegen/) when they compile (a query that does not compile runs on the interpreter);
 * otherwise the interpreter runs every query (read once, at load). Off by default: measured in the
 * wrap bench it did not lower the kubernetes pack's CPU per call (the interpreter's decision memo
 * answers most calls, and generated code evaluates every query: docs/benchmarks-and-conformance.md).
 */
export const REGO_CODEGEN = process.env.MCP_WARDEN_REGO_CODEGEN === '1';

/**
 * Unless MCP_WARDEN_REGO_CODEGEN=0 (the interpreter alone), the interpreter's decision memo checks a
 * true miss by evaluating the few rules that read what changed (the memo's readers) as generated
 * JavaScript (rego/index.ts memoCodegen): in process about half the cost of the kubernetes pack's
 * true miss went to interpreting them.
 */
export const REGO_MEMO_CODEGEN = process.env.MCP_WARDEN_REGO_CODEGEN !== '0';

/** evaluation errors become PolicyEvalError with their location */
function guardEval<T>(f: () => T): T {
  try {
    return f();
  } catch (err) {
    throw evalError(err);
  }
}

/**
 * what to throw for an error of evaluation: PolicyEvalError with its location for a RegoEvalError.
 * Its message becomes the deny reason the client gets, the audit row and the log line: a builtin's
 * error is named there by its code and builtin (and its message only when that quotes no value
 * it was given: RegoEvalError.shownDetail), never with the input or data it failed on. `policy eval`
 * prints the whole message (the operator's own input, on the operator's terminal).
 */
function evalError(err: unknown): unknown {
  if (err instanceof RegoEvalError) {
    const loc = err.loc ? `${err.loc.file}:${err.loc.line}:${err.loc.col}` : undefined;
    return new PolicyEvalError(`${err.code}: ${err.shownDetail ?? err.detail}`, loc);
  }
  return err;
}

const NO_MEMBERS: readonly unknown[] = Object.freeze([]);

/** toJSON, with one shared array for the commonest value of deny and redact: an empty set */
function valueJSON(v: Value): unknown {
  return v instanceof RSet && v.size === 0 ? NO_MEMBERS : toJSON(v);
}

class RegoPolicy implements CompiledPolicy {
  private readonly prepared = new Map<string, PreparedRule | null>();
  /** each phase's decision rules, evaluated together in one query (rules they share run once) */
  private readonly phases: Record<'request' | 'response', PreparedRules>;

  constructor(
    private readonly policy: Policy,
    private readonly packagePath: string[],
    private readonly strict: boolean,
  ) {
    const refs = (phase: 'request' | 'response') => PHASE_RULES[phase].map((rule) => `data.${packagePath.join('.')}.${rule}`);
    const opts = { strict, stable: STABLE_INPUT, codegen: REGO_CODEGEN, memoCodegen: REGO_MEMO_CODEGEN };
    this.phases = { request: policy.prepareRules(refs('request'), opts), response: policy.prepareRules(refs('response'), opts) };
  }

  /** the request phase's last values (a result the memo keeps, returned again: topdown/memo.ts) and what they gave */
  private lastRequest: readonly (Value | undefined)[] | undefined;
  private lastRequestValues: DecisionValues | undefined;

  evaluatePhase(phase: 'request' | 'response', input: Record<string, unknown>): DecisionValues {
    let values: readonly (Value | undefined)[];
    try {
      values = this.phases[phase].evalShared(input);
    } catch (err) {
      throw evalError(err);
    }
    // one object shape per phase (PHASE_RULES order); an undefined rule is an undefined member
    const first = values[0];
    const second = values[1];
    if (phase === 'request') {
      // the same array again: the same values (evalShared), so the same plain values, never written by callers
      if (values === this.lastRequest) return this.lastRequestValues!;
      const out = { allow: first === undefined ? undefined : toJSON(first), deny: second === undefined ? undefined : valueJSON(second) };
      this.lastRequest = values;
      this.lastRequestValues = out;
      return out;
    }
    return { deny: first === undefined ? undefined : valueJSON(first), redact: second === undefined ? undefined : valueJSON(second) };
  }

  private run(prepared: PreparedRule, input: Record<string, unknown>): unknown {
    const value = guardEval(() => prepared.eval(input));
    return value === undefined ? undefined : toJSON(value);
  }

  private rule(name: string): PreparedRule | null {
    let prepared = this.prepared.get(name);
    if (prepared === undefined) {
      prepared = this.defines(name) ? this.policy.prepareRule(`data.${this.packagePath.join('.')}.${name}`, { strict: this.strict }) : null;
      this.prepared.set(name, prepared);
    }
    return prepared;
  }

  dependsOnInput(rules: readonly string[]): boolean {
    return this.policy.dependsOnInput(this.packagePath, rules);
  }

  isPure(rules: readonly string[]): boolean {
    return this.policy.isPure(this.packagePath, rules);
  }

  inputFootprint(rules: readonly string[]): { arguments: readonly string[]; params: readonly string[] } | null {
    return this.policy.inputFootprint(this.packagePath, rules);
  }

  classKeys(rules: readonly string[]): ClassKeys | null {
    const found = this.policy.classFootprint(this.packagePath, rules);
    if (found === null) return null;
    const refs = found.readers.map((n) => n.path);
    // a reader at a path that a dotted reference cannot name: not checked, so nothing by class
    if (refs.some((path) => path.some((seg) => seg.includes('.') || seg === ''))) return null;
    // the exact readers, evaluated together on the input just decided: all undefined (topdown/class-walk.ts)
    const readers = refs.length === 0 ? null : this.policy.prepareRules(refs.map((path) => `data.${path.join('.')}`), { strict: this.strict, stable: STABLE_INPUT });
    const byClass = (input: Record<string, unknown>): boolean => {
      if (readers === null) return true;
      try {
        for (const v of readers.evalShared(input)) if (v !== undefined) return false;
        return true;
      } catch {
        return false;
      }
    };
    return { classes: found.classes, byClass };
  }

  defines(name: string): boolean {
    return this.policy.compiled.root.find([...this.packagePath, name]) !== undefined;
  }

  evaluate(name: string, input: Record<string, unknown>): unknown {
    const prepared = this.rule(name);
    return prepared === null ? undefined : this.run(prepared, input);
  }
}

export const regoEngine: PolicyEngine = {
  name: 'rego',
  compile(sources: PolicySource[], data: Record<string, unknown>, packageName: string, options: CompileOptions): CompiledPolicy {
    const files = sources.map((s) => ({ file: s.path, source: s.text ?? '' }));
    const packagePath = packageName.split('.');
    const baseData = fromJS(data);
    let policy: Policy;
    try {
      policy = compilePolicy(files, { data: baseData });
    } catch (err) {
      if (err instanceof RegoCompileError) throw new PolicyCompileError(err.message);
      throw err;
    }
    const compiled = new RegoPolicy(policy, packagePath, options.strictBuiltinErrors);
    if (!compiled.defines('allow') && !compiled.defines('deny')) {
      throw new PolicyCompileError(
        `${sources.map((s) => s.path).join(', ')}: no rule data.${packageName}.allow or data.${packageName}.deny: nothing would ever be allowed (is the package name right?)`,
      );
    }
    return compiled;
  },
};
