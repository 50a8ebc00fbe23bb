/**
 * src/proxy/argument-case.ts: which argument names a Go backend binding arguments to a struct could
 * read as another (refused), on parsed arguments and on a compact line's bytes (the judged byte
 * path, from the strict distinct-keys scan's spans and deep-name bits). The byte check may give up
 * (the line is then parsed and checked), but must never pass a line the parsed check refuses; and it
 * must pass, without a parse, a call whose names are declared exactly (kubectl_get's resourceType).
 */
import { describe, expect, it } from 'vitest';
import { argumentCaseProblem, argumentNames, argumentNamesPass } from '../src/proxy/argument-case.js';
import { compactToolCallIdAt, idSpan } from '../src/proxy/compact-bytes.js';
import { argSpans, distinctKeysToolCall, memberSpans } from '../src/proxy/distinct-keys.js';
import type { ToolInfo } from '../src/types.js';

const nested = { type: 'object', properties: { namespace: { type: 'string' }, labelSelector: { type: 'string' } } };
const GET: ToolInfo = {
  name: 'kubectl_get',
  backendName: 'kubectl_get',
  inputSchema: {
    type: 'object',
    properties: {
      resourceType: { type: 'string' },
      name: { type: 'string' },
      namespace: { type: 'string' },
      allNamespaces: { type: 'boolean' },
      labels: { type: 'object', additionalProperties: { type: 'string' } },
      target: nested,
      targets: { type: 'array', items: nested },
    },
  },
};
/** a schema whose nested level knows only names in lower case */
const LOWER: ToolInfo = { name: 'lower', backendName: 'lower', inputSchema: { properties: { spec: { properties: { namespace: {} } } } } };
const BARE: ToolInfo = { name: 'bare', backendName: 'bare', inputSchema: { type: 'object' } };
const UNKNOWN: ToolInfo = { name: 'unknown', backendName: 'unknown' };
/** names declared through $ref ($defs, definitions), allOf, anyOf, oneOf, as Go schema generators write them */
const REF: ToolInfo = {
  name: 'ref',
  backendName: 'ref',
  inputSchema: {
    type: 'object',
    $defs: {
      Target: { type: 'object', properties: { namespace: { type: 'string' }, labelSelector: { type: 'string' } } },
      Meta: { properties: { namespace: {} } },
    },
    definitions: { Spec: { properties: { replicas: {}, podTemplate: { $ref: '#/definitions/Template' } } }, Template: { properties: { serviceAccount: {} } } },
    properties: {
      target: { $ref: '#/$defs/Target' },
      targets: { type: 'array', items: { $ref: '#/$defs/Target' } },
      spec: { $ref: '#/definitions/Spec' },
      maybe: { anyOf: [{ $ref: '#/$defs/Target' }, { type: 'null' }] },
      labels: { $ref: '#/$defs/Labels' }, // (missing: below)
    },
    allOf: [{ $ref: '#/$defs/Meta' }, { properties: { resourceType: {} } }],
    oneOf: [{ properties: { podName: {} } }, { properties: { nodeName: {} } }],
  },
};
/** cycles: a tree node whose children are nodes, a $ref loop with no end, the root referring to itself */
const TREE: ToolInfo = {
  name: 'tree',
  backendName: 'tree',
  inputSchema: {
    $ref: '#/$defs/Node',
    $defs: {
      Node: { properties: { name: {}, left: { $ref: '#/$defs/Node' }, right: { $ref: '#/$defs/Node' } } },
      Loop: { allOf: [{ $ref: '#/$defs/Loop2' }] },
      Loop2: { anyOf: [{ $ref: '#/$defs/Loop' }], properties: { kind: {} } },
      Spin: { $ref: '#/$defs/Spin' },
    },
    properties: { loop: { $ref: '#/$defs/Loop' }, self: { $ref: '#' }, spin: { $ref: '#/$defs/Spin' } },
  },
};
/** $refs to nothing, to another document, not a string: the level is strict */
const MISSING: ToolInfo = {
  name: 'missing',
  backendName: 'missing',
  inputSchema: {
    properties: {
      name: {},
      spec: { $ref: '#/$defs/Nope' },
      ext: { $ref: 'https://example.com/schema.json#/$defs/Spec' },
      odd: { $ref: 7 },
      items: { type: 'array', items: { $ref: '#/definitions/Gone/0' } },
    },
  },
};
/** maps of structs (Go's map[string]T): additionalProperties (or patternProperties) describing the values, keys free-form; at the top level too */
const MAP: ToolInfo = {
  name: 'map',
  backendName: 'map',
  inputSchema: {
    type: 'object',
    properties: { byName: { type: 'object', additionalProperties: nested }, byPattern: { patternProperties: { '^x': nested } }, any: { additionalProperties: {} }, none: { additionalProperties: false } },
    additionalProperties: { properties: { namespace: {} } },
  },
};
/** a tree of maps through $refs (a directory: entries by name, each with children), and a map of itself only */
const MAP_TREE: ToolInfo = {
  name: 'map_tree',
  backendName: 'map_tree',
  inputSchema: {
    properties: { root: { $ref: '#/$defs/Dir' }, loop: { $ref: '#/$defs/Loop' } },
    $defs: { Dir: { additionalProperties: { $ref: '#/$defs/Entry' } }, Entry: { properties: { name: {}, children: { $ref: '#/$defs/Dir' } } }, Loop: { additionalProperties: { $ref: '#/$defs/Loop' } } },
  },
};
const MISSING_TOP: ToolInfo = { name: 'missing_top', backendName: 'missing_top', inputSchema: { $ref: '#/$defs/Gone', properties: { resourceType: {} } } };
/** the members of arguments a policy reads (PolicyDecider.argumentsRead) */
const READ = ['namespace', 'verb'];

