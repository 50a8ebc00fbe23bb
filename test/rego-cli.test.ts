/**
 * `mcp-warden policy check|eval|test` through the built CLI (node dist/cli/main.js; npm test builds
 * first): exit codes, the file:line:col errors printed for a syntax error, an unsafe variable and a
 * conflict, opa-eval-style JSON results and opa-test-style reports.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile, mkdir } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI } from './helpers/proxy.js';

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function run(args: string[], stdin?: string): Promise<Run> {
  return new Promise((resolve) => {
    const child = execFile(process.execPath, [CLI, ...args], { timeout: 60_000 }, (err, stdout, stderr) => {
      const code = err ? ((err as NodeJS.ErrnoException & { code?: number }).code as unknown as number) ?? 1 : 0;
      resolve({ code: typeof code === 'number' ? code : 1, stdout, stderr });
    });
    if (stdin !== undefined) child.stdin!.end(stdin);
  });
}

let dir: string;
const file = (name: string) => path.join(dir, name);

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'rego-cli-'));
  await mkdir(file('good'));
  await writeFile(
    file('good/authz.rego'),
    `package mcp.authz

default allow := false

allow if input.tool.name in data.tools.allowed

allow if "admin" in input.client.roles
`,
  );
  await writeFile(file('good/data.json'), JSON.stringify({ tools: { allowed: ['read_file'] } }));
  await writeFile(
    file('good/authz_test.rego'),
    `package mcp.authz_test

import data.mcp.authz

test_read_allowed if authz.allow with input as {"tool": {"name": "read_file"}, "client": {"roles": []}}

test_admin if authz.allow with input as {"tool": {"name": "rm"}, "client": {"roles": ["admin"]}}

test_write_denied if not authz.allow with input as {"tool": {"name": "write_file"}, "client": {"roles": []}}
`,
  );
  await writeFile(file('syntax.rego'), 'package x\n\nallow if {\n  input.a ==\n}\n');
  await writeFile(file('unsafe.rego'), 'package x\n\nallow if {\n  y := input.a\n  z > y\n}\n');
  await writeFile(file('conflict.rego'), 'package x\n\nq contains 1\n\nq := 3\n');
  await writeFile(file('evalconflict.rego'), 'package x\n\np := 1\n\np := 2 if input.a\n');
  await writeFile(file('failing_test.rego'), 'package t\n\ntest_ok if true\n\ntest_bad if {\n  print("checking", 1)\n  1 == 2\n}\n\ntest_err if 1 / 0\n');
  await writeFile(file('input.json'), JSON.stringify({ tool: { name: 'read_file' }, client: { roles: [] }, a: true }));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('mcp-warden policy check', () => {
  it('accepts a valid policy directory (exit 0, nothing on stderr)', async () => {
    const r = await run(['policy', 'check', file('good')]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
  });

  it('reports a syntax error as file:line:col and exits 1', async () => {
    const r = await run(['policy', 'check', file('syntax.rego')]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`${file('syntax.rego')}:5:1: rego_parse_error: unexpected } token`);
  });

  it('reports an unsafe variable with its location', async () => {
    const r = await run(['policy', 'check', file('unsafe.rego')]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`${file('unsafe.rego')}:5:3: rego_unsafe_var_error: var z is unsafe`);
  });

  it('reports conflicting rule kinds', async () => {
    const r = await run(['policy', 'check', file('conflict.rego')]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/conflict\.rego:\d+:1: rego_type_error: conflicting rules data\.x\.q found/);
  });

  it('says which path does not exist', async () => {
    const r = await run(['policy', 'check', file('nope.rego')]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('nope.rego: no such file or directory');
  });
});

describe('mcp-warden policy eval', () => {
  it('prints opa-eval-style JSON with expression values and bindings', async () => {
    const r = await run(['policy', 'eval', '-d', file('good'), '-i', file('input.json'), 'data.mcp.authz.allow; x := count(data.tools.allowed)']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.result).toHaveLength(1);
    expect(out.result[0].expressions.map((e: { value: unknown; text: string }) => [e.value, e.text])).toEqual([
      [true, 'data.mcp.authz.allow'],
      [true, 'x := count(data.tools.allowed)'],
    ]);
    expect(out.result[0].bindings).toEqual({ x: 1 });
  });

  it('prints {} for an undefined query', async () => {
    const r = await run(['policy', 'eval', '-d', file('good'), 'data.mcp.authz.nothing']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({});
  });

  it('reads input from stdin with -i -', async () => {
    const r = await run(['policy', 'eval', '-d', file('good'), '-i', '-', 'data.mcp.authz.allow'], '{"tool":{"name":"rm"},"client":{"roles":[]}}');
    expect(JSON.parse(r.stdout).result[0].expressions[0].value).toBe(false);
  });

  it('reports a conflict at evaluation with its location and code', async () => {
    const r = await run(['policy', 'eval', '-d', file('evalconflict.rego'), '-i', file('input.json'), 'data.x.p']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`${file('evalconflict.rego')}:5: eval_conflict_error: rule data.x.p produced conflicting values`);
  });

  it('reports an unsafe variable in the query', async () => {
    const r = await run(['policy', 'eval', '-d', file('good'), 'y > 1']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('query:1:1: rego_unsafe_var_error: var y is unsafe');
  });

  it('reports invalid input JSON clearly', async () => {
    await writeFile(file('bad.json'), '{nope');
    const r = await run(['policy', 'eval', '-d', file('good'), '-i', file('bad.json'), 'input']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('bad.json: invalid JSON');
  });
});

describe('mcp-warden policy test', () => {
  it('passes the tests of a pack (exit 0) and lists them with -v', async () => {
    const r = await run(['policy', 'test', file('good'), '-v']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/data\.mcp\.authz_test\.test_read_allowed: PASS/);
    expect(r.stdout).toMatch(/data\.mcp\.authz_test\.test_write_denied: PASS/);
    expect(r.stdout).toContain('PASS: 3/3');
  });

  it('reports FAIL and ERROR per test and exits 1', async () => {
    const r = await run(['policy', 'test', file('failing_test.rego')]);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/data\.t\.test_bad: FAIL/);
    expect(r.stdout).toContain('  checking 1');
    expect(r.stdout).toMatch(/data\.t\.test_err: ERROR/);
    expect(r.stdout).toContain('div: divide by zero');
    expect(r.stdout).not.toMatch(/test_ok: PASS/);
    expect(r.stdout).toContain('PASS: 1/3');
    expect(r.stdout).toContain('FAIL: 1/3');
    expect(r.stdout).toContain('ERROR: 1/3');
  });

  it('fails on a policy that does not compile', async () => {
    const r = await run(['policy', 'test', file('syntax.rego')]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('syntax.rego:5:1: rego_parse_error');
  });
});

describe('shipped packs by name (as in wrap --policy and policy.paths)', () => {
  const input = (namespace: string) =>
    JSON.stringify({
      phase: 'request',
      method: 'tools/call',
      direction: 'client_to_server',
      client: { id: 'sre-bot', auth: 'api_key', roles: [], claims: {} },
      backend: { name: 'k8s', transport: 'stdio' },
      tool: { name: 'kubectl_get', backend_name: 'kubectl_get', annotations: { readOnlyHint: true } },
      arguments: { resourceType: 'pods', namespace },
      params: { name: 'kubectl_get', arguments: { resourceType: 'pods', namespace } },
    });

  it('eval -d <pack> -d <your data>: the pack without its example data, so your settings do not collide with it', async () => {
    // Through the pack's folder, its example-data.yaml is loaded too (as opa loads a folder), and a
    // deployment's data setting the same keys failed with "merge error: ... defined twice".
    await writeFile(file('k8s.yaml'), 'warden:\n  kubernetes:\n    allowed_namespaces: [default]\n    allow_exec: false\n');
    const r = await run(['policy', 'eval', '-d', 'kubernetes', '-d', file('k8s.yaml'), '-i', '-', 'data.mcp.authz.deny'], input('monitoring'));
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).result[0].expressions[0].value).toEqual(["Namespace 'monitoring' is not allowed (allowed: default)"]);
  });

  it('test <pack> runs the tests of the pack and of the packs it includes (default: read-only\'s)', async () => {
    const r = await run(['policy', 'test', 'default']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/PASS: (\d+)\/\1\n/);
    expect(r.stdout).not.toContain('no tests found');
    expect((await run(['policy', 'check', 'kubernetes'])).code).toBe(0);
  });

  it('a name that is neither a path nor a pack lists the packs', async () => {
    const r = await run(['policy', 'check', 'kubernetez']);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('mcp-warden: kubernetez: no such file or directory, and no pack of that name (packs: allow-all, containarium, default, kubernetes, nomad, orchestrator, qubinode, read-only)\n');
  });
});
