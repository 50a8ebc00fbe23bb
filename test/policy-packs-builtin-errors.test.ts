/**
 * Every shipped pack under policy.builtinErrors: strict (the default): no input a client (or a
 * backend, for its tool definitions and its own requests) can send makes a pack's rules raise a
 * builtin error. Such an error now denies (fail closed), but a pack must deny or allow for a reason
 * of its own, never by an error. Calls, list items, resource reads, prompt gets and server requests
 * with arguments, annotations, URIs and params of every JSON type (fast-check), decided through
 * createPolicyDecider with each pack's settings (test/helpers/pack-universe.ts, and more below):
 * no decision has an error, and each is the decision builtinErrors: undefined gives.
 */
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { createPolicyDecider, type PolicyDeciderHandle } from '../src/policy/index.js';
import type { ClientIdentity, InterceptContext } from '../src/types.js';
import { client, listItem, request, toolCall } from './helpers/contexts.js';
import { UNIVERSES } from './helpers/pack-universe.js';

const deciders: PolicyDeciderHandle[] = [];
afterAll(() => deciders.forEach((d) => d.close()));

/** the argument names the packs read (grep of policies/), and a few they do not */
const KEYS = [
  'namespace', 'name', 'command', 'subCommand', 'args', 'flags', 'resourceType', 'context', 'operation', 'allNamespaces',
  'username', 'replicas', 'path', 'job_id', 'dag_id', 'vm_name', 'other',
];

/** values of every JSON type, with strings the packs look into */
const value: fc.Arbitrary<unknown> = fc.oneof(
  fc.jsonValue({ maxDepth: 2 }),
  fc.constantFrom('', '-', '--namespace=kube-system', '-A', 'kube-system', 'default', 'get pods -n x', '*', 'delete', 'exec', 'secrets', '1e400', '5', 'NaN'),
  fc.array(fc.oneof(fc.string({ maxLength: 8 }), fc.integer(), fc.constant(null), fc.boolean()), { maxLength: 4 }),
  fc.constantFrom(1e300, -0, 0.5, 2 ** 53 + 2, -1),
);

const uri = fc.oneof(
  fc.string({ maxLength: 12 }),
  fc.constantFrom('k8s://', 'k8s://default/pods', 'k8s://kube-system/pods', 'kube-system/pods', 'orchestrator://nodes', 'nomad://jobs', 'file:///etc/passwd', 'k8s:///'),
);

const argsObject = fc.dictionary(fc.constantFrom(...KEYS), value, { maxKeys: 5 });
/** arguments as a client may send them: an object, or any other JSON value */
const argsAny: fc.Arbitrary<unknown> = fc.oneof({ weight: 4, arbitrary: argsObject }, { weight: 1, arbitrary: value });
/** annotations as a backend may list them */
const annotations: fc.Arbitrary<unknown> = fc.oneof(
  fc.dictionary(fc.constantFrom('readOnlyHint', 'destructiveHint', 'idempotentHint', 'openWorldHint', 'title'), value, { maxKeys: 3 }),
  value,
);

const SERVER_METHODS = ['sampling/createMessage', 'elicitation/create', 'roots/list', 'tasks/get', 'ping'];
const CLIENT_METHODS = ['initialize', 'tools/list', 'resources/list', 'prompts/list', 'tasks/get', 'tasks/cancel', 'completion/complete', 'logging/setLevel'];

