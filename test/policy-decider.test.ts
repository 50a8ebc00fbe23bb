/**
 * createPolicyDecider with the Rego engine, driven with InterceptContext objects as the proxy
 * builds them: the input document's shape, the decision rules (deny wins, undefined allow fails
 * closed, redact at the response phase), errors deny and are logged with their location, modes,
 * policy/data resolution and its error messages, and reload (explicit and by file watch).
 */
import { Writable } from 'node:stream';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPolicyDecider, PolicyCompileError } from '../src/policy/index.js';
import { client, listItem, request, toolCall } from './helpers/contexts.js';
import { waitFor } from './helpers/proxy.js';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'warden-decider-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, text: string): string {
  const path = join(dir, name);
  mkdirSync(join(path, '..'), { recursive: true });
  writeFileSync(path, text);
  return path;
}

function captureLogger() {
  const lines: Array<Record<string, unknown>> = [];
  const stream = new Writable({
    write(chunk, _enc, done) {
      for (const l of String(chunk).split('\n')) if (l.trim()) lines.push(JSON.parse(l) as Record<string, unknown>);
      done();
    },
  });
  return { logger: pino({ level: 'info' }, stream), lines };
}

const HEADER = 'package mcp.authz\n\nimport rego.v1\n\n';

describe('the input document', () => {
  it('has the documented shape, the same for every phase', () => {
    const policy = file('echo.rego', `${HEADER}deny contains json.marshal(input)\n`);
    const decider = createPolicyDecider({ paths: [policy], watch: false });
    const ctx = toolCall('kubectl_get', { namespace: 'default' }, { client: { ...client('sre-bot', ['viewer'], { team: 'x' }), address: '10.0.0.7', credentialId: 'k1' }, backend: 'k8s', annotations: { readOnlyHint: true } });
    ctx.tool = { ...ctx.tool!, name: 'k8s__kubectl_get', title: 'Get' };
    ctx.session.protocolVersion = '2025-06-18';
    const input = JSON.parse(decider.decide(ctx).reasons[0]!) as Record<string, unknown>;
    expect(input).toEqual({
      phase: 'request',
      method: 'tools/call',
      direction: 'client_to_server',
      client: { id: 'sre-bot', name: 'sre-bot', auth: 'api_key', roles: ['viewer'], claims: { team: 'x' }, address: '10.0.0.7', credential_id: 'k1' },
      session: { id: 'session-1', transport: 'stdio', protocol_version: '2025-06-18' },
      backend: { name: 'k8s', transport: 'stdio' },
      tool: { name: 'k8s__kubectl_get', backend_name: 'kubectl_get', title: 'Get', annotations: { readOnlyHint: true } },
      arguments: { namespace: 'default' },
      params: { name: 'kubectl_get', arguments: { namespace: 'default' } },
    });
    const listed = JSON.parse(decider.decide(listItem('read_file')).reasons[0]!) as Record<string, unknown>;
    expect(listed).toMatchObject({ phase: 'list', method: 'tools/list', tool: { name: 'read_file', backend_name: 'read_file', annotations: {} } });
    expect(listed).not.toHaveProperty('arguments');
    const read = JSON.parse(decider.decide(request('resources/read', { resource: { uri: 'file:///x', backend_uri: 'file:///x' }, params: { uri: 'file:///x' } })).reasons[0]!) as Record<string, unknown>;
    expect(read).toMatchObject({ resource: { uri: 'file:///x' } });
    expect(read).not.toHaveProperty('tool');
    expect(read).not.toHaveProperty('backend');
    const asked = JSON.parse(decider.decide(request('sampling/createMessage', { direction: 'server_to_client', params: { maxTokens: 5 } })).reasons[0]!) as Record<string, unknown>;
    expect(asked).toMatchObject({ phase: 'request', method: 'sampling/createMessage', direction: 'server_to_client', params: { maxTokens: 5 } });
  });
});

