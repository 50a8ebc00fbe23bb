/**
 * Adapter from the in-process Rego interpreter (rego/) to the decision point's PolicyEngine: all
 * sources compiled once with their data, then one prepared rule per decision rule (allow, deny,
 * redact), each evaluated with the input document as is (no conversion: JSON objects are Rego
 * values). Results come back as plain JSON (sets as arrays). Builtin errors follow OPA (the
 * expression is undefined); conflicts and other evaluation errors throw with their location.
 */
import { compilePolicy, RegoCompileError, RegoEvalError, toJSON, fromJS, type Policy, type PreparedRule } from './rego/index.js';
import { PolicyCompileError, PolicyEvalError, type CompiledPolicy, type DecisionValues, type PolicyEngine, type PolicySource } from './engine.js';

/** Packages of the generated module that gathers each phase's decision rules in one object. */
const PHASE_PACKAGE = { request: 'mcp_warden_internal.request', response: 'mcp_warden_internal.response' } as const;
const PHASE_RULES = { request: ['allow', 'deny'], response: ['deny', 'redact'] } as const;

/** `package mcp_warden_internal.request  allow := data.mcp.authz.allow ...` for the rules that exist. */
function phaseModules(packageName: string, defined: (rule: string) => boolean): Array<{ file: string; source: string }> {
  return (['request', 'response'] as const).map((phase) => ({
    file: `(mcp-warden ${phase} decision)`,
    source: [
      `package ${PHASE_PACKAGE[phase]}`,
      'import rego.v1',
      ...PHASE_RULES[phase].filter(defined).map((rule) => `${rule} := data.${packageName}.${rule}`),
    ].join('\n'),
  }));
}

class RegoPolicy implements CompiledPolicy {
  private readonly prepared = new Map<string, PreparedRule | null>();
  private readonly phases: Record<'request' | 'response', PreparedRule>;

  constructor(
    private readonly policy: Policy,
    private readonly packagePath: string[],
  ) {
    this.phases = {
      request: policy.prepareRule(`data.${PHASE_PACKAGE.request}`),
      response: policy.prepareRule(`data.${PHASE_PACKAGE.response}`),
    };
  }

  evaluatePhase(phase: 'request' | 'response', input: Record<string, unknown>): DecisionValues {
    const value = this.run(this.phases[phase], input);
    return value !== null && typeof value === 'object' ? (value as DecisionValues) : {};
  }

  private run(prepared: PreparedRule, input: Record<string, unknown>): unknown {
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
    return prepared === null ? undefined : this.run(prepared, input);
  }
}

export const regoEngine: PolicyEngine = {
  name: 'rego',
  compile(sources: PolicySource[], data: Record<string, unknown>, packageName: string): CompiledPolicy {
    const files = sources.map((s) => ({ file: s.path, source: s.text ?? '' }));
    const packagePath = packageName.split('.');
    const baseData = fromJS(data);
    let policy: Policy;
    try {
      // Compiled once to learn which decision rules exist, then with the phase modules that gather them.
      const plain = compilePolicy(files, { data: baseData });
      const defined = (rule: string): boolean => plain.compiled.root.find([...packagePath, rule]) !== undefined;
      policy = compilePolicy([...files, ...phaseModules(packageName, defined)], { data: baseData });
    } catch (err) {
      if (err instanceof RegoCompileError) throw new PolicyCompileError(err.message);
      throw err;
    }
    const compiled = new RegoPolicy(policy, packagePath);
    if (!compiled.defines('allow') && !compiled.defines('deny')) {
      throw new PolicyCompileError(
        `${sources.map((s) => s.path).join(', ')}: no rule data.${packageName}.allow or data.${packageName}.deny: nothing would ever be allowed (is the package name right?)`,
      );
    }
    return compiled;
  },
};
