/**
 * Authenticator.stillValid, asked at each sweep of the HTTP sessions for every session with a
 * stream open, must judge the very API key the identity was proven with, as authenticate() would
 * judge it now. It looked the key up by its id, so another key under that id kept a stream open:
 * a keys file whose entry got a new hash by hand (the old key removed: every request with it is
 * refused) and an id both inline and in the keys file (the file's key revoked, the inline one of
 * the same id and client still in force). A key moved to another deployment (403 on every request)
 * kept its stream too. Real authenticator over a real keys file.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { authSchema, type ApiKeyEntry, type AuthConfig } from '../src/config/auth.js';
import { generateApiKey, hashApiKey } from '../src/identity/api-keys.js';
import { createAuthenticator, type WardenAuthenticator } from '../src/identity/index.js';
import { writeKeysFile } from '../src/identity/keys-file.js';
import { followIdentity } from '../src/transport/http/request-identity.js';
import type { ClientIdentity } from '../src/types.js';

describe('stillValid: the key an identity was proven with', () => {
  let dir: string;
  let auth: WardenAuthenticator | undefined;
  const keysFile = () => join(dir, 'keys.yaml');
  const first = generateApiKey();
  const second = generateApiKey();

  function make(config: Partial<AuthConfig>): WardenAuthenticator {
    auth = createAuthenticator(authSchema.parse({ keysFile: keysFile(), ...config }), { baseDir: dir, env: {} });
    return auth;
  }

  async function identify(a: WardenAuthenticator, key: string): Promise<ClientIdentity> {
    const r = await a.authenticate({ transport: 'streamable-http', headers: { 'x-api-key': key }, address: '127.0.0.1' });
    if (!r.ok) throw new Error(`refused: ${r.message}`);
    return r.client;
  }

  /** Rewrites the keys file (a rename: a new inode, seen by the next lookup's stat). */
  const rewrite = (entries: ApiKeyEntry[]) => writeKeysFile(keysFile(), entries);

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'warden-still-valid-'));
  });
  afterEach(() => {
    auth?.close();
    auth = undefined;
    rmSync(dir, { recursive: true, force: true });
  });

  it('a key whose entry got another hash under the same id no longer holds; the new key does, and a session follows to it', async () => {
    rewrite([{ id: 'k_carol', hash: hashApiKey(first), client: 'carol', roles: [] }]);
    const a = make({});
    const old = await identify(a, first);
    expect(a.stillValid(old)).toBe(true);

    rewrite([{ id: 'k_carol', hash: hashApiKey(second), client: 'carol', roles: [] }]);
    expect((await a.authenticate({ transport: 'streamable-http', headers: { 'x-api-key': first } })).ok).toBe(false);
    // Before the fix: true (k_carol is in force, but it is another key now).
    expect(a.stillValid(old)).toBe(false);

    const fresh = await identify(a, second);
    expect(a.stillValid(fresh)).toBe(true);
    // The session decides with the object it had (both say the same), so the sweep must ask about the one the request proved.
    expect(followIdentity(old, fresh)).toBe(old);
  });

  it('a revoked key of the keys file does not hold because an inline key has the same id and client', async () => {
    rewrite([{ id: 'k_dup', hash: hashApiKey(second), client: 'dave', roles: [] }]);
    const a = make({ apiKeys: [{ id: 'k_dup', hash: hashApiKey(first), client: 'dave', roles: [] }] });
    const fromFile = await identify(a, second);
    const inline = await identify(a, first);
    expect(a.stillValid(fromFile)).toBe(true);

    rewrite([{ id: 'k_dup', hash: hashApiKey(second), client: 'dave', roles: [], revoked: new Date(Date.now() - 1000).toISOString() }]);
    expect((await a.authenticate({ transport: 'streamable-http', headers: { 'x-api-key': second } })).ok).toBe(false);
    // Before the fix: true (the inline k_dup was found by the id).
    expect(a.stillValid(fromFile)).toBe(false);
    expect(a.stillValid(inline)).toBe(true);
  });

  it('a key moved to another deployment no longer holds', async () => {
    rewrite([{ id: 'k_erin', hash: hashApiKey(first), client: 'erin', roles: [] }]);
    const a = make({ deployment: 'prod' });
    const erin = await identify(a, first);
    expect(a.stillValid(erin)).toBe(true);

    rewrite([{ id: 'k_erin', hash: hashApiKey(first), client: 'erin', roles: [], deployment: 'staging' }]);
    const now = await a.authenticate({ transport: 'streamable-http', headers: { 'x-api-key': first } });
    expect(now.ok ? 200 : now.status).toBe(403);
    // Before the fix: true (the deployment was not asked).
    expect(a.stillValid(erin)).toBe(false);
  });

  it('an unchanged key holds across reloads of the keys file, and not once revoked or removed', async () => {
    rewrite([{ id: 'k_fay', hash: hashApiKey(first), client: 'fay', roles: [] }]);
    const a = make({});
    const fay = await identify(a, first);
    rewrite([
      { id: 'k_fay', hash: hashApiKey(first), client: 'fay', roles: [] },
      { id: 'k_gus', hash: hashApiKey(second), client: 'gus', roles: [] },
    ]);
    expect(a.stillValid(fay)).toBe(true);
    rewrite([{ id: 'k_fay', hash: hashApiKey(first), client: 'fay', roles: [], revoked: new Date(Date.now() - 1000).toISOString() }]);
    expect(a.stillValid(fay)).toBe(false);
    rewrite([{ id: 'k_fay', hash: hashApiKey(first), client: 'fay', roles: [] }]);
    expect(a.stillValid(fay)).toBe(true);
    rewrite([]);
    expect(a.stillValid(fay)).toBe(false);
  });
});
