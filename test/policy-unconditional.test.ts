/**
 * PolicyDecider.unconditionalAllow: set only while the policy in force allows every request
 * whatever its input (static analysis of the decision rules, then one evaluation), recomputed on
 * reload; and the engine's analysis behind it (Policy.dependsOnInput): input reads, `with`,
 * non-deterministic builtins, helper rules, functions and data refs they reach.
 */
import { copyFileSync, mkdtempSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BUILTIN_PACKS_DIR, createPolicyDecider } from '../src/policy/index.js';
import { compilePolicy } from '../src/policy/rego/index.js';
import { request, toolCall } from './helpers/contexts.js';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'warden-unconditional-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let counter = 0;
function file(text: string, ext = '.rego'): string {
  const path = join(dir, `p${++counter}${ext}`);
  writeFileSync(path, text);
  return path;
}

const HEADER = 'package mcp.authz\n\nimport rego.v1\n\n';

function unconditional(paths: string[], extra: { dataFiles?: string[]; mode?: 'enforce' | 'shadow' } = {}) {
  const decider = createPolicyDecider({ paths, watch: false, ...extra }, { watch: false });
  try {
    return { value: decider.unconditionalAllow, version: decider.version };
  } finally {
    decider.close();
  }
}

describe('unconditionalAllow of the Rego decider', () => {
  it('is set for the allow-all pack: allowed, no reasons, the policy version, the configured mode', () => {
    const { value, version } = unconditional(['allow-all']);
    expect(value).toEqual({ allowed: true, reasons: [], mode: 'enforce', policyVersion: version, micros: 0 });
    expect(Object.isFrozen(value)).toBe(true);
    expect(unconditional(['allow-all'], { mode: 'shadow' }).value?.mode).toBe('shadow');
  });

  it('is the decision that decide() gives', () => {
    const decider = createPolicyDecider({ paths: ['allow-all'], watch: false }, { watch: false });
    const decided = decider.decide(toolCall('delete_everything', { force: true }));
    expect({ ...decided, micros: 0 }).toEqual(decider.unconditionalAllow);
    decider.close();
  });

  it('is set for `default allow := true` and for an allow that reads only data', () => {
    expect(unconditional([file(`${HEADER}default allow := true\n`)]).value?.allowed).toBe(true);
    const policy = file(`${HEADER}allow if data.settings.open == true\n\nopen_ones contains x if some x in data.settings.list\n`);
    expect(unconditional([policy], { dataFiles: [file('{"settings": {"open": true, "list": [1]}}', '.json')] }).value?.allowed).toBe(true);
    // input-free but not allowed: no fast path (every request is denied, by evaluation)
    expect(unconditional([policy], { dataFiles: [file('{"settings": {"open": false}}', '.json')] }).value).toBeUndefined();
  });

  it('is undefined for the packs that judge requests', () => {
    for (const pack of ['kubernetes', 'read-only', 'default', 'nomad', 'qubinode', 'orchestrator', 'containarium']) {
      expect(unconditional([pack]).value, pack).toBeUndefined();
    }
  });

  it('is undefined when a decision rule calls a non-deterministic builtin, uses with, or prints', () => {
    expect(unconditional([file(`${HEADER}allow if time.now_ns() > 0\n`)]).value).toBeUndefined();
    expect(unconditional([file(`${HEADER}allow if rand.intn("x", 10) >= 0\n`)]).value).toBeUndefined();
    expect(unconditional([file(`${HEADER}allow if uuid.rfc4122("a") != ""\n`)]).value).toBeUndefined();
    expect(unconditional([file(`${HEADER}allow if {\n\tprint("deciding")\n}\n`)]).value).toBeUndefined();
    expect(unconditional([file(`${HEADER}allow if ok with input as {"x": 1}\n\nok if true\n`)]).value).toBeUndefined();
  });

  it('is undefined when deny can give a reason or reads input, or when a helper reads input', () => {
    expect(unconditional([file(`${HEADER}allow := true\n\ndeny contains "closed"\n`)]).value).toBeUndefined();
    expect(unconditional([file(`${HEADER}allow := true\n\ndeny contains "no" if input.method == "x"\n`)]).value).toBeUndefined();
    const helper = file('package lib\n\nimport rego.v1\n\nok if input.client.id != "mallory"\n');
    expect(unconditional([file(`${HEADER}allow if data.lib.ok\n`), helper]).value).toBeUndefined();
    const fn = file(`${HEADER}allow if f(1)\n\nf(x) if x == count(input)\n`);
    expect(unconditional([fn]).value).toBeUndefined();
    const imported = file(`package mcp.authz\n\nimport rego.v1\nimport input.tool as t\n\nallow if t\n`);
    expect(unconditional([imported]).value).toBeUndefined();
  });

  it('is undefined when the policy has a response phase (redact)', () => {
    expect(unconditional([file(`${HEADER}allow := true\n\nredact contains "password"\n`)]).value).toBeUndefined();
  });

  it('follows reloads: allow-all -> read-only -> allow-all', () => {
    const packDir = join(dir, 'swapped');
    mkdirSync(packDir);
    const allowAll = () => {
      for (const f of readdirSync(packDir)) rmSync(join(packDir, f));
      for (const f of readdirSync(join(BUILTIN_PACKS_DIR, 'allow-all'))) if (!f.endsWith('_test.rego') && f.endsWith('.rego')) copyFileSync(join(BUILTIN_PACKS_DIR, 'allow-all', f), join(packDir, f));
    };
    allowAll();
    const decider = createPolicyDecider({ paths: [packDir], watch: false }, { watch: false });
    expect(decider.unconditionalAllow?.allowed).toBe(true);
    for (const f of readdirSync(packDir)) rmSync(join(packDir, f));
    for (const f of readdirSync(join(BUILTIN_PACKS_DIR, 'read-only'))) if (!f.endsWith('_test.rego') && f.endsWith('.rego')) copyFileSync(join(BUILTIN_PACKS_DIR, 'read-only', f), join(packDir, f));
    expect(decider.reload()).toMatchObject({ ok: true, changed: true });
    expect(decider.unconditionalAllow).toBeUndefined();
    expect(decider.decide(toolCall('write_file', { path: '/etc/passwd' })).allowed).toBe(false);
    // a broken policy keeps the one in force, and its (absent) fast path
    writeFileSync(join(packDir, 'broken.rego'), 'package mcp.authz\n\nallow if {\n');
    expect(decider.reload().ok).toBe(false);
    expect(decider.unconditionalAllow).toBeUndefined();
    allowAll();
    expect(decider.reload()).toMatchObject({ ok: true, changed: true });
    expect(decider.unconditionalAllow).toEqual({ allowed: true, reasons: [], mode: 'enforce', policyVersion: decider.version, micros: 0 });
    expect(decider.decide(request('initialize')).allowed).toBe(true);
    decider.close();
  });
});

