/**
 * Over HTTP every request is decided with the identity its own credentials prove, not the one the
 * session had at `initialize`. A real `serve` with JWT authentication, a policy that allows
 * tools/call only for role `admin`, and one session per transport (Streamable HTTP, legacy SSE)
 * whose client presents, request by request, a token with `admin`, then a token for the same
 * subject without it, then one with it again: allowed, denied, allowed. The audit rows say, per
 * request, the decision and the reason the policy gave, which names the roles in force. Before the
 * fix the session kept the roles of its `initialize` token: the second call was allowed.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { SSEClientTransport } from '@modelcontextprotocol/sdk/client/sse.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openAuditReader } from '../src/audit/index.js';
import { authSchema } from '../src/config/auth.js';
import { createAuthenticator, generateApiKey, hashApiKey } from '../src/identity/index.js';
import { writeKeysFile } from '../src/identity/keys-file.js';
import { followIdentity } from '../src/transport/http/request-identity.js';
import type { ClientIdentity } from '../src/types.js';
import { ROOT, startServe, type ServeProcess } from './helpers/proxy.js';

const AUDIENCE = 'https://warden.test/mcp';
const SECRET = 'per-request-identity-secret-0123456789abcdef';
const QUBINODE = join(ROOT, 'test/servers/qubinode-server.mjs');

function token(roles: string[]): Promise<string> {
  return new SignJWT({ sub: 'alice', name: 'Alice', roles })
    .setProtectedHeader({ alg: 'HS256' })
    .setAudience(AUDIENCE)
    .setExpirationTime(Math.floor(Date.now() / 1000) + 600)
    .sign(new TextEncoder().encode(SECRET));
}

const POLICY = `package mcp.authz

import rego.v1

default allow := false

allow if input.method != "tools/call"

allow if "admin" in input.client.roles

deny contains msg if {
	input.phase == "request"
	input.method == "tools/call"
	not "admin" in input.client.roles
	msg := sprintf("roles [%s]: tools/call needs admin", [concat(",", input.client.roles)])
}
`;

/** A fetch that sends the bearer token `current()` holds at the time of each request. */
function bearerFetch(current: () => string): typeof fetch {
  return (url, init) => {
    const headers = new Headers(init?.headers);
    headers.set('authorization', `Bearer ${current()}`);
    return fetch(url, { ...init, headers });
  };
}