/** The byte check of a compact call with these arguments (JSON text), after the strict scan. */
function onBytes(tool: ToolInfo, args: string, read?: readonly string[]): boolean {
  const line = Buffer.from(`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"${tool.name}","arguments":${args}}}`);
  expect(compactToolCallIdAt(line, 0, line.length)).toBe(1);
  // the scan's own verdict (two names folding alike in one object: declined before any check)
  if (!distinctKeysToolCall(line, 0, line.length, idSpan.params, idSpan.before, true, true)) return false;
  if (memberSpans.overflow) return false;
  return argumentNamesPass(argumentNames(tool, read), line, argSpans.nameStart, argSpans.nameEnd, argSpans.deep, memberSpans.argsCount);
}

const parsed = (tool: ToolInfo, args: string, read?: readonly string[]) => argumentCaseProblem(argumentNames(tool, read), JSON.parse(args));

describe('argument names differing from the known ones only in case', () => {
  it.each([
    ['{"resourceType":"pods","namespace":"default"}'],
    ['{"resourceType":"pods","name":"web","allNamespaces":false}'],
    ['{"resourceType":"pods","ExtraFlag":true,"Other":{"Namespace":"x"}}'], // undeclared, folding like none; an undescribed object
    ['{"labels":{"App":"web","Namespace":"x"}}'], // a free-form map the schema declares without properties
    ['{"résumé":1,"é":2}'],
  ])('pass, parsed and on bytes (no parse): %s', (args) => {
    expect(parsed(GET, args)).toBeUndefined();
    expect(onBytes(GET, args)).toBe(true);
  });

  it.each([
    ['{"resourceType":"pods","Namespace":"kube-system"}', "argument 'Namespace' differs from 'namespace'"],
    ['{"resourceType":"pods","nameſpace":"kube-system"}', "argument 'nameſpace' differs from 'namespace'"],
    ['{"resourcetype":"secrets"}', "argument 'resourcetype' differs from 'resourceType'"], // no capital, yet Go binds it to resourceType
    ['{"resourceTYPE":"secrets","namespace":"default"}', "argument 'resourceTYPE' differs from 'resourceType'"],
    ['{"allNamespaceſ":true}', "argument 'allNamespaceſ' differs from 'allNamespaces'"],
    ['{"\u212aind":1,"namespace":"default","NAME":"x"}', "argument 'NAME' differs from 'name'"],
    ['{"target":{"Namespace":"kube-system"}}', "argument 'target.Namespace' differs from 'namespace'"],
    ['{"target":{"labelselector":"a"}}', "argument 'target.labelselector' differs from 'labelSelector'"],
    ['{"targets":[{"namespace":"a"},{"NAMESPACE":"b"}]}', "argument 'targets.1.NAMESPACE' differs from 'namespace'"],
  ])('refused, parsed, and never passed on bytes: %s', (args, named) => {
    expect(parsed(GET, args)).toContain(named);
    expect(onBytes(GET, args)).toBe(false);
  });

  it('objects the schema describes with a name not its own lower case (labelSelector): passed when parsed, parsed to tell', () => {
    const args = '{"target":{"namespace":"default","Other":1},"targets":[{"labelSelector":"a=b"}]}';
    expect(parsed(GET, args)).toBeUndefined();
    expect(onBytes(GET, args)).toBe(false);
    // other members' objects are not looked at
    expect(onBytes(GET, '{"resourceType":"pods","labels":{"labelselector":"x"},"other":[{"Target":1}]}')).toBe(true);
  });

  it('nested levels that know only lower-case names: a lower-case nested name stays on bytes, a capital one is parsed', () => {
    expect(onBytes(LOWER, '{"spec":{"namespace":"a","other":{"x":1}}}')).toBe(true);
    expect(parsed(LOWER, '{"spec":{"Namespace":"a"}}')).toContain("'spec.Namespace' differs from 'namespace'");
    expect(onBytes(LOWER, '{"spec":{"Namespace":"a"}}')).toBe(false);
  });

  it('no properties declared: the names the policy reads (argumentsRead) are the known ones', () => {
    for (const tool of [BARE, UNKNOWN]) {
      expect(parsed(tool, '{"Namespace":"x"}', READ)).toContain("'Namespace' differs from 'namespace'");
      expect(onBytes(tool, '{"Namespace":"x"}', READ)).toBe(false);
      // a name the policy does not read cannot change its decision
      expect(parsed(tool, '{"HOME":"/x","Env":{"PATH":"/bin"}}', READ)).toBeUndefined();
      expect(onBytes(tool, '{"HOME":"/x","Env":{"PATH":"/bin"}}', READ)).toBe(true);
    }
  });

  it('nothing known (no properties, the policy not analysed): any name not its own lower case is refused, at any depth', () => {
    for (const tool of [BARE, UNKNOWN]) {
      expect(parsed(tool, '{"namespace":"x","é":1,"spec":{"a_b":2}}')).toBeUndefined();
      expect(onBytes(tool, '{"namespace":"x","spec":{"a_b":2}}')).toBe(true);
      for (const [args, named] of [
        ['{"Namespace":"x"}', "'Namespace' differs from 'namespace'"],
        ['{"nameſpace":"x"}', "'nameſpace' differs from 'namespace'"],
        ['{"spec":{"Namespace":"x"}}', "'spec.Namespace' differs from 'namespace'"],
        ['{"É":1}', "'É' differs from 'é'"],
      ]) {
        expect(parsed(tool, args!)).toContain(named);
        expect(onBytes(tool, args!)).toBe(false);
      }
    }
  });

  describe('names declared through $ref, allOf, anyOf, oneOf', () => {
    it.each([
      ['{"Namespace":"x"}', "'Namespace' differs from 'namespace'"], // allOf: a $ref to $defs
      ['{"ResourceType":"pods"}', "'ResourceType' differs from 'resourceType'"], // allOf: inline
      ['{"PODNAME":"web"}', "'PODNAME' differs from 'podName'"], // oneOf: a branch's
      ['{"nodename":"n1"}', "'nodename' differs from 'nodeName'"], // oneOf: the other branch's
      ['{"target":{"Namespace":"kube-system"}}', "'target.Namespace' differs from 'namespace'"],
      ['{"targets":[{"namespace":"a"},{"LabelSelector":"b"}]}', "'targets.1.LabelSelector' differs from 'labelSelector'"],
      ['{"spec":{"podTemplate":{"ServiceAccount":"admin"}}}', "'spec.podTemplate.ServiceAccount' differs from 'serviceAccount'"], // definitions, a $ref in a $ref's target
      ['{"maybe":{"nameſpace":"kube-system"}}', "'maybe.nameſpace' differs from 'namespace'"], // anyOf [$ref, null]
    ])('refused, parsed, and never passed on bytes: %s', (args, named) => {
      expect(parsed(REF, args)).toContain(named);
      expect(onBytes(REF, args)).toBe(false);
    });

    it('names declared exactly, and names folding like none, pass', () => {
      const args = '{"namespace":"x","resourceType":"pods","podName":"a","nodeName":"b","Extra":1,"target":{"namespace":"x","Other":1},"spec":{"replicas":2,"podTemplate":{"serviceAccount":"sa"}}}';
      expect(parsed(REF, args)).toBeUndefined();
      // the byte check takes the top level; the nested levels know labelSelector / serviceAccount (not their own lower case): parsed to tell
      expect(onBytes(REF, '{"namespace":"x","resourceType":"pods","podName":"a","Extra":1}')).toBe(true);
    });

    it('cycles: followed once, as a cycle of levels (checked deeper than the depth the schema was followed to), without throwing', () => {
      const deep = (n: number, inner: string): string => (n === 0 ? inner : `{"left":${deep(n - 1, inner)}}`);
      expect(parsed(TREE, deep(40, '{"name":"a","right":{"Name":"x"}}'))).toContain(`'${'left.'.repeat(40)}right.Name' differs from 'name'`);
      expect(parsed(TREE, deep(40, '{"name":"a"}'))).toBeUndefined();
      expect(onBytes(TREE, deep(40, '{"Name":"x"}'))).toBe(false);
      expect(onBytes(TREE, deep(3, '{"name":"x"}'))).toBe(true); // every name known there is its own lower case
      expect(parsed(TREE, '{"loop":{"Kind":"x"}}')).toContain("'loop.Kind' differs from 'kind'");
      expect(parsed(TREE, '{"self":{"self":{"Loop":1}}}')).toContain("'self.self.Loop' differs from 'loop'");
      // a $ref to itself declares no names: its object is not described
      expect(parsed(TREE, '{"spin":{"Anything":1},"Spin":1}')).toContain("'Spin' differs from 'spin'");
      expect(parsed(TREE, '{"spin":{"Anything":1}}')).toBeUndefined();
    });

    it('a $ref to nothing (or another document, or not a string) does not throw: that level is strict', () => {
      expect(() => argumentNames(MISSING, undefined)).not.toThrow();
      for (const [args, named] of [
        ['{"spec":{"Namespace":"kube-system"}}', "'spec.Namespace' differs from 'namespace'"],
        ['{"ext":{"Anything":1}}', "'ext.Anything' differs from 'anything'"],
        ['{"odd":{"X":1}}', "'odd.X' differs from 'x'"],
        ['{"items":[{"Y":1}]}', "'items.0.Y' differs from 'y'"],
        ['{"Name":"x"}', "'Name' differs from 'name'"],
        ['{"spec":{"deeper":{"Kind":1}}}', "'spec.deeper.Kind' differs from 'kind'"],
      ]) {
        expect(parsed(MISSING, args!)).toContain(named);
        expect(onBytes(MISSING, args!)).toBe(false);
      }
      // names in their own lower case pass, and a level that reads whole stays as it was
      expect(parsed(MISSING, '{"name":"x","spec":{"namespace":"default"},"Other":1}')).toBeUndefined();
      expect(onBytes(MISSING, '{"name":"x","Other":1}')).toBe(true);
      // at the top: its declared names (and the policy's) are known, any other with a capital is refused
      for (const read of [undefined, READ]) {
        expect(parsed(MISSING_TOP, '{"resourceType":"pods","namespace":"default"}', read)).toBeUndefined();
        expect(onBytes(MISSING_TOP, '{"resourceType":"pods","namespace":"default"}', read)).toBe(true);
        expect(parsed(MISSING_TOP, '{"Namespace":"x"}', read)).toContain("'Namespace' differs from 'namespace'");
        expect(parsed(MISSING_TOP, '{"ExtraFlag":true}', read)).toContain("'ExtraFlag' differs from 'extraflag'");
        expect(onBytes(MISSING_TOP, '{"ExtraFlag":true}', read)).toBe(false);
      }
      // REF's labels points at nothing too
      expect(parsed(REF, '{"labels":{"App":"web"}}')).toContain("'labels.App' differs from 'app'");
    });
  });

  it("maps of structs: a map's keys are free-form, its values are checked as the struct's (additionalProperties, patternProperties)", () => {
    expect(parsed(MAP, '{"byName":{"Web":{"Namespace":"kube-system"}}}')).toContain("'byName.Web.Namespace' differs from 'namespace'");
    expect(onBytes(MAP, '{"byName":{"Web":{"Namespace":"kube-system"}}}')).toBe(false);
    expect(parsed(MAP, '{"byPattern":{"x1":{"labelselector":"a"}}}')).toContain("'byPattern.x1.labelselector' differs from 'labelSelector'");
    expect(parsed(MAP, '{"byName":{"Web":{"namespace":"default","labelSelector":"a"}},"byPattern":{"X":{"namespace":"a"}}}')).toBeUndefined();
    // the top level's own additionalProperties: any other member's value is such a struct
    expect(parsed(MAP, '{"AnyKey":{"Namespace":"x"}}')).toContain("'AnyKey.Namespace' differs from 'namespace'");
    expect(onBytes(MAP, '{"AnyKey":{"Namespace":"x"}}')).toBe(false);
    expect(parsed(MAP, '{"AnyKey":{"namespace":"x"}}')).toBeUndefined();
    expect(onBytes(MAP, '{"AnyKey":{"namespace":"x"}}')).toBe(true);
    // a tree of maps through $refs: checked at any depth; a map of only itself declares nothing (and does not throw)
    expect(parsed(MAP_TREE, '{"root":{"a":{"children":{"b":{"children":{"C":{"Name":"x"}}}}}}}')).toContain("'root.a.children.b.children.C.Name' differs from 'name'");
    expect(parsed(MAP_TREE, '{"root":{"A":{"name":"x","children":{}}},"loop":{"k":{"K":{"Name":1}}}}')).toBeUndefined();
    // maps of anything, or no map: not described, not looked at
    expect(parsed(MAP, '{"any":{"k":{"Namespace":"x"}},"none":{"Namespace":"x"}}')).toBeUndefined();
  });

  it('the byte check never passes what the parsed check refuses (generated lines)', () => {
    const names = ['namespace', 'Namespace', 'NAMESPACE', 'nameſpace', 'resourceType', 'resourcetype', 'RESOURCETYPE', 'name', 'Name', 'extra', 'Extra', 'labelSelector', 'labelselector', 'é', 'É', '\u212aind', 'kind', 'podName', 'PODNAME', 'left', 'Left', 'spin', 'x1', 'Web'];
    const tools = [GET, LOWER, BARE, UNKNOWN, REF, TREE, MISSING, MISSING_TOP, MAP, MAP_TREE];
    let seed = 17;
    const rand = (n: number) => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return (seed >>> 12) % n;
    };
    const value = (depth: number): unknown => {
      const r = rand(depth > 2 ? 2 : 5);
      if (r === 0) return 'v';
      if (r === 1) return 1;
      if (r === 2) return object(depth + 1);
      if (r === 3) return [object(depth + 1), 'x'];
      return null;
    };
    const object = (depth: number): Record<string, unknown> => {
      const o: Record<string, unknown> = {};
      const n = rand(4);
      for (let i = 0; i < n; i++) o[['target', 'targets', 'spec', 'labels', 'maybe', 'left', 'self', 'items', 'byName', 'byPattern', 'root', 'children'][rand(12)]!] = value(depth);
      for (let i = 0; i < n; i++) o[names[rand(names.length)]!] = value(depth);
      return o;
    };
    let passedOnBytes = 0;
    let refused = 0;
    for (let i = 0; i < 20_000; i++) {
      const tool = tools[rand(tools.length)]!;
      const read = rand(2) === 0 ? READ : undefined;
      const args = JSON.stringify(object(0));
      const problem = parsed(tool, args, read);
      const bytes = onBytes(tool, args, read);
      if (problem !== undefined) {
        refused++;
        expect(bytes, `${tool.name} ${args}`).toBe(false);
      } else if (bytes) passedOnBytes++;
    }
    // both kinds occur often enough to mean something
    expect(refused).toBeGreaterThan(2000);
    expect(passedOnBytes).toBeGreaterThan(2000);
  });
});
