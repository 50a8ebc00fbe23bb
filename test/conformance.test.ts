/**
 * Runs `scripts/conformance.mjs` (the MCP conformance suite's server scenarios, direct and through
 * `mcp-warden serve` to an HTTP and to a stdio backend) and asserts that every scenario passing
 * direct passes through. Needs dist/ (npm test builds first) and Node 22 from npm: if that binary
 * cannot be fetched the script exits 2 and this test fails; it never skips.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
type Status = 'PASS' | 'WARN' | 'FAIL' | 'MISSING';
interface Report {
  scenarios: string[];
  targets: string[];
  results: Record<string, Record<string, { status: Status; problems: string[] }> & { __error?: string }>;
  regressions: { target: string; scenario: string; direct: Status; through: Status; problems: string[] }[];
}

describe('MCP conformance suite through mcp-warden serve', () => {
  let dir: string | undefined;
  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('every scenario that passes direct passes through serve (HTTP and stdio backends)', async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'conformance-test-'));
    const jsonFile = path.join(dir, 'results.json');
    const run = await new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
      execFile(
        process.execPath,
        [path.join(ROOT, 'scripts', 'conformance.mjs'), '--json', jsonFile],
        { cwd: ROOT, timeout: 600_000, maxBuffer: 16 * 1024 * 1024 },
        (err, stdout, stderr) => resolve({ code: err ? Number(err.code ?? 1) : 0, stdout, stderr }),
      );
    });
    // Exit 2 = the harness could not run (e.g. Node 22 not fetchable): fail loudly with its reason.
    expect(run.code, `conformance harness failed to run:\n${run.stderr}`).not.toBe(2);
    const report = JSON.parse(await readFile(jsonFile, 'utf8')) as Report;

    // The suite really ran: it has scenarios and our own server passes the core ones direct.
    expect(report.scenarios.length).toBeGreaterThan(20);
    for (const core of ['server-initialize', 'tools-call-simple-text', 'resources-read-text', 'prompts-get-simple', 'dns-rebinding-protection']) {
      expect(report.results.direct[core]?.status, `direct ${core}`).toBe('PASS');
    }
    for (const target of ['serve-http', 'serve-stdio']) {
      expect(report.results[target].__error, `${target} did not start`).toBeUndefined();
    }
    const described = report.regressions.map((r) => `${r.scenario} via ${r.target}: direct ${r.direct}, through ${r.through} ${r.problems.join('; ')}`);
    expect(described, run.stdout).toEqual([]);
    expect(run.code).toBe(0);
  }, 900_000);
});
