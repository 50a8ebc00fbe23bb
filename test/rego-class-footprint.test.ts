/**
 * Policy.classFootprint (src/policy/rego/topdown/class-walk.ts): which observed members of
 * input.arguments the decision rules read only by class (type checks, comparisons with constant
 * scalars, startswith/endswith with a constant string, membership in a constant set, definedness),
 * tracked through locals, rule values and function parameters, with the constants that make up the
 * class; and the exact readers (plain complete rules that use the value otherwise only in a value
 * defined whenever their body succeeds). Every other use keeps the member exact. Pinned for each
 * shipped pack.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BUILTIN_PACKS_DIR } from '../src/policy/index.js';
import { compilePolicy, type ClassFootprint, type MemberClass } from '../src/policy/rego/index.js';

const HEAD = 'package p\n\nimport rego.v1\n\n';
const compile = (...sources: string[]) => compilePolicy(sources.map((source, i) => ({ file: `m${i}.rego`, source })));
const cf = (body: string): ClassFootprint | null => compile(HEAD + body).classFootprint(['p'], ['allow', 'deny']);
/** the class-keyed members, by name */
const classes = (body: string): Record<string, Omit<MemberClass, 'member'>> =>
  Object.fromEntries((cf(body)?.classes ?? []).map(({ member, ...rest }) => [member, rest]));
const readers = (body: string): string[] => (cf(body)?.readers ?? []).map((n) => n.name).sort();
const plain = { prefixes: [], suffixes: [], equals: [], numbersByValue: false };

describe('Policy.classFootprint: class sinks', () => {
  it('startswith / endswith with constants, equality and membership with constant scalars', () => {
    expect(classes('deny contains "flag" if startswith(input.arguments.name, "-")\n')).toEqual({ name: { ...plain, prefixes: ['-'] } });
    expect(classes('deny contains "exe" if endswith(input.arguments.file, ".exe")\n')).toEqual({ file: { ...plain, suffixes: ['.exe'] } });
    expect(classes('allow if input.arguments.mode == "ro"\n')).toEqual({ mode: { ...plain, equals: ['ro'] } });
    expect(classes('allow if "ro" != input.arguments.mode\n')).toEqual({ mode: { ...plain, equals: ['ro'] } });
    expect(classes('allow if input.arguments.mode in {"b", "a", null, true}\n')).toEqual({ mode: { ...plain, equals: ['a', 'b'] } });
    expect(classes('allow if input.arguments.mode in ["a", 1]\n')).toEqual({ mode: { ...plain, equals: ['a'], numbersByValue: true } });
    expect(classes('allow if input.arguments.n != 1\n')).toEqual({ n: { ...plain, numbersByValue: true } });
    expect(classes('allow if input.arguments.b == true\n\nallow if input.arguments.z == null\n')).toEqual({ b: plain, z: plain });
  });

  it('type checks (their results may go anywhere), definedness, negation', () => {
    expect(classes('deny contains sprintf("got %s", [type_name(input.arguments.name)]) if not is_string(input.arguments.name)\n')).toEqual({ name: plain });
    expect(classes('allow if input.arguments.flag\n\ndeny contains "no" if not input.arguments.other\n')).toEqual({ flag: plain, other: plain });
    expect(classes('allow if {\n\tx := is_number(input.arguments.n)\n\ty := [x, "k"]\n\tcount(y) == 2\n}\n')).toEqual({ n: plain });
  });

  it('through locals, rule values, object.get, else values and function parameters (as the kubernetes pack reads name)', () => {
    expect(classes('allow if {\n\tv := input.arguments.name\n\tstartswith(v, "a")\n}\n')).toEqual({ name: { ...plain, prefixes: ['a'] } });
    expect(classes('default args := {}\n\nargs := input.arguments if is_object(input.arguments)\n\nv := args.name\n\nallow if endswith(v, "z")\n')).toEqual({ name: { ...plain, suffixes: ['z'] } });
    expect(classes('allow if startswith(object.get(input.arguments, "name", ""), "x")\n')).toEqual({ name: { ...plain, prefixes: ['x'] } });
    expect(classes('v := input.arguments.a if input.tool.name == "t" else := "d"\n\nallow if v == "q"\n')).toEqual({ a: { ...plain, equals: ['q'] } });
    const k8s = [
      'problem(key, v) := p if {',
      '\tp := string_problem(key, v)',
      '} else := sprintf("%s starts with -", [key]) if {',
      '\tis_string(v)',
      '\tstartswith(v, "-")',
      '}',
      '',
      'string_problem(key, v) := sprintf("%s must be a string (got %s)", [key, type_name(v)]) if {',
      '\tnot is_string(v)',
      '\tv != null',
      '}',
      '',
      'name_problem := problem("name", input.arguments.name)',
      '',
      'deny contains name_problem',
      '',
    ].join('\n');
    expect(classes(k8s)).toEqual({ name: { ...plain, prefixes: ['-'] } });
    expect(readers(k8s)).toEqual([]);
  });

  it('an exact reader whose bodies read by class and whose value is a comprehension: class-keyed, with that reader', () => {
    const body = 'words := [w | some w in [input.arguments.name]; w != ""] if input.tool.name == "generic"\n\ndeny contains w if {\n\tsome w in words\n\tw == "x"\n}\n\ndeny contains "flag" if startswith(input.arguments.name, "-")\n';
    expect(classes(body)).toEqual({ name: { ...plain, prefixes: ['-'] } });
    expect(readers(body)).toEqual(['data.p.words']);
    // an array of a local bound by the body is defined whenever the body succeeds too
    expect(readers('w := [v] if {\n\tinput.tool.name == "g"\n\tv := input.arguments.name\n}\n\nallow if w\n')).toEqual(['data.p.w']);
  });
});

