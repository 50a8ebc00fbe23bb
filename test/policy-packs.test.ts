/**
 * Each shipped pack's own `*_test.rego` unit tests pass on our Rego engine (as `mcp-warden policy
 * test policies/<pack>` runs them), and each pack loads through createPolicyDecider.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { BUILTIN_PACKS_DIR, createPolicyDecider } from '../src/policy/index.js';
import { listItem, toolCall } from './helpers/contexts.js';
import { CLI } from './helpers/proxy.js';
import { runRegoTests } from './helpers/rego-tests.js';

const PACKS = ['allow-all', 'default', 'read-only', 'kubernetes', 'qubinode', 'nomad', 'orchestrator', 'containarium'];

describe('policy packs', () => {
  it('default is the read-only pack: same decisions, same reasons', () => {
    const byDefault = createPolicyDecider({ paths: ['default'], watch: false });
    const readOnly = createPolicyDecider({ paths: ['read-only'], watch: false });
    const tools: Array<[string, Record<string, unknown>]> = [
      ['read_file', { readOnlyHint: true }],
      ['write_file', { readOnlyHint: false, destructiveHint: true }],
      ['get-sum', {}],
      ['toggle-simulated-logging', { readOnlyHint: false }],
      ['frobnicate', {}],
    ];
    for (const [name, annotations] of tools) {
      for (const ctx of [toolCall(name, {}, { annotations }), listItem(name, { annotations })]) {
        const a = byDefault.decide(ctx);
        const b = readOnly.decide(ctx);
        expect([a.allowed, a.reasons]).toEqual([b.allowed, b.reasons]);
      }
    }
    expect(byDefault.decide(toolCall('write_file')).allowed).toBe(false);
  });

  it('ships exactly the documented packs', () => {
    const dirs = readdirSync(BUILTIN_PACKS_DIR, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name);
    expect(dirs.sort()).toEqual([...PACKS].sort());
  });

  // `default` has no Rego of its own (pack.json includes read-only): its rules are tested as read-only's,
  // and the test above shows it decides exactly as read-only does.
  for (const pack of PACKS.filter((p) => p !== 'default')) {
    it(`${pack}: its Rego unit tests pass`, () => {
      const results = runRegoTests(`${BUILTIN_PACKS_DIR}/${pack}`);
      expect(results.length).toBeGreaterThanOrEqual(pack === 'allow-all' ? 1 : 7);
      const failed = results.filter((r) => !r.passed).map((r) => `${r.name}${r.error ? `: ${r.error}` : ''}`);
      expect(failed).toEqual([]);
    });

    it(`${pack}: \`mcp-warden policy test policies/${pack}\` passes (built CLI)`, () => {
      const run = spawnSync(process.execPath, [CLI, 'policy', 'test', `${BUILTIN_PACKS_DIR}/${pack}`], { encoding: 'utf8', timeout: 60_000 });
      expect(run.stdout).toMatch(/PASS: (\d+)\/\1/);
      expect(run.status).toBe(0);
    });
  }

  for (const pack of PACKS) {
    it(`${pack}: loads as a policy (with its example data, when it has some)`, () => {
      const decider = createPolicyDecider({ paths: [pack], watch: false });
      expect(decider.version).toMatch(/^[0-9a-f]{16}$/);
      decider.close();
      const example = `${BUILTIN_PACKS_DIR}/${pack}/example-data.yaml`;
      if (existsSync(example)) {
        const withData = createPolicyDecider({ paths: [pack], dataFiles: [example], watch: false });
        expect(withData.version).not.toBe(decider.version);
        withData.close();
      }
    });
  }
});
