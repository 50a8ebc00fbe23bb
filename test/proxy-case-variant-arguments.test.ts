/**
 * An argument spelled like one the tool's inputSchema declares but for case (`Namespace` where the
 * schema has `namespace`, or `nameſpace` with U+017F) is refused: the policy reads
 * input.arguments.namespace and sees none (the kubernetes pack then judges the call as in
 * "default"), while a Go tool handler that binds arguments to a struct with encoding/json
 * (mcp-go's BindArguments; the go-sdk's typed handlers before GHSA-wvj2-96wp-fq3f) matches the
 * field case-insensitively and runs the call in kube-system. Real `wrap` with the kubernetes pack
 * (allowed_namespaces [default]) in front of test/servers/go-json-server.mjs --schemas (lists the
 * tools with their schemas, decodes arguments as such a handler does and records what it ran).
 * Compact lines are judged on their bytes (decisions kept and reused); spaced ones are parsed.
 */
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LineClient } from './helpers/line-client.js';
import { KUBERNETES, scratch, SERVERS, type Scratch } from './helpers/policy-e2e.js';

const GO_SERVER = join(SERVERS, 'go-json-server.mjs');

/** kubectl_get's schema as mcp-server-kubernetes declares it, plus nested declared objects (an object, an array of objects, a map of objects). */
async function schemas(): Promise<Record<string, unknown>> {
  const mod = (await import(join(KUBERNETES, '../tools/kubectl-get.js'))) as Record<string, { name?: string; inputSchema?: { properties: object } }>;
  const get = Object.values(mod).find((v) => v?.name === 'kubectl_get')!.inputSchema!;
  const nested = { type: 'object', properties: { namespace: { type: 'string' }, labelSelector: { type: 'string' } } };
  const dmod = (await import(join(KUBERNETES, '../tools/kubectl-describe.js'))) as Record<string, { name?: string; inputSchema?: { properties: object } }>;
  const describe = Object.values(dmod).find((v) => v?.name === 'kubectl_describe')!.inputSchema!;
  return {
    kubectl_get: { ...get, properties: { ...get.properties, target: nested, targets: { type: 'array', items: nested }, byName: { type: 'object', additionalProperties: nested } } },
    // kubectl_describe's schema as a Go schema generator writes one: its properties behind a $ref to
    // $defs, an embedded struct in allOf, alternatives in anyOf/oneOf, a recursive struct (a $ref
    // cycle), and a $ref to nothing
    kubectl_describe: {
      $ref: '#/$defs/DescribeInput',
      $defs: {
        DescribeInput: { ...describe, allOf: [{ $ref: '#/$defs/Selector' }], properties: { ...describe.properties, target: { $ref: '#/$defs/Target' }, tree: { $ref: '#/$defs/Node' }, broken: { $ref: '#/$defs/Gone' } } },
        Selector: { type: 'object', properties: { labelSelector: { type: 'string' } } },
        Target: nested,
        Node: { type: 'object', properties: { name: { type: 'string' }, child: { $ref: '#/$defs/Node' } } },
      },
      anyOf: [{ properties: { sortBy: { type: 'string' } } }, { type: 'object' }],
      oneOf: [{ properties: { targets: { type: 'array', items: { $ref: '#/$defs/Target' } } } }],
    },
    // a tool whose schema declares no properties: no names to compare with (see docs/proxy.md)
    kubectl_generic: { type: 'object' },
  };
}

async function answerTo(c: LineClient, line: string, id: number): Promise<Record<string, unknown>> {
  c.write(`${line}\n`);
  for (;;) {
    const msg = await c.next();
    if (msg.id === id) return msg;
  }
}

/** A compact tools/call line (the form judged on its bytes). */
const compact = (id: number, tool: string, args: string) => `{"jsonrpc":"2.0","id":${id},"method":"tools/call","params":{"name":"${tool}","arguments":${args}}}`;
/** The same call spaced (never taken as bytes: parsed). */
const spaced = (id: number, tool: string, args: string) => `{"jsonrpc": "2.0", "id": ${id}, "method": "tools/call", "params": {"name": "${tool}", "arguments": ${args}}}`;

function refusal(a: Record<string, unknown>): { code: number; message: string } {
  expect(a.result).toBeUndefined();
  return a.error as { code: number; message: string };
}

