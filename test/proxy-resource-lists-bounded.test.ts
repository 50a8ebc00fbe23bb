/**
 * What a session learns from backends' resources/list and resources/templates/list answers (which
 * backend owns a listed URI, each backend's URI templates) is bounded per backend (LISTED_URIS_MAX
 * URIs, LISTED_TEMPLATES_MAX templates): a backend listing millions of resources grew the proxy's
 * memory without limit. Past the cap a URI (template) is shown in alias form, which routes to its
 * backend by itself; its plain form is not remembered, so a read of it is -32002 with several
 * backends (never sent to a backend that did not claim it), and the log says so once. Real serve,
 * HTTP client, two test backends, one listing LISTED_URIS_MAX + 1 resources and
 * LISTED_TEMPLATES_MAX + 1 more templates (its two own come first).
 */
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LISTED_TEMPLATES_MAX, LISTED_URIS_MAX } from '../src/proxy/listed-routes.js';
import { ALLOW_ALL_POLICY, connectHttp, startServe, TEST_BACKEND, type ServeProcess } from './helpers/proxy.js';

const MANY = Math.max(LISTED_URIS_MAX, LISTED_TEMPLATES_MAX) + 1;
const failure = (p: Promise<unknown>) => p.then((r) => ({ resolved: r }), (e: unknown) => e);

describe('listed resources and templates are bounded per backend of a session', { timeout: 120_000 }, () => {
  let serve: ServeProcess;
  let client: Client;
  beforeAll(async () => {
    serve = await startServe(`backends:
  - { name: alpha, transport: stdio, command: ${JSON.stringify(process.execPath)}, args: [${JSON.stringify(TEST_BACKEND)}], env: { TEST_BACKEND_LABEL: a, TEST_BACKEND_MANY: '${MANY}' } }
  - { name: beta, transport: stdio, command: ${JSON.stringify(process.execPath)}, args: [${JSON.stringify(TEST_BACKEND)}], env: { TEST_BACKEND_LABEL: b } }
auth: { anonymous: true }
audit: { enabled: false }
${ALLOW_ALL_POLICY}`);
    client = await connectHttp(serve.url);
  });
  afterAll(async () => {
    await client?.close();
    await serve?.stop();
  });

  it(`a backend's first ${LISTED_URIS_MAX} listed URIs are shown as they are, those beyond in alias form, read from it either way`, async () => {
    const first = await client.listResources();
    const uris = first.resources.map((r) => r.uri);
    // alpha's page: test://shared, test://a/only, then test://a/many/0 .. MANY - 1.
    expect(uris.slice(0, 3)).toEqual(['test://shared', 'test://a/only', 'test://a/many/0']);
    expect(uris[LISTED_URIS_MAX - 1]).toBe(`test://a/many/${LISTED_URIS_MAX - 3}`);
    expect(uris[LISTED_URIS_MAX]).toBe(`mcp-warden:alpha:test://a/many/${LISTED_URIS_MAX - 2}`);
    expect(uris[MANY + 1]).toBe(`mcp-warden:alpha:test://a/many/${MANY - 1}`);
    expect((await client.readResource({ uri: 'test://a/many/0' })).contents[0]).toMatchObject({ text: 'a:test://a/many/0' });
    expect((await client.readResource({ uri: uris[MANY + 1]! })).contents[0]).toMatchObject({ text: `a:test://a/many/${MANY - 1}` });
    // Its plain form was never shown, nor remembered: not routed to either backend.
    expect(await failure(client.readResource({ uri: `test://a/many/${MANY - 1}` }))).toMatchObject({ code: -32002 });
    // Listed again: shown the same way (the first ones stay remembered).
    const again = (await client.listResources()).resources.map((r) => r.uri);
    expect(again.slice(0, MANY + 2)).toEqual(uris.slice(0, MANY + 2));
    expect(serve.stderr()).toContain(`backend listed more resources than a session remembers (${LISTED_URIS_MAX})`);
  });

  it(`a backend's first ${LISTED_TEMPLATES_MAX} templates are shown as they are, those beyond in alias form`, async () => {
    const templates = (await client.listResourceTemplates()).resourceTemplates.map((t) => t.uriTemplate);
    expect(templates.slice(0, 3)).toEqual(['test://a/items/{id}', 'test://a/t0/{id}', 'test://a/t1/{id}']);
    expect(templates[LISTED_TEMPLATES_MAX - 1]).toBe(`test://a/t${LISTED_TEMPLATES_MAX - 2}/{id}`);
    expect(templates[LISTED_TEMPLATES_MAX]).toBe(`mcp-warden:alpha:test://a/t${LISTED_TEMPLATES_MAX - 1}/{id}`);
    expect((await client.readResource({ uri: 'test://a/t0/7' })).contents[0]).toMatchObject({ text: 'a:test://a/t0/7' });
    const last = `test://a/t${MANY - 1}/7`;
    expect((await client.readResource({ uri: `mcp-warden:alpha:${last}` })).contents[0]).toMatchObject({ text: `a:${last}` });
    expect(await failure(client.readResource({ uri: last }))).toMatchObject({ code: -32002 });
    expect(serve.stderr()).toContain(`backend listed more resource templates than a session remembers (${LISTED_TEMPLATES_MAX})`);
  });
});
