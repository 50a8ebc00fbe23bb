/**
 * Differential test of the Rego code generator (src/policy/rego/codegen/) against the interpreter:
 * for each of the six policy packs with its example data (and with no settings, and with the
 * settings of test/helpers/pack-universe.ts), fast-check generates input documents (methods,
 * phases, directions, the packs' tool names, clients with roles and claims, arguments with the
 * members the packs read: namespaces, resourceType, kubectl command strings with -n / --namespace /
 * --all-namespaces / identity flags, flags objects, replicas of every type, usernames, ...). The
 * decision queries of both phases (allow+deny, deny+redact), non-strict and strict, must give
 * deep-equal values from the generated code and from the interpreter, or the same error.
 */
import fc from 'fast-check';
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { compilePolicy, fromJS, toJSON, type Policy, type PreparedRules, type Value } from '../src/policy/rego/index.js';
import { UNIVERSES } from './helpers/pack-universe.js';

const PACKS = ['read-only', 'kubernetes', 'qubinode', 'nomad', 'orchestrator', 'containarium'];
const ROOT = path.resolve(import.meta.dirname, '..');

function packFiles(pack: string) {
  const dir = path.join(ROOT, 'policies', pack);
  return readdirSync(dir)
    .filter((f) => f.endsWith('.rego') && !f.endsWith('_test.rego'))
    .map((f) => ({ file: `${pack}/${f}`, source: readFileSync(path.join(dir, f), 'utf8') }));
}

function dataVariants(pack: string): Record<string, unknown>[] {
  const example = parse(readFileSync(path.join(ROOT, 'policies', pack, 'example-data.yaml'), 'utf8')) as Record<string, unknown>;
  const out: Record<string, unknown>[] = [example, {}];
  const u = UNIVERSES.find((x) => x.pack === pack);
  if (u !== undefined) out.push(u.data);
  if (pack === 'kubernetes') {
    out.push({
      warden: {
        kubernetes: {
          read_only: false, allow_exec: true, allow_secrets: true, allowed_contexts: ['staging'], backends: ['k8s'],
          deny_server_requests: ['*'], allowed_namespaces: ['default'], clients: { 'sre-bot': { allowed_namespaces: ['payments'] } },
        },
      },
    });
    out.push({ warden: { kubernetes: { allowed_namespaces: [], deny_server_requests: ['sampling/createMessage'], read_only: 'no' } } });
  }
  return out;
}

const TOOL_NAMES = [...new Set(UNIVERSES.flatMap((u) => Object.keys(u.tools)))];
const word = fc.constantFrom(
  'get', 'pods', 'top', 'delete', 'pod', 'web', 'rollout', 'status', 'restart', 'exec', '--', 'ls', 'auth', 'can-i', 'secrets', 'secret/db',
  'Secret', '-n', 'kube-system', '--namespace', '--namespace=kube-system', '--namespace=monitoring', '-A', '--all-namespaces',
  '--all-namespaces=false', '--as=system:admin', '--token', 'x', '--kubeconfig=/tmp/k', '-o', 'yaml', 'wide', '--sort-by=.metadata.name',
  '-nkube-system', 'monitoring', 'default', 'payments', '', ' ', 'edit', 'replace', '-f', 'x.yaml', 'apply', 'logs', 'cordon', 'drain',
);
const command = fc.oneof(
  fc.array(word, { maxLength: 6 }).map((ws) => ws.join(' ')),
  fc.array(word, { maxLength: 4 }).map((ws) => ws.join('  \t')),
  fc.array(word, { maxLength: 3 }),
  fc.string({ maxLength: 10 }),
  fc.integer(),
);
const scalar = fc.oneof(fc.string({ maxLength: 8 }), fc.integer({ min: -3, max: 20 }), fc.boolean(), fc.constant(null), fc.double({ noNaN: true, noDefaultInfinity: true }));
const namespace = fc.oneof(fc.constantFrom('default', 'monitoring', 'payments', 'kube-system', 'team-a', 'team-b', '*', ''), scalar);
const args = fc.record(
  {
    namespace,
    resourceType: fc.oneof(fc.constantFrom('pods', 'secrets', 'Secret', 'SECRETS', 'secret', 'configmaps', 'secret/db', 'deployment'), scalar),
    command,
    subCommand: fc.oneof(fc.constantFrom('status', 'restart', 'undo', 'can-i', 'history'), scalar),
    operation: fc.oneof(fc.constantFrom('list', 'get', 'set', 'cordon', 'uncordon', 'drain', 'Drain'), scalar),
    args: fc.oneof(fc.array(word, { maxLength: 5 }), scalar),
    flags: fc.oneof(fc.dictionary(fc.constantFrom('namespace', 'kubeconfig', '--as', 'token', 'output', 'all-namespaces', 'A', 'n'), scalar, { maxKeys: 3 }), scalar),
    context: fc.oneof(fc.constantFrom('prod', 'staging', ''), scalar),
    allNamespaces: fc.oneof(fc.boolean(), scalar),
    replicas: fc.oneof(fc.integer({ min: -2, max: 15 }), fc.constantFrom(2.5, '5', 10, 11, 0, 1e30), scalar),
    username: fc.oneof(fc.constantFrom('alice', 'bob', 'root'), scalar),
    name: fc.oneof(fc.constantFrom('web', 'db'), scalar),
    job_id: fc.constantFrom('web', 'db'),
    dag_id: fc.constantFrom('qubinode_deploy', 'x'),
    vm_name: fc.constantFrom('rhel9-web', 'x'),
    path: fc.constantFrom('/tmp/x', '/etc/passwd'),
  },
  { requiredKeys: [] },
);