describe('Policy.dependsOnInput (the engine analysis)', () => {
  const compile = (...sources: string[]) => compilePolicy(sources.map((source, i) => ({ file: `m${i}.rego`, source })));

  it('follows rules, functions, comprehensions and data refs to the input', () => {
    const p = compile(
      `package p\n\nimport rego.v1\n\nallow if helper\n\nhelper if count([x | some x in data.q.items]) > 0\n\ndeny contains m if some m in data.q.msgs\n\nscore := f(2)\n\nf(x) := x + data.r.v\n`,
      `package q\n\nimport rego.v1\n\nitems := [1, 2]\n\nmsgs contains "m" if input.bad\n`,
      `package r\n\nimport rego.v1\n\nv := 1\n`,
    );
    expect(p.dependsOnInput(['p'], ['allow'])).toBe(false);
    expect(p.dependsOnInput(['p'], ['score'])).toBe(false);
    expect(p.dependsOnInput(['p'], ['deny'])).toBe(true);
    expect(p.dependsOnInput(['p'], ['allow', 'deny'])).toBe(true);
    expect(p.dependsOnInput(['p'], ['undefined_rule'])).toBe(false);
  });

  it('counts a dynamic data ref, the whole data document and rules at an ancestor', () => {
    const inputRule = `package q\n\nimport rego.v1\n\nx := input.x\n`;
    expect(compile(`package p\n\nimport rego.v1\n\nallow if data[k]\n\nk := "q"\n`, inputRule).dependsOnInput(['p'], ['allow'])).toBe(true);
    expect(compile(`package p\n\nimport rego.v1\n\nallow if count(data) > 0\n`, inputRule).dependsOnInput(['p'], ['allow'])).toBe(true);
    expect(compile(`package p\n\nimport rego.v1\n\nallow if count(data.r) > 0\n`, `package r\n\nv := 1\n`).dependsOnInput(['p'], ['allow'])).toBe(false);
    expect(compile(`package p\n\nimport rego.v1\n\nallow if count(data.r) > 0\n`, `package r\n\nv := input\n`).dependsOnInput(['p'], ['allow'])).toBe(true);
    expect(compile(`package p\n\nimport rego.v1\n\nauthz := {"allow": input.x}\n`).dependsOnInput(['p', 'authz'], ['allow'])).toBe(true);
    expect(compile(`package p\n\nimport rego.v1\n\nauthz.allow if input.x\n`).dependsOnInput(['p', 'authz'], ['allow'])).toBe(true);
  });

  it('counts io.jwt.decode_verify (it checks against the current time) as dependent', () => {
    const p = compile(`package p\n\nimport rego.v1\n\nallow if io.jwt.decode_verify("a.b.c", {"secret": "s"})[0]\n`);
    expect(p.dependsOnInput(['p'], ['allow'])).toBe(true);
  });
});
