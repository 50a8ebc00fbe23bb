/**
 * The authenticator's own cost per HTTP request, in process (issue 6): authenticate() of the built
 * identity module (dist/identity) for an API key (inline config, and in a watched keys file: one
 * stat per lookup), a cached JWT (HS256) and an uncached JWT verification (HS256, ES256), plus a
 * refusal (wrong key). Runs standalone (`node bench/identity-auth.mjs` after `npm run build`) or
 * as a `bench()` export for bench/run.mjs.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { generateKeyPair, SignJWT } from 'jose';

const ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const percentile = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];

async function time(auth, makeRequest, n) {
  const wall = new Float64Array(n);
  let ok = 0;
  for (let i = 0; i < n; i++) {
    const request = makeRequest(i);
    const t0 = performance.now();
    let result = auth.authenticate(request);
    if (result instanceof Promise) result = await result;
    wall[i] = (performance.now() - t0) * 1000;
    if (result.ok) ok++;
  }
  wall.sort();
  return { n, ok, p50: percentile(wall, 50), p99: percentile(wall, 99), mean: wall.reduce((a, b) => a + b, 0) / n };
}

export async function bench({ quick = false } = {}) {
  let identity;
  let keysFile;
  try {
    identity = await import(pathToFileURL(path.join(ROOT, 'dist', 'identity', 'index.js')).href);
    keysFile = await import(pathToFileURL(path.join(ROOT, 'dist', 'identity', 'keys-file.js')).href);
  } catch (err) {
    return { skipped: err.message, text: `skipped: dist/identity not built (${err.message.split('\n')[0]})` };
  }
  const { createAuthenticator, generateApiKey, hashApiKey } = identity;
  const dir = mkdtempSync(path.join(os.tmpdir(), 'warden-bench-identity-'));
  const n = quick ? 5000 : 50000;
  const secret = 'bench-secret-0123456789-abcdefghijklmnopqrstuvwxyz';
  const audience = 'https://warden.bench/mcp';
  const jwtBase = { rolesClaim: 'roles', clientIdClaim: 'sub', nameClaim: 'name', clockSkewSec: 30, jwksTimeoutMs: 5000, jwksCooldownMs: 30000, jwksCacheMaxAgeMs: 600000, audience };
  const base = { anonymous: false, apiKeys: [] };
  try {
    const key = generateApiKey();
    const fileKey = generateApiKey();
    const file = path.join(dir, 'keys.yaml');
    keysFile.writeKeysFile(file, [{ id: 'k_file', hash: hashApiKey(fileKey), client: 'bench', roles: ['reader'] }]);
    const inline = createAuthenticator({ ...base, apiKeys: [{ id: 'k_inline', hash: hashApiKey(key), client: 'bench', roles: ['reader'] }] }, {});
    const withFile = createAuthenticator({ ...base, keysFile: file }, {});
    const hs = createAuthenticator({ ...base, jwt: { ...jwtBase, secret } }, {});
    const es = await generateKeyPair('ES256', { extractable: true });
    const { exportSPKI } = await import('jose');
    const esAuth = createAuthenticator({ ...base, jwt: { ...jwtBase, publicKey: await exportSPKI(es.publicKey) } }, {});
    const hsToken = await new SignJWT({ sub: 'bench', roles: ['reader'] }).setProtectedHeader({ alg: 'HS256' }).setAudience(audience).setExpirationTime('1h').sign(new TextEncoder().encode(secret));
    // Distinct tokens (jti) so every call verifies: what a first request on a new token costs.
    const fresh = async (alg, signingKey, count) =>
      Promise.all(Array.from({ length: count }, (_, i) => new SignJWT({ sub: 'bench', jti: `t${i}` }).setProtectedHeader({ alg }).setAudience(audience).setExpirationTime('1h').sign(signingKey)));
    const m = Math.min(n, quick ? 1000 : 5000);
    const hsFresh = await fresh('HS256', new TextEncoder().encode(secret), m);
    const esFresh = await fresh('ES256', es.privateKey, m);
    const http = (headers) => () => ({ transport: 'streamable-http', headers, address: '127.0.0.1' });
    const cases = [
      ['API key, inline', inline, http({ 'x-api-key': key }), n],
      ['API key, keys file', withFile, http({ authorization: `Bearer ${fileKey}` }), n],
      ['wrong API key (401)', inline, http({ 'x-api-key': fileKey }), n],
      ['JWT HS256, cached', hs, http({ authorization: `Bearer ${hsToken}` }), n],
      ['JWT HS256, verified', hs, (i) => ({ transport: 'streamable-http', headers: { authorization: `Bearer ${hsFresh[i]}` } }), m],
      ['JWT ES256, verified', esAuth, (i) => ({ transport: 'streamable-http', headers: { authorization: `Bearer ${esFresh[i]}` } }), m],
    ];
    const results = {};
    for (const [name, auth, make, count] of cases) {
      if (!name.includes('verified')) await time(auth, make, Math.min(2000, count)); // warm-up
      results[name] = await time(auth, make, count);
    }
    for (const a of [inline, withFile, hs, esAuth]) a.close();
    const text = [
      'authenticate() cost per request, in process:',
      ...Object.entries(results).map(([name, r]) => `  ${name.padEnd(22)} p50 ${r.p50.toFixed(1)} µs, p99 ${r.p99.toFixed(1)} µs, mean ${r.mean.toFixed(1)} µs; ok ${r.ok}/${r.n}`),
    ].join('\n');
    return { results, text };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] && pathToFileURL(process.argv[1]).href === import.meta.url) {
  const { text } = await bench({ quick: process.argv.includes('--quick') });
  console.log(text);
}