/**
 * the same objects again and again (as the proxy passes client, tool, session and backend: kept
 * values of rules that read only those are reused by both engines), or fresh ones
 */
function pooled<T>(arb: fc.Arbitrary<T>, size: number): fc.Arbitrary<T> {
  const pool = fc.sample(arb, { numRuns: size, seed: 7 });
  return fc.oneof({ weight: 4, arbitrary: fc.integer({ min: 0, max: pool.length - 1 }).map((i) => pool[i]!) }, { weight: 1, arbitrary: arb });
}

const inputMembers = {
    phase: fc.constantFrom('request', 'response', 'list', 'other'),
    method: fc.constantFrom('tools/call', 'tools/list', 'initialize', 'resources/read', 'sampling/createMessage', 'elicitation/create', 'roots/list', 'ping', 'prompts/get', 'notifications/initialized'),
    direction: fc.constantFrom('client_to_server', 'server_to_client'),
    client: pooled(fc.record(
      {
        id: fc.constantFrom('local', 'sre-bot', 'viewer', 'team-a', 'ops', 'stranger', 'agent', 'sre', 'anon', 'u-root', 'u-alice', 'ops-team', 'dashboard', 'root'),
        auth: fc.constantFrom('api_key', 'jwt', 'local', 'anonymous'),
        roles: fc.subarray(['viewer', 'developer', 'operator', 'admin', 'user']),
        claims: fc.record({ username: fc.oneof(fc.constantFrom('alice', 'bob', 'root'), scalar) }, { requiredKeys: [] }),
      },
      { requiredKeys: ['id'] },
    ), 12),
    session: fc.constant({ id: 's1', transport: 'stdio' }),
    backend: pooled(fc.record({ name: fc.constantFrom('k8s', 'backend', 'other') }), 3),
    tool: pooled(fc.record(
      {
        name: fc.oneof(fc.constantFrom(...TOOL_NAMES), fc.string({ maxLength: 6 })),
        backend_name: fc.constantFrom(...TOOL_NAMES),
        annotations: fc.record({ read: fc.boolean(), destructive: fc.boolean(), readOnlyHint: fc.boolean() }, { requiredKeys: [] }),
      },
      { requiredKeys: ['name'] },
    ), 30),
    arguments: fc.oneof({ weight: 8, arbitrary: args }, { weight: 1, arbitrary: scalar }, { weight: 1, arbitrary: fc.array(scalar, { maxLength: 2 }) }),
    resource: fc.record({ uri: fc.constantFrom('k8s://default/pods', 'k8s://kube-system/pods', 'file:///x', 'k8s://') }),
};
const input = fc.record(inputMembers, { requiredKeys: ['phase', 'method', 'client'] });

type Outcome = { values: unknown[] } | { error: string };

function outcome(q: PreparedRules, doc: unknown): Outcome {
  try {
    return { values: q.eval(doc).map((v: Value | undefined) => (v === undefined ? 'UNDEFINED' : toJSON(v))) };
  } catch (e) {
    return { error: String((e as Error).message) };
  }
}

const QUERIES = [
  ['data.mcp.authz.allow', 'data.mcp.authz.deny'],
  ['data.mcp.authz.deny', 'data.mcp.authz.redact'],
];

function pairsFor(policy: Policy) {
  const out: { interp: PreparedRules; gen: PreparedRules }[] = [];
  for (const refs of QUERIES) {
    for (const strict of [false, true]) {
      const gen = policy.prepareRules(refs, { strict, codegen: true, stable: ['client', 'tool', 'session', 'backend'] });
      expect(gen.interpreted, `${refs.join(',')}: not compiled`).toBeNull();
      out.push({ interp: policy.prepareRules(refs, { strict, stable: ['client', 'tool', 'session', 'backend'] }), gen });
    }
  }
  return out;
}

describe('codegen agrees with the interpreter on the policy packs', () => {
  for (const pack of PACKS) {
    it(`${pack}`, () => {
      const variants = dataVariants(pack);
      let errors = 0;
      let defined = 0;
      for (const data of variants) {
        const policy = compilePolicy(packFiles(pack), { data: fromJS(data) });
        const pairs = pairsFor(policy);
        fc.assert(
          fc.property(input, (doc) => {
            for (const { interp, gen } of pairs) {
              const a = outcome(interp, doc);
              const b = outcome(gen, doc);
              expect(b).toStrictEqual(a);
              if ('error' in a) errors++;
              else if (a.values.some((v) => v !== 'UNDEFINED' && !(Array.isArray(v) && v.length === 0))) defined++;
            }
          }),
          { numRuns: 250 },
        );
      }
      // the inputs reach decisions (some allowed or denied), not only undefined values
      expect(defined).toBeGreaterThan(100);
      void errors;
    }, 180_000);
  }
});
