/**
 * input.resource.backend_uri: behind one `serve` endpoint with two backends that list the same
 * resource URIs, the second backend's are shown (and always accepted) as mcp-warden:<backend>:<uri>,
 * which the proxy routes to that backend as <uri>. A policy judging input.resource.uri alone sees the
 * alias: a rule such as `startswith(uri, "orchestrator://secrets/")` would not see the secret the
 * backend is asked for. The orchestrator pack judges backend_uri (the URI the backend is sent), so a
 * read under the alias gets the decision of the same read under the plain URI.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { connectHttp, startServe, type ServeProcess } from './helpers/proxy.js';
import { scratch, SERVERS, type Scratch } from './helpers/policy-e2e.js';

describe('resources named by their alias are judged by the URI the backend is sent', () => {
  let s: Scratch;
  let serve: ServeProcess;
  let client: Client;

  beforeAll(async () => {
    s = await scratch();
    const backend = (name: string) =>
      `  - { name: ${name}, transport: stdio, command: ${JSON.stringify(process.execPath)}, args: [${JSON.stringify(`${SERVERS}/orchestrator-server.mjs`)}], env: { MCP_RECORD_FILE: ${JSON.stringify(s.recordFile)} } }`;
    // with two backends the anonymous client has no role: a viewer to the pack
    serve = await startServe(`
backends:
${backend('orch-a')}
${backend('orch-b')}
auth: { anonymous: true }
policy:
  paths: [orchestrator]
  watch: false
audit: { enabled: false }
`);
    client = await connectHttp(serve.url);
  });
  afterAll(async () => {
    await client?.close();
    await serve?.stop();
    await s?.remove();
  });

  it("the second backend's resources are listed under their alias, readable when the plain URI would be", async () => {
    // one page per backend
    const listed: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await client.listResources(cursor === undefined ? {} : { cursor });
      listed.push(...page.resources.map((r) => r.uri));
      cursor = page.nextCursor;
    } while (cursor !== undefined);
    expect(listed).toContain('mcp-warden:orch-b:orchestrator://cluster/status');
    const before = s.received().length;
    const status = await client.readResource({ uri: 'mcp-warden:orch-b:orchestrator://cluster/status' });
    expect(JSON.stringify(status.contents)).toContain('healthy');
    expect(s.received().slice(before).map((r) => r.uri)).toEqual(['orchestrator://cluster/status']);
  });

  it('a secret read under either alias is refused with the rule that names the URI the backend would read', async () => {
    const before = s.received().length;
    for (const uri of ['mcp-warden:orch-a:orchestrator://secrets/registry', 'mcp-warden:orch-b:orchestrator://secrets/registry', 'orchestrator://secrets/registry']) {
      await expect(client.readResource({ uri }), uri).rejects.toThrow("Denied by policy: Resource 'orchestrator://secrets/registry' requires the 'operator' role");
    }
    expect(s.received().slice(before)).toEqual([]);
  });
});
