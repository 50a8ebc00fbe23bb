/**
 * Whole query results kept with early cutoff (src/policy/rego/topdown/memo.ts): a member that only
 * small rules read (the readers: `reads_secrets if lower(args.resourceType) in {...}`) is compared
 * through those rules' values, so a new resourceType that reads as before reuses the decision.
 * Checked differentially: the prepared evaluator with stable roots (memo, carry, keyed values on)
 * against the plain one (no stable roots: every query evaluated afresh) and now and then a policy
 * compiled afresh, for every pack and for random policies whose readers have every shape the memo
 * meets (scalars, arrays, sets, functions, else chains, errors, rules the query never needs), over
 * call sequences where one member changes at a time. Also: the memo is taken (the path under test
 * ran) and memberReaders attributes observations made through functions and aliases.
 */
import { readdirSync, readFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { compilePolicy, fromJS, toJSON, type Policy } from '../src/policy/rego/index.js';
import { memoStats } from '../src/policy/rego/topdown/memo.js';
import { memberReaders } from '../src/policy/rego/topdown/footprint.js';

const STABLE = ['client', 'tool', 'session', 'backend'];
/** the prepared evaluator's memo readers evaluated as generated JavaScript (PrepareRulesOptions.memoCodegen): each suite runs both ways */
let MEMO_CODEGEN = false;
const PACKS = path.resolve(__dirname, '..', 'policies');

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}
type R = () => number;
const pick = <T>(r: R, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;

const TOOLS = ['kubectl_get', 'kubectl_describe', 'kubectl_generic', 'kubectl_delete', 'kubectl_rollout', 'kubectl_context', 'node_management', 'exec_in_pod', 'list_dags', 'stop_job', 'scale_workload', 'get_container', 'read_file', 'x'].map((name, i) => ({
  name,
  backend_name: name,
  description: `tool ${name}`,
  annotations: i % 2 === 0 ? { readOnlyHint: true } : {},
}));
const POOLS: Record<string, unknown[]> = {
  resourceType: ['pods', 'secrets', 'Secret', 'SECRETS', 'deployments', 'secret/x', 7, null, ['secrets']],
  namespace: ['default', 'kube-system', 'monitoring'],
  name: ['web', 'db'],
  command: ['get pods', 'get secrets -n kube-system', 'delete pod web', 'rollout restart deploy/web', 'top pods -A', ''],
  subCommand: ['restart', 'status', 'history', 'STATUS'],
  args: [['-n', 'kube-system'], ['--namespace=default'], ['-A'], [], ['secrets']],
  flags: [{ namespace: 'kube-system' }, { A: true }, { token: 'x' }, {}],
  context: ['staging', 'prod', ''],
  allNamespaces: [true, false, 'true'],
  operation: ['cordon', 'drain', 'list', 'set', 'CORDON'],
  replicas: [1, 3, 10, 50, '2'],
  username: ['alice', 'bob'],
  x: [1, 2, 3, 'a', 'b', 'A', true, [1], { a: 1 }],
  y: ['p', 'q', 'P', 1],
  z: [2, 3, 'a', [2]],
  w: ['a', 'b', 1],
  v: [1, 2, 'a'],
  u: ['p', 'q', 1],
};
const NAMES = Object.keys(POOLS);
const CLIENTS = [
  { id: 'sre-bot', name: 'sre-bot', auth: 'api_key', roles: ['viewer'], claims: {} },
  { id: 'alice', name: 'alice', auth: 'jwt', roles: ['operator'], claims: { username: 'alice', role: 'admin' } },
];
const BACKEND = { name: 'k8s', transport: 'stdio' };
const SESSION = { id: 's1', transport: 'stdio' };

/** inputs as the proxy makes them: the same tool and client objects for long runs, one member changing at a time, often to a value never seen */
function inputs(r: R): () => Record<string, unknown> {
  let tool = pick(r, TOOLS);
  let client = pick(r, CLIENTS);
  let phase = 'request';
  const args: Record<string, unknown> = { namespace: 'default', name: 'web', resourceType: 'pods' };
  let n = 0;
  return () => {
    if (r() < 0.03) tool = pick(r, TOOLS);
    if (r() < 0.02) client = pick(r, CLIENTS);
    if (r() < 0.02) phase = pick(r, ['request', 'request', 'list']);
    const k = r() < 0.3 ? 'resourceType' : r() < 0.5 ? pick(r, ['x', 'y', 'z', 'w', 'v', 'u']) : pick(r, NAMES);
    const roll = r();
    if (roll < 0.1) delete args[k];
    else if (roll < 0.55 && k !== 'args' && k !== 'flags') args[k] = `${k}-${n++}`; // a value never seen: the true miss
    else args[k] = structuredClone(pick(r, POOLS[k]!));
    const a = structuredClone(args);
    return { phase, method: 'tools/call', direction: 'client_to_server', client, session: SESSION, backend: BACKEND, tool, arguments: a, params: { name: tool.name, arguments: a } };
  };
}

function answer(f: () => unknown[]): string {
  try {
    return JSON.stringify(f().map((v) => (v === undefined ? '<undef>' : toJSON(v as never))));
  } catch (e) {
    return `ERR ${(e as Error).message}`;
  }
}

/** null when the prepared evaluator agrees with the plain one (and every 25th with a fresh compile) over `steps` inputs */
function differential(sources: { file: string; source: string }[], datas: unknown[], refs: string[], seed: number, steps: number): string | null {
  const r = rng(seed);
  const values = datas.map((d) => fromJS(d));
  let dataIx = 0;
  const p: Policy = compilePolicy(sources, { data: values[0] });
  const fast = p.prepareRules(refs, { stable: STABLE, memoCodegen: MEMO_CODEGEN });
  const plain = p.prepareRules(refs);
  const next = inputs(r);
  const history: string[] = [];
  for (let i = 0; i < steps; i++) {
    if (r() < 0.01) {
      dataIx = (dataIx + 1) % values.length;
      p.data = values[dataIx]!;
      history.push(`data := ${dataIx}`);
    }
    const input = next();
    const got = answer(() => fast.eval(input));
    const want = answer(() => plain.eval(input));
    history.push(`${JSON.stringify({ ...input, client: (input.client as { id: string }).id, tool: (input.tool as { name: string }).name, params: undefined })} -> ${got}`);
    if (got !== want) return `seed ${seed} step ${i}\n${history.slice(-5).join('\n')}\nGOT  ${got}\nWANT ${want}`;
    if (i % 25 === 0) {
      const fresh = answer(() => compilePolicy(sources, { data: values[dataIx] }).prepareRules(refs).eval(input));
      if (fresh !== got) return `seed ${seed} step ${i} (fresh)\n${history.slice(-5).join('\n')}\nGOT  ${got}\nWANT ${fresh}`;
    }
  }
  return null;
}

function packSources(dir: string, seen = new Set<string>()): { file: string; source: string }[] {
  if (seen.has(dir)) return [];
  seen.add(dir);
  const out: { file: string; source: string }[] = [];
  const manifest = path.join(dir, 'pack.json');
  if (existsSync(manifest)) {
    for (const inc of (JSON.parse(readFileSync(manifest, 'utf8')) as { include?: string[] }).include ?? []) out.push(...packSources(path.join(PACKS, inc), seen));
  }
  for (const f of readdirSync(dir).sort()) if (f.endsWith('.rego') && !f.endsWith('_test.rego')) out.push({ file: path.join(dir, f), source: readFileSync(path.join(dir, f), 'utf8') });
  return out;
}

function packData(dir: string): unknown[] {
  const datas: unknown[] = [{}];
  const example = path.join(dir, 'example-data.yaml');
  if (existsSync(example)) {
    const d = parseYaml(readFileSync(example, 'utf8')) as Record<string, unknown>;
    datas.push(d, JSON.parse(JSON.stringify(d, (_k, v: unknown) => (typeof v === 'boolean' ? !v : v))));
  }
  return datas;
}

const PACK_NAMES = readdirSync(PACKS).filter((d) => packSources(path.join(PACKS, d)).length > 0).sort();

for (const mc of [false, true]) describe(`decision memo: every pack, prepared evaluator against the plain one${mc ? ', readers generated' : ''}`, () => {
  beforeEach(() => {
    MEMO_CODEGEN = mc;
  });
  afterEach(() => {
    MEMO_CODEGEN = false;
  });
  for (const pack of PACK_NAMES) {
    it(`${pack}: decisions over call sequences agree`, () => {
      const dir = path.join(PACKS, pack);
      for (const seed of [1, 2, 3]) expect(differential(packSources(dir), packData(dir), ['data.mcp.authz.allow', 'data.mcp.authz.deny'], seed * 104729 + pack.length, 800)).toBeNull();
    });
  }

  it('kubernetes: a new resourceType each call (the bench true miss) takes the kept decision after a listing, and a secret one does not', () => {
    const dir = path.join(PACKS, 'kubernetes');
    const p = compilePolicy(packSources(dir), { data: fromJS({ warden: { kubernetes: { allowed_namespaces: ['default'] } } }) });
    const fast = p.prepareRules(['data.mcp.authz.allow', 'data.mcp.authz.deny'], { stable: STABLE, memoCodegen: MEMO_CODEGEN });
    const plain = p.prepareRules(['data.mcp.authz.allow', 'data.mcp.authz.deny']);
    const tool = TOOLS[0]!;
    const client = CLIENTS[0]!;
    const before = memoStats.hits;
    for (let i = 0; i < 200; i++) {
      const a = { namespace: 'default', name: 'web', resourceType: i % 50 === 49 ? pick(rng(i), ['secrets', 'Secret', 'SECRETS']) : `resourceType-${i}` };
      // the proxy decides the listing first (phase list: the secrets rule is not evaluated then), as wrap does
      const input = { phase: i === 0 ? 'list' : 'request', method: 'tools/call', direction: 'client_to_server', client, session: SESSION, backend: BACKEND, tool, arguments: a, params: { name: tool.name, arguments: a } };
      const got = answer(() => fast.eval(input));
      expect(got).toBe(answer(() => plain.eval(input)));
      if (i % 50 === 49) expect(got).toContain('Reading secrets is not allowed');
      else if (i > 0) expect(got).toBe('[true,[]]');
    }
    // all but the first calls, those after a secret one, and the secret ones themselves
    expect(memoStats.hits - before).toBeGreaterThan(180);
    // the check ran through the generated reader (reads_secrets) when asked for
    const fns = (fast as unknown as { memo: { readerFns?: (unknown | null)[] } }).memo.readerFns;
    expect(fns !== undefined && fns.some((f) => f !== null)).toBe(MEMO_CODEGEN);
  });

  it('kubernetes: the arguments read in one pass: a member not cut that changes, an object or array member, arguments not a plain object, params.arguments apart, each decided as a fresh evaluation', () => {
    const dir = path.join(PACKS, 'kubernetes');
    const p = compilePolicy(packSources(dir), { data: fromJS({ warden: { kubernetes: { allowed_namespaces: ['default'] } } }) });
    const fast = p.prepareRules(['data.mcp.authz.allow', 'data.mcp.authz.deny'], { stable: STABLE, memoCodegen: MEMO_CODEGEN });
    const plain = p.prepareRules(['data.mcp.authz.allow', 'data.mcp.authz.deny']);
    const tool = TOOLS[0]!;
    const client = CLIENTS[0]!;
    const r = rng(77);
    const before = memoStats.hits;
    let denied = 0;
    for (let i = 0; i < 600; i++) {
      const a: Record<string, unknown> = { namespace: 'default', name: 'web', resourceType: `resourceType-${i}` };
      const roll = r();
      if (roll < 0.1) a.namespace = pick(r, ['kube-system', 'Default', ['default'], { n: 'default' }, null, 1]);
      else if (roll < 0.15) delete a.namespace;
      else if (roll < 0.2) a.resourceType = pick(r, ['secrets', 'Secret', ['secrets'], { s: 1 }]);
      else if (roll < 0.25) a.allNamespaces = pick(r, [true, false, 'true']);
      const inherited = roll > 0.97 ? Object.assign(Object.create({ namespace: 'kube-system' }), a) : a;
      const args = roll > 0.95 && roll <= 0.97 ? fromJS(a) : inherited;
      const params = { name: tool.name, arguments: r() < 0.1 ? { ...a, namespace: 'kube-system' } : args };
      const input = { phase: i === 0 ? 'list' : 'request', method: 'tools/call', direction: 'client_to_server', client, session: SESSION, backend: BACKEND, tool, arguments: args, params };
      const got = answer(() => fast.eval(input));
      expect(got, `step ${i}: ${JSON.stringify(a)}`).toBe(answer(() => plain.eval(input)));
      if (got !== '[true,[]]') denied++;
    }
    expect(denied).toBeGreaterThan(30);
    expect(memoStats.hits - before).toBeGreaterThan(200);
  });
});

/** readers of every shape the memo meets; x, y, z, w, v, u are the members they read (a few readers each) */
const HELPERS = [
  'default args := {}\nargs := input.arguments if is_object(input.arguments)',
  'tname := input.tool.name',
  // scalar readers, one with an else chain
  'xs if lower(args.x) in {"a", "b"}',
  'xn := "small" if { args.x < 3 } else := "big" if { args.x >= 3 } else := "none"',
  // a reader through a function (called from two rules: the second call is the analysis's memo)
  'g(a) := a.y',
  'yv := g(args)',
  'yu := upper(g(args)) if is_string(g(args))',
  // an array reader, and one holding an object (never kept by)
  'za := [args.z, 1]',
  'wo := {"v": args.w}',
  // a set reader: the member is then read by value
  'us contains args.u if args.u',
  // a reader that fails for some values (conflict)
  'vc := 1 if args.v == 1\nvc := 2 if args.v == 1',
  // read through object.get with a default
  'yg := object.get(args, "y", "none")',
  // a whole package document (r.rego), read by a rule: observes readers only through their values
  'whole := count(data.p.r) if tname == "x"',
];
const CONDS = [
  'xs', 'not xs', 'xn == "small"', 'xn == "big"', 'yv == "p"', 'yu == "Q"', 'za[0] == 2', 'wo.v == "a"', '"p" in us', 'count(us) == 0',
  'vc == 1', 'tname == "x"; vc == 2', 'yg == "none"', 'whole > 3', 'input.phase == "request"', 'tname == "kubectl_get"', 'startswith(tname, "kubectl")',
  'input.client.id == "alice"', 'is_string(args.resourceType)', 'lower(args.resourceType) == "secrets"',
];

function genPolicy(r: R): string {
  const lines = [...HELPERS];
  for (let i = 0, n = 1 + Math.floor(r() * 4); i < n; i++) lines.push(`allow if {\n\t${Array.from({ length: 1 + Math.floor(r() * 3) }, () => pick(r, CONDS)).join('\n\t')}\n}`);
  if (r() < 0.3) lines.push('default allow := false');
  for (let i = 0, n = 2 + Math.floor(r() * 8); i < n; i++) {
    const msg = pick(r, [`"d${i}"`, `"d${i}"`, `sprintf("d${i} %v", [xn])`, `sprintf("d${i} %v", [yv])`, `sprintf("d${i} %v", [object.get(args, "y", "-")])`]);
    lines.push(`deny contains ${msg} if {\n\t${Array.from({ length: 1 + Math.floor(r() * 3) }, () => pick(r, CONDS)).join('\n\t')}\n}`);
  }
  return 'package p\nimport rego.v1\n' + lines.join('\n') + '\n';
}

const SUB = { file: 'r.rego', source: 'package p.r\nimport rego.v1\nxr if lower(input.arguments.z) == "b"\nyr := input.arguments.w\nzr := 3\n' };

for (const mc of [false, true]) describe(`decision memo: random policies, prepared evaluator against the plain one${mc ? ', readers generated' : ''}`, () => {
  beforeEach(() => {
    MEMO_CODEGEN = mc;
  });
  afterEach(() => {
    MEMO_CODEGEN = false;
  });
  for (const seed of [21, 22, 23, 24, 25, 26, 27, 28, 29, 30]) {
    it(`random policy, seed ${seed}`, () => {
      const r = rng(seed);
      const src = genPolicy(r);
      expect(differential([{ file: 'p.rego', source: src }, SUB], [{}], ['data.p.allow', 'data.p.deny'], seed, 600)).toBeNull();
    });
  }

  it('took kept results in these runs', () => {
    const before = memoStats.hits;
    for (const seed of [21, 22, 23]) differential([{ file: 'p.rego', source: genPolicy(rng(seed)) }, SUB], [{}], ['data.p.allow', 'data.p.deny'], seed, 300);
    expect(memoStats.hits).toBeGreaterThan(before);
  });

  it('a reader that errors when evaluated eagerly, but that the query never needs, leaves the decision as a fresh one gives it', () => {
    const src = `package p
import rego.v1
c := 1 if input.arguments.x == 1
c := 2 if input.arguments.x == 1
d := "yes" if lower(input.arguments.y) == "p"
allow if d == "yes"
allow if { input.tool.name == "never"; c == 1 }
`;
    const p = compilePolicy([{ file: 'p.rego', source: src }]);
    const fast = p.prepareRules(['data.p.allow'], { stable: STABLE, memoCodegen: MEMO_CODEGEN });
    const plain = p.prepareRules(['data.p.allow']);
    const tool = TOOLS[0]!;
    for (let i = 0; i < 60; i++) {
      const a = { x: i % 3, y: i % 4 === 0 ? 'P' : `y${i}` };
      const input = { phase: 'request', client: CLIENTS[0], session: SESSION, backend: BACKEND, tool, arguments: a, params: { name: tool.name, arguments: a } };
      expect(answer(() => fast.eval(input))).toBe(answer(() => plain.eval(input)));
    }
  });
});

describe('memberReaders', () => {
  it('attributes a member to every rule that observes it, through aliases and through a function called twice', () => {
    const src = `package p
import rego.v1
args := input.arguments
g(a) := a.y
one := g(args)
two := g(args) if true
three := object.get(input.params.arguments, "z", 0)
top if { one; two; three; input.arguments.w }
`;
    const p = compilePolicy([{ file: 'p.rego', source: src }]);
    const root = p.compiled.root;
    const top = root.find(['p', 'top'])!;
    const found = memberReaders(root, [top])!;
    expect(found.footprint.arguments).toEqual(['w', 'y', 'z']);
    const names = (m: string) => (found.readers.get(m) ?? []).map((n) => n.name).sort();
    expect(names('y')).toEqual(['data.p.one', 'data.p.two']);
    expect(names('z')).toEqual(['data.p.three']);
    expect(names('w')).toEqual(['data.p.top']);
  });

  it('is unbounded (null) when the arguments are iterated', () => {
    const p = compilePolicy([{ file: 'p.rego', source: 'package p\nimport rego.v1\ntop if { some k, _ in input.arguments; k == "a" }\n' }]);
    expect(memberReaders(p.compiled.root, [p.compiled.root.find(['p', 'top'])!])).toBeNull();
  });
});
