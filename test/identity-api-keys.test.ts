import { mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { authSchema, type AuthConfig } from '../src/config/auth.js';
import { generateApiKey, hashApiKey } from '../src/identity/api-keys.js';
import { createAuthenticator, type WardenAuthenticator } from '../src/identity/index.js';
import { writeKeysFile } from '../src/identity/keys-file.js';
import type { AuthResult } from '../src/types.js';

const http = (headers: Record<string, string | string[]>) => ({ transport: 'streamable-http' as const, headers, address: '127.0.0.1' });

function refused(result: AuthResult): { status: number; message: string; wwwAuthenticate?: string } {
  if (result.ok) throw new Error(`expected a refusal, got client ${result.client.id}`);
  return result;
}

describe('API keys', () => {
  let dir: string;
  let auth: WardenAuthenticator | undefined;
  const alice = generateApiKey();
  const bob = generateApiKey();
  const old = generateApiKey();
  const gone = generateApiKey();
  const staging = generateApiKey();
  const hexKey = 'a3f1c9d27b4e5f60a3f1c9d27b4e5f60a3f1c9d27b4e5f60a3f1c9d27b4e5f60';

  function make(extra: Partial<AuthConfig> = {}): WardenAuthenticator {
    const config = authSchema.parse({
      deployment: 'prod',
      apiKeys: [
        { id: 'k_alice', hash: hashApiKey(alice), client: 'alice', name: 'Alice', roles: ['vm-operator'] },
        { id: 'k_hex', hash: hashApiKey(hexKey), client: 'ops', roles: ['reader'] },
        { id: 'k_old', hash: hashApiKey(old), client: 'carol', expires: '2020-01-01T00:00:00Z' },
        { id: 'k_gone', hash: hashApiKey(gone), client: 'dave', revoked: '2021-01-01T00:00:00Z' },
        { id: 'k_staging', hash: hashApiKey(staging), client: 'erin', deployment: 'staging' },
      ],
      ...extra,
    });
    auth = createAuthenticator(config, { baseDir: dir, env: {} });
    return auth;
  }

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'warden-keys-'));
  });
  afterEach(() => {
    auth?.close();
    auth = undefined;
    rmSync(dir, { recursive: true, force: true });
  });

  it('accepts a key as Bearer or X-API-Key and binds client id, name and roles', async () => {
    const a = make();
    const spellings: Array<Record<string, string>> = [{ authorization: `Bearer ${alice}` }, { 'x-api-key': alice }, { authorization: `bearer ${alice}`, 'x-api-key': alice }];
    for (const headers of spellings) {
      const result = await a.authenticate(http(headers));
      expect(result.ok).toBe(true);
      if (!result.ok) continue;
      expect(result.client).toMatchObject({ id: 'alice', name: 'Alice', auth: 'api_key', roles: ['vm-operator'], credentialId: 'k_alice', address: '127.0.0.1' });
      expect(result.client.claims).toMatchObject({ key_id: 'k_alice', client: 'alice' });
      expect(JSON.stringify(result.client)).not.toContain(alice);
    }
    const hex = await a.authenticate(http({ 'x-api-key': hexKey }));
    expect(hex.ok && hex.client.id).toBe('ops');
  });

  it('no credentials: 401 with a WWW-Authenticate challenge and no error code', async () => {
    const r = refused(await make().authenticate(http({})));
    expect(r.status).toBe(401);
    expect(r.message).toBe('authentication required');
    expect(r.wwwAuthenticate).toBe('Bearer realm="mcp-warden"');
  });

  it('wrong key: 401 invalid_token, never echoing the key', async () => {
    const wrong = generateApiKey();
    const r = refused(await make().authenticate(http({ authorization: `Bearer ${wrong}` })));
    expect(r).toMatchObject({ status: 401, message: 'invalid API key' });
    expect(r.wwwAuthenticate).toContain('error="invalid_token"');
    expect(JSON.stringify(r)).not.toContain(wrong);
    expect(refused(await make().authenticate(http({ 'x-api-key': bob }))).status).toBe(401);
  });

  it('revoked key: 401 "API key revoked"', async () => {
    expect(refused(await make().authenticate(http({ 'x-api-key': gone })))).toMatchObject({ status: 401, message: 'API key revoked' });
  });

  it('expired key: 401 "API key expired"', async () => {
    expect(refused(await make().authenticate(http({ 'x-api-key': old })))).toMatchObject({ status: 401, message: 'API key expired' });
  });

  it('a valid key for another deployment: 403 without a challenge', async () => {
    const r = refused(await make().authenticate(http({ 'x-api-key': staging })));
    expect(r).toMatchObject({ status: 403, message: 'API key not valid for this deployment' });
    expect(r.wwwAuthenticate).toBeUndefined();
    const onStaging = await make({ deployment: 'staging' }).authenticate(http({ 'x-api-key': staging }));
    expect(onStaging.ok && onStaging.client.id).toBe('erin');
  });

  it('malformed or conflicting credentials: 401 invalid_request', async () => {
    const a = make();
    expect(refused(await a.authenticate(http({ authorization: `Basic ${alice}` })))).toMatchObject({ status: 401, message: 'Authorization must be "Bearer <token>"' });
    expect(refused(await a.authenticate(http({ authorization: `Bearer ${alice}`, 'x-api-key': bob })))).toMatchObject({ status: 401, message: 'send either Authorization or X-API-Key, not both' });
    expect(refused(await a.authenticate(http({ 'x-api-key': [alice, alice] }))).wwwAuthenticate).toContain('invalid_request');
  });

  it('anonymous only when configured, and a bad credential is not downgraded to anonymous', async () => {
    const a = make({ anonymous: true });
    const anon = await a.authenticate(http({}));
    expect(anon.ok && anon.client).toMatchObject({ id: 'anonymous', auth: 'anonymous', roles: [] });
    expect(refused(await a.authenticate(http({ 'x-api-key': bob }))).status).toBe(401);
  });

  it('stdio: key from MCP_WARDEN_API_KEY, then auth.stdioApiKey, then auth.stdioClient, else 401', async () => {
    const config = authSchema.parse({ apiKeys: [{ id: 'k_alice', hash: hashApiKey(alice), client: 'alice' }] });
    const stdio = { transport: 'stdio' as const, headers: {} };
    const fromEnv = await createAuthenticator(config, { env: { MCP_WARDEN_API_KEY: alice } }).authenticate(stdio);
    expect(fromEnv.ok && fromEnv.client.id).toBe('alice');
    const fromConfig = await createAuthenticator({ ...config, stdioApiKey: alice }, { env: {} }).authenticate(stdio);
    expect(fromConfig.ok && fromConfig.client.id).toBe('alice');
    const wrongEnv = await createAuthenticator(config, { env: { MCP_WARDEN_API_KEY: bob } }).authenticate(stdio);
    expect(refused(wrongEnv).status).toBe(401);
    const local = await createAuthenticator({ ...config, stdioClient: { id: 'me', roles: ['admin'] } }, { env: {} }).authenticate(stdio);
    expect(local.ok && local.client).toMatchObject({ id: 'me', auth: 'local', roles: ['admin'] });
    expect(refused(await createAuthenticator(config, { env: {} }).authenticate(stdio)).status).toBe(401);
    // Nothing configured at all: the stdio client is the local user (HTTP stays refused).
    const bare = createAuthenticator(authSchema.parse({}), { env: {} });
    const user = await bare.authenticate(stdio);
    expect(user.ok && user.client).toMatchObject({ auth: 'local', roles: [] });
    expect(user.ok && user.client.id).toMatch(/^local:/);
    expect(refused(await bare.authenticate(http({}))).status).toBe(401);
    // The environment variable is a stdio mechanism only: it never authenticates an HTTP request.
    expect(refused(await createAuthenticator(config, { env: { MCP_WARDEN_API_KEY: alice } }).authenticate(http({}))).status).toBe(401);
  });

  it('keys file: a key revoked in the file stops working without a restart; a broken file fails closed', async () => {
    const file = join(dir, 'keys.yaml');
    writeKeysFile(file, [{ id: 'k_bob', hash: hashApiKey(bob), client: 'bob', roles: ['reader'] }]);
    const a = make({ keysFile: 'keys.yaml' });
    const first = await a.authenticate(http({ 'x-api-key': bob }));
    expect(first.ok && first.client).toMatchObject({ id: 'bob', roles: ['reader'] });
    writeKeysFile(file, [{ id: 'k_bob', hash: hashApiKey(bob), client: 'bob', roles: ['reader'], revoked: new Date().toISOString() }]);
    expect(refused(await a.authenticate(http({ 'x-api-key': bob })))).toMatchObject({ status: 401, message: 'API key revoked' });
    writeFileSync(file, 'keys: [ {id: broken');
    expect(refused(await a.authenticate(http({ 'x-api-key': bob })))).toMatchObject({ status: 401, message: 'API key could not be checked (keys file unreadable)' });
    // Inline keys keep working while the file is broken.
    expect((await a.authenticate(http({ 'x-api-key': alice }))).ok).toBe(true);
    writeKeysFile(file, [{ id: 'k_bob2', hash: hashApiKey(bob), client: 'bob', roles: [] }]);
    expect((await a.authenticate(http({ 'x-api-key': bob }))).ok).toBe(true);
  });

  it('keys file that cannot even be stat()ed while serving (a symlink loop: ELOOP): its keys are refused, nothing throws, and it is read again once fixed', async () => {
    const file = join(dir, 'keys.yaml');
    writeKeysFile(file, [{ id: 'k_bob', hash: hashApiKey(bob), client: 'bob', roles: ['reader'] }]);
    const a = make({ keysFile: 'keys.yaml' });
    const first = await a.authenticate(http({ 'x-api-key': bob }));
    expect(first.ok).toBe(true);
    const bobClient = first.ok ? first.client : undefined;
    rmSync(file);
    symlinkSync('keys.yaml', file); // points at itself: stat fails with ELOOP, not ENOENT
    // It threw out of authenticate and out of stillValid (the session sweep's timer: the process died).
    expect(refused(await a.authenticate(http({ 'x-api-key': bob })))).toMatchObject({ status: 401, message: 'API key could not be checked (keys file unreadable)' });
    expect(a.stillValid(bobClient!)).toBe(false);
    expect((await a.authenticate(http({ 'x-api-key': alice }))).ok).toBe(true);
    rmSync(file);
    writeKeysFile(file, [{ id: 'k_bob', hash: hashApiKey(bob), client: 'bob', roles: ['reader'] }]);
    expect((await a.authenticate(http({ 'x-api-key': bob }))).ok).toBe(true);
  });

  it('a keys file that is broken at startup is a clear error; a missing one is empty', () => {
    const file = join(dir, 'keys.yaml');
    writeFileSync(file, 'keys:\n  - id: x\n    hash: sha256:nothex\n    client: a\n');
    expect(() => make({ keysFile: file })).toThrow(/keys file .*keys\.yaml: keys\.0\.hash: expected "sha256:"/);
    expect(make({ keysFile: join(dir, 'absent.yaml') }).keys.size).toBe(5);
  });

  it('config schema refuses a JWT section without an audience and duplicate key ids', () => {
    expect(authSchema.safeParse({ jwt: { secret: 'x'.repeat(32) } }).error?.issues[0]?.message).toBe('jwt needs an audience: set auth.jwt.audience or auth.oauth.resource');
    const dup = { id: 'k', hash: hashApiKey('x'), client: 'a' };
    expect(authSchema.safeParse({ apiKeys: [dup, dup] }).error?.issues[0]?.message).toBe('API key ids must be unique');
    expect(authSchema.safeParse({ jwt: { secret: 'x'.repeat(32), audience: 'a', algorithms: ['none'] } }).success).toBe(false);
  });
});
