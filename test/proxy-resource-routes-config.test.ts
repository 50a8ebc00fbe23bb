/**
 * The per-backend caps on what a session remembers for routing resource URIs with several backends
 * (listed URIs, listed templates, given URIs) were constants (LISTED_URIS_MAX, LISTED_TEMPLATES_MAX,
 * LINKED_URIS_MAX): an operator could neither lower them (many sessions, little memory) nor raise
 * them (a backend listing 50,000 files, shown aliased past 10,000). They are the config section
 * `resourceRoutes` now, with those constants as defaults, validated like the rest of the config.
 * Real serve (small caps), HTTP client, two test backends; `config check` through the built CLI.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { wardenConfigSchema } from '../src/config/schema.js';
import { DEFAULT_ROUTE_LIMITS } from '../src/proxy/catalog.js';
import { runCli } from './helpers/audit.js';
import { ALLOW_ALL_POLICY, connectHttp, startServe, tempDir, TEST_BACKEND, type ServeProcess } from './helpers/proxy.js';

const failure = (p: Promise<unknown>) => p.then((r) => ({ resolved: r }), (e: unknown) => e);
const backend = (name: string, label: string, env = '') =>
  `  - { name: ${name}, transport: stdio, command: ${JSON.stringify(process.execPath)}, args: [${JSON.stringify(TEST_BACKEND)}], env: { TEST_BACKEND_LABEL: ${label}, TEST_BACKEND_LINKS: '1'${env} } }`;

describe('resourceRoutes: the caps on remembered resource routes are configurable', { timeout: 120_000 }, () => {
  let serve: ServeProcess;
  let client: Client;
  beforeAll(async () => {
    serve = await startServe(`backends:
${backend('alpha', 'a', ", TEST_BACKEND_TEMPLATE: 'test://a/extra/{id}'")}
${backend('beta', 'b')}
resourceRoutes: { listedUris: 1, listedTemplates: 1, givenUris: 2 }
auth: { anonymous: true }
audit: { enabled: false }
${ALLOW_ALL_POLICY}`);
    client = await connectHttp(serve.url);
  });
  afterAll(async () => {
    await client?.close();
    await serve?.stop();
  });

  it('the defaults are the proxy constants', () => {
    const config = wardenConfigSchema.parse({ backends: [{ name: 'a', transport: 'stdio', command: 'x' }] });
    expect(config.resourceRoutes).toEqual({ ...DEFAULT_ROUTE_LIMITS });
    expect(DEFAULT_ROUTE_LIMITS).toEqual({ listedUris: 10_000, listedTemplates: 1_000, givenUris: 1_000 });
  });

  it('listedUris: 1 — the second URI alpha lists is shown aliased, and read from alpha', async () => {
    const page = await client.listResources();
    expect(page.resources.map((r) => r.uri)).toEqual(['test://shared', 'mcp-warden:alpha:test://a/only']);
    expect((await client.readResource({ uri: 'mcp-warden:alpha:test://a/only' })).contents[0]).toMatchObject({ text: 'a:test://a/only' });
    await expect.poll(() => serve.stderr()).toContain('backend listed more resources than a session remembers (1)');
  });

  it('listedTemplates: 1 — the second template alpha lists is shown aliased', async () => {
    const page = await client.listResourceTemplates();
    expect(page.resourceTemplates.map((t) => t.uriTemplate)).toEqual(['test://a/items/{id}', 'mcp-warden:alpha:test://a/extra/{id}']);
    await expect.poll(() => serve.stderr()).toContain('backend listed more resource templates than a session remembers (1)');
  });

  it('givenUris: 2 — of three links alpha gives, the oldest is forgotten', async () => {
    await client.callTool({ name: 'alpha__link', arguments: { uri: 'test://g', count: 3 } });
    expect((await client.readResource({ uri: 'test://g/2' })).contents[0]).toMatchObject({ text: 'a:test://g/2' });
    expect((await client.readResource({ uri: 'test://g/1' })).contents[0]).toMatchObject({ text: 'a:test://g/1' });
    // Forgotten: no backend listed or gave it, both offer resources.
    expect(await failure(client.readResource({ uri: 'test://g/0' }))).toMatchObject({ code: -32002 });
  });
});

describe('resourceRoutes: bad values are one line each naming the key', { timeout: 60_000 }, () => {
  it('config check refuses 0, a non-number, a value over the ceiling and an unknown key', async () => {
    const dir = await tempDir();
    const file = join(dir, 'warden.yaml');
    await writeFile(
      file,
      `backends: [{ name: a, transport: stdio, command: x }]\nresourceRoutes: { listedUris: 0, listedTemplates: lots, givenUris: 5000000, linkedUris: 3 }\n`,
    );
    const r = await runCli(['config', 'check', file]);
    expect(r.code).toBe(3);
    expect(r.stderr.trim().split('\n')).toEqual([
      'mcp-warden: invalid configuration:',
      `${file}: resourceRoutes.listedUris: must be at least 1`,
      `${file}: resourceRoutes.listedTemplates: Invalid input: expected number, received string`,
      `${file}: resourceRoutes.givenUris: must be at most 1,000,000 (entries per backend of each client session)`,
      `${file}: resourceRoutes: Unrecognized key: "linkedUris"`,
    ]);
  });
});
