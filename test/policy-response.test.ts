/**
 * The response phase end to end (`wrap` in front of our Containarium test server): a policy that
 * defines `redact` is asked again with the backend's result; its redact obligations mask the result
 * before the client sees it, and a deny reason at that phase withholds the result.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StdioConnection } from './helpers/proxy.js';
import { resultText, scratch, SERVERS, wrapWithPolicy, type Scratch } from './helpers/policy-e2e.js';

const POLICY = `package mcp.authz

import rego.v1

allow := true

# Container addresses are not for the model.
redact contains {"pattern": "10\\\\.0\\\\.3\\\\.[0-9]+", "replacement": "[address]"}

deny contains "metrics of stopped containers are withheld" if {
	input.phase == "response"
	input.tool.backend_name == "list_containers"
	some item in input.result.content
	contains(item.text, "Stopped")
	input.client.id == "auditor"
}
`;

describe('response phase: redact and deny on results', () => {
  let s: Scratch;
  let conn: StdioConnection;
  let auditor: StdioConnection;
  beforeAll(async () => {
    s = await scratch();
    const policy = await s.write('response.rego', POLICY);
    conn = await wrapWithPolicy(s, [process.execPath, `${SERVERS}/containarium-server.mjs`], { policy });
    const cfg = await s.write('auditor.yaml', `backends: [{ name: x, transport: stdio, command: unused }]\nauth: { stdioClient: { id: auditor } }\npolicy: { paths: [${JSON.stringify(policy)}] }\n`);
    auditor = await wrapWithPolicy(s, [process.execPath, `${SERVERS}/containarium-server.mjs`], { config: cfg });
  });
  afterAll(async () => {
    await conn?.close();
    await auditor?.close();
    await s?.remove();
  });

  it('masks what redact selects in the result the client receives', async () => {
    const result = await conn.client.callTool({ name: 'get_container', arguments: { username: 'alice' } });
    expect(resultText(result)).toBe('{"username":"alice","state":"Running","ip":"[address]"}');
    expect(s.toolsReceived()).toEqual(['get_container']);
  });

  it('a deny reason at the response phase withholds the result (the backend did run the call)', async () => {
    const ok = await conn.client.callTool({ name: 'list_containers', arguments: {} });
    expect(resultText(ok)).toContain('Stopped');
    const withheld = await auditor.client.callTool({ name: 'list_containers', arguments: {} });
    expect(withheld.isError).toBe(true);
    expect(resultText(withheld)).toBe('Denied by policy: metrics of stopped containers are withheld');
    expect(s.toolsReceived().filter((n) => n === 'list_containers')).toHaveLength(2);
  });
});