describe('Policy.classFootprint: exact uses (the member keeps its bytes in the key)', () => {
  const exact: Array<[string, string]> = [
    ['the value in sprintf', 'deny contains sprintf("bad %s", [input.arguments.name]) if is_string(input.arguments.name)\n'],
    ['the value in an array', 'allow if count([input.arguments.name]) == 1\n'],
    ['compared with a variable', 'allow if input.arguments.name == input.tool.name\n'],
    ['compared with another member', 'allow if input.arguments.name == input.arguments.other\n'],
    ['compared with a local bound to a constant', 'allow if {\n\tc := "x"\n\tinput.arguments.name == c\n}\n'],
    ['lower', 'allow if lower(input.arguments.name) == "x"\n'],
    ['count', 'allow if count(input.arguments.name) > 2\n'],
    ['regex.match', 'allow if regex.match("^a", input.arguments.name)\n'],
    ['startswith with a non-constant', 'allow if startswith(input.arguments.name, input.tool.name)\n'],
    ['startswith with the value second', 'allow if startswith("abc", input.arguments.name)\n'],
    ['a number comparison', 'allow if input.arguments.name < 5\n'],
    ['looked into', 'allow if input.arguments.name.x\n'],
    ['object.get into it', 'allow if object.get(input.arguments.name, "x", 0) == 1\n'],
    ['iterated', 'allow if {\n\tsome c in input.arguments.name\n\tc == 1\n}\n'],
    ['unified', 'allow if input.arguments.name = "x"\n'],
    ['a set rule element', 'deny contains input.arguments.name if input.tool.name == "t"\n'],
    ['compared with a constant array', 'allow if input.arguments.name == [1]\n'],
    ['member of a constant object', 'allow if input.arguments.name in {"a": 1}\n'],
    ['member of a set holding an array', 'allow if input.arguments.name in {"a", [1]}\n'],
    ['a function pattern', 'f("x") := true\n\nallow if f(input.arguments.name)\n'],
    ['a function that lowers it', 'f(v) := lower(v)\n\nallow if f(input.arguments.name) == "a"\n'],
    ['an exact reader read in its body', 'w := 1 if lower(input.arguments.name) == "x"\n\nallow if w\n'],
    ['an exact reader with a default', 'default w := []\n\nw := [input.arguments.name] if input.tool.name == "g"\n\nallow if count(w) == 0\n'],
    ['an exact reader whose value may be undefined', 'w := lower(input.arguments.name) if input.tool.name == "g"\n\nallow if not w\n'],
    ['an exact reader whose value is a call', 'w := concat(",", [input.arguments.name]) if input.tool.name == "g"\n\nallow if not w\n'],
    ['a partial set reader', 'ws contains input.arguments.name if input.tool.name == "g"\n\nallow if count(ws) == 0\n'],
    ['the rule value itself', 'allow := input.arguments.name\n'],
    ['two complete rules holding it (their conflict compares it)', 'r := input.arguments.name if input.tool.name == "t"\n\nr := "x" if input.tool.name == "t"\n\nallow if is_string(r)\n'],
    ['two function clauses returning it (their conflict compares it)', 'f(v) := v\n\nf(_) := "x"\n\nallow if is_string(f(input.arguments.name))\n'],
    ['a result given to an output argument bound already (unified: compared)', 'f(_) := input.arguments.name\n\nallow if {\n\tx := "a"\n\tf(1, x)\n}\n'],
    ['an output argument holding it (unified with the result: compared)', 'g(_) := "a"\n\nallow if {\n\tx := input.arguments.name\n\tg(1, x)\n}\n'],
    ['a dynamic data path over a rule holding it', 'v := input.arguments.name\n\nallow if {\n\tsome k\n\tdata.p[k] == "x"\n}\n'],
  ];
  for (const [what, body] of exact) {
    it(what, () => {
      const got = cf(body);
      expect(got?.classes.map((c) => c.member) ?? []).not.toContain('name');
    });
  }
});

