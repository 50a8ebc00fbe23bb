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
  })
  .strict();

export type PolicyConfig = z.infer<typeof policySchema>;
