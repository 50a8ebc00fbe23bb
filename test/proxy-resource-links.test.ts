/**
 * Resource URIs a tool gave the client (resource_link items, embedded resources) are read without
 * listing first; with several backends offering resources such a read was -32002 'Resource not
 * found' (eeef034: no backend listed the URI or has a template matching it). The session now
 * remembers which backend gave each such URI (bounded: LINKED_URIS_MAX) and routes the read there;
 * a URI another backend showed the client first is given aliased; the policy still decides the
 * read first. Real serve, the real server-everything from npm (get-resource-links,
 * get-resource-reference, gzip-file-as-resource) next to two instances of our test backend.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LINKED_URIS_MAX } from '../src/proxy/resource-links.js';
import { connectCli, connectHttp, EVERYTHING, startServe, tempDir, TEST_BACKEND, type ServeProcess } from './helpers/proxy.js';

const POLICY = `package mcp.authz

import rego.v1

allow := true

deny contains "reading test://secret/ is not allowed" if {
  input.method == "resources/read"
  startswith(input.resource.uri, "test://secret/")
}

deny contains "test://b/only is not listed" if {
  input.phase == "list"
  input.resource.uri == "test://b/only"
}

# Turns the response phase on (for the deny below).
redact := set()

deny contains "links to test://withheld/ are withheld" if {
  input.phase == "response"
  some item in input.result.content
  startswith(item.uri, "test://withheld/")
}
`;

const BACKENDS = `
  - { name: ev, transport: stdio, command: ${JSON.stringify(process.execPath)}, args: [${JSON.stringify(EVERYTHING)}] }
  - { name: alpha, transport: stdio, command: ${JSON.stringify(process.execPath)}, args: [${JSON.stringify(TEST_BACKEND)}], env: { TEST_BACKEND_LABEL: a, TEST_BACKEND_LINKS: '1' } }
  - { name: beta, transport: stdio, command: ${JSON.stringify(process.execPath)}, args: [${JSON.stringify(TEST_BACKEND)}], env: { TEST_BACKEND_LABEL: b, TEST_BACKEND_LINKS: '1' } }`;

async function config(): Promise<string> {
  const dir = await tempDir();
  const policy = join(dir, 'policy.rego');
  await writeFile(policy, POLICY);
  return `backends:${BACKENDS}
auth: { anonymous: true }
audit: { enabled: false }
policy: { paths: [${JSON.stringify(policy)}], watch: false }
`;
}

type Block = { type: string; uri?: string; resource?: { uri: string } };
const blocks = (r: unknown): Block[] => (r as { content: Block[] }).content;
const links = (r: unknown): string[] => blocks(r).flatMap((b) => (b.type === 'resource_link' ? [b.uri!] : b.type === 'resource' ? [b.resource!.uri] : []));
const firstContent = async (client: Client, uri: string) => (await client.readResource({ uri })).contents[0] as { uri: string; text?: string; blob?: string };
const failure = (p: Promise<unknown>) => p.then((r) => ({ resolved: r }), (e: unknown) => e);

describe('resource links with several resource backends (serve, HTTP client)', { timeout: 120_000 }, () => {
  let serve: ServeProcess;
  let client: Client;
  beforeAll(async () => {
    serve = await startServe(await config());
    client = await connectHttp(serve.url);
  });
  afterAll(async () => {
    await client?.close();
    await serve?.stop();
  });

  it("server-everything's get-resource-links: a linked URI is read from server-everything, never listed", async () => {
    const r = await client.callTool({ name: 'ev__get-resource-links', arguments: { count: 2 } });
    expect(links(r)).toEqual(['demo://resource/dynamic/blob/1', 'demo://resource/dynamic/text/2']);
    const text = await firstContent(client, 'demo://resource/dynamic/text/2');
    expect(text).toMatchObject({ uri: 'demo://resource/dynamic/text/2', text: expect.stringContaining('Resource 2: This is a plaintext resource') });
    expect((await firstContent(client, 'demo://resource/dynamic/blob/1')).blob).toEqual(expect.any(String));
  });

  it("server-everything's embedded resource (get-resource-reference) and session resource link (gzip-file-as-resource)", async () => {
    const ref = await client.callTool({ name: 'ev__get-resource-reference', arguments: { resourceType: 'Text', resourceId: 7 } });
    expect(links(ref)).toEqual(['demo://resource/dynamic/text/7']);
    expect((await firstContent(client, 'demo://resource/dynamic/text/7')).text).toContain('Resource 7:');
    // A resource the tool registers for this session: no template covers it.
    const gz = await client.callTool({ name: 'ev__gzip-file-as-resource', arguments: { name: 'hello.gz', data: 'data:text/plain;base64,aGVsbG8=', outputType: 'resourceLink' } });
    expect(links(gz)).toEqual(['demo://resource/session/hello.gz']);
    const read = await firstContent(client, 'demo://resource/session/hello.gz');
    expect(Buffer.from(read.blob!, 'base64').subarray(0, 2)).toEqual(Buffer.from([0x1f, 0x8b]));
  });

  it('a URI given by two backends: the first keeps it, the second gives it aliased, and each read reaches its giver', async () => {
    expect(links(await client.callTool({ name: 'alpha__link', arguments: { uri: 'test://linked/1' } }))).toEqual(['test://linked/1']);
    expect(links(await client.callTool({ name: 'beta__link', arguments: { uri: 'test://linked/1', embedded: true } }))).toEqual(['mcp-warden:beta:test://linked/1']);
    expect(await firstContent(client, 'test://linked/1')).toMatchObject({ text: 'a:test://linked/1' });
    // The read answer names the URI the client asked for.
    expect(await firstContent(client, 'mcp-warden:beta:test://linked/1')).toMatchObject({ uri: 'mcp-warden:beta:test://linked/1', text: 'b:test://linked/1' });
    // A link beta alone gave goes to beta.
    await client.callTool({ name: 'beta__link', arguments: { uri: 'test://linked/2' } });
    expect(await firstContent(client, 'test://linked/2')).toMatchObject({ text: 'b:test://linked/2' });
  });

  it('a URI given in mcp-warden: alias form is shown under the giver\'s alias: a backend cannot send reads to another', async () => {
    const r = await client.callTool({ name: 'alpha__link', arguments: { uri: 'mcp-warden:beta:test://b/only' } });
    expect(links(r)).toEqual(['mcp-warden:alpha:mcp-warden:beta:test://b/only']);
    expect(await firstContent(client, 'mcp-warden:alpha:mcp-warden:beta:test://b/only')).toMatchObject({ text: 'a:mcp-warden:beta:test://b/only' });
  });

  it('the policy still decides first: a linked URI it denies is denied', async () => {
    await client.callTool({ name: 'alpha__link', arguments: { uri: 'test://secret/x' } });
    await expect(client.readResource({ uri: 'test://secret/x' })).rejects.toThrow('reading test://secret/ is not allowed');
  });

  it('an answer the response phase denies gives the client no URI, so none is remembered: a read of one it carried is -32002', async () => {
    // The client never saw alpha's link; remembered, it routed the read to alpha all the same.
    const denied = await client.callTool({ name: 'alpha__link', arguments: { uri: 'test://withheld/1' } });
    expect(denied).toMatchObject({ isError: true, content: [{ type: 'text', text: expect.stringContaining('links to test://withheld/ are withheld') }] });
    expect(links(denied)).toEqual([]);
    expect(await failure(client.readResource({ uri: 'test://withheld/1' }))).toMatchObject({ code: -32002, data: { uri: 'test://withheld/1' } });
  });

  it('a listed URI the policy hides from the list is not remembered as its lister\'s: a read of it is -32002', async () => {
    const shown: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await client.listResources(cursor === undefined ? {} : { cursor });
      shown.push(...page.resources.map((r) => r.uri));
      cursor = page.nextCursor;
    } while (cursor !== undefined);
    expect(shown).toContain('test://a/only');
    expect(shown).not.toContain('test://b/only');
    expect(await firstContent(client, 'test://a/only')).toMatchObject({ text: 'a:test://a/only' });
    expect(await failure(client.readResource({ uri: 'test://b/only' }))).toMatchObject({ code: -32002, data: { uri: 'test://b/only' } });
  });

  it('a URI no backend gave or listed is still -32002', async () => {
    expect(await failure(client.readResource({ uri: 'test://never-given' }))).toMatchObject({ code: -32002, data: { uri: 'test://never-given' } });
  });

  it(`at most ${LINKED_URIS_MAX} given URIs are remembered per backend of a session: its oldest is forgotten`, async () => {
    const r = await client.callTool({ name: 'alpha__link', arguments: { uri: 'test://many', count: LINKED_URIS_MAX + 1 } });
    expect(links(r)).toHaveLength(LINKED_URIS_MAX + 1);
    expect(await failure(client.readResource({ uri: 'test://many/0' }))).toMatchObject({ code: -32002 });
    expect(await firstContent(client, `test://many/${LINKED_URIS_MAX}`)).toMatchObject({ text: `a:test://many/${LINKED_URIS_MAX}` });
    expect(await firstContent(client, 'test://many/1')).toMatchObject({ text: 'a:test://many/1' });
  });
});

describe('resource links over stdio (serve --stdio): an aliased link is not lost to the backend text passed through', { timeout: 120_000 }, () => {
  it('the second giver of a URI shows it aliased, and reads reach each', async () => {
    const dir = await tempDir();
    const file = join(dir, 'warden.yaml');
    await writeFile(file, await config());
    const conn = await connectCli(['serve', '--config', file, '--stdio', '--no-http']);
    try {
      const c = conn.client;
      expect(links(await c.callTool({ name: 'beta__link', arguments: { uri: 'test://shared-link' } }))).toEqual(['test://shared-link']);
      expect(links(await c.callTool({ name: 'alpha__link', arguments: { uri: 'test://shared-link' } }))).toEqual(['mcp-warden:alpha:test://shared-link']);
      expect(await firstContent(c, 'test://shared-link')).toMatchObject({ text: 'b:test://shared-link' });
      expect(await firstContent(c, 'mcp-warden:alpha:test://shared-link')).toMatchObject({ text: 'a:test://shared-link' });
    } finally {
      await conn.close();
    }
  });
});
