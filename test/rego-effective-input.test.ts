// Rule values kept by the input they were decided by (topdown/effective.ts) and carried from one
// query to the next (topdown/carry.ts): every query gives the same values as a fresh evaluation,
// whatever changes between queries (stable roots, scalar roots, arguments, data), for hand-written
// rules (else chains, defaults, sets, indexed rules, functions, `with`) and for the kubernetes pack.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { compilePolicy, fromJS, toJSON, type Policy } from '../src/policy/rego/index.js';
import type { RuleNode } from '../src/policy/rego/compile/tree.js';

const compile = (source: string, data: unknown = {}) =>
  compilePolicy([{ file: 'p.rego', source: `package p\nimport rego.v1\n${source}` }], { data: fromJS(data) });

const STABLE = ['client', 'tool', 'session', 'backend'];

/** a small deterministic generator (tests must not depend on luck) */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

/** evaluates every input with the kept/carried evaluator and afresh; the values must agree */
function sameAsFresh(p: Policy, refs: string[], inputs: unknown[]): void {
  const kept = p.prepareRules(refs, { stable: STABLE });
  for (let i = 0; i < inputs.length; i++) {
    // the kept evaluator first: the fresh one shares the rule nodes and would leave its values there
    const got = kept.eval(inputs[i]).map((v) => (v === undefined ? undefined : toJSON(v)));
    const fresh = p.prepareRules(refs); // no stable roots: nothing kept, nothing carried
    const want = fresh.eval(inputs[i]).map((v) => (v === undefined ? undefined : toJSON(v)));
    expect(got, `query ${i}: ${JSON.stringify(inputs[i])}`).toEqual(want);
  }
}

function node(p: Policy, name: string): RuleNode {
  return p.compiled.root.find(['p', name])!;
}

const RULES = `
  tool := object.get(input.tool, "backend_name", input.tool.name)
  default args := {}
  args := input.arguments if is_object(input.arguments)
  fixed := {"get": "read", "delete": "write"}
  verb := v if {
    v := fixed[tool]
  } else := lower(args.op) if {
    tool == "generic"
  }
  kind := "read" if { verb == "read" } else := "write" if { verb == "write" } else := "unknown" if { verb }
  applies if input.backend.name in data.backends
  allow if { kind == "read"; applies }
  allow if { kind == "write"; input.phase == "list" }
  allow if { input.phase == "list"; tool == "generic" }
  allow if { input.method == "ping" }
  allow if { input.method == "initialize" }
  f(x) := upper(x)
  deny contains sprintf("write %s", [verb]) if { kind == "write"; applies }
  deny contains "unknown" if { kind == "unknown" }
  deny contains f(args.ns) if { is_string(args.ns); args.ns != "default" }
  deny contains "dir" if input.direction == "server_to_client"
  deny contains "phase" if { input.phase == "response"; kind == "read" }
  seen := x if { x := tool with input.tool as {"name": "shadow"} }
  decision := {"allow": allow, "deny": deny, "kind": kind} if allow
  decision := {"allow": false, "deny": deny} if not allow
`;