describe('identity per request over HTTP (serve, JWT)', { timeout: 120_000 }, () => {
  let dir: string;
  let serve: ServeProcess;
  let admin: string;
  let reader: string;
  const apiKey = generateApiKey();
  const keysFile = () => join(dir, 'keys.yaml');

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'warden-identity-per-request-'));
    writeFileSync(join(dir, 'admin-only.rego'), POLICY);
    admin = await token(['admin', 'ops']);
    reader = await token(['reader']);
    writeKeysFile(keysFile(), [{ id: 'k_bob', hash: hashApiKey(apiKey), client: 'bob', roles: ['admin'] }]);
    serve = await startServe(`
server: { host: 127.0.0.1 }
backends:
  - { name: qubinode, transport: stdio, command: ${JSON.stringify(process.execPath)}, args: [${JSON.stringify(QUBINODE)}] }
auth:
  jwt: { secret: ${SECRET}, audience: ${JSON.stringify(AUDIENCE)} }
  keysFile: ${JSON.stringify(join(dir, 'keys.yaml'))}
policy: { paths: [${JSON.stringify(join(dir, 'admin-only.rego'))}], watch: false }
audit: { path: ${JSON.stringify(join(dir, 'audit.db'))}, flushIntervalMs: 10 }
`);
  });

  afterAll(async () => {
    await serve?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  /** Three calls in one session: admin token, reader token, admin token again; what each got. */
  async function callsWithChangingToken(transport: 'streamable-http' | 'sse', vm: string): Promise<Array<boolean | undefined>> {
    let current = admin;
    const fetchWithToken = bearerFetch(() => current);
    const client = new Client({ name: `per-request-${transport}`, version: '1.0.0' });
    await client.connect(
      transport === 'sse'
        ? new SSEClientTransport(new URL(serve.sseUrl), { fetch: fetchWithToken, eventSourceInit: { fetch: fetchWithToken } })
        : new StreamableHTTPClientTransport(new URL(serve.url), { fetch: fetchWithToken }),
    );
    try {
      const tool = (await client.listTools()).tools.find((t) => t.name.endsWith('get_vm_info'))!.name;
      const results: Array<boolean | undefined> = [];
      for (const [i, t] of [admin, reader, admin].entries()) {
        current = t;
        const r = await client.callTool({ name: tool, arguments: { vm_name: `${vm}-${i}` } });
        results.push(r.isError === true);
      }
      return results;
    } finally {
      await client.close();
    }
  }

  it.each(['streamable-http', 'sse'] as const)('%s: a token without admin is denied in a session opened with one that had it, and allowed again with admin; the audit records each decision and the roles in force', async (transport) => {
    const vm = `vm-${transport}`;
    // isError per call: allowed, denied, allowed.
    expect(await callsWithChangingToken(transport, vm)).toEqual([false, true, false]);
    const audit = openAuditReader(join(dir, 'audit.db'));
    try {
      let rows = audit.query({ method: 'tools/call', order: 'asc', limit: 100 }).rows.filter((r) => String((r.arguments as { vm_name?: string })?.vm_name).startsWith(vm));
      for (const deadline = Date.now() + 30_000; rows.length < 3 && Date.now() < deadline; ) {
        await new Promise((r) => setTimeout(r, 20));
        rows = audit.query({ method: 'tools/call', order: 'asc', limit: 100 }).rows.filter((r) => String((r.arguments as { vm_name?: string })?.vm_name).startsWith(vm));
      }
      expect(rows.map((r) => [(r.arguments as { vm_name: string }).vm_name, r.decision, r.clientId, r.transport])).toEqual([
        [`${vm}-0`, 'allow', 'alice', transport],
        [`${vm}-1`, 'deny', 'alice', transport],
        [`${vm}-2`, 'allow', 'alice', transport],
      ]);
      expect(rows[1]!.reasons).toEqual(['roles [reader]: tools/call needs admin']);
    } finally {
      audit.close();
    }
  });

  it('a session opened with a token without admin is allowed once a request carries a token with it', async () => {
    let current = reader;
    const fetchWithToken = bearerFetch(() => current);
    const client = new Client({ name: 'per-request-upgrade', version: '1.0.0' });
    await client.connect(new StreamableHTTPClientTransport(new URL(serve.url), { fetch: fetchWithToken }));
    try {
      const tool = (await client.listTools()).tools.find((t) => t.name.endsWith('get_vm_info'))!.name;
      expect((await client.callTool({ name: tool, arguments: { vm_name: 'up-0' } })).isError).toBe(true);
      current = admin;
      expect((await client.callTool({ name: tool, arguments: { vm_name: 'up-1' } })).isError).toBeFalsy();
      current = reader;
      expect((await client.callTool({ name: tool, arguments: { vm_name: 'up-2' } })).isError).toBe(true);
    } finally {
      await client.close();
    }
  });

  it('an API key whose roles change in the keys file (reloaded while the session runs): the next request of the same session is decided with the new roles', async () => {
    const client = new Client({ name: 'per-request-api-key', version: '1.0.0' });
    await client.connect(new StreamableHTTPClientTransport(new URL(serve.url), { requestInit: { headers: { 'x-api-key': apiKey } } }));
    try {
      const tool = (await client.listTools()).tools.find((t) => t.name.endsWith('get_vm_info'))!.name;
      expect((await client.callTool({ name: tool, arguments: { vm_name: 'key-0' } })).isError).toBeFalsy();
      writeKeysFile(keysFile(), [{ id: 'k_bob', hash: hashApiKey(apiKey), client: 'bob', roles: ['reader'] }]);
      const denied = await client.callTool({ name: tool, arguments: { vm_name: 'key-1' } });
      expect(denied.isError).toBe(true);
      expect(JSON.stringify(denied.content)).toContain('roles [reader]: tools/call needs admin');
    } finally {
      await client.close();
      writeKeysFile(keysFile(), [{ id: 'k_bob', hash: hashApiKey(apiKey), client: 'bob', roles: ['admin'] }]);
    }
  });
});

describe('followIdentity: the object a session decides with', () => {
  it('keeps the current object while the authenticator proves the same identity (a new object per API-key request), and takes the fresh one, leaving the old one as it was, once the roles differ', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'warden-follow-identity-'));
    try {
      const key = generateApiKey();
      const file = join(dir, 'keys.yaml');
      writeKeysFile(file, [{ id: 'k1', hash: hashApiKey(key), client: 'carol', roles: ['admin'] }]);
      const auth = createAuthenticator(authSchema.parse({ keysFile: file }), { baseDir: dir, servesHttp: true });
      const identify = async (): Promise<ClientIdentity> => {
        const r = await auth.authenticate({ transport: 'streamable-http', headers: { 'x-api-key': key }, address: '127.0.0.1' });
        if (!r.ok) throw new Error(r.message);
        return r.client;
      };
      const first = await identify();
      const again = await identify();
      expect(again).not.toBe(first); // the authenticator's own object per request
      expect(followIdentity(first, again)).toBe(first);
      writeKeysFile(file, [{ id: 'k1', hash: hashApiKey(key), client: 'carol', roles: ['reader'] }]);
      let changed = await identify();
      for (const deadline = Date.now() + 30_000; changed.roles[0] !== 'reader' && Date.now() < deadline; ) {
        await new Promise((r) => setTimeout(r, 20));
        changed = await identify();
      }
      const followed = followIdentity(first, changed);
      expect(followed).toBe(changed);
      expect(followed.roles).toEqual(['reader']);
      expect(first.roles).toEqual(['admin']); // never changed in place
      // Claims are compared by value; another address is another identity.
      expect(followIdentity(first, { ...first, claims: { ...first.claims } })).toBe(first);
      expect(followIdentity(first, { ...first, claims: { ...first.claims, extra: [1] } })).not.toBe(first);
      expect(followIdentity(first, { ...first, address: '10.0.0.9' })).not.toBe(first);
      (auth as { close?: () => void }).close?.();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
