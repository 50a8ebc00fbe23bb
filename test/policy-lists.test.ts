/**
 * List filtering and deny answers end to end with a policy of our own (composed with the read-only
 * pack, as a deployment adds its rules to a pack) in front of server-everything through `wrap`:
 * prompts and resources the policy denies are hidden from prompts/list and resources/list and
 * refused at prompts/get and resources/read with a JSON-RPC error whose data carries the reasons;
 * with policy.deniedToolCall: error a denied tools/call is a JSON-RPC error too.
 */
import { McpError } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EVERYTHING, type StdioConnection } from './helpers/proxy.js';
import { RELAY, scratch, wrapWithPolicy, type Scratch } from './helpers/policy-e2e.js';

const EXTRA = `package mcp.authz

import rego.v1

deny contains sprintf("prompt '%s' is retired", [input.prompt.name]) if input.prompt.name == "args-prompt"

deny contains "internal documents are not for agents" if {
	startswith(input.resource.uri, "demo://resource/static/document/")
	contains(input.resource.uri, "architecture")
}

deny contains "echo is disabled here" if input.tool.backend_name == "echo"
`;

describe('list filtering and deny answers (read-only pack + a policy of our own)', () => {
  let s: Scratch;
  let conn: StdioConnection;
  beforeAll(async () => {
    s = await scratch();
    const extra = await s.write('extra.rego', EXTRA);
    const cfg = await s.write(
      'warden.yaml',
      `backends: [{ name: x, transport: stdio, command: unused }]\npolicy: { paths: [read-only, ${JSON.stringify(extra)}], deniedToolCall: error }\n`,
    );
    conn = await wrapWithPolicy(s, [process.execPath, RELAY, process.execPath, EVERYTHING, 'stdio'], { config: cfg });
  });
  afterAll(async () => {
    await conn?.close();
    await s?.remove();
  });

  it('hides denied prompts and refuses prompts/get with the reasons in the error data', async () => {
    const names = (await conn.client.listPrompts()).prompts.map((p) => p.name);
    expect(names).toContain('simple-prompt');
    expect(names).not.toContain('args-prompt');
    const err = await conn.client.getPrompt({ name: 'args-prompt', arguments: { city: 'Lyon' } }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(McpError);
    expect((err as McpError).message).toContain("Denied by policy: prompt 'args-prompt' is retired");
    expect((err as McpError).data).toMatchObject({ reasons: ["prompt 'args-prompt' is retired"] });
  });

  it('hides denied resources and refuses resources/read without reaching the server', async () => {
    const uris = (await conn.client.listResources()).resources.map((r) => r.uri);
    expect(uris).toContain('demo://resource/static/document/features.md');
    expect(uris).not.toContain('demo://resource/static/document/architecture.md');
    await expect(conn.client.readResource({ uri: 'demo://resource/static/document/architecture.md' })).rejects.toThrow(
      'Denied by policy: internal documents are not for agents',
    );
    expect(s.received().filter((r) => r.kind === 'resource')).toEqual([]);
    await conn.client.readResource({ uri: 'demo://resource/static/document/features.md' });
    expect(s.received().filter((r) => r.kind === 'resource').map((r) => r.uri)).toEqual(['demo://resource/static/document/features.md']);
  });

  it('a pack and a policy of our own compose: both deny, and deniedToolCall: error answers a JSON-RPC error', async () => {
    const names = (await conn.client.listTools()).tools.map((t) => t.name);
    expect(names).toContain('get-sum');
    expect(names).not.toContain('echo');
    expect(names).not.toContain('toggle-simulated-logging');
    const err = await conn.client.callTool({ name: 'echo', arguments: { message: 'hi' } }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(McpError);
    expect((err as McpError).data).toMatchObject({ reasons: ['echo is disabled here'] });
    expect(s.toolsReceived()).not.toContain('echo');
  });
});