const PACK_CLASSES: Record<string, { classes: MemberClass[]; readers: string[] } | null> = {
  'allow-all': null,
  default: null,
  'read-only': null,
  qubinode: null,
  nomad: null,
  orchestrator: null,
  containarium: null,
  kubernetes: {
    classes: [
      { member: 'allNamespaces', prefixes: [], suffixes: [], equals: [''], numbersByValue: true },
      // kubernetes-mcp-server's helm_list and pods_top: only compared with false
      { member: 'all_namespaces', prefixes: [], suffixes: [], equals: [], numbersByValue: false },
      { member: 'filename', prefixes: [], suffixes: [], equals: [''], numbersByValue: false },
      { member: 'fromFile', prefixes: [], suffixes: [], equals: [''], numbersByValue: false },
      // read whole (split into documents) only by manifest_parts, for the manifest tools
      { member: 'manifest', prefixes: [], suffixes: [], equals: [], numbersByValue: false },
      { member: 'name', prefixes: ['-'], suffixes: [], equals: [], numbersByValue: false },
      { member: 'patchFile', prefixes: [], suffixes: [], equals: [''], numbersByValue: false },
      // kubernetes-mcp-server's resources_create_or_update: read whole only by manifest_parts, as manifest
      { member: 'resource', prefixes: [], suffixes: [], equals: [], numbersByValue: false },
    ],
    readers: ['data.mcp.packs.kubernetes.context_set_names', 'data.mcp.packs.kubernetes.manifest_parts', 'data.mcp.packs.kubernetes.operand_words'],
  },
};

describe('Policy.classFootprint: the shipped packs', () => {
  it('every pack: its class-keyed members, their constants and exact readers', () => {
    const packs = readdirSync(BUILTIN_PACKS_DIR, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name);
    expect(packs.sort()).toEqual(Object.keys(PACK_CLASSES).sort());
    for (const pack of packs) {
      const dir = join(BUILTIN_PACKS_DIR, pack);
      const files = readdirSync(dir)
        .filter((f) => f.endsWith('.rego') && !f.endsWith('_test.rego'))
        .map((f) => ({ file: join(dir, f), source: readFileSync(join(dir, f), 'utf8') }));
      const found = compilePolicy(files).classFootprint(['mcp', 'authz'], ['allow', 'deny', 'redact']);
      expect(found === null ? null : { classes: found.classes, readers: found.readers.map((n) => n.name).sort() }, pack).toEqual(PACK_CLASSES[pack]);
    }
  });
});
