/**
 * The request phase's values taken without copies (PreparedRules.evalShared; RegoPolicy.evaluatePhase
 * returns the same plain values again when the memo returns the same kept result): checked against
 * fresh evaluation for every pack over call sequences where the members the packs read change (new
 * values every call: the true miss; secrets in every spelling; values of other types; members
 * missing; arguments not an object), with the tool, client, phase and data changing now and then.
 * Each answer is compared, as JSON, with a policy compiled afresh and evaluated with no kept state
 * (prepareRules without stable roots), and every answer given is compared again at the end with what
 * it was when given: a result shared between calls is never written.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { describe, expect, it } from 'vitest';
import { REGO_CODEGEN, regoEngine } from '../src/policy/rego-engine.js';
import { compilePolicy, fromJS, toJSON, type Value } from '../src/policy/rego/index.js';
import { memoStats } from '../src/policy/rego/topdown/memo.js';

const PACKS = path.resolve(__dirname, '..', 'policies');

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

function packSources(dir: string, seen = new Set<string>()): { path: string; text: string }[] {
  if (seen.has(dir)) return [];
  seen.add(dir);
  const out: { path: string; text: string }[] = [];
  const manifest = path.join(dir, 'pack.json');
  if (existsSync(manifest)) {
    for (const inc of (JSON.parse(readFileSync(manifest, 'utf8')) as { include?: string[] }).include ?? []) out.push(...packSources(path.join(PACKS, inc), seen));
  }
  for (const f of readdirSync(dir).sort()) if (f.endsWith('.rego') && !f.endsWith('_test.rego')) out.push({ path: path.join(dir, f), text: readFileSync(path.join(dir, f), 'utf8') });
  return out;
}

function packData(dir: string): Record<string, unknown>[] {
  const datas: Record<string, unknown>[] = [{}, { warden: { kubernetes: { allowed_namespaces: ['default'] } } }];
  const example = path.join(dir, 'example-data.yaml');
  if (existsSync(example)) {
    const d = parseYaml(readFileSync(example, 'utf8')) as Record<string, unknown>;
    datas.push(d, JSON.parse(JSON.stringify(d, (_k, v: unknown) => (typeof v === 'boolean' ? !v : v))) as Record<string, unknown>);
  }
  return datas;
}

const TOOLS = ['kubectl_get', 'kubectl_generic', 'kubectl_delete', 'kubectl_rollout', 'kubectl_context', 'exec_in_pod', 'list_dags', 'stop_job', 'scale_workload', 'get_container', 'read_file'].map((name, i) => ({
  name,
  backend_name: name,
  annotations: i % 2 === 0 ? { readOnlyHint: true } : {},
}));
const CLIENTS = [
  { id: 'c1', name: 'c1', auth: 'api_key', roles: ['viewer'], claims: {} },
  { id: 'sre-bot', name: 'sre', auth: 'jwt', roles: ['operator', 'admin'], claims: { sub: 'alice' } },
];
const SESSION = { id: 's', transport: 'stdio' };
const BACKEND = { name: 'backend', transport: 'stdio' };
const POOL: Record<string, unknown[]> = {
  resourceType: ['pods', 'secrets', 'Secret', 'SECRETS', 'secret/x', 'deployments', 7, null, true, ['secrets'], { a: 'secrets' }],
  namespace: ['default', 'kube-system', 'monitoring', 3],
  allNamespaces: [true, false, 'true'],
  operation: ['cordon', 'drain', 'list', 'CORDON'],
  subCommand: ['restart', 'status', 'STATUS'],
  command: ['get pods', 'get secrets -n kube-system', 'delete pod web', ''],
  replicas: [1, 3, 50, '2'],
  username: ['alice', 'bob'],
  dag_id: ['a', 'b'],
};
const KEYS = Object.keys(POOL);

describe('request values without copies (evalShared, evaluatePhase reuse) against fresh evaluation', () => {
  const packs = readdirSync(PACKS).filter((d) => packSources(path.join(PACKS, d)).length > 0).sort();
  for (const pack of packs) {
    it(`${pack}: every answer as a fresh evaluation gives, and none written after it was given`, () => {
      const dir = path.join(PACKS, pack);
      const sources = packSources(dir);
      const datas = packData(dir);
      const hitsBefore = memoStats.hits;
      // answers that were the very object given for the call before (the reuse path ran)
      let same = 0;
      for (const seed of [1, 2]) {
        const r = rng(seed * 7919 + pack.length);
        let dataIx = 0;
        let compiled = regoEngine.compile(sources, datas[0]!, 'mcp.authz', { strictBuiltinErrors: true });
        const plain = () => compilePolicy(sources.map((s) => ({ file: s.path, source: s.text })), { data: fromJS(datas[dataIx]!) }).prepareRules(['data.mcp.authz.allow', 'data.mcp.authz.deny'], { strict: true });
        let fresh = plain();
        const given: { values: unknown; json: string }[] = [];
        let tool = TOOLS[0]!;
        let client = CLIENTS[0]!;
        let phase = 'request';
        const args: Record<string, unknown> = { namespace: 'default', name: 'web', resourceType: 'pods' };
        let n = 0;
        for (let i = 0; i < 600; i++) {
          if (r() < 0.01) {
            dataIx = (dataIx + 1) % datas.length;
            compiled = regoEngine.compile(sources, datas[dataIx]!, 'mcp.authz', { strictBuiltinErrors: true });
            fresh = plain();
          }
          if (r() < 0.03) tool = TOOLS[Math.floor(r() * TOOLS.length)]!;
          if (r() < 0.02) client = CLIENTS[Math.floor(r() * CLIENTS.length)]!;
          if (r() < 0.02) phase = r() < 0.7 ? 'request' : 'list';
          const k = r() < 0.5 ? 'resourceType' : KEYS[Math.floor(r() * KEYS.length)]!;
          const roll = r();
          if (roll < 0.08) delete args[k];
          else if (roll < 0.6) args[k] = `${k}-${n++}`; // never seen before: the true miss
          else args[k] = structuredClone(POOL[k]![Math.floor(r() * POOL[k]!.length)]);
          const shape = r();
          const a: unknown = shape < 0.02 ? 'not an object' : shape < 0.04 ? null : structuredClone(args);
          const input = { phase, method: 'tools/call', direction: 'client_to_server', client, session: SESSION, backend: BACKEND, tool, arguments: a, params: { name: tool.name, arguments: a } };
          let got: string;
          let values: unknown;
          try {
            values = compiled.evaluatePhase!('request', input);
            got = JSON.stringify(values);
          } catch (e) {
            got = `ERR ${(e as Error).message.replace(/^\S+: /, '')}`;
          }
          let want: string;
          try {
            const [allow, deny] = fresh.eval(input);
            const json = (v: Value | undefined) => (v === undefined ? undefined : toJSON(v));
            want = JSON.stringify({ allow: json(allow), deny: json(deny) });
          } catch (e) {
            want = `ERR ${(e as Error).message.replace(/^\S+: /, '')}`;
          }
          expect(got, `${pack} seed ${seed} step ${i}: ${JSON.stringify({ tool: tool.name, client: client.id, phase, a })}`).toBe(want);
          if (values !== undefined) {
            if (given.length > 0 && given[given.length - 1]!.values === values) same++;
            given.push({ values, json: got });
          }
        }
        for (const g of given) expect(JSON.stringify(g.values)).toBe(g.json);
      }
      // the interpreter's memo returns kept results (generated code, MCP_WARDEN_REGO_CODEGEN=1, evaluates every query)
      if (pack === 'kubernetes' && !REGO_CODEGEN) {
        expect(memoStats.hits).toBeGreaterThan(hitsBefore);
        expect(same).toBeGreaterThan(50);
      }
    });
  }
});
