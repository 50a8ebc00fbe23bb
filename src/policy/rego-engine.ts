/**
 * Adapter from the in-process Rego interpreter (rego/) to the decision point's PolicyEngine: all
 * sources compiled once with their data, then one prepared rule per decision rule (allow, deny,
 * redact), each evaluated with the input document as is (no conversion: JSON objects are Rego
 * values). Results come back as plain JSON (sets as arrays). Builtin errors follow OPA (the
 * expression is undefined); conflicts and other evaluation errors throw with their location.
 */
import { compilePolicy, RegoCompileError, RegoEvalError, toJSON, fromJS, type Policy, type PreparedRule } from './rego/index.js';
import { PolicyCompileError, PolicyEvalError, type CompiledPolicy, type PolicyEngine, type PolicySource } from './engine.js';

class RegoPolicy implements CompiledPolicy {
  private readonly prepared = new Map<string, PreparedRule | null>();

  constructor(
    private readonly policy: Policy,
    private readonly packagePath: string[],
  ) {}

  private rule(name: string): PreparedRule | null {
    let prepared = this.prepared.get(name);
    if (prepared === undefined) {
      prepared = this.defines(name) ? this.policy.prepareRule(`data.${this.packagePath.join('.')}.${name}`) : null;
      this.prepared.set(name, prepared);
    }
    return prepared;
  }

  defines(name: string): boolean {
    return this.policy.compiled.root.find([...this.packagePath, name]) !== undefined;
  }

  evaluate(name: string, input: Record<string, unknown>): unknown {
    const prepared = this.rule(name);
    if (prepared === null) return undefined;
    let value;
    try {
      value = prepared.eval(input);
    } catch (err) {
      if (err instanceof RegoEvalError) {
        const loc = err.loc ? `${err.loc.file}:${err.loc.line}:${err.loc.col}` : undefined;
        throw new PolicyEvalError(`${err.code}: ${err.detail}`, loc);
      }
      throw err;
    }
    return value === undefined ? undefined : toJSON(value);
  }
}

export const regoEngine: PolicyEngine = {
  name: 'rego',
  compile(sources: PolicySource[], data: Record<string, unknown>, packageName: string): CompiledPolicy {
    let policy: Policy;
    try {
      policy = compilePolicy(
        sources.map((s) => ({ file: s.path, source: s.text ?? '' })),
        { data: fromJS(data) },
      );
    } catch (err) {
      if (err instanceof RegoCompileError) throw new PolicyCompileError(err.message);
      throw err;
    }
    const compiled = new RegoPolicy(policy, packageName.split('.'));
    if (!compiled.defines('allow') && !compiled.defines('deny')) {
      throw new PolicyCompileError(
        `${sources.map((s) => s.path).join(', ')}: no rule data.${packageName}.allow or data.${packageName}.deny: nothing would ever be allowed (is the package name right?)`,
      );
    }
    return compiled;
  },
};
