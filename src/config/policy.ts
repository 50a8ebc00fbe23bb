/** Config section `policy`: which Rego policy decides, with which data, in which mode. */
import { z } from 'zod';

export const policySchema = z
  .object({
    engine: z.enum(['rego', 'wasm']).default('rego'),
    /** Pack names (policies/<name>) or paths to .rego files / directories; for wasm, a bundle.tar.gz or policy.wasm. */
    paths: z.array(z.string()).default(['default']),
    /** Package the decision is read from. */
    package: z.string().default('mcp.authz'),
    /** JSON/YAML files merged into `data`. */
    dataFiles: z.array(z.string()).default([]),
    /** Inline data merged into `data` (after files). */
    data: z.record(z.string(), z.unknown()).default({}),
    mode: z.enum(['enforce', 'shadow']).default('enforce'),
    /** How a denied tools/call answers: a tool result with isError (readable by the model) or a JSON-RPC error. */
    deniedToolCall: z.enum(['result', 'error']).default('result'),
    /** Watch policy and data files and reload on change (SIGHUP always reloads). */
    watch: z.boolean().default(true),
    /**
     * Reuse a pure policy's tools/call decision within a session for a later call equal in what the
     * policy can observe (docs/policy-contract.md, "Decisions reused"); false evaluates every call.
     */
    reuseDecisions: z.boolean().default(true),
    /**
     * What a builtin's error (`startswith(5, "-")`, `count(5)`, `to_number("x")`) does to a decision
     * (docs/policy-contract.md, "Builtin errors"): `strict` (the default with engine rego) ends the
     * evaluation with an error, and the request is denied; `undefined` makes the expression undefined,
     * as OPA does by default, so a `deny` rule whose builtin errors does not deny. Engine wasm has no
     * strict mode (opa-wasm makes such an expression undefined): `undefined` is its only value.
     */
    builtinErrors: z.enum(['strict', 'undefined']).optional(),
  })
  .strict()
  .superRefine((p, ctx) => {
    if (p.engine === 'wasm' && p.builtinErrors === 'strict') {
      ctx.addIssue({
        code: 'custom',
        path: ['builtinErrors'],
        message: 'strict is not available with engine: wasm (opa-wasm makes a builtin error undefined); leave it out or set undefined',
      });
    }
  });

export type PolicyConfig = z.infer<typeof policySchema>;

/** The builtin-error mode in force: as configured, else strict (rego) or undefined (wasm, which has no other). */
export function builtinErrorsOf(config: Pick<PolicyConfig, 'engine' | 'builtinErrors'>): 'strict' | 'undefined' {
  return config.builtinErrors ?? (config.engine === 'wasm' ? 'undefined' : 'strict');
}
