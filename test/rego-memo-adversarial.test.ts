/**
 * Adversarial differential checks of the decision memo (topdown/memo.ts): hand-written policies whose
 * readers of an arguments member error for some values and not others, change type, are read through
 * aliases, functions, object.get paths, comprehensions and else chains; each run over long sequences
 * where that member takes values of every type (and goes missing), the prepared evaluator (memo,
 * carry, keyed values) against the plain one (every query afresh). Errors must come out as errors.
 */
import { describe, expect, it } from 'vitest';
import { compilePolicy, fromJS, toJSON } from '../src/policy/rego/index.js';
import { memoStats } from '../src/policy/rego/topdown/memo.js';

const STABLE = ['client', 'tool', 'session', 'backend'];
const TOOL = { name: 't', annotations: {} };
const CLIENT = { id: 'c', roles: ['viewer'] };
const SESSION = { id: 's1', transport: 'stdio' };
const BACKEND = { name: 'b', transport: 'stdio' };

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}
const MISSING = Symbol('missing');
const POOL: unknown[] = [MISSING, 0, 1, 2, -1, 1.5, '0', '1', 'a', 'A', 'b', '', 'abc', 'secret', 'SECRET', null, true, false, [], [1], ['a'], {}, { a: 1 }, 1e21, 2 ** 53 + 1];

function answer(f: () => unknown[]): string {
  try {
    return JSON.stringify(f().map((v) => (v === undefined ? '<undef>' : toJSON(v as never))));
  } catch (e) {
    return `ERR ${(e as Error).message}`;
  }
}

export function differential(source: string, refs: string[], seed: number, steps: number, strict = false): string | null {
  const r = rng(seed);
  const datas = [fromJS({}), fromJS({ z: 'a', limit: 1 }), fromJS({ z: 'b', limit: 5 })];
  const p = compilePolicy([{ file: 'p.rego', source }], { data: datas[0] });
  const fast = p.prepareRules(refs, { stable: STABLE, strict });
  const plain = p.prepareRules(refs, { strict });
  const args: Record<string, unknown> = { x: 'a', y: 'p', n: 1 };
  const KEYS = ['x', 'x', 'x', 'y', 'n', 'count', '__proto__'];
  const hist: string[] = [];
  for (let i = 0; i < steps; i++) {
    const k = KEYS[Math.floor(r() * KEYS.length)]!;
    const v = POOL[Math.floor(r() * POOL.length)];
    if (v === MISSING) delete args[k];
    else Object.defineProperty(args, k, { value: structuredClone(v), enumerable: true, configurable: true, writable: true });
    if (r() < 0.02) {
      p.data = datas[Math.floor(r() * datas.length)]!;
      hist.push('data changed');
    }
    const shape = r();
    const a: unknown = shape < 0.03 ? ['x'] : shape < 0.05 ? 'x' : shape < 0.07 ? null : shape < 0.09 ? undefined : structuredClone(args);
    const same = r() < 0.8;
    const input = { phase: 'request', method: 'tools/call', client: CLIENT, session: SESSION, backend: BACKEND, tool: TOOL, arguments: a, params: { name: 't', arguments: same ? a : structuredClone(a) } };
    const got = answer(() => fast.eval(input));
    const want = answer(() => plain.eval(input));
    hist.push(`${JSON.stringify(a)} -> ${got}`);
    if (got !== want) return `step ${i}\n${hist.slice(-4).join('\n')}\nGOT  ${got}\nWANT ${want}`;
  }
  return null;
}

