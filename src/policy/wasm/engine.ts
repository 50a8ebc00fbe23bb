/**
 * The opa-wasm engine (`engine: wasm`): evaluates a policy compiled elsewhere by `opa build -t
 * wasm` through @open-policy-agent/opa-wasm, under the same contract as the Rego engine. Each rule
 * of the decision package is one entrypoint of the bundle ("mcp/authz/allow", "mcp/authz/deny",
 * "mcp/authz/redact"); a rule the bundle has no entrypoint for is undefined. Data: the bundle's
 * data.json files, then the configured data files and inline data on top.
 * Builtin errors: opa-wasm has no strict mode (the SDK's evaluate takes no such option); the
 * builtins compiled into the bundle return undefined on operands of the wrong type, so the
 * expression is undefined (policy.builtinErrors is `undefined` here, strict is refused by the
 * config). An exception out of evaluate (opa_abort, or a builtin the SDK implements in JavaScript
 * throwing) is an evaluation error: the request is denied.
 */
import { createRequire } from 'node:module';
import { mergeData } from '../sources.js';
import { PolicyCompileError, PolicyEvalError, type CompiledPolicy, type PolicyEngine, type PolicySource } from '../engine.js';
import { readBundle } from './bundle.js';

// The package's ESM entry exports only the async loadPolicy; its CommonJS entry has loadPolicySync.
const { loadPolicySync } = createRequire(import.meta.url)('@open-policy-agent/opa-wasm') as typeof import('@open-policy-agent/opa-wasm');
type LoadedPolicy = ReturnType<typeof loadPolicySync>;

class WasmPolicy implements CompiledPolicy {
  private readonly entrypoints: Map<string, number>;

  constructor(
    private readonly policy: LoadedPolicy,
    private readonly prefix: string,
  ) {
    this.entrypoints = new Map(Object.entries(policy.entrypoints as Record<string, number>));
  }

  defines(rule: string): boolean {
    return this.entrypoints.has(this.prefix + rule);
  }

  evaluate(rule: string, input: Record<string, unknown>): unknown {
    const entrypoint = this.entrypoints.get(this.prefix + rule);
    if (entrypoint === undefined) return undefined;
    let resultSet: unknown;
    try {
      resultSet = this.policy.evaluate(input, entrypoint);
    } catch (err) {
      // opa-wasm throws strings (opa_abort) as well as Errors.
      throw new PolicyEvalError(`wasm evaluation of ${this.prefix}${rule} failed: ${err instanceof Error ? err.message : String(err)}`);
    }
    if (!Array.isArray(resultSet) || resultSet.length === 0) return undefined;
    return (resultSet[0] as { result?: unknown }).result;
  }
}

export const wasmEngine: PolicyEngine = {
  name: 'wasm',
  compile(sources: PolicySource[], data: Record<string, unknown>, packageName: string): CompiledPolicy {
    if (sources.length !== 1 || !sources[0]!.bytes) {
      throw new PolicyCompileError(
        `engine wasm loads exactly one bundle.tar.gz or policy.wasm (got ${sources.map((s) => s.path).join(', ') || 'nothing'})`,
      );
    }
    const source = sources[0]!;
    let policy: LoadedPolicy;
    let bundleData: Record<string, unknown>;
    try {
      const bundle = readBundle(source.bytes!, source.path);
      bundleData = bundle.data;
      policy = loadPolicySync(bundle.wasm);
      policy.setData(mergeData(bundleData, data));
    } catch (err) {
      throw new PolicyCompileError(`${source.path}: cannot load wasm policy: ${err instanceof Error ? err.message : String(err)}`);
    }
    const prefix = `${packageName.replace(/\./g, '/')}/`;
    const compiled = new WasmPolicy(policy, prefix);
    if (!compiled.defines('allow') && !compiled.defines('deny')) {
      const names = Object.keys(policy.entrypoints as object).join(', ') || '(none)';
      throw new PolicyCompileError(
        `${source.path}: bundle has no entrypoint ${prefix}allow or ${prefix}deny (entrypoints: ${names}); build with -e ${prefix}allow -e ${prefix}deny`,
      );
    }
    return compiled;
  },
};
