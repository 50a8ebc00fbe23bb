/**
 * A resources/read for a URI no backend listed, with several backends: it went to the first backend
 * with resources, which answered for a URI it never claimed (the test backend reads any URI: the
 * client got `a:test://nowhere` as if it existed). Now it is MCP's resource-not-found error (-32002,
 * data.uri) saying what was looked for, decided by the policy first (a deny is the answer, and says
 * nothing about what exists). Listed URIs and template matches route as before; with one backend
 * (or one that offers resources) an unlisted URI still goes to it. Real `serve`, two stdio backends.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectHttp, startServe, tempDir, TEST_BACKEND, type ServeProcess } from './helpers/proxy.js';

const POLICY = `package mcp.authz

import rego.v1

allow := true

deny contains "reading test://forbidden/ is not allowed" if {
  input.method == "resources/read"
  startswith(input.resource.uri, "test://forbidden/")
}
`;

const backend = (name: string, label: string) => `
  - { name: ${name}, transport: stdio, command: ${JSON.stringify(process.execPath)}, args: [${JSON.stringify(TEST_BACKEND)}], env: { TEST_BACKEND_LABEL: ${label} } }`;

async function serveWith(backends: string): Promise<ServeProcess> {
  const dir = await tempDir();
  const policy = join(dir, 'policy.rego');
  await writeFile(policy, POLICY);
  return startServe(`backends:${backends}
auth: { anonymous: true }
audit: { enabled: false }
policy: { paths: [${JSON.stringify(policy)}], watch: false }
`);
}

describe('resources/read of a URI no backend listed (two backends)', { timeout: 120_000 }, () => {
  let serve: ServeProcess;
  let client: Client;
  beforeAll(async () => {
    serve = await serveWith(backend('alpha', 'a') + backend('beta', 'b'));
    client = await connectHttp(serve.url);
  });
  afterAll(async () => {
    await client?.close();
    await serve?.stop();
  });

  it('is -32002 Resource not found with data.uri, not a read by the first backend', async () => {
    const error = await client.readResource({ uri: 'test://nowhere' }).then(
      (r) => r,
      (e: unknown) => e,
    );
    expect(error).toMatchObject({
      code: -32002,
      message: 'MCP error -32002: Resource not found: test://nowhere (no backend of this session listed it, gave it in an answer or has a URI template matching it; list resources first)',
      data: { uri: 'test://nowhere' },
    });
  });

  it('the policy decides first: a denied URI is refused as denied, whether or not a backend has it', async () => {
    await expect(client.readResource({ uri: 'test://forbidden/x' })).rejects.toThrow('reading test://forbidden/ is not allowed');
  });

  it('listed URIs and URIs matching a template still reach their backend', async () => {
    // Every page of both lists: each page comes from one backend.
    for (let cursor: string | undefined, n = 0; n === 0 || (cursor !== undefined && n < 20); n++) cursor = (await client.listResources(cursor === undefined ? undefined : { cursor })).nextCursor;
    for (let cursor: string | undefined, n = 0; n === 0 || (cursor !== undefined && n < 20); n++) cursor = (await client.listResourceTemplates(cursor === undefined ? undefined : { cursor })).nextCursor;
    expect((await client.readResource({ uri: 'test://b/only' })).contents[0]).toMatchObject({ text: 'b:test://b/only' });
    expect((await client.readResource({ uri: 'test://a/items/3' })).contents[0]).toMatchObject({ text: 'a:test://a/items/3' });
  });
});

describe('resources/read of an unlisted URI with one backend', { timeout: 120_000 }, () => {
  it('is forwarded to it (it alone can say whether it exists)', async () => {
    const serve = await serveWith(backend('alpha', 'a'));
    const client = await connectHttp(serve.url);
    try {
      expect((await client.readResource({ uri: 'test://nowhere' })).contents[0]).toMatchObject({ text: 'a:test://nowhere' });
    } finally {
      await client.close();
      await serve.stop();
    }
  });
});