function contexts(toolNames: string[], clients: ClientIdentity[]): fc.Arbitrary<InterceptContext> {
  const c = fc.constantFrom(...clients);
  const t = fc.constantFrom(...toolNames);
  return fc.oneof(
    fc.tuple(c, t, argsAny, annotations).map(([cl, name, args, ann]) => {
      const ctx = toolCall(name, {}, { client: cl, annotations: ann as Record<string, unknown> });
      ctx.arguments = args;
      ctx.params = { name, arguments: args };
      return ctx;
    }),
    fc.tuple(c, t, argsAny).map(([cl, name, args]) => {
      const ctx = toolCall(name, {}, { client: cl });
      ctx.arguments = args;
      ctx.params = { name, arguments: args };
      return ctx;
    }),
    fc.tuple(c, t, annotations).map(([cl, name, ann]) => listItem(name, { client: cl, annotations: ann as Record<string, unknown> })),
    // the proxy gives a resource (a prompt) to the policy only when its URI (name) is a string (router.ts, catalog.ts)
    fc.tuple(c, uri, fc.constantFrom('resources/read', 'resources/subscribe', 'list')).map(([cl, u, m]) =>
      m === 'list'
        ? request('resources/list', { phase: 'list', client: cl, backend: { name: 'backend', transport: 'stdio' }, resource: { uri: u, backend_uri: u } })
        : request(m, { client: cl, backend: { name: 'backend', transport: 'stdio' }, resource: { uri: u, backend_uri: u }, params: { uri: u } }),
    ),
    fc.tuple(c, fc.string({ maxLength: 10 }), argsAny).map(([cl, name, args]) =>
      request('prompts/get', { client: cl, backend: { name: 'backend', transport: 'stdio' }, prompt: { name, backend_name: name }, arguments: args, params: { name, arguments: args } }),
    ),
    fc.tuple(c, fc.constantFrom(...CLIENT_METHODS), fc.dictionary(fc.string({ maxLength: 6 }), value, { maxKeys: 3 })).map(([cl, m, params]) =>
      request(m, { client: cl, backend: { name: 'backend', transport: 'stdio' }, params }),
    ),
    fc.tuple(c, fc.constantFrom(...SERVER_METHODS), fc.dictionary(fc.string({ maxLength: 6 }), value, { maxKeys: 3 })).map(([cl, m, params]) =>
      request(m, { client: cl, direction: 'server_to_client', backend: { name: 'backend', transport: 'stdio' }, params }),
    ),
  );
}

/** clients whose verified claims and roles are of unexpected types (a JWT issuer's claims are JSON of any shape) */
const oddClients: ClientIdentity[] = [
  client('odd-claims', ['user'], { username: 5, roles: 'admin', namespaces: { a: 1 } }, 'jwt'),
  client('odd-roles', ['admin', 'operator', 'viewer'], { username: ['root'] }, 'jwt'),
];

/** settings beyond the universes' own, to reach rules they leave off (contexts, secrets, writes, exec, scoping) */
const MORE_SETTINGS: Record<string, Record<string, unknown>[]> = {
  'read-only': [{ warden: { read_only: { trust_annotations: false, deny_tools: ['echo', 'get-env'], deny_server_requests: ['*'], backends: ['backend'] } } }],
  kubernetes: [
    { warden: { kubernetes: { allowed_contexts: ['staging'], allow_secrets: true, read_only: false, allow_exec: true, deny_server_requests: ['sampling/createMessage'] } } },
    { warden: { kubernetes: { allowed_namespaces: ['*'], backends: ['backend', 'other'] } } },
  ],
  qubinode: [{ warden: { qubinode: { read_only: false, clients: { local: { categories: ['*'] }, 'odd-claims': { categories: ['vms'], read_only: true } } } } }],
  nomad: [{ warden: { nomad: { operator_role: 'operator', default_namespaces: ['default'], clients: { local: { namespaces: ['*'] } }, deny_server_requests: ['*'] } } }],
  orchestrator: [{ warden: { orchestrator: { operator_role: 'admin', max_replicas: 3, operator_resources: ['orchestrator://secrets/', 'orchestrator://nodes/'] } } }],
  containarium: [{ warden: { containarium: { admin_role: 'operator', username_claim: 'sub' } } }],
};

describe('shipped packs raise no builtin error on any input (builtinErrors: strict)', () => {
  for (const u of UNIVERSES) {
    const settings = [u.data, ...(MORE_SETTINGS[u.pack] ?? [])];
    settings.forEach((data, i) => {
      it(`${u.pack}${i === 0 ? '' : ` (settings ${i})`}: every decision allows or denies for a reason of the pack's, as it does with builtinErrors undefined`, () => {
        const strict = createPolicyDecider({ paths: [u.pack], data, watch: false });
        const lenient = createPolicyDecider({ paths: [u.pack], data, watch: false, builtinErrors: 'undefined' });
        deciders.push(strict, lenient);
        fc.assert(
          fc.property(contexts(Object.keys(u.tools).concat('unknown_tool'), [...u.clients, ...oddClients]), (ctx) => {
            const d = strict.decide(ctx);
            const shown = JSON.stringify({ phase: ctx.phase, method: ctx.method, tool: ctx.tool, arguments: ctx.arguments, params: ctx.params, client: ctx.client });
            expect(d.error, shown).toBeUndefined();
            // no rule of the pack needs OPA's default to decide: the same decision either way
            const l = lenient.decide(ctx);
            expect({ allowed: d.allowed, reasons: d.reasons }, shown).toEqual({ allowed: l.allowed, reasons: l.reasons });
          }),
          { numRuns: 1500 },
        );
      });
    });
  }
});
