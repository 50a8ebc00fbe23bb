// Rule values that read only stable input roots (topdown/partial.ts): which rules qualify, and a
// kept value is reused only while those roots are the same objects over the same data, never
// under `with`, and never for rules that also read other parts of the input.
import { describe, expect, it } from 'vitest';
import { compilePolicy, fromJS, toJSON } from '../src/policy/rego/index.js';
import { inputRoots } from '../src/policy/rego/topdown/partial.js';

const compile = (source: string, data: unknown = {}) =>
  compilePolicy([{ file: 'p.rego', source: `package p\nimport rego.v1\n${source}` }], { data: fromJS(data) });

const STABLE = ['client', 'tool'];

describe('input roots of rules', () => {
  it('follows rules, functions and data refs; unknown for the whole input, dynamic keys, with and volatile builtins', () => {
    const p = compile(`
      t := object.get(input.tool, "backend_name", input.tool.name)
      known if t in {"a", "b"}
      both if { known; input.client.id == "x" }
      f(x) := x == input.client.id
      via_f if f("y")
      args := input.arguments
      uses_args if { known; args.n > 1 }
      whole := input
      k := "tool"
      dynamic := input[k]
      mocked := t if { true with input as {} }
      now := time.now_ns()
      settings := data.cfg
      free if settings.on
    `);
    const root = p.compiled.root;
    const roots = (name: string) => {
      const r = inputRoots(root.find(['p', name])!, root);
      return r === null ? null : [...r].sort();
    };
    expect(roots('t')).toEqual(['tool']);
    expect(roots('known')).toEqual(['tool']);
    expect(roots('both')).toEqual(['client', 'tool']);
    expect(roots('via_f')).toEqual(['client']);
    expect(roots('uses_args')).toEqual(['arguments', 'tool']);
    expect(roots('free')).toEqual([]);
    for (const name of ['whole', 'dynamic', 'mocked', 'now']) expect(roots(name), name).toBeNull();
  });
});

describe('values kept while the stable roots are the same objects', () => {
  const source = `
    t := input.tool.name
    calls contains 1 if t
    known if t in {"a", "b"}
    named := concat("/", [input.client.id, t])
    decision := {"known": known, "named": named, "n": input.n} if known
    decision := {"known": false, "n": input.n} if not known
  `;

  it('gives the same values as evaluating every query afresh', () => {
    const p = compile(source);
    const kept = p.prepareRules(['data.p.decision'], { stable: STABLE });
    const fresh = p.prepareRules(['data.p.decision']);
    const toolA = { name: 'a' };
    const toolZ = { name: 'z' };
    const client = { id: 'c1' };
    const inputs = [
      { tool: toolA, client, n: 1 },
      { tool: toolA, client, n: 2 },
      { tool: toolZ, client, n: 3 },
      { tool: toolA, client: { id: 'c2' }, n: 4 },
      { tool: toolA, client, n: 5 },
      { client, n: 6 },
      { tool: toolZ, client, n: 7 },
    ];
    for (const input of inputs) expect(toJSON(kept.eval(input)[0]!), JSON.stringify(input)).toEqual(toJSON(fresh.eval(input)[0]!));
    expect(toJSON(kept.eval({ tool: toolA, client, n: 8 })[0]!)).toEqual({ known: true, named: 'c1/a', n: 8 });
  });

  it('is recomputed when the data document changes', () => {
    const p = compile('allowed := data.names\nok if input.tool.name in allowed', { names: ['a'] });
    const rule = p.prepareRules(['data.p.ok'], { stable: STABLE });
    const tool = { name: 'a' };
    expect(rule.eval({ tool })[0]).toBe(true);
    p.data = fromJS({ names: ['b'] });
    expect(rule.eval({ tool })[0]).toBeUndefined();
  });

  it('is not reused by a rule that also reads a root that is not stable', () => {
    const p = compile('ok if { input.tool.name == "a"; input.n > 1 }');
    const rule = p.prepareRules(['data.p.ok'], { stable: STABLE });
    const tool = { name: 'a' };
    expect(rule.eval({ tool, n: 2 })[0]).toBe(true);
    expect(rule.eval({ tool, n: 0 })[0]).toBeUndefined();
  });

  it('is not used under `with input` replacing the stable roots', () => {
    const p = compile('t := input.tool.name\nviaWith := x if {\n  x := t with input as {"tool": {"name": "w"}}\n}\nboth := [t, viaWith]');
    const rule = p.prepareRules(['data.p.both'], { stable: STABLE });
    const tool = { name: 'a' };
    expect(toJSON(rule.eval({ tool })[0]!)).toEqual(['a', 'w']);
    expect(toJSON(rule.eval({ tool })[0]!)).toEqual(['a', 'w']);
    expect(toJSON(rule.eval({ tool: { name: 'b' } })[0]!)).toEqual(['b', 'w']);
  });

  it('keeps nothing without stable roots', () => {
    const p = compile('t := input.tool.name');
    const rule = p.prepareRules(['data.p.t']);
    const tool = { name: 'a' };
    expect(rule.eval({ tool })[0]).toBe('a');
    tool.name = 'b'; // mutating is only allowed when the caller does not promise stable roots
    expect(rule.eval({ tool })[0]).toBe('b');
  });
});