for (const audited of [false, true]) {
  describe(`kubernetes pack, audit ${audited ? 'on (parsed path)' : 'off (compact lines judged on their bytes)'}: arguments differing from the schema's only in case`, () => {
    let s: Scratch;
    let c: LineClient;
    let db: string;
    let id = 100;

    beforeAll(async () => {
      s = await scratch();
      db = join(s.dir, 'audit.db');
      const data = await s.write('k8s.yaml', 'warden:\n  kubernetes:\n    allowed_namespaces: [default]\n');
      const file = await s.write('schemas.json', await schemas());
      const audit = audited ? ['--audit', db] : ['--no-audit'];
      c = new LineClient(['wrap', '--policy', 'kubernetes', '--data', data, ...audit, '--', process.execPath, GO_SERVER, '--schemas', file], { MCP_RECORD_FILE: s.recordFile });
      await c.initialize();
      // the client lists (the proxy keeps the schemas it relays); a call for a tool never listed is covered below
      const list = await answerTo(c, '{"jsonrpc":"2.0","id":1,"method":"tools/list"}', 1);
      expect(((list.result as { tools: Array<{ name: string }> }).tools).map((t) => t.name)).toContain('kubectl_get');
    });
    afterAll(async () => {
      c?.proc.kill();
      await s?.remove();
    });

    const ran = () => s.received().map((r) => r.arguments);

    it('a call spelled as the schema declares runs (mixed case declared exactly: resourceType)', async () => {
      for (const line of [compact, spaced]) {
        const before = s.received().length;
        const a = await answerTo(c, line(++id, 'kubectl_get', '{"resourceType":"pods","namespace":"default"}'), id);
        expect(a.error).toBeUndefined();
        expect(JSON.stringify(a.result)).not.toContain('Denied');
        expect(ran().slice(before)).toEqual([{ resourceType: 'pods', namespace: 'default' }]);
      }
    });

    it('the exact name is judged: kube-system is denied by the pack and never runs', async () => {
      const before = s.received().length;
      const a = await answerTo(c, compact(++id, 'kubectl_get', '{"resourceType":"pods","namespace":"kube-system"}'), id);
      expect(JSON.stringify(a.result)).toContain("Namespace 'kube-system' is not allowed");
      expect(ran().slice(before)).toEqual([]);
    });

    const bypasses: Array<[string, string, string, string]> = [
      ['"Namespace" alone', 'kubectl_get', '{"resourceType":"pods","Namespace":"kube-system"}', "'Namespace' differs from 'namespace'"],
      ['"nameſpace" alone (U+017F folds to s)', 'kubectl_get', '{"resourceType":"pods","nameſpace":"kube-system"}', "'nameſpace' differs from 'namespace'"],
      ['"NAMESPACE" after the members the pack reads', 'kubectl_get', '{"resourceType":"pods","name":"web","NAMESPACE":"kube-system"}', "'NAMESPACE' differs from 'namespace'"],
      ['"AllNamespaces" (the pack reads allNamespaces)', 'kubectl_get', '{"resourceType":"pods","AllNamespaces":true}', "'AllNamespaces' differs from 'allNamespaces'"],
      ['"Namespace" in a nested object the schema declares', 'kubectl_get', '{"resourceType":"pods","target":{"Namespace":"kube-system"}}', "'target.Namespace' differs from 'namespace'"],
      ['"Namespace" in an array of objects the schema declares', 'kubectl_get', '{"resourceType":"pods","targets":[{"namespace":"default"},{"Namespace":"kube-system"}]}', "'targets.1.Namespace' differs from 'namespace'"],
      // a map of structs (Go's map[string]Target, additionalProperties): each value is decoded into the struct
      ['"Namespace" in a map value the schema describes (additionalProperties)', 'kubectl_get', '{"resourceType":"pods","byName":{"web":{"Namespace":"kube-system"}}}', "'byName.web.Namespace' differs from 'namespace'"],
      ['"Namespace" for a tool whose schema declares no properties', 'kubectl_generic', '{"command":"get","Namespace":"kube-system"}', "'Namespace' differs from 'namespace'"],
    ];

    for (const [label, tool, args, named] of bypasses) {
      it(`${label}: refused -32600 in either form, never runs`, async () => {
        // first the call the pack allows with no namespace (its decision is kept: the variant's
        // member is one the pack does not read, so the variant would share its key)
        if (tool === 'kubectl_get') {
          const ok = await answerTo(c, compact(++id, tool, '{"resourceType":"pods"}'), id);
          expect(ok.error).toBeUndefined();
        }
        const before = s.received().length;
        for (const line of [compact, spaced]) {
          const e = refusal(await answerTo(c, line(++id, tool, args), id));
          expect(e.code).toBe(-32600);
          expect(e.message).toContain(named);
          expect(e.message).toMatch(/only in case/);
        }
        expect(ran().slice(before)).toEqual([]);
      });
    }

    // names the schema declares through $ref/$defs, allOf, anyOf, oneOf and a $ref cycle (the pack
    // reads none of them: only the schema knows them); the old check saw no properties there
    const refBypasses: Array<[string, string, string]> = [
      ['"LabelSelector" (allOf: a $ref to $defs)', '{"resourceType":"pods","name":"web","LabelSelector":"app=x"}', "'LabelSelector' differs from 'labelSelector'"],
      ['"SortBy" (anyOf)', '{"resourceType":"pods","name":"web","SortBy":".x"}', "'SortBy' differs from 'sortBy'"],
      ['"target.Namespace" (a $ref to $defs)', '{"resourceType":"pods","name":"web","target":{"Namespace":"kube-system"}}', "'target.Namespace' differs from 'namespace'"],
      ['"targets.0.Namespace" (oneOf: items a $ref)', '{"resourceType":"pods","name":"web","targets":[{"Namespace":"kube-system"}]}', "'targets.0.Namespace' differs from 'namespace'"],
      ['"tree.child.child.Name" (a $ref cycle)', '{"resourceType":"pods","name":"web","tree":{"child":{"child":{"Name":"x"}}}}', "'tree.child.child.Name' differs from 'name'"],
      ['"broken.Anything" (a $ref to nothing: that level is strict)', '{"resourceType":"pods","name":"web","broken":{"Anything":1}}', "'broken.Anything' differs from 'anything'"],
    ];

    for (const [label, args, named] of refBypasses) {
      it(`${label}: refused -32600 in either form, never runs`, async () => {
        const before = s.received().length;
        for (const line of [compact, spaced]) {
          const e = refusal(await answerTo(c, line(++id, 'kubectl_describe', args), id));
          expect(e.code).toBe(-32600);
          expect(e.message).toContain(named);
        }
        expect(ran().slice(before)).toEqual([]);
      });
    }

    it('through $ref and the combinators, names spelled as declared run, bound as the Go struct binds them', async () => {
      const before = s.received().length;
      const args = '{"resourceType":"pods","name":"web","namespace":"default","labelSelector":"app=x","target":{"namespace":"default"},"tree":{"child":{"name":"x"}},"broken":{"anything":1},"Extra":1}';
      for (const line of [compact, spaced]) {
        const a = await answerTo(c, line(++id, 'kubectl_describe', args), id);
        expect(a.error).toBeUndefined();
        expect(JSON.stringify(a.result)).not.toContain('Denied');
      }
      const bound = { resourceType: 'pods', name: 'web', namespace: 'default', labelSelector: 'app=x', target: { namespace: 'default' }, tree: { child: { name: 'x' } }, broken: { anything: 1 } };
      expect(ran().slice(before)).toEqual([bound, bound]);
    });

    it("a map's keys are free-form (any case): only its values are described", async () => {
      const before = s.received().length;
      for (const line of [compact, spaced]) {
        const a = await answerTo(c, line(++id, 'kubectl_get', '{"resourceType":"pods","namespace":"default","byName":{"Web":{"namespace":"default"},"API":{"labelSelector":"app=x"}}}'), id);
        expect(a.error).toBeUndefined();
        expect(JSON.stringify(a.result)).not.toContain('Denied');
      }
      const bound = { resourceType: 'pods', namespace: 'default', byName: { Web: { namespace: 'default' }, API: { labelSelector: 'app=x' } } };
      expect(ran().slice(before)).toEqual([bound, bound]);
    });

    it('two members of arguments folding alike are refused (as before)', async () => {
      const before = s.received().length;
      for (const line of [compact, spaced]) {
        const e = refusal(await answerTo(c, line(++id, 'kubectl_get', '{"resourceType":"pods","namespace":"default","Namespace":"kube-system"}'), id));
        expect(e.code).toBe(-32600);
      }
      expect(ran().slice(before)).toEqual([]);
    });

    it('names the schema does not declare and that fold like none of its names pass; so do nested ones it does not describe', async () => {
      const before = s.received().length;
      for (const line of [compact, spaced]) {
        const a = await answerTo(c, line(++id, 'kubectl_get', '{"resourceType":"pods","namespace":"default","ExtraFlag":true,"Labels":{"App":"x"},"target":{"namespace":"default","Other":1}}'), id);
        expect(a.error).toBeUndefined();
        expect(JSON.stringify(a.result)).not.toContain('Denied');
      }
      // the Go struct keeps the declared fields only
      expect(ran().slice(before)).toEqual([
        { resourceType: 'pods', namespace: 'default', target: { namespace: 'default' } },
        { resourceType: 'pods', namespace: 'default', target: { namespace: 'default' } },
      ]);
    });

    if (audited) {
      it('the refusals are audited as denied, with the reason', async () => {
        c.proc.stdin.end();
        await c.exited;
        const db_ = new Database(db, { readonly: true });
        try {
          const rows = db_.prepare('SELECT tool, decision, outcome, error_code, reasons FROM audit_log WHERE error_code = -32600').all() as Array<Record<string, unknown>>;
          // every refused line of the cases above: 8 bypasses, 6 through $ref and the combinators, and the sibling case, two forms each
          expect(rows.length).toBe(30);
          for (const r of rows) {
            expect(r).toMatchObject({ decision: 'deny', outcome: 'denied' });
            expect(String(r.reasons)).toMatch(/differs from .* only in case/);
          }
        } finally {
          db_.close();
        }
      });
    }
  });
}