const POLICIES: Record<string, string> = {
  'divide by a member': 'q := 10 / input.arguments.x\nallow if q > 1\nallow if input.arguments.y == "p"',
  'to_number error': 'q := to_number(input.arguments.x)\nallow if q > 0\nallow if input.arguments.n == 1',
  'lower type error': 'rs if lower(input.arguments.x) == "secret"\nallow if not rs\ndeny contains "d" if rs',
  'conflict on some values': 'c := 1 if input.arguments.x == 1\nc := 2 if input.arguments.x == 1\nc := 3 if input.arguments.x == "a"\nallow if c == 3',
  'object.get path': 'q := object.get(input, ["arguments", "x"], "none")\nallow if q == "a"\nallow if input.arguments.y == "p"',
  'object.get on params path': 'q := object.get(input.params, ["arguments", "x"], "none")\nallow if q == "a"',
  'comprehension': 'q := [v | v := input.arguments.x; is_string(v)]\nallow if count(q) > 0',
  'walk': 'q := [p | walk(input.arguments, [p, v]); v == "a"]\nallow if count(q) > 0',
  'json.marshal': 'q := json.marshal(input.arguments)\nallow if contains(q, "secret")',
  'count of arguments': 'q := count(input.arguments)\nallow if q > 2',
  'object.keys': 'q := object.keys(input.arguments)\nallow if "x" in q',
  'some k v': 'q if { some k, v in input.arguments; v == "secret" }\nallow if not q',
  'type_name': 'q := type_name(input.arguments.x)\nallow if q == "string"',
  'sprintf %v': 'q := sprintf("%v", [input.arguments.x])\nallow if q == "1"',
  'equality with number string': 'q if input.arguments.x == 1\nallow if q',
  'else chain error': 'q := 1 if { input.arguments.x > 0 } else := 2 if { input.arguments.x == "a" } else := 3\nallow if q == 2',
  'function of member': 'f(v) := v * 2 if is_number(v)\nf(v) := 0 if not is_number(v)\nq := f(input.arguments.x)\nallow if q > 1',
  'function error on member': 'f(v) := v\nf(v) := 1 if v == "a"\nq := f(input.arguments.x)\nallow if q == "b"',
  'default and not': 'default q := false\nq if input.arguments.x == "a"\nallow if not q',
  'member via params only': 'q := input.params.arguments.x\nallow if q == "a"',
  'both paths differ': 'q := input.params.arguments.x\nr := input.arguments.x\nallow if q == r',
  'array index': 'q := input.arguments.x[0]\nallow if q == 1',
  'string concat': 'q := concat("", [input.arguments.x, "z"])\nallow if q == "az"',
  'nested rule chain': 'q := input.arguments.x\nr := upper(q) if is_string(q)\nallow if r == "A"',
  'reader reads two members': 'q if input.arguments.x == input.arguments.y\nallow if q',
  'reader with set value': 'q := {input.arguments.x}\nallow if "a" in q',
  'reader used in deny message': 'q := input.arguments.x\ndeny contains sprintf("%v", [q]) if input.arguments.y == "p"',
  'numbers float': 'q := input.arguments.x + 0.5\nallow if q == 1.5',
  'is_null': 'q if is_null(input.arguments.x)\nallow if q',
  'unification': 'q if { [a] := input.arguments.x; a == 1 }\nallow if q',
  'object member': 'q := input.arguments.x.a\nallow if q == 1',
  'every': 'q if { every v in input.arguments.x { v == 1 } }\nallow if q',
  'builtin regex': 'q if regex.match("^a", input.arguments.x)\nallow if q',
  'units': 'q := units.parse_bytes(input.arguments.x)\nallow if q > 0',
  'cast via numbers.range': 'q := numbers.range(0, input.arguments.x)\nallow if count(q) > 1',
  'print in reader': 'q if { print(input.arguments.x); input.arguments.x == "a" }\nallow if q',
  'with in query': 'q := input.arguments.x\nallow if { q == "a" with input.arguments.x as "a" }\nallow if input.arguments.y == "p"',
  'with data': 'q := input.arguments.x\nallow if { q == data.z with data.z as "a" }',
  'negation of erroring': 'q if to_number(input.arguments.x) > 0\nallow if not q',
  'time': 'q if input.arguments.x == "a"\nallow if { q; time.now_ns() > 0 }',
  "alias through array literal": "r := is_string(input.arguments.x)\nid(v) := v\nbox(v) := [v]\nboxed := [input.arguments]\nholder := {\"a\": input.arguments}\nallow if { r; [input.arguments][0].x == \"a\" }\ndeny contains \"n\" if input.arguments.n == 2",
  "alias through object literal": "r := is_string(input.arguments.x)\nid(v) := v\nbox(v) := [v]\nboxed := [input.arguments]\nholder := {\"a\": input.arguments}\nallow if { r; {\"a\": input.arguments}.a.x == \"a\" }\ndeny contains \"n\" if input.arguments.n == 2",
  "alias through set literal": "r := is_string(input.arguments.x)\nid(v) := v\nbox(v) := [v]\nboxed := [input.arguments]\nholder := {\"a\": input.arguments}\nallow if { r; some v in {input.arguments}; v.x == \"a\" }\ndeny contains \"n\" if input.arguments.n == 2",
  "alias through some in array": "r := is_string(input.arguments.x)\nid(v) := v\nbox(v) := [v]\nboxed := [input.arguments]\nholder := {\"a\": input.arguments}\nallow if { r; some v in [input.arguments]; v.x == \"a\" }\ndeny contains \"n\" if input.arguments.n == 2",
  "alias through local chain": "r := is_string(input.arguments.x)\nid(v) := v\nbox(v) := [v]\nboxed := [input.arguments]\nholder := {\"a\": input.arguments}\nallow if { r; a := input.arguments; b := a; b.x == \"a\" }\ndeny contains \"n\" if input.arguments.n == 2",
  "alias through array.concat": "r := is_string(input.arguments.x)\nid(v) := v\nbox(v) := [v]\nboxed := [input.arguments]\nholder := {\"a\": input.arguments}\nallow if { r; array.concat([input.arguments], [])[0].x == \"a\" }\ndeny contains \"n\" if input.arguments.n == 2",
  "alias through object.get path": "r := is_string(input.arguments.x)\nid(v) := v\nbox(v) := [v]\nboxed := [input.arguments]\nholder := {\"a\": input.arguments}\nallow if { r; object.get({\"a\": input.arguments}, [\"a\", \"x\"], 0) == \"a\" }\ndeny contains \"n\" if input.arguments.n == 2",
  "alias through object.union": "r := is_string(input.arguments.x)\nid(v) := v\nbox(v) := [v]\nboxed := [input.arguments]\nholder := {\"a\": input.arguments}\nallow if { r; object.union(input.arguments, {}).x == \"a\" }\ndeny contains \"n\" if input.arguments.n == 2",
  "alias through object.filter": "r := is_string(input.arguments.x)\nid(v) := v\nbox(v) := [v]\nboxed := [input.arguments]\nholder := {\"a\": input.arguments}\nallow if { r; object.filter(input.arguments, [\"x\"]).x == \"a\" }\ndeny contains \"n\" if input.arguments.n == 2",
  "alias through object.remove": "r := is_string(input.arguments.x)\nid(v) := v\nbox(v) := [v]\nboxed := [input.arguments]\nholder := {\"a\": input.arguments}\nallow if { r; object.remove(input.arguments, [\"y\"]).x == \"a\" }\ndeny contains \"n\" if input.arguments.n == 2",
  "alias through json.filter": "r := is_string(input.arguments.x)\nid(v) := v\nbox(v) := [v]\nboxed := [input.arguments]\nholder := {\"a\": input.arguments}\nallow if { r; json.filter(input.arguments, [\"x\"]).x == \"a\" }\ndeny contains \"n\" if input.arguments.n == 2",
  "alias through json round trip": "r := is_string(input.arguments.x)\nid(v) := v\nbox(v) := [v]\nboxed := [input.arguments]\nholder := {\"a\": input.arguments}\nallow if { r; json.unmarshal(json.marshal(input.arguments)).x == \"a\" }\ndeny contains \"n\" if input.arguments.n == 2",
  "alias through comprehension": "r := is_string(input.arguments.x)\nid(v) := v\nbox(v) := [v]\nboxed := [input.arguments]\nholder := {\"a\": input.arguments}\nallow if { r; [v | v := input.arguments][0].x == \"a\" }\ndeny contains \"n\" if input.arguments.n == 2",
  "alias through object comprehension": "r := is_string(input.arguments.x)\nid(v) := v\nbox(v) := [v]\nboxed := [input.arguments]\nholder := {\"a\": input.arguments}\nallow if { r; {k: v | k := \"q\"; v := input.arguments}.q.x == \"a\" }\ndeny contains \"n\" if input.arguments.n == 2",
  "alias through input whole": "r := is_string(input.arguments.x)\nid(v) := v\nbox(v) := [v]\nboxed := [input.arguments]\nholder := {\"a\": input.arguments}\nallow if { r; i := input; i.arguments.x == \"a\" }\ndeny contains \"n\" if input.arguments.n == 2",
  "alias through input.params whole": "r := is_string(input.arguments.x)\nid(v) := v\nbox(v) := [v]\nboxed := [input.arguments]\nholder := {\"a\": input.arguments}\nallow if { r; p := input.params; p.arguments.x == \"a\" }\ndeny contains \"n\" if input.arguments.n == 2",
  "alias through function returning args": "r := is_string(input.arguments.x)\nid(v) := v\nbox(v) := [v]\nboxed := [input.arguments]\nholder := {\"a\": input.arguments}\nallow if { r; id(input.arguments).x == \"a\" }\ndeny contains \"n\" if input.arguments.n == 2",
  "alias through function returning container": "r := is_string(input.arguments.x)\nid(v) := v\nbox(v) := [v]\nboxed := [input.arguments]\nholder := {\"a\": input.arguments}\nallow if { r; box(input.arguments)[0].x == \"a\" }\ndeny contains \"n\" if input.arguments.n == 2",
  "alias through walk": "r := is_string(input.arguments.x)\nid(v) := v\nbox(v) := [v]\nboxed := [input.arguments]\nholder := {\"a\": input.arguments}\nallow if { r; walk(input.arguments, [[\"x\"], \"a\"]) }\ndeny contains \"n\" if input.arguments.n == 2",
  "alias through equality": "r := is_string(input.arguments.x)\nid(v) := v\nbox(v) := [v]\nboxed := [input.arguments]\nholder := {\"a\": input.arguments}\nallow if { r; input.arguments == {\"x\": \"a\", \"y\": \"p\", \"n\": 1} }\ndeny contains \"n\" if input.arguments.n == 2",
  "alias through unification": "r := is_string(input.arguments.x)\nid(v) := v\nbox(v) := [v]\nboxed := [input.arguments]\nholder := {\"a\": input.arguments}\nallow if { r; {\"x\": v, \"y\": _, \"n\": _} = input.arguments; v == \"a\" }\ndeny contains \"n\" if input.arguments.n == 2",
  "alias through object.keys count": "r := is_string(input.arguments.x)\nid(v) := v\nbox(v) := [v]\nboxed := [input.arguments]\nholder := {\"a\": input.arguments}\nallow if { r; count(object.keys(input.arguments)) == 3 }\ndeny contains \"n\" if input.arguments.n == 2",
  "alias through rule holding container": "r := is_string(input.arguments.x)\nid(v) := v\nbox(v) := [v]\nboxed := [input.arguments]\nholder := {\"a\": input.arguments}\nallow if { r; boxed[0].x == \"a\" }\ndeny contains \"n\" if input.arguments.n == 2",
  "alias through rule object": "r := is_string(input.arguments.x)\nid(v) := v\nbox(v) := [v]\nboxed := [input.arguments]\nholder := {\"a\": input.arguments}\nallow if { r; holder.a.x == \"a\" }\ndeny contains \"n\" if input.arguments.n == 2",
  "alias through sprintf": "r := is_string(input.arguments.x)\nid(v) := v\nbox(v) := [v]\nboxed := [input.arguments]\nholder := {\"a\": input.arguments}\nallow if { r; sprintf(\"%v\", [input.arguments]) == \"{\\\"n\\\": 1, \\\"x\\\": \\\"a\\\", \\\"y\\\": \\\"p\\\"}\" }\ndeny contains \"n\" if input.arguments.n == 2",
  "alias through type_name": "r := is_string(input.arguments.x)\nid(v) := v\nbox(v) := [v]\nboxed := [input.arguments]\nholder := {\"a\": input.arguments}\nallow if { r; type_name(input.arguments.x) == \"string\"; input.arguments.x == \"a\" }\ndeny contains \"n\" if input.arguments.n == 2",
  "alias through to_number": "r := is_string(input.arguments.x)\nid(v) := v\nbox(v) := [v]\nboxed := [input.arguments]\nholder := {\"a\": input.arguments}\nallow if { r; to_number(input.arguments.n) == 1; input.arguments.x == \"a\" }\ndeny contains \"n\" if input.arguments.n == 2",
  'bracket access': 'q := input["arguments"]["x"]\nallow if q == "a"',
  'variable key': 'q := input.arguments[k] if k := "x"\nallow if q == "a"',
  'variable key from data': 'q := input.arguments[data.z]\nallow if q == "a"\nallow if input.arguments.y == "p"',
  'data compare': 'q := input.arguments.x\nallow if q == data.z\nallow if { input.arguments.n > data.limit }',
  'iteration of member': 'q if { some i; input.arguments.x[i] == 1 }\nallow if q',
  'reader reads other root': 'q if input.arguments.x == input.client.id\nallow if not q',
  'reader chain through function arg': 'q := input.arguments.x\nf(v) := v == "a"\nallow if f(q)',
  'query passes args to function': 'f(a) := a.x\nr := input.arguments.y\nallow if { f(input.arguments) == "a"; r == "p" }',
  'alias rule holds arguments': 'args := input.arguments\nq := args.x\nallow if q == "a"\nallow if args.y == "p"',
  'alias rule read by query': 'args := input.arguments\nq := args.y\nallow if { args.x == "a"; q == "p" }',
  'partial object reader': 'q[k] := v if { some k, v in {"x": input.arguments.x} }\nallow if q.x == "a"',
  'reader is object rule with key': 'q["x"] := input.arguments.x\nallow if q.x == "a"',
  'nested package reader': 'q := input.arguments.x\nallow if data.p.q == "a"',
  'default reader over error': 'default q := "d"\nq := lower(input.arguments.x)\nallow if q == "d"',
  'reader equals undefined vs false': 'q := input.arguments.x == "a"\nallow if q == false',
  'two readers one member': 'q := input.arguments.x\nr := is_string(input.arguments.x)\nallow if { r; q != "a" }',
  'member named like builtin': 'q := input.arguments.count\nallow if q == "a"\nallow if input.arguments.x == "a"',
  'proto member': 'q := input.arguments.__proto__\nallow if q == "a"\nallow if input.arguments.x == "a"',
  // several members cut, one changing at a time: a reader whose own members read as kept is not evaluated (memo.ts readerMasks)
  'reader of one member reads another through a rule': 'rx := lower(input.arguments.x)\nry if { input.arguments.y == "p"; rx == "a" }\nrn := input.arguments.n\nallow if { ry; rn == 1 }\ndeny contains "s" if rx == "secret"',
  'readers of three members, one changing': 'rx if lower(input.arguments.x) in {"secret", "secrets"}\nry := upper(input.arguments.y)\nrn := 10 / input.arguments.n\nallow if { not rx; ry == "P"; rn > 1 }',
  'reader of two members beside readers of one': 'rxy if input.arguments.x == input.arguments.y\nrx := is_string(input.arguments.x)\nrn := input.arguments.n + 1\nallow if { not rxy; rx; rn == 2 }',
  'reader of one member through a function of another': 'f(v) := lower(v)\nry := f(input.arguments.y) if input.arguments.x != "b"\nrn := input.arguments.n\nallow if { ry == "p"; rn == 1 }',
  'reader of a member through the alias and params': 'args := input.arguments if is_object(input.arguments)\ndefault args := {}\nrx if lower(args.x) in {"secret", "secrets"}\nry := input.params.arguments.y\nrn := object.get(args, "n", 0)\nallow if { not rx; ry == "p"; rn == 1 }',
};

