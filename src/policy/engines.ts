/** Picks the engine named by `policy.engine`: the in-process Rego interpreter or opa-wasm. */
import { PolicyCompileError, type PolicyEngine } from './engine.js';
import { regoEngine } from './rego-engine.js';
import { wasmEngine } from './wasm/engine.js';

const engines: Partial<Record<'rego' | 'wasm', PolicyEngine>> = { rego: regoEngine, wasm: wasmEngine };

export function engineFor(name: 'rego' | 'wasm'): PolicyEngine {
  const engine = engines[name];
  if (!engine) throw new PolicyCompileError(`policy engine '${name}' is not available in this build`);
  return engine;
}
