/**
 * engine: wasm. The bundle is our own WebAssembly module (test/fixtures/opa-abi-policy.wat, assembled
 * with wabt) speaking OPA's wasm ABI, loaded by the real @open-policy-agent/opa-wasm SDK through
 * createPolicyDecider. A real `opa build -t wasm` bundle is tested only where an `opa` binary is on
 * PATH; on this machine there is none and that test reports itself as skipped.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPolicyDecider, PolicyCompileError } from '../src/policy/index.js';
import { request, toolCall } from './helpers/contexts.js';
import { assembleTestPolicy, tarGz } from './helpers/wasm-policy.js';
import { resultText, scratch, SERVERS, wrapWithPolicy } from './helpers/policy-e2e.js';

let dir: string;
let wasm: Uint8Array;
let bundle: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'warden-wasm-'));
  wasm = await assembleTestPolicy();
  bundle = join(dir, 'bundle.tar.gz');
  writeFileSync(bundle, tarGz({ '/policy.wasm': wasm, '/data.json': '{"warden":{"tier":"test"}}', '/.manifest': '{"revision":"1"}' }));
  writeFileSync(join(dir, 'policy.wasm'), wasm);
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

const readOnly = toolCall('read_file', { path: '/x' }, { annotations: { readOnlyHint: true } });
const destructive = toolCall('write_file', { path: '/x' }, { annotations: { readOnlyHint: true, destructiveHint: true } });

describe('engine: wasm with our ABI module', () => {
  it('allows, denies with the policy reason, and fails closed when allow is undefined', () => {
    const decider = createPolicyDecider({ engine: 'wasm', paths: [bundle], watch: false });
    expect(decider.decide(readOnly)).toMatchObject({ allowed: true, reasons: [], mode: 'enforce', policyVersion: decider.version });
    expect(decider.decide(destructive)).toMatchObject({ allowed: false, reasons: ['destructive tools are denied by the wasm test policy'] });
    expect(decider.decide(toolCall('mystery'))).toMatchObject({
      allowed: false,
      reasons: ['no allow rule matched (data.mcp.authz.allow is undefined)'],
    });
    expect(decider.decide(readOnly).micros).toBeGreaterThan(0);
  });

  it('loads a bare policy.wasm too', () => {
    const decider = createPolicyDecider({ engine: 'wasm', paths: ['policy.wasm'], watch: false }, { baseDir: dir });
    expect(decider.decide(readOnly).allowed).toBe(true);
  });

  it('reads redact obligations at the response phase and asks for that phase', () => {
    const decider = createPolicyDecider({ engine: 'wasm', paths: [bundle], watch: false });
    expect(decider.wantsResponsePhase).toBe(true);
    const decision = decider.decide({ ...readOnly, phase: 'response', result: { content: [] } });
    expect(decision).toMatchObject({ allowed: true, redact: [{ field: 'password' }] });
  });

  it('an evaluation error (opa_abort) denies and says so', () => {
    const decider = createPolicyDecider({ engine: 'wasm', paths: [bundle], watch: false });
    const decision = decider.decide(toolCall('read_file', { path: '__abort__' }, { annotations: { readOnlyHint: true } }));
    expect(decision.allowed).toBe(false);
    expect(decision.error).toContain('test policy aborted on request');
    expect(decision.reasons[0]).toMatch(/^policy error: wasm evaluation of mcp\/authz\/deny failed: test policy aborted on request/);
  });

  it('shadow mode (global and per backend) keeps the verdict and marks the decision', () => {
    const shadow = createPolicyDecider({ engine: 'wasm', paths: [bundle], mode: 'shadow', watch: false });
    expect(shadow.decide(destructive)).toMatchObject({ allowed: false, mode: 'shadow' });
    const perBackend = createPolicyDecider({ engine: 'wasm', paths: [bundle], watch: false }, { backendModes: { fs: 'shadow' } });
    expect(perBackend.decide(toolCall('write_file', {}, { backend: 'fs', annotations: { destructiveHint: true } })).mode).toBe('shadow');
    expect(perBackend.decide(toolCall('write_file', {}, { backend: 'other', annotations: { destructiveHint: true } })).mode).toBe('enforce');
  });

  it('refuses a broken bundle at startup with the file name, and keeps the old one on reload', () => {
    const broken = join(dir, 'broken.tar.gz');
    writeFileSync(broken, 'not a bundle');
    expect(() => createPolicyDecider({ engine: 'wasm', paths: [broken], watch: false })).toThrow(PolicyCompileError);
    expect(() => createPolicyDecider({ engine: 'wasm', paths: [broken], watch: false })).toThrow(/broken\.tar\.gz: cannot load wasm policy/);

    const live = join(dir, 'live.tar.gz');
    writeFileSync(live, tarGz({ '/policy.wasm': wasm }));
    const decider = createPolicyDecider({ engine: 'wasm', paths: [live], watch: false });
    const version = decider.version;
    writeFileSync(live, tarGz({ '/data.json': '{}' }));
    const result = decider.reload();
    expect(result).toMatchObject({ ok: false, version });
    expect(!result.ok && result.error).toMatch(/live\.tar\.gz: cannot load wasm policy: .*bundle has no policy\.wasm/);
    expect(decider.decide(readOnly).allowed).toBe(true);
    expect(decider.version).toBe(version);
  });

  it('a bundle without the package entrypoints is refused, naming what it has', () => {
    expect(() => createPolicyDecider({ engine: 'wasm', paths: [bundle], package: 'other.pkg', watch: false })).toThrow(
      /no entrypoint other\/pkg\/allow or other\/pkg\/deny \(entrypoints: mcp\/authz\/allow, mcp\/authz\/deny, mcp\/authz\/redact\)/,
    );
  });

  it('protocol requests go through the same contract', () => {
    const decider = createPolicyDecider({ engine: 'wasm', paths: [bundle], watch: false });
    expect(decider.decide(request('tools/list')).allowed).toBe(true);
  });

  it('serves through `mcp-warden wrap` (built CLI): allowed calls reach the backend, denied ones are answered with the reason', async () => {
    const s = await scratch();
    const cfg = await s.write('warden.yaml', `backends: [{ name: x, transport: stdio, command: unused }]\npolicy: { engine: wasm, paths: [${JSON.stringify(bundle)}] }\n`);
    const conn = await wrapWithPolicy(s, [process.execPath, `${SERVERS}/qubinode-server.mjs`], { config: cfg });
    try {
      const names = (await conn.client.listTools()).tools.map((t) => t.name);
      expect(names).toContain('list_dags');
      expect(names).not.toContain('delete_vm');
      expect(resultText(await conn.client.callTool({ name: 'list_dags', arguments: {} }))).toContain('qubinode_deploy');
      const del = await conn.client.callTool({ name: 'delete_vm', arguments: { vm_name: 'rhel9-web' } });
      expect(resultText(del)).toBe('Denied by policy: destructive tools are denied by the wasm test policy');
      const create = await conn.client.callTool({ name: 'create_vm', arguments: { name: 'x', image: 'rhel9' } });
      expect(resultText(create)).toBe('Denied by policy: no allow rule matched (data.mcp.authz.allow is undefined)');
      expect(s.toolsReceived()).toEqual(['list_dags']);
    } finally {
      await conn.close();
      await s.remove();
    }
  });
});

function hasOpa(): boolean {
  try {
    execFileSync('opa', ['version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

describe('engine: wasm with a real `opa build -t wasm` bundle', () => {
  const opa = hasOpa();
  if (!opa) console.warn('policy-wasm: no `opa` binary on PATH, so the real opa build test is SKIPPED (only our ABI module was tested)');
  it.skipIf(!opa)('evaluates the read-only pack compiled by opa', () => {
    const out = join(dir, 'opa-bundle.tar.gz');
    const pack = new URL('../policies/read-only', import.meta.url).pathname;
    execFileSync('opa', ['build', '-t', 'wasm', '-e', 'mcp/authz/allow', '-e', 'mcp/authz/deny', '-o', out, pack]);
    const decider = createPolicyDecider({ engine: 'wasm', paths: [out], watch: false });
    expect(decider.decide(toolCall('read_file', {}, { annotations: { readOnlyHint: true } })).allowed).toBe(true);
    expect(decider.decide(toolCall('write_file', {}, { annotations: { destructiveHint: true } })).reasons).toEqual([
      "Operation 'write' is not allowed in read-only mode (tool 'write_file')",
    ]);
  });
});