describe('decision memo: adversarial policies, prepared against plain', () => {
  for (const [name, body] of Object.entries(POLICIES)) {
    for (const strict of [false, true]) {
      it(`${name}${strict ? ' (strict)' : ''}`, () => {
        const src = `package p\nimport rego.v1\n${body}\n`;
        for (const seed of [1, 2, 3]) expect(differential(src, ['data.p.allow', 'data.p.deny'], seed, 400, strict)).toBeNull();
      });
    }
  }
});

/** reader bodies over one member (M stands for it): many error for some values (type errors, conflicts, division) */
const READERS = [
  'R := lower(M)', 'R := M', 'R := is_string(M)', 'R := count(M)', 'R := M + 1', 'R := 10 / M', 'R := to_number(M)',
  'R if M == "a"', 'R if startswith(M, "a")', 'R := upper(M) if is_string(M)', 'R := type_name(M)',
  'R := 1 if M == 1\nR := 2 if M == 1', 'R := "s" if { M < 3 } else := "b" if { M >= 3 } else := "n"',
  'default R := "d"\nR := sprintf("%v", [M])', 'R := [M, 1]', 'R := {M}', 'R := {"k": M}', 'R := object.get(input.arguments, "M_NAME", "none")',
  'R := concat(",", M)', 'R := M[0]', 'R := abs(M)', 'R := format_int(M, 10)', 'R := trim_space(M)', 'R if regex.match("^[a-z]+$", M)',
];
const QCONDS = [
  'R1', 'not R1', 'R1 == "a"', 'R1 == true', 'R2', 'not R2', 'R2 == 1', 'R2 == "none"', 'R3 == "s"', 'count([R1]) == 1',
  'input.arguments.n == 1', 'input.arguments.x == "a"', 'f(R1)', 'input.tool.name == "t"', 'input.phase == "request"', 'R1 == R2', 'is_string(R3)',
];
function genPolicy(r: () => number): string {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
  const lines: string[] = [];
  const members = ['x', 'y', 'x', 'n'];
  for (const [i, name] of ['R1', 'R2', 'R3'].entries()) {
    const m = i === 2 ? pick(members) : members[i]!;
    const via = pick(['input.arguments.M', 'input.params.arguments.M', 'args.M', 'object.get(input.arguments, "M", null)', 'g(input.arguments)']);
    const body = pick(READERS).replaceAll('M_NAME', m).replaceAll('M', via.replaceAll('M', m)).replaceAll('R', name);
    lines.push(body.replaceAll('g(input.arguments)', `g_${m}(input.arguments)`));
    lines.push(`g_${m}(a) := a.${m}`);
  }
  lines.push('args := input.arguments');
  lines.push('f(v) if v');
  lines.push('f(v) if v == "a"');
  for (let i = 0, n = 1 + Math.floor(r() * 3); i < n; i++) lines.push(`allow if {\n\t${Array.from({ length: 1 + Math.floor(r() * 3) }, () => pick(QCONDS)).join('\n\t')}\n}`);
  if (r() < 0.4) lines.push('default allow := false');
  for (let i = 0, n = Math.floor(r() * 3); i < n; i++) lines.push(`deny contains ${pick(['"d"', 'sprintf("%v", [R1])', 'sprintf("%v", [R2])'])} if {\n\t${pick(QCONDS)}\n}`);
  return 'package p\nimport rego.v1\n' + [...new Set(lines)].join('\n') + '\n';
}

describe('decision memo: random policies of erroring and aliased readers, prepared against plain', () => {
  const before = memoStats.hits;
  for (let seed = 100; seed < 160; seed++) {
    it(`seed ${seed}`, () => {
      let src = genPolicy(rng(seed));
      try {
        compilePolicy([{ file: 'p.rego', source: src }]);
      } catch {
        src = 'package p\nimport rego.v1\nR1 := lower(input.arguments.x)\nallow if R1 == "a"\n';
      }
      for (const strict of [false, true]) expect(differential(src, ['data.p.allow', 'data.p.deny'], seed, 300, strict), src).toBeNull();
    });
  }
  it('took kept results in these runs', () => {
    expect(memoStats.hits - before).toBeGreaterThan(100);
  });
});
