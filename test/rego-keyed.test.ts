/**
 * Values kept by the input members they can observe (src/policy/rego/topdown/keyed.ts), checked
 * differentially: the prepared evaluator the proxy uses (stable roots: carry, effective values,
 * skips and keyed values all on) against the plain evaluator (no stable roots: every query
 * evaluated afresh) and, now and then, against a policy compiled afresh, over sequences of inputs
 * built so that keyed values are taken often: the same tool, client and backend objects for runs
 * of calls, and arguments whose members come from small pools (a member changes, the others stay,
 * as in the bench's true miss where only resourceType is new each call). For every pack in
 * policies/ (with its example data and other settings) and for random policies whose set and
 * complete rules read argument members through aliases, functions, object.get, else chains,
 * iteration, `with` and comprehensions. The tests also check that keyed values were taken (the
 * path under test ran).
 */
import { readdirSync, readFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { describe, expect, it } from 'vitest';
import { compilePolicy, fromJS, toJSON, type Policy } from '../src/policy/rego/index.js';
import { keyedStats } from '../src/policy/rego/topdown/keyed.js';

const STABLE = ['client', 'tool', 'session', 'backend'];
const PACKS = path.resolve(__dirname, '..', 'policies');

/** a small deterministic generator (tests must not depend on luck) */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

type R = () => number;
const pick = <T>(r: R, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;

const TOOL_NAMES = [
  'kubectl_get', 'kubectl_describe', 'kubectl_generic', 'kubectl_delete', 'kubectl_rollout', 'kubectl_context', 'node_management',
  'exec_in_pod', 'kubectl_logs', 'read_file', 'write_file', 'list_directory', 'get-env', 'echo', 'list_dags', 'trigger_dag', 'create_vm',
  'delete_vm', 'get_task_logs', 'list_nomad_jobs', 'stop_job', 'get_job_status', 'scale_workload', 'drain_node', 'delete_workload',
  'get_container', 'create_container', 'list_containers', 'get_metrics', 'frobnicate',
];
/** argument members the packs read, each with a small pool of values (objects and arrays included) */
const ARG_POOLS: Record<string, unknown[]> = {
  resourceType: ['pods', 'secrets', 'Secret', 'deployments'],
  namespace: ['default', 'kube-system', 'monitoring', 7],
  name: ['web', 'db'],
  command: ['get pods', 'get secrets -n kube-system', 'delete pod web', 'rollout restart deploy/web', 'top pods -A', 'auth can-i'],
  subCommand: ['restart', 'status', 'history'],
  args: [['-n', 'kube-system'], ['--namespace=default'], ['-A'], []],
  flags: [{ namespace: 'kube-system' }, { A: true }, { token: 'x' }, {}],
  context: ['staging', 'prod', ''],
  allNamespaces: [true, false],
  operation: ['cordon', 'drain', 'list', 'set'],
  replicas: [1, 3, 10, 50, '2'],
  username: ['alice', 'bob'],
  path: ['/tmp/x', '/etc/passwd'],
  dag_id: ['d1'],
  job_id: ['j1', 'j2'],
};
const ARG_NAMES = Object.keys(ARG_POOLS);

function makeTools(): Record<string, unknown>[] {
  return TOOL_NAMES.map((name, i) => ({
    name,
    backend_name: name,
    description: `tool ${name}`,
    annotations: i % 3 === 0 ? { readOnlyHint: true } : i % 3 === 1 ? { destructiveHint: true } : {},
  }));
}
const CLIENTS = [
  { id: 'sre-bot', name: 'sre-bot', auth: 'api_key', roles: ['viewer'], claims: {} },
  { id: 'alice', name: 'alice', auth: 'jwt', roles: ['operator'], claims: { username: 'alice', role: 'admin' } },
  { id: 'bob', name: 'bob', auth: 'jwt', roles: [], claims: { username: 'bob' } },
];
const BACKENDS = [{ name: 'k8s', transport: 'stdio' }, { name: 'backend', transport: 'stdio' }];
const SESSION = { id: 's1', transport: 'stdio' };

interface Stream {
  next(): Record<string, unknown>;
}

/** inputs as a proxy session makes them: stable objects for runs of calls, argument members from the pools, one changing at a time */
function inputs(r: R): Stream {
  const tools = makeTools();
  let tool = pick(r, tools);
  let client: Record<string, unknown> = pick(r, CLIENTS);
  let backend = pick(r, BACKENDS);
  let phase = 'request';
  let method = 'tools/call';
  let args: Record<string, unknown> = {};
  for (const k of ARG_NAMES) if (r() < 0.2) args[k] = pick(r, ARG_POOLS[k]!);
  return {
    next() {
      if (r() < 0.08) tool = r() < 0.85 ? pick(r, tools) : { ...pick(r, tools) };
      if (r() < 0.04) client = r() < 0.8 ? pick(r, CLIENTS) : structuredClone(pick(r, CLIENTS));
      if (r() < 0.03) backend = pick(r, BACKENDS);
      if (r() < 0.05) phase = pick(r, ['request', 'request', 'list']);
      if (r() < 0.05) method = pick(r, ['tools/call', 'tools/call', 'resources/read', 'ping']);
      // most calls change one member (or none: a fresh but equal object), now and then several
      const changes = r() < 0.1 ? 3 : r() < 0.85 ? 1 : 0;
      for (let c = 0; c < changes; c++) {
        const k = pick(r, ARG_NAMES);
        if (r() < 0.2) delete args[k];
        else args[k] = r() < 0.3 && k === 'resourceType' ? `resourceType-${Math.floor(r() * 1e6)}` : pick(r, ARG_POOLS[k]!);
      }
      if (r() < 0.02) args = {};
      const a = r() < 0.97 ? structuredClone(args) : pick(r, ['text', null, [1]]);
      const input: Record<string, unknown> = {
        phase,
        method,
        direction: r() < 0.03 ? 'server_to_client' : 'client_to_server',
        client,
        session: SESSION,
        backend,
        tool,
        arguments: a,
        // (the proxy names the tool it routes; a caller of the engine may give any name)
        params: { name: r() < 0.85 ? tool.name : pick(r, ['kubectl_get', 'other', 7]), arguments: a },
      };
      if (method === 'resources/read') input.resource = { uri: pick(r, ['k8s://default/pods', 'k8s://kube-system/x', 'orchestrator://nodes']) };
      return input;
    },
  };
}

function packSources(dir: string, seen = new Set<string>()): { file: string; source: string }[] {
  if (seen.has(dir)) return [];
  seen.add(dir);
  const manifest = path.join(dir, 'pack.json');
  const out: { file: string; source: string }[] = [];
  if (existsSync(manifest)) {
    const m = JSON.parse(readFileSync(manifest, 'utf8')) as { include?: string[] };
    for (const inc of m.include ?? []) out.push(...packSources(path.join(PACKS, inc), seen));
  }
  for (const f of readdirSync(dir).sort()) {
    if (f.endsWith('.rego') && !f.endsWith('_test.rego')) out.push({ file: path.join(dir, f), source: readFileSync(path.join(dir, f), 'utf8') });
  }
  return out;
}

function packData(dir: string): unknown[] {
  const datas: unknown[] = [{}];
  const example = path.join(dir, 'example-data.yaml');
  if (existsSync(example)) {
    const d = parseYaml(readFileSync(example, 'utf8')) as Record<string, unknown>;
    datas.push(d);
    // the same settings with every boolean switch flipped
    datas.push(JSON.parse(JSON.stringify(d, (_k, v: unknown) => (typeof v === 'boolean' ? !v : v))));
  }
  return datas;
}

function show(values: unknown[]): string {
  return JSON.stringify(values.map((v) => (v === undefined ? '<undef>' : toJSON(v as never))));
}

function answer(f: () => unknown[]): string {
  try {
    return show(f());
  } catch (e) {
    return `ERR ${(e as Error).message}`;
  }
}

/**
 * runs `steps` inputs through the prepared evaluator with stable roots and through the plain one,
 * every 25th also through a policy compiled afresh; null when all agree, else what differed
 */
function differential(sources: { file: string; source: string }[], datas: unknown[], refs: string[], seed: number, steps: number): string | null {
  const r = rng(seed);
  const values = datas.map((d) => fromJS(d));
  let dataIx = 0;
  const p: Policy = compilePolicy(sources, { data: values[0] });
  const fast = p.prepareRules(refs, { stable: STABLE });
  const plain = p.prepareRules(refs);
  const stream = inputs(r);
  const history: string[] = [];
  for (let i = 0; i < steps; i++) {
    if (r() < 0.01) {
      dataIx = (dataIx + 1) % values.length;
      p.data = values[dataIx]!;
      history.push(`data := ${dataIx}`);
    }
    const input = stream.next();
    const got = answer(() => fast.eval(input));
    const want = answer(() => plain.eval(input));
    history.push(`${JSON.stringify({ ...input, client: (input.client as { id: string }).id, tool: (input.tool as { name: string }).name })} -> ${got}`);
    if (got !== want) return `seed ${seed} step ${i}\nHISTORY:\n${history.slice(-6).join('\n')}\nGOT  ${got}\nWANT ${want}`;
    if (i % 25 === 0) {
      const fresh = answer(() => compilePolicy(sources, { data: values[dataIx] }).prepareRules(refs).eval(input));
      if (fresh !== got) return `seed ${seed} step ${i} (fresh policy)\nHISTORY:\n${history.slice(-6).join('\n')}\nGOT  ${got}\nWANT ${fresh}`;
    }
  }
  return null;
}

const PACK_NAMES = readdirSync(PACKS).filter((d) => packSources(path.join(PACKS, d)).length > 0).sort();

describe('keyed values: every pack, prepared evaluator against the plain one', () => {
  it('finds the packs', () => {
    expect(PACK_NAMES).toEqual(expect.arrayContaining(['kubernetes', 'nomad', 'orchestrator', 'containarium', 'qubinode', 'read-only', 'default']));
  });
  for (const pack of PACK_NAMES) {
    it(`${pack}: decisions over call sequences agree`, () => {
      const dir = path.join(PACKS, pack);
      const before = keyedStats.hits;
      for (const seed of [1, 2, 3]) {
        expect(differential(packSources(dir), packData(dir), ['data.mcp.authz.allow', 'data.mcp.authz.deny'], seed * 7919 + pack.length, 700)).toBeNull();
      }
      // packs whose rules read argument members take keyed values (read-only and default read none)
      if (['kubernetes', 'nomad', 'orchestrator', 'containarium'].includes(pack)) expect(keyedStats.hits).toBeGreaterThan(before);
    });
  }
});

/** rules that read argument members in every way the footprint follows, and some it does not */
const HELPERS = [
  'tname := input.tool.name',
  'default args := {}\nargs := input.arguments if is_object(input.arguments)',
  'ns := args.namespace',
  'rt := lower(args.resourceType) if is_string(args.resourceType)',
  'fl := object.get(args, "flags", {})',
  'flns := object.get(args, ["flags", "namespace"], "none")',
  'g(a) := a.context',
  'ctx := g(args)',
  'kind := "read" if { tname in {"kubectl_get", "kubectl_describe"} } else := "gen" if { tname == "kubectl_generic" } else := "other"',
  'words := [w | some w in split(object.get(args, "command", ""), " "); w != ""]',
  'ver := words[0] if { kind == "gen" } else := "get" if { kind == "read" }',
  'rep := args.replicas if is_number(args.replicas)',
  'anyk if { some k, _ in args; k == "zz" }',
  'cnt := count(args)',
  'wv := x if { x := args.namespace with input.arguments as {"namespace": "w"} }',
  'pn := input.params.name',
  'pa := input.params.arguments.name',
  'rs := "s" if { rt in {"secret", "secrets"} }',
  'hasall if args.allNamespaces == true',
  'nss contains ns if is_string(ns)\nnss contains v if { some k, v in fl; k == "namespace" }\nnss contains words[i + 1] if { some i, w in words; w == "-n" }',
];
const CONDS = [
  'kind == "read"', 'kind == "gen"', 'ns == "default"', 'not ns', 'rt == "pods"', 'rs == "s"', 'flns == "kube-system"', 'flns == "none"',
  'ctx == "prod"', 'not ctx', 'ver == "get"', 'ver == "delete"', 'rep > 5', 'rep == 1', 'anyk', 'cnt > 2', 'wv == "w"', 'pn == tname',
  'pa == "web"', 'hasall', 'not hasall', '"kube-system" in nss', 'count(nss) == 0', 'input.phase == "request"', 'input.phase == "list"',
  '"operator" in input.client.roles', 'input.client.id == "alice"', 'startswith(tname, "kubectl")', 'is_string(args.name)',
  'input.arguments.username == input.client.claims.username', 'input.backend.name == "k8s"', 'input.method == "tools/call"',
];

function genPolicy(r: R): string {
  const lines = [...HELPERS];
  const nAllow = 1 + Math.floor(r() * 4);
  for (let i = 0; i < nAllow; i++) lines.push(`allow if {\n\t${Array.from({ length: 1 + Math.floor(r() * 3) }, () => pick(r, CONDS)).join('\n\t')}\n}`);
  if (r() < 0.3) lines.push('default allow := false');
  const nDeny = 2 + Math.floor(r() * 10);
  for (let i = 0; i < nDeny; i++) {
    const msg = pick(r, [`"d${i}"`, `sprintf("d${i} %v", [ns])`, `sprintf("d${i} %v", [object.get(args, "resourceType", "-")])`, `concat(",", sort(nss))`]);
    lines.push(`deny contains ${msg} if {\n\t${Array.from({ length: 1 + Math.floor(r() * 3) }, () => pick(r, CONDS)).join('\n\t')}\n}`);
  }
  if (r() < 0.3) lines.push('verdict := "no" if { some d in deny } else := "yes"');
  return 'package p\nimport rego.v1\n' + lines.join('\n') + '\n';
}

describe('keyed values: random policies reading argument members, prepared evaluator against the plain one', () => {
  for (const seed of [11, 12, 13, 14, 15, 16, 17, 18]) {
    it(`random policy, seed ${seed}`, () => {
      const r = rng(seed);
      const src = genPolicy(r);
      const refs = r() < 0.5 ? ['data.p.allow', 'data.p.deny'] : ['data.p.deny', 'data.p.allow', 'data.p.verdict', 'data.p.nss'];
      expect(differential([{ file: 'p.rego', source: src }], [{}], refs, seed, 500)).toBeNull();
    });
  }
  it('took keyed values in these runs', () => {
    const before = keyedStats.hits;
    const r = rng(99);
    differential([{ file: 'p.rego', source: genPolicy(r) }], [{}], ['data.p.allow', 'data.p.deny'], 99, 300);
    expect(keyedStats.hits).toBeGreaterThan(before);
  });
});

describe('keyed values: probes made in the middle of a query', () => {
  it('a set rule whose member is first probed after the arguments were walked reads it, not a stale undefined', () => {
    // the node's own entry is unbounded (iteration), so each rule makes its probes as it first runs:
    // rule b's member is probed after rule a's reading walked the arguments in the same query
    const src = `package p
import rego.v1
deny contains "a" if { y := lower(input.arguments.a); y == "x" }
deny contains k if { some k, _ in input.arguments; k == "zz" }
deny contains "b" if { x := lower(input.arguments.b); x == "bad" }
`;
    const p = compilePolicy([{ file: 'p.rego', source: src }]);
    const fast = p.prepareRules(['data.p.deny'], { stable: STABLE });
    const tool = { name: 't' };
    expect(toJSON(fast.eval({ tool, arguments: { a: 'x', b: 'bad' } })[0]!)).toEqual(['a', 'b']);
    // b is absent now: the members rule b added for "bad" must not be taken
    expect(toJSON(fast.eval({ tool, arguments: { a: 'x' } })[0]!)).toEqual(['a']);
  });
});
