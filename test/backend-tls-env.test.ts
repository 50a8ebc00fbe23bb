/**
 * NODE_TLS_REJECT_UNAUTHORIZED=0 in mcp-warden's environment. Node.js then skips certificate
 * verification for every TLS connection that does not ask for it explicitly: it must not reach an
 * https backend (with or without backends[].tls: both pools verify explicitly), and serve warns at
 * start, since what it does not reach (the JWKS fetch of auth.jwt.jwksUrl) is still affected.
 */
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ALLOW_ALL_POLICY, connectHttp, startServe, TEST_BACKEND, type ServeProcess } from './helpers/proxy.js';
import { tlsFile } from './helpers/tls.js';

const q = JSON.stringify;
const COMMON = `audit: { enabled: false }\n${ALLOW_ALL_POLICY}`;

describe('NODE_TLS_REJECT_UNAUTHORIZED=0 does not turn off backend verification', { timeout: 120_000 }, () => {
  let backend: ServeProcess;
  let front: ServeProcess;
  let client: Client;

  beforeAll(async () => {
    backend = await startServe(`server:
  tls: { certFile: ${q(tlsFile('server.pem'))}, keyFile: ${q(tlsFile('server.key'))} }
backends:
  - { name: inner, transport: stdio, command: ${q(process.execPath)}, args: [${q(TEST_BACKEND)}] }
auth: { anonymous: true }
${COMMON}`);
    front = await startServe(
      `backends:
  - { name: good, transport: stdio, command: ${q(process.execPath)}, args: [${q(TEST_BACKEND)}] }
  - { name: shared, transport: streamable-http, url: ${q(backend.url)} }
  - { name: own, transport: sse, url: ${q(backend.sseUrl)}, tls: { serverName: localhost } }
auth: { anonymous: true }
${COMMON}`,
      [],
      { env: { NODE_TLS_REJECT_UNAUTHORIZED: '0' } },
    );
    client = await connectHttp(front.url);
  });
  afterAll(async () => {
    await client?.close();
    await front?.stop();
    await backend?.stop();
  });

  it('an https backend whose certificate no trusted CA signed is refused, with or without backends[].tls', async () => {
    const call = (name: string) => client.callTool({ name, arguments: { text: 'x' } }).then(() => 'answered', (e: unknown) => (e as Error).message);
    expect(await call('shared__echo')).toMatch(/backend 'shared' is unavailable: .*TLS: the backend's certificate is not trusted/);
    expect(await call('own__echo')).toMatch(/backend 'own' is unavailable: .*TLS: the backend's certificate is not trusted/);
  });

  it('serve warns at start that the variable is set', () => {
    expect(front.stderr()).toMatch(/"level":40,.*"msg":"NODE_TLS_REJECT_UNAUTHORIZED=0 is set/);
    expect(backend.stderr()).not.toContain('NODE_TLS_REJECT_UNAUTHORIZED');
  });
});
