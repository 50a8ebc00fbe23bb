/**
 * OPA conformance harness: loads case files (YAML, with INDEX.tsv tiers) and runs them by the
 * semantics of OPA's exported topdown tests; cli.ts is `npm run conformance:rego`, the vitest
 * ratchet (test/rego-conformance.test.ts) calls runFolder in-process.
 */
export { runFolder, runCase, summarize, NOT_COMPILED, type Report, type CaseResult, type Outcome } from './runner.js';
export { loadCaseFiles, readTiers, type Case, type CaseFile } from './cases.js';