describe('values kept by the input that decided them, carried across queries', () => {
  it('verb, kind and allow are kept while only the arguments change, and agree with a fresh evaluation', () => {
    const p = compile(RULES, { backends: ['b1'] });
    const tool = { name: 'get' };
    const backend = { name: 'b1' };
    const inputs = Array.from({ length: 6 }, (_, i) => ({ phase: 'request', method: 'tools/call', tool, backend, arguments: { n: i } }));
    sameAsFresh(p, ['data.p.allow', 'data.p.deny', 'data.p.decision'], inputs);
    // decided by the tool alone (its first clause), so kept although verb can read the arguments
    const verb = node(p, 'verb').effective as { value: unknown };
    expect(verb.value).toBe('read');
    const args = node(p, 'args').effective as { value: unknown } | undefined;
    expect(typeof args?.value).toBe('symbol'); // never kept: it is the arguments
  });

  it('agrees with a fresh evaluation over a long random sequence of inputs', () => {
    const p = compile(RULES, { backends: ['b1'] });
    const r = rng(7);
    const pick = <T>(xs: T[]): T => xs[Math.floor(r() * xs.length)]!;
    const tools = [{ name: 'get' }, { name: 'delete' }, { name: 'generic' }, { name: 'x', backend_name: 'get' }, { name: 'odd' }];
    const backends = [{ name: 'b1' }, { name: 'b2' }];
    const inputs: unknown[] = [];
    for (let i = 0; i < 400; i++) {
      const input: Record<string, unknown> = {
        phase: pick(['request', 'request', 'list', 'response']),
        method: pick(['tools/call', 'tools/call', 'ping', 'initialize']),
        backend: pick(backends),
      };
      if (r() < 0.9) input.tool = pick(tools);
      if (r() < 0.3) input.direction = 'server_to_client';
      const a = r();
      if (a < 0.7) input.arguments = { op: pick(['Get', 'Delete', 'scale']), ns: pick(['default', 'kube-system', 3]) };
      else if (a < 0.8) input.arguments = 'not an object';
      // runs of the same input shape, as a proxy sees them
      const repeat = r() < 0.5 ? 3 : 1;
      for (let k = 0; k < repeat; k++) inputs.push({ ...input, arguments: structuredClone(input.arguments) });
    }
    sameAsFresh(p, ['data.p.allow', 'data.p.deny', 'data.p.decision', 'data.p.seen'], inputs);
  });

  it('a changed data document is never answered from the carried values', () => {
    const p = compile(RULES, { backends: ['b1'] });
    const rules = p.prepareRules(['data.p.allow'], { stable: STABLE });
    const input = () => ({ phase: 'request', method: 'tools/call', tool, backend, arguments: {} });
    const tool = { name: 'get' };
    const backend = { name: 'b1' };
    expect(rules.eval(input())[0]).toBe(true);
    expect(rules.eval(input())[0]).toBe(true);
    p.data = fromJS({ backends: ['b2'] });
    expect(rules.eval(input())[0]).toBeUndefined();
  });

  it('a scalar root the value was decided by (input.phase) must be the same value', () => {
    const p = compile('ok if input.phase == "list"\nvia if ok', {});
    const rules = p.prepareRules(['data.p.via'], { stable: STABLE });
    expect(rules.eval({ phase: 'list', arguments: {} })[0]).toBe(true);
    expect(rules.eval({ phase: 'list', arguments: {} })[0]).toBe(true);
    expect(rules.eval({ phase: 'request', arguments: {} })[0]).toBeUndefined();
    expect(rules.eval({ phase: 'list', arguments: {} })[0]).toBe(true);
    // an object where a scalar was: not the same value
    expect(rules.eval({ phase: { x: 1 }, arguments: {} })[0]).toBeUndefined();
  });

  it('agrees with a fresh evaluation for the kubernetes pack', () => {
    const dir = path.resolve(__dirname, '../policies/kubernetes');
    const files = readdirSync(dir)
      .filter((f) => f.endsWith('.rego') && !f.endsWith('_test.rego'))
      .map((f) => ({ file: f, source: readFileSync(path.join(dir, f), 'utf8') }));
    const p = compilePolicy(files, { data: fromJS({ warden: { kubernetes: { allowed_namespaces: ['default', 'dev'], clients: { admin: { allowed_namespaces: ['*'] } } } } }) });
    const r = rng(11);
    const pick = <T>(xs: T[]): T => xs[Math.floor(r() * xs.length)]!;
    const tools = ['kubectl_get', 'kubectl_delete', 'kubectl_generic', 'kubectl_rollout', 'exec_in_pod', 'node_management', 'unknown_tool'].map((name) => ({ name, backend_name: name, annotations: {} }));
    const clients = [{ id: 'bench' }, { id: 'admin' }];
    const session = { id: 's' };
    const backend = { name: 'k8s' };
    const argsFor = (tool: string): unknown => {
      if (tool === 'kubectl_generic') return { command: pick(['get', 'delete', 'rollout']), subCommand: pick(['status', 'pods', '']), args: pick([['-n', 'prod'], ['--all-namespaces'], ['secrets']]) };
      if (tool === 'kubectl_rollout' || tool === 'node_management') return { subCommand: pick(['status', 'restart']), operation: pick(['cordon', 'list']) };
      return { resourceType: pick(['pods', 'secrets']), namespace: pick(['default', 'dev', 'prod', undefined]), name: `pod-${Math.floor(r() * 1e6)}`, allNamespaces: r() < 0.1 };
    };
    const inputs: unknown[] = [];
    for (let i = 0; i < 300; i++) {
      const tool = pick(tools);
      const n = r() < 0.6 ? 4 : 1;
      const phase = pick(['request', 'request', 'list']);
      const direction = r() < 0.1 ? 'server_to_client' : 'client_to_server';
      const client = pick(clients);
      for (let k = 0; k < n; k++) {
        inputs.push({ phase, method: direction === 'server_to_client' ? pick(['ping', 'roots/list']) : 'tools/call', direction, client, session, backend, tool, arguments: argsFor(tool.name) });
      }
    }
    sameAsFresh(p, ['data.mcp.authz.allow', 'data.mcp.authz.deny'], inputs);
  });
});