describe('a tool the client never listed: its schema is fetched before the call is judged', () => {
  let s: Scratch;
  let c: LineClient;

  beforeAll(async () => {
    s = await scratch();
    const data = await s.write('k8s.yaml', 'warden:\n  kubernetes:\n    allowed_namespaces: [default]\n');
    const file = await s.write('schemas.json', await schemas());
    c = new LineClient(['wrap', '--policy', 'kubernetes', '--data', data, '--no-audit', '--', process.execPath, GO_SERVER, '--schemas', file], { MCP_RECORD_FILE: s.recordFile });
    await c.initialize();
  });
  afterAll(async () => {
    c?.proc.kill();
    await s?.remove();
  });

  it('"Namespace" alone is refused, the exact spelling runs', async () => {
    const e = refusal(await answerTo(c, compact(7, 'kubectl_get', '{"resourceType":"pods","Namespace":"kube-system"}'), 7));
    expect(e.code).toBe(-32600);
    const a = await answerTo(c, compact(8, 'kubectl_get', '{"resourceType":"pods","namespace":"default"}'), 8);
    expect(a.error).toBeUndefined();
    expect(s.received().map((r) => r.arguments)).toEqual([{ resourceType: 'pods', namespace: 'default' }]);
  });
});

describe('allow-all: nothing reads the arguments, so nothing is checked', () => {
  let s: Scratch;
  let c: LineClient;

  beforeAll(async () => {
    s = await scratch();
    const file = await s.write('schemas.json', await schemas());
    c = new LineClient(['wrap', '--policy', 'allow-all', '--no-audit', '--', process.execPath, GO_SERVER, '--schemas', file], { MCP_RECORD_FILE: s.recordFile });
    await c.initialize();
  });
  afterAll(async () => {
    c?.proc.kill();
    await s?.remove();
  });

  it('"Namespace" alone is forwarded as sent (the policy allows it whatever its namespace)', async () => {
    for (const [line, id] of [[compact, 9], [spaced, 10]] as const) {
      const a = await answerTo(c, line(id, 'kubectl_get', '{"resourceType":"pods","Namespace":"kube-system"}'), id);
      expect(a.error).toBeUndefined();
    }
    expect(s.received().map((r) => r.arguments)).toEqual([
      { resourceType: 'pods', namespace: 'kube-system' },
      { resourceType: 'pods', namespace: 'kube-system' },
    ]);
  });
});
