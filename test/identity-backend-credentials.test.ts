import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backendSchema, type HttpBackendConfig, type StdioBackendConfig } from '../src/config/backends.js';
import { backendCredentialResolver, backendEnvironment, backendRequestHeaders, stripClientCredentialHeaders } from '../src/identity/index.js';
import { ChildProcessTransport } from '../src/transport/child-process.js';
import { createHttpBackendTransport } from '../src/transport/http-client.js';
import { readRecords, RECORDER, startHttpRecorder } from './helpers/credential-recorder.js';

const CLIENT_KEY = 'mcpw_client-key-that-must-never-reach-a-backend-0000000';
const BACKEND_TOKEN = 'backend-token-held-by-warden-only';

describe('backend credentials: the backend gets its own, never the client\'s', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'warden-backend-cred-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('HTTP headers: configured headers and bearer token; client credential headers dropped from any passthrough', () => {
    const headers = backendRequestHeaders(
      { headers: { 'X-Backend-Key': 'bk', Authorization: 'Bearer overridden' }, bearerToken: BACKEND_TOKEN },
      { authorization: `Bearer ${CLIENT_KEY}`, 'X-API-Key': CLIENT_KEY, cookie: 'sid=1', 'proxy-authorization': 'Basic x', traceparent: '00-abc' },
    );
    expect(headers).toEqual({ 'x-backend-key': 'bk', authorization: `Bearer ${BACKEND_TOKEN}`, traceparent: '00-abc' });
    expect(stripClientCredentialHeaders({ Authorization: 'a', 'x-api-key': 'b', accept: 'c' })).toEqual({ accept: 'c' });
  });

  it('stdio env: inherited MCP_WARDEN_API_KEY is removed, configured env added', () => {
    const env = backendEnvironment({ env: { QUBINODE_API_KEY: BACKEND_TOKEN } }, { PATH: '/bin', MCP_WARDEN_API_KEY: CLIENT_KEY });
    expect(env).toEqual({ PATH: '/bin', QUBINODE_API_KEY: BACKEND_TOKEN });
  });

  it('the resolver cli/ hands the proxy: stdio gets only an env, HTTP only headers, neither the client key', () => {
    const resolve = backendCredentialResolver({ PATH: '/bin', MCP_WARDEN_API_KEY: CLIENT_KEY, MCP_WARDEN_TOKEN: CLIENT_KEY });
    const stdio = backendSchema.parse({ name: 's', transport: 'stdio', command: 'x', env: { OWN: 'own' } });
    expect(resolve(stdio)).toEqual({ headers: {}, env: { PATH: '/bin', OWN: 'own' } });
    const http = backendSchema.parse({ name: 'h', transport: 'sse', url: 'http://127.0.0.1:1/sse', headers: { 'X-Backend-Key': 'bk' }, bearerToken: BACKEND_TOKEN });
    expect(resolve(http)).toEqual({ headers: { 'x-backend-key': 'bk', authorization: `Bearer ${BACKEND_TOKEN}` }, env: {} });
  });

  it('a real stdio backend process sees its configured variable and not the client key', async () => {
    const recordFile = join(dir, 'stdio.jsonl');
    const backend = backendSchema.parse({ name: 'rec', transport: 'stdio', command: process.execPath, args: [RECORDER], env: { BACKEND_TOKEN, MCP_RECORD_FILE: recordFile } }) as StdioBackendConfig;
    const transport = new ChildProcessTransport({ command: backend.command, args: backend.args, env: backendCredentialResolver({ ...process.env, MCP_WARDEN_API_KEY: CLIENT_KEY })(backend).env });
    const client = new Client({ name: 't', version: '1' });
    await client.connect(transport);
    const result = await client.callTool({ name: 'echo', arguments: { text: 'hi' } });
    expect(result.content).toEqual([{ type: 'text', text: 'hi' }]);
    await client.close();
    const env = readRecords(recordFile).find((r) => r.kind === 'env')!.env!;
    expect(env.BACKEND_TOKEN).toBe(BACKEND_TOKEN);
    expect(env.MCP_WARDEN_API_KEY).toBeUndefined();
    expect(JSON.stringify(env)).not.toContain(CLIENT_KEY);
  });

  it('a real HTTP backend receives Authorization: Bearer <its token> and the configured header on every request', async () => {
    const recordFile = join(dir, 'http.jsonl');
    const recorder = await startHttpRecorder(recordFile);
    try {
      const backend = backendSchema.parse({ name: 'rec', transport: 'streamable-http', url: recorder.url, headers: { 'X-Backend-Key': 'bk' }, bearerToken: BACKEND_TOKEN }) as HttpBackendConfig;
      const client = new Client({ name: 't', version: '1' });
      await client.connect(createHttpBackendTransport(backend, backendCredentialResolver()(backend).headers));
      await client.callTool({ name: 'echo', arguments: { text: 'hi' } });
      await client.close();
      const requests = readRecords(recordFile).filter((r) => r.kind === 'http');
      expect(requests.length).toBeGreaterThanOrEqual(2);
      for (const r of requests) {
        expect(r.headers!.authorization).toBe(`Bearer ${BACKEND_TOKEN}`);
        expect(r.headers!['x-backend-key']).toBe('bk');
        expect(r.headers!['x-api-key']).toBeUndefined();
      }
    } finally {
      await recorder.stop();
    }
  });
});
