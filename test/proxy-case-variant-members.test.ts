/**
 * Member names that differ from the ones mcp-warden reads only by case (or by Go's folding of
 * U+017F 'ſ' to 's' and U+212A 'K' to 'k') are refused: a Go backend that decodes JSON-RPC with
 * encoding/json (Containarium's MCP server; the go-sdk before GHSA-wvj2-96wp-fq3f) matches struct
 * fields case-insensitively, last member wins, so `"Method"`, `"Params"`, `"Name"` or
 * `"Arguments"` next to (or instead of) the member the policy judged would make it run another
 * method, tool or arguments than the one decided. Real `wrap` processes with the containarium and
 * nomad packs in front of test/servers/go-json-server.mjs (reads requests as such a server does and
 * records what it runs); raw lines, the compact form the proxy may forward as bytes and others.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LineClient } from './helpers/line-client.js';
import { scratch, SERVERS, type Scratch } from './helpers/policy-e2e.js';

const GO_SERVER = `${SERVERS}/go-json-server.mjs`;
const CONTAINARIUM_TOOLS = ['list_containers', 'get_container', 'get_metrics', 'create_container', 'delete_container', 'start_container', 'stop_container'];
const NOMAD_TOOLS = ['list_nomad_jobs', 'get_job_status', 'stop_job'];

function config(pack: string): string {
  return `
backends: [{ name: ignored, transport: stdio, command: unused }]
auth:
  stdioClient: { id: dev-1, roles: [dev] }
policy:
  paths: [${pack}]
audit: { enabled: false }
`;
}

async function wrap(s: Scratch, pack: string, tools: string[]): Promise<LineClient> {
  const cfg = await s.write(`${pack}.yaml`, config(pack));
  const c = new LineClient(['wrap', '--no-audit', '--config', cfg, '--', process.execPath, GO_SERVER, ...tools], { MCP_RECORD_FILE: s.recordFile });
  await c.initialize();
  return c;
}

/** Writes `line` and returns the answer with `id`. */
async function answerTo(c: LineClient, line: string, id: number): Promise<Record<string, unknown>> {
  c.write(`${line}\n`);
  for (;;) {
    const msg = await c.next();
    if (msg.id === id) return msg;
  }
}

describe('member names differing only by case are refused (Go backends read them as the judged ones)', () => {
  let s: Scratch;
  let containarium: LineClient;
  let nomad: LineClient;

  beforeAll(async () => {
    s = await scratch();
    containarium = await wrap(s, 'containarium', CONTAINARIUM_TOOLS);
    nomad = await wrap(s, 'nomad', NOMAD_TOOLS);
  });
  afterAll(async () => {
    containarium?.proc.kill();
    nomad?.proc.kill();
    await s?.remove();
  });

  it('a call the pack allows still runs', async () => {
    const a = await answerTo(containarium, '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"list_containers","arguments":{}}}', 1);
    expect(a.error).toBeUndefined();
    expect(s.received().map((r) => r.name)).toEqual(['list_containers']);
  });

  const smuggled: Array<[string, string]> = [
    // compact: the form the proxy may forward as the client's own bytes
    ['"Name"/"Arguments" beside the judged name (compact line)', '{"jsonrpc":"2.0","id":ID,"method":"tools/call","params":{"name":"list_containers","arguments":{},"Name":"delete_container","Arguments":{"username":"bob"}}}'],
    ['"Name"/"Arguments" beside the judged name (parsed line)', '{"jsonrpc": "2.0", "id": ID, "method": "tools/call", "params": {"name": "list_containers", "arguments": {}, "NAME": "delete_container", "ARGUMENTS": {"username": "bob"}}}'],
    ['"Params" after the judged params (compact line)', '{"jsonrpc":"2.0","id":ID,"method":"tools/call","params":{"name":"list_containers","arguments":{}},"Params":{"name":"delete_container","arguments":{"username":"bob"}}}'],
    ['"Method"/"Params" on an open method', '{"jsonrpc":"2.0","id":ID,"method":"tools/list","Method":"tools/call","Params":{"name":"delete_container","arguments":{"username":"bob"}}}'],
    ['"paramſ" (U+017F folds to s)', '{"jsonrpc":"2.0","id":ID,"method":"tools/list","METHOD":"tools/call","paramſ":{"name":"stop_container","arguments":{"username":"bob"}}}'],
  ];

  it.each(smuggled.map(([label, line], i) => [label, line, 10 + i] as const))('containarium: %s is refused and never runs', async (_label, line, id) => {
    const before = s.received().length;
    const a = await answerTo(containarium, line.replace('ID', String(id)), id);
    expect(s.received().slice(before)).toEqual([]);
    expect((a.error as { code: number; message: string }).code).toBe(-32600);
    expect((a.error as { message: string }).message).toMatch(/differs from .* only in case/);
  });

  it('nomad: a lone "Arguments" (the pack sees no namespace: "default") is refused, in either form', async () => {
    const before = s.received().length;
    const compact = await answerTo(nomad, '{"jsonrpc":"2.0","id":30,"method":"tools/call","params":{"name":"list_nomad_jobs","Arguments":{"namespace":"prod"}}}', 30);
    const parsed = await answerTo(nomad, '{"jsonrpc": "2.0", "id": 31, "method": "tools/call", "params": {"name": "list_nomad_jobs", "argumentſ": {"namespace": "prod"}}}', 31);
    expect(s.received().slice(before)).toEqual([]);
    for (const a of [compact, parsed]) expect((a.error as { code: number }).code).toBe(-32600);
    // the same call spelled as judged: its namespace is checked
    const denied = await answerTo(nomad, '{"jsonrpc":"2.0","id":32,"method":"tools/call","params":{"name":"list_nomad_jobs","arguments":{"namespace":"prod"}}}', 32);
    expect(JSON.stringify(denied.result)).toContain("Namespace 'prod' is not allowed");
    expect(s.received().slice(before)).toEqual([]);
  });
});

