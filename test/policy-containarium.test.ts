/**
 * The containarium pack end to end: clients with JWTs (HS256, verified by mcp-warden's identity
 * stage) over Streamable HTTP to `mcp-warden serve`, in front of our Containarium test server
 * (its tool names and arguments, recording every call). Roles and the username come from the token.
 */
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServe, type ServeProcess } from './helpers/proxy.js';
import { resultText, scratch, SERVERS, type Scratch } from './helpers/policy-e2e.js';

const SECRET = 'containarium-test-secret-0123456789-abcdef';
const AUDIENCE = 'https://warden.test/mcp';

async function token(sub: string, username: string, roles: string[]): Promise<string> {
  return new SignJWT({ username, roles })
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(sub)
    .setAudience(AUDIENCE)
    .setIssuedAt()
    .setExpirationTime('10m')
    .sign(new TextEncoder().encode(SECRET));
}

async function connect(url: string, jwt: string): Promise<Client> {
  const client = new Client({ name: 'containarium-policy-test', version: '1.0.0' });
  await client.connect(new StreamableHTTPClientTransport(new URL(url), { requestInit: { headers: { authorization: `Bearer ${jwt}` } } }));
  return client;
}

describe('containarium pack: JWT roles and username-bound arguments', () => {
  let s: Scratch;
  let serve: ServeProcess;
  let admin: Client;
  let alice: Client;

  beforeAll(async () => {
    s = await scratch();
    serve = await startServe(`
backends:
  - name: containarium
    transport: stdio
    command: ${JSON.stringify(process.execPath)}
    args: [${JSON.stringify(`${SERVERS}/containarium-server.mjs`)}]
    env: { MCP_RECORD_FILE: ${JSON.stringify(s.recordFile)} }
auth:
  jwt: { secret: "${SECRET}", audience: "${AUDIENCE}", rolesClaim: roles, clientIdClaim: sub }
policy:
  paths: [containarium]
audit: { enabled: false }
`);
    admin = await connect(serve.url, await token('u-root', 'root', ['admin']));
    alice = await connect(serve.url, await token('u-alice', 'alice', ['user']));
  });
  afterAll(async () => {
    await admin?.close();
    await alice?.close();
    await serve?.stop();
    await s?.remove();
  });

  it('a user sees list/get/metrics only; the admin sees container management', async () => {
    expect((await alice.listTools()).tools.map((t) => t.name).sort()).toEqual(['get_container', 'get_metrics', 'list_containers']);
    expect((await admin.listTools()).tools.map((t) => t.name)).toEqual(
      expect.arrayContaining(['create_container', 'delete_container', 'start_container', 'stop_container']),
    );
  });

  it("a user reads its own container and metrics, and is refused another user's", async () => {
    const mine = await alice.callTool({ name: 'get_container', arguments: { username: 'alice' } });
    expect(resultText(mine)).toContain('"username":"alice"');
    await alice.callTool({ name: 'get_metrics', arguments: { username: 'alice' } });
    const bobs = await alice.callTool({ name: 'get_metrics', arguments: { username: 'bob' } });
    expect(bobs.isError).toBe(true);
    expect(resultText(bobs)).toBe("Denied by policy: Tool 'get_metrics' may only be used for your own username 'alice' (requested 'bob')");
    const del = await alice.callTool({ name: 'delete_container', arguments: { username: 'alice' } });
    expect(resultText(del)).toBe("Denied by policy: Operation 'delete_container' requires the 'admin' role");
    expect(s.received().map((r) => [r.name, r.arguments])).toEqual([
      ['get_container', { username: 'alice' }],
      ['get_metrics', { username: 'alice' }],
    ]);
  });

  it('the admin creates, stops and deletes containers for anyone', async () => {
    await admin.callTool({ name: 'create_container', arguments: { username: 'carol', cpus: 2, memory: '4GB' } });
    await admin.callTool({ name: 'stop_container', arguments: { username: 'bob' } });
    await admin.callTool({ name: 'get_metrics', arguments: { username: 'bob' } });
    expect(s.toolsReceived().slice(-3)).toEqual(['create_container', 'stop_container', 'get_metrics']);
  });
});
