/**
 * Policy.inputFootprint (src/policy/rego/topdown/footprint.ts): which top-level members of
 * input.arguments (and of input.params) the decision rules can observe. Constant-key reads through
 * locals, rule values, functions and object.get are bounded; every way of observing the object
 * whole (iteration, a variable key, count/json.marshal/walk, comparison, `=`, a collection, a
 * template, `with`, a dynamic data path that reaches a rule returning it) is unbounded (null). On
 * every shipped pack: the footprint it should have, and a property: two inputs that agree on the
 * observed members get the same allow and deny, whatever the other members hold.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BUILTIN_PACKS_DIR } from '../src/policy/index.js';
import { compilePolicy, toJSON, type InputFootprint, type Policy } from '../src/policy/rego/index.js';
import { UNIVERSES } from './helpers/pack-universe.js';

const HEAD = 'package p\n\nimport rego.v1\n\n';
const compile = (...sources: string[]) => compilePolicy(sources.map((source, i) => ({ file: `m${i}.rego`, source })));
const fp = (body: string, ...others: string[]): InputFootprint | null => compile(HEAD + body, ...others).inputFootprint(['p'], ['allow', 'deny']);
const args = (body: string, ...others: string[]): readonly string[] | null => fp(body, ...others)?.arguments ?? null;

describe('Policy.inputFootprint: bounded reads', () => {
  it('constant keys, directly and through locals, rule values, else values and functions', () => {
    expect(fp('allow if input.tool.name == "x"\n')).toEqual({ arguments: [], params: [] });
    expect(args('allow if input.arguments.b == 1\n\ndeny contains "no" if input.arguments.a\n')).toEqual(['a', 'b']);
    expect(args('allow if {\n\ta := input.arguments\n\ta.ns == "x"\n}\n')).toEqual(['ns']);
    expect(args('default args := {}\n\nargs := input.arguments if is_object(input.arguments)\n\nallow if args.ns == "x"\n')).toEqual(['ns']);
    expect(args('a := input.arguments if input.x else := input.arguments\n\nallow if a.k\n')).toEqual(['k']);
    expect(args('f(a) := a.x\n\nallow if f(input.arguments) == 1\n')).toEqual(['x']);
    expect(args('id(a) := a\n\nallow if {\n\tb := id(input.arguments)\n\tb.y\n}\n')).toEqual(['y']);
    // a helper chain: the value of one rule is the arguments, another reads it
    expect(args('inner := input.arguments\n\nouter := inner\n\nallow if outer.z\n')).toEqual(['z']);
    // values read out of a member are not tracked: iterating them is fine
    expect(args('allow if {\n\tsome k, v in input.arguments.flags\n\tk == v\n}\n')).toEqual(['flags']);
  });

  it('object.get with a constant key or path, type checks, definedness and negation', () => {
    expect(args('allow if object.get(input.arguments, "k", "d") == "v"\n')).toEqual(['k']);
    expect(args('allow if object.get(input, ["arguments", "z"], 0) == 1\n')).toEqual(['z']);
    expect(args('a := object.get(input, "arguments", {})\n\nallow if a.q\n')).toEqual(['q']);
    expect(args('allow if {\n\tis_object(input.arguments)\n\ttype_name(input.arguments) == "object"\n\tinput.arguments\n\tnot is_string(input.arguments)\n}\n')).toEqual([]);
    expect(args('allow if not input.arguments\n')).toEqual([]);
    expect(args('allow if input.arguments.x in {"a", "b"}\n')).toEqual(['x']);
  });

  it('input as a whole, input.params, and rules not reached', () => {
    expect(args('allow if {\n\tx := input\n\tx.arguments.w\n}\n')).toEqual(['w']);
    expect(fp('allow if input.params.arguments.q\n')).toEqual({ arguments: ['q'], params: [] });
    expect(fp('allow if input.params._meta.progressToken\n')).toEqual({ arguments: [], params: ['_meta'] });
    expect(fp('allow if input.params.name == "t"\n')).toEqual({ arguments: [], params: [] });
    expect(args('allow if true\n\nunused if count(input.arguments) > 1\n')).toEqual([]);
    expect(args('allow if data.q.r\n', 'package q\n\nimport rego.v1\n\nr if input.arguments.s\n')).toEqual(['s']);
    // a dynamic data path over rules that read constant keys only
    expect(args('allow if {\n\tsome x\n\tdata.q[x]\n}\n', 'package q\n\nimport rego.v1\n\nr if input.arguments.s\n\nt := input.arguments.u\n')).toEqual(['s', 'u']);
  });
});

describe('Policy.inputFootprint: unbounded', () => {
  const unbounded: Array<[string, string, ...string[]]> = [
    ['iteration', 'allow if {\n\tsome k, v in input.arguments\n\tv == 1\n}\n'],
    ['iteration through a rule value', 'args := input.arguments\n\nallow if {\n\tsome v in args\n\tv == 1\n}\n'],
    ['a variable key', 'allow if {\n\tsome k\n\tinput.arguments[k] == 1\n}\n'],
    ['a key bound to a constant is still a variable', 'allow if {\n\tk := "a"\n\tinput.arguments[k] == 1\n}\n'],
    ['a number key', 'allow if input.arguments[0]\n'],
    ['count', 'allow if count(input.arguments) > 1\n'],
    ['json.marshal', 'allow if contains(json.marshal(input.arguments), "x")\n'],
    ['walk', 'allow if {\n\twalk(input.arguments, [p, v])\n\tv == "x"\n}\n'],
    ['object.keys', 'allow if "a" in object.keys(input.arguments)\n'],
    ['membership', 'allow if 1 in input.arguments\n'],
    ['comparison', 'allow if input.arguments == {"a": 1}\n'],
    ['comparison of an alias', 'a := input.arguments\n\nallow if a != {}\n'],
    ['unification', 'allow if input.arguments = {"a": x}\n'],
    ['unification with a variable', 'allow if {\n\tx = input.arguments\n\tx.a\n}\n'],
    ['with input', 'allow if r with input.arguments as {}\n\nr if input.arguments.a\n'],
    ['with data', 'allow if r with data.q as {}\n\nr if input.arguments.a\n'],
    ['embedded in an array', 'allow if sprintf("%v", [input.arguments]) != ""\n'],
    ['embedded in an object rule value', 'o := {"a": input.arguments}\n\nallow if o.a.b\n'],
    ['a set rule', 's contains input.arguments\n\nallow if count(s) > 0\n'],
    ['a comprehension head', 'allow if count([a | a := input.arguments]) > 0\n'],
    ['a string template', 'allow if $"{input.arguments}" != ""\n'],
    ['a function that counts', 'f(a) := count(a)\n\nallow if f(input.arguments) > 1\n'],
    ['a function that matches a pattern', 'f({"a": 1}) := true\n\nallow if f(input.arguments)\n'],
    ['a function given it twice', 'f(a, a) := true\n\nallow if f(input.arguments, input.arguments)\n'],
    ['the whole input', 'allow if count(input) > 1\n'],
    ['input.params iterated', 'allow if {\n\tsome k in object.keys(input.params)\n\tk == "x"\n}\n'],
    ['input.params by a variable key', 'allow if {\n\tsome k\n\tinput.params[k]\n}\n'],
    ['object.get with a variable key', 'allow if {\n\tsome k in ["a"]\n\tobject.get(input.arguments, k, 0) == 1\n}\n'],
    ['the decision itself', 'allow := input.arguments\n'],
    ['a dynamic data path reaching a rule returning it', 'allow if {\n\tsome x\n\tdata.q[x].a\n}\n', 'package q\n\nargs := input.arguments\n'],
    ['data as a whole', 'allow if count(data) > 0\n'],
    ['a local made of it', 'allow if {\n\tx := [input.arguments]\n\tx[0].a\n}\n'],
  ];
  for (const [what, body, ...others] of unbounded) {
    it(what, () => expect(fp(body, ...others)).toBeNull());
  }
});

const PACK_FOOTPRINTS: Record<string, string[]> = {
  'allow-all': [],
  default: [],
  'read-only': ['action', 'operation'],
  qubinode: [],
  nomad: ['allocation_id', 'file_content', 'job_id', 'job_spec', 'namespace', 'task'],
  orchestrator: ['replicas'],
  containarium: ['username'],
  kubernetes: [
    'allNamespaces', 'all_namespaces', 'apiVersion', 'args', 'command', 'context', 'filename', 'flags', 'fromFile', 'kind', 'manifest', 'name',
    'namespace', 'operation', 'outputFormat', 'patchFile', 'resource', 'resourceType', 'scale', 'subCommand',
  ],
};

function packPolicy(pack: string, data: Record<string, unknown>): Policy {
  const dir = join(BUILTIN_PACKS_DIR, pack);
  const files = readdirSync(dir)
    .filter((f) => f.endsWith('.rego') && !f.endsWith('_test.rego'))
    .map((f) => ({ file: join(dir, f), source: readFileSync(join(dir, f), 'utf8') }));
  return compilePolicy(files, { data: data as never });
}

describe('Policy.inputFootprint: the shipped packs', () => {
  const packs = readdirSync(BUILTIN_PACKS_DIR, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name);

  it('every pack has the footprint its rules read', () => {
    expect(packs.sort()).toEqual(Object.keys(PACK_FOOTPRINTS).sort());
    for (const pack of packs) {
      expect(packPolicy(pack, {}).inputFootprint(['mcp', 'authz'], ['allow', 'deny', 'redact']), pack).toEqual({ arguments: PACK_FOOTPRINTS[pack], params: [] });
    }
  });

  for (const u of UNIVERSES) {
    it(`${u.pack}: inputs equal on the observed members decide the same`, () => {
      const policy = packPolicy(u.pack, u.data);
      const footprint = policy.inputFootprint(['mcp', 'authz'], ['allow', 'deny'])!;
      const observed = new Set(footprint.arguments);
      const rules = policy.prepareRules(['data.mcp.authz.allow', 'data.mcp.authz.deny']);
      const decide = (input: Record<string, unknown>) => JSON.stringify(rules.eval(input).map((v) => (v === undefined ? null : toJSON(v))));
      const value = fc.oneof(fc.string({ maxLength: 8 }), fc.integer(), fc.boolean(), fc.constant(null), fc.constantFrom('default', 'kube-system', 'get pods -n kube-system', 'secrets', 'delete', 'bob'));
      const keys = fc.constantFrom(...footprint.arguments, 'name', 'path', 'x', '_meta', 'replicas', 'namespace');
      const extra = fc.dictionary(keys, value, { maxKeys: 4 });
      const pool = u.clients.flatMap((c) => u.args(c));
      const base = fc.oneof(fc.constantFrom(...pool), extra, fc.tuple(fc.constantFrom(...pool), extra).map(([a, b]) => ({ ...a, ...b })));
      const toolNames = Object.keys(u.tools);
      let differing = 0;
      fc.assert(
        fc.property(fc.constantFrom(...u.clients), fc.constantFrom(...toolNames), base, extra, (client, name, a, other) => {
          // b: a's observed members, other members from `other`
          const b: Record<string, unknown> = {};
          for (const [k, v] of Object.entries(other)) if (!observed.has(k)) b[k] = v;
          for (const [k, v] of Object.entries(a)) if (observed.has(k)) b[k] = v;
          const input = (args: Record<string, unknown>) => ({
            phase: 'request',
            method: 'tools/call',
            direction: 'client_to_server',
            client: { id: client.id, name: client.name, auth: client.auth, roles: client.roles, claims: client.claims },
            session: { id: 's', transport: 'stdio' },
            backend: { name: 'b', transport: 'stdio' },
            tool: { name, backend_name: name, annotations: u.tools[name] ?? {} },
            arguments: args,
            params: { name, arguments: args },
          });
          if (JSON.stringify(a) !== JSON.stringify(b)) differing++;
          expect(decide(input(b))).toBe(decide(input(a)));
        }),
        { numRuns: 300, seed: 4242 },
      );
      expect(differing).toBeGreaterThan(100);
    });
  }
});