/**
 * completion/complete's `ref` is judged by its members: `ref.uri` is input.resource, `ref.name`
 * input.prompt. A Go backend decoding params into `struct{Ref{Type, Name, URI}}` reads a lone
 * `"URI"` (or `"Name"`) as the member: the policy used to see no resource (or prompt) at all and
 * allow the completion, which the backend then made for the resource (prompt) the policy denies.
 */
describe('completion/complete: members of ref and argument differing only by case are refused', () => {
  const POLICY = `package mcp.authz

import rego.v1

allow := true

deny contains "secret resources are for operators" if startswith(input.resource.backend_uri, "secret://")

deny contains "the admin prompt is hidden" if input.prompt.backend_name == "admin"
`;
  let s: Scratch;
  let c: LineClient;
  beforeAll(async () => {
    s = await scratch();
    const policy = await s.write('completion.rego', POLICY);
    c = new LineClient(['wrap', '--policy', policy, '--no-audit', '--', process.execPath, GO_SERVER, 'some_tool'], { MCP_RECORD_FILE: s.recordFile });
    await c.initialize();
  });
  afterAll(async () => {
    c?.proc.kill();
    await s?.remove();
  });

  const complete = (id: number, params: string) => `{"jsonrpc":"2.0","id":${id},"method":"completion/complete","params":${params}}`;
  const completed = () => s.received().filter((r) => (r.kind as string) === 'completion');

  it('spelled as judged: the resource rule and the prompt rule deny; other refs complete', async () => {
    const secret = await answerTo(c, complete(40, '{"ref":{"type":"ref/resource","uri":"secret://db/{name}"},"argument":{"name":"name","value":""}}'), 40);
    expect(secret.error).toMatchObject({ code: -32001, data: { reasons: ['secret resources are for operators'] } });
    const admin = await answerTo(c, complete(41, '{"ref":{"type":"ref/prompt","name":"admin"},"argument":{"name":"x","value":""}}'), 41);
    expect(admin.error).toMatchObject({ code: -32001, data: { reasons: ['the admin prompt is hidden'] } });
    expect(completed()).toEqual([]);
    const docs = await answerTo(c, complete(42, '{"ref":{"type":"ref/resource","uri":"docs://{page}"},"argument":{"name":"page","value":""}}'), 42);
    expect(docs.result).toEqual({ completion: { values: ['docs://{page}'], hasMore: false } });
    expect(completed()).toHaveLength(1);
  });

  it.each([
    ['a lone "URI" in ref', '{"ref":{"type":"ref/resource","URI":"secret://db/{name}"},"argument":{"name":"name","value":""}}', "'URI' differs from 'uri'"],
    ['"urı" (U+0131 folds to I)', '{"ref":{"type":"ref/resource","urı":"secret://db/{name}"},"argument":{"name":"name","value":""}}', "'urı' differs from 'uri'"],
    ['a lone "Name" in a prompt ref', '{"ref":{"type":"ref/prompt","Name":"admin"},"argument":{"name":"x","value":""}}', "'Name' differs from 'name'"],
    ['"Type" in ref', '{"ref":{"Type":"ref/resource","uri":"docs://{page}"},"argument":{"name":"page","value":""}}', "'Type' differs from 'type'"],
    ['"Value" in argument', '{"ref":{"type":"ref/resource","uri":"docs://{page}"},"argument":{"name":"page","Value":""}}', "'Value' differs from 'value'"],
  ].map(([label, params, named], i) => [label, params, named, 50 + i] as const))('%s is refused and never completed', async (_label, params, named, id) => {
    const before = completed().length;
    const a = await answerTo(c, complete(id, params), id);
    expect((a.error as { code: number }).code).toBe(-32600);
    expect((a.error as { message: string }).message).toContain(named);
    expect(completed().length).toBe(before);
  });
});