describe('the decision', () => {
  it('undefined allow fails closed with a reason; deny wins over allow; several reasons are all given', () => {
    const policy = file('rules.rego', `${HEADER}allow if input.tool.backend_name == "ok"\nallow if input.tool.backend_name == "both"\ndeny contains "first" if input.tool.backend_name == "both"\ndeny contains "second" if input.tool.backend_name == "both"\n`);
    const decider = createPolicyDecider({ paths: [policy], watch: false });
    expect(decider.decide(toolCall('ok'))).toMatchObject({ allowed: true, reasons: [] });
    expect(decider.decide(toolCall('other'))).toMatchObject({ allowed: false, reasons: ['no allow rule matched (data.mcp.authz.allow is undefined)'] });
    expect(decider.decide(toolCall('both'))).toMatchObject({ allowed: false, reasons: ['first', 'second'] });
    expect(decider.wantsResponsePhase).toBe(false);
  });

  it('allow must be exactly true', () => {
    const decider = createPolicyDecider({ paths: [file('truthy.rego', `${HEADER}allow := "yes"\n`)], watch: false });
    expect(decider.decide(toolCall('x')).reasons).toEqual(['no allow rule matched (data.mcp.authz.allow is "yes")']);
  });

  it('reads redact obligations at the response phase', () => {
    const policy = file('redact.rego', `${HEADER}allow := true\nredact contains {"field": "password"}\nredact contains {"pattern": "tok_[a-z0-9]+", "replacement": "tok_***"}\nredact contains "apiKey"\n`);
    const decider = createPolicyDecider({ paths: [policy], watch: false });
    expect(decider.wantsResponsePhase).toBe(true);
    const decision = decider.decide({ ...toolCall('x'), phase: 'response', result: { content: [] } });
    expect(decision.allowed).toBe(true);
    expect(decision.redact).toEqual(expect.arrayContaining([{ field: 'password' }, { pattern: 'tok_[a-z0-9]+', replacement: 'tok_***' }, { field: 'apiKey' }]));
    expect(decider.decide(toolCall('x')).redact).toBeUndefined();
  });

  it('an evaluation error denies with its location and is logged (once, then with counts)', () => {
    const { logger, lines } = captureLogger();
    const policy = file('conflict.rego', `${HEADER}allow := true\n\nverdict := "a"\n\nverdict := "b" if input.tool\n\ndeny contains verdict if input.tool\n`);
    const decider = createPolicyDecider({ paths: [policy], watch: false }, { logger });
    const decision = decider.decide(toolCall('x'));
    expect(decision.allowed).toBe(false);
    expect(decision.error).toMatch(/conflict\.rego:\d+:\d+: eval_conflict_error/);
    expect(decision.reasons[0]).toMatch(/^policy error: .*conflict\.rego:\d+:\d+: eval_conflict_error/);
    for (let i = 0; i < 9; i++) decider.decide(toolCall('x'));
    const logged = lines.filter((l) => String(l.msg).startsWith('policy evaluation error'));
    expect(logged.map((l) => l.count)).toEqual([1, 10]);
    expect(logged[0]).toMatchObject({ tool: 'x', client: 'local', method: 'tools/call' });
    expect(decider.decide(request('initialize')).allowed).toBe(true);
  });

  it('mode: global shadow, per-backend override both ways', () => {
    const policy = file('deny-all.rego', `${HEADER}deny contains "no"\n`);
    const shadow = createPolicyDecider({ paths: [policy], mode: 'shadow', watch: false }, { backendModes: { strict: 'enforce' } });
    expect(shadow.decide(toolCall('x', {}, { backend: 'any' }))).toMatchObject({ allowed: false, mode: 'shadow', reasons: ['no'] });
    expect(shadow.decide(toolCall('x', {}, { backend: 'strict' })).mode).toBe('enforce');
    expect(shadow.decide(request('initialize')).mode).toBe('shadow');
  });

  it('reads the decision from the configured package', () => {
    const policy = file('custom.rego', 'package acme.mcp\n\nimport rego.v1\n\nallow if input.client.id == "local"\n');
    expect(createPolicyDecider({ paths: [policy], package: 'acme.mcp', watch: false }).decide(toolCall('x')).allowed).toBe(true);
    expect(() => createPolicyDecider({ paths: [policy], watch: false })).toThrow(/no rule data\.mcp\.authz\.allow or data\.mcp\.authz\.deny/);
  });
});

describe('loading policy and data', () => {
  it('merges data files (JSON, YAML) then inline data, and the version follows the content', () => {
    const policy = file('data/policy.rego', `${HEADER}allow if input.client.id in data.warden.allowed\ndeny contains data.warden.note if data.warden.note\n`);
    const json = file('data/a.json', '{"warden": {"allowed": ["alice"], "note": false}}');
    const yaml = file('data/b.yaml', 'warden:\n  allowed: [bob]\n');
    const decider = createPolicyDecider({ paths: [policy], dataFiles: [json, yaml], watch: false });
    expect(decider.decide(toolCall('x', {}, { client: client('bob') })).allowed).toBe(true);
    expect(decider.decide(toolCall('x', {}, { client: client('alice') })).allowed).toBe(false);
    const inline = createPolicyDecider({ paths: [policy], dataFiles: [json], data: { warden: { note: 'inline wins' } }, watch: false });
    expect(inline.decide(toolCall('x', {}, { client: client('alice') })).reasons).toEqual(['inline wins']);
    expect(inline.version).not.toBe(decider.version);
  });

  it('resolves packs (with pack.json includes), files and folders relative to baseDir, skipping *_test.rego', () => {
    file('folder/main.rego', `${HEADER}allow := true\n`);
    file('folder/broken_test.rego', 'this is not rego');
    expect(createPolicyDecider({ paths: ['folder'], watch: false }, { baseDir: dir }).decide(toolCall('x')).allowed).toBe(true);
    const packs = join(dir, 'packs');
    file('packs/base/base.rego', `${HEADER}deny contains "from base" if input.tool.backend_name == "x"\n`);
    file('packs/top/pack.json', '{"include": ["base"]}');
    file('packs/top/top.rego', `${HEADER}allow := true\n`);
    expect(createPolicyDecider({ paths: ['top'], watch: false }, { packsDir: packs }).decide(toolCall('x')).reasons).toEqual(['from base']);
    // A folder of ours named like a shipped pack: the bare name is the pack, ./name the folder.
    file('own/top/mine.rego', `${HEADER}deny contains "mine"\n`);
    expect(createPolicyDecider({ paths: ['top'], watch: false }, { packsDir: packs, baseDir: join(dir, 'own') }).decide(toolCall('x')).reasons).toEqual(['from base']);
    expect(createPolicyDecider({ paths: ['./top'], watch: false }, { packsDir: packs, baseDir: join(dir, 'own') }).decide(toolCall('x')).reasons).toEqual(['mine']);
  });

  it('says what is wrong: unknown pack, bad include, syntax error, bad data', () => {
    expect(() => createPolicyDecider({ paths: ['nope'], watch: false }, { baseDir: dir })).toThrow(
      /policy 'nope' not found: no file or directory .*nope, and no pack of that name \(packs: allow-all, containarium, default, kubernetes/,
    );
    file('packs/badinc/pack.json', '{"include": ["missing"]}');
    expect(() => createPolicyDecider({ paths: ['badinc'], watch: false }, { packsDir: join(dir, 'packs') })).toThrow(/pack\.json: no policy pack named 'missing'/);
    const broken = file('syntax.rego', `${HEADER}allow if {\n\tinput.x ==\n}\n`);
    expect(() => createPolicyDecider({ paths: [broken], watch: false })).toThrow(PolicyCompileError);
    expect(() => createPolicyDecider({ paths: [broken], watch: false })).toThrow(/syntax\.rego:7:1: rego_parse_error/);
    const unsafe = file('unsafe.rego', `${HEADER}allow if x == 1\n`);
    expect(() => createPolicyDecider({ paths: [unsafe], watch: false })).toThrow(/unsafe\.rego:5:\d+: .*var x is unsafe/);
    expect(() => createPolicyDecider({ paths: [], watch: false })).toThrow('policy.paths is empty: name a pack or a policy file (the default is [default])');
    file('only-tests/a_test.rego', `${HEADER}test_x if true\n`);
    expect(() => createPolicyDecider({ paths: ['only-tests'], watch: false }, { baseDir: dir })).toThrow(/only-tests: no policy files found/);
    const ok = file('ok.rego', `${HEADER}allow := true\n`);
    expect(() => createPolicyDecider({ paths: [ok], dataFiles: [file('bad.json', '{nope')], watch: false })).toThrow(/bad\.json: invalid JSON data/);
    expect(() => createPolicyDecider({ paths: [ok], dataFiles: [file('list.yaml', '- a\n')], watch: false })).toThrow(/list\.yaml: a data file must hold an object/);
    expect(() => createPolicyDecider({ paths: [ok], dataFiles: [join(dir, 'absent.json')], watch: false })).toThrow(/absent\.json: cannot read data file: ENOENT/);
  });
});

describe('reload', () => {
  it('reload() swaps in a good policy, reports unchanged, and keeps the old one when the new is broken', () => {
    const { logger, lines } = captureLogger();
    const policy = file('reload/p.rego', `${HEADER}allow := true\n`);
    const decider = createPolicyDecider({ paths: [policy], watch: false }, { logger });
    const v1 = decider.version;
    expect(decider.reload()).toEqual({ ok: true, version: v1, changed: false });
    writeFileSync(policy, `${HEADER}deny contains "v2"\n`);
    const r2 = decider.reload();
    expect(r2).toMatchObject({ ok: true, changed: true });
    expect(decider.decide(toolCall('x')).reasons).toEqual(['v2']);
    writeFileSync(policy, `${HEADER}deny contains\n`);
    const r3 = decider.reload();
    expect(r3.ok).toBe(false);
    expect(!r3.ok && r3.error).toMatch(/p\.rego:\d+:\d+: rego_parse_error/);
    expect(decider.decide(toolCall('x')).reasons).toEqual(['v2']);
    expect(decider.decide(toolCall('x')).policyVersion).toBe(r2.version);
    expect(lines.some((l) => l.msg === 'policy reload failed: keeping the policy in force' && /p\.rego:\d+:\d+/.test(String(l.error)))).toBe(true);
  });

  it('watches policy and data files', async () => {
    const policy = file('watched/p.rego', `${HEADER}allow if input.client.id in data.warden.allowed\n`);
    const data = file('watched/d.json', '{"warden": {"allowed": []}}');
    const decider = createPolicyDecider({ paths: [policy], dataFiles: [data] });
    try {
      expect(decider.decide(toolCall('x')).allowed).toBe(false);
      writeFileSync(data, '{"warden": {"allowed": ["local"]}}');
      await waitFor(() => decider.decide(toolCall('x')).allowed, 30_000, 'data reload');
      writeFileSync(policy, `${HEADER}deny contains "closed"\n`);
      await waitFor(() => decider.decide(toolCall('x')).reasons[0] === 'closed', 30_000, 'policy reload');
    } finally {
      decider.close();
    }
  });
});
