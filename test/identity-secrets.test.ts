/**
 * Secrets never reach the log: a child process uses the built logger (dist/, run `npm run build`
 * first) and authenticator with every kind of secret, logs the objects code in mcp-warden is likely
 * to log (request headers, a backend's config, the auth config, refusals), and the test greps its
 * whole stderr for each secret.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateApiKey, hashApiKey } from '../src/identity/index.js';

const run = promisify(execFile);

describe('secrets never logged', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'warden-secrets-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('API keys, JWTs, JWT secret, backend bearer token, header and env credentials are redacted or never logged', async () => {
    const secrets = {
      apiKey: generateApiKey(),
      wrongKey: generateApiKey(),
      jwtSecret: 'jwt-shared-secret-for-log-test-0123456789abcdef',
      backendToken: 'backend-bearer-token-abcdef-0123456789',
      backendHeader: 'backend-header-secret-0123456789',
      backendEnv: 'backend-env-secret-0123456789',
      stdioKey: 'stdio-api-key-secret-0123456789abcdef',
      cookie: 'session-cookie-secret-0123456789',
      jwt: '',
      badJwt: '',
    };
    const enc = new TextEncoder();
    secrets.jwt = await new SignJWT({ sub: 'alice-sso' }).setProtectedHeader({ alg: 'HS256' }).setAudience('https://w/mcp').setExpirationTime('5m').sign(enc.encode(secrets.jwtSecret));
    secrets.badJwt = await new SignJWT({ sub: 'alice' }).setProtectedHeader({ alg: 'HS256' }).setAudience('https://w/mcp').setExpirationTime('5m').sign(enc.encode('x'.repeat(40)));
    const script = join(dir, 'log-secrets.mjs');
    const dist = (p: string) => JSON.stringify(resolve('dist', p));
    writeFileSync(
      script,
      `
      import { createLogger } from ${dist('log/logger.js')};
      import { createAuthenticator } from ${dist('identity/index.js')};
      import { authSchema } from ${dist('config/auth.js')};
      const s = JSON.parse(process.env.SECRETS);
      const logger = createLogger({ level: 'trace', pretty: false });
      const auth = {
        anonymous: false, apiKeys: [{ id: 'k_log', hash: ${JSON.stringify(hashApiKey(secrets.apiKey))}, client: 'alice', roles: [] }],
        jwt: { secret: s.jwtSecret, audience: 'https://w/mcp', rolesClaim: 'roles', clientIdClaim: 'sub', nameClaim: 'name' },
        stdioApiKey: s.stdioKey,
      };
      // through the config schema, as serve and wrap load it (its defaults included: a setting added later is not missed here)
      const authenticator = createAuthenticator(authSchema.parse(auth), { logger, env: { MCP_WARDEN_API_KEY: s.stdioKey } });
      const tries = [
        { authorization: 'Bearer ' + s.apiKey }, { 'x-api-key': s.wrongKey }, { authorization: 'Bearer ' + s.jwt },
        { authorization: 'Bearer ' + s.badJwt }, { authorization: 'Basic ' + s.apiKey }, { authorization: 'Bearer ' + s.apiKey, 'x-api-key': s.wrongKey },
      ];
      for (const headers of tries) {
        const result = await authenticator.authenticate({ transport: 'streamable-http', headers, address: '127.0.0.1' });
        logger.info({ result: result.ok ? { client: result.client } : result }, 'auth result');
        logger.debug({ headers: { ...headers, cookie: s.cookie } }, 'request headers');
        logger.debug({ req: { headers } }, 'request');
      }
      await authenticator.authenticate({ transport: 'stdio', headers: {} });
      const backend = { name: 'b', transport: 'streamable-http', url: 'http://x', bearerToken: s.backendToken, headers: { 'x-api-key': s.backendHeader } };
      logger.info({ backend }, 'backend configured');
      logger.info({ backend: { name: 'c', transport: 'stdio', command: 'x', env: { TOKEN: s.backendEnv } } }, 'stdio backend');
      logger.info({ auth }, 'auth configured');
      logger.info({ config: { auth, backends: [backend, { name: 'c', transport: 'stdio', command: 'x', env: { TOKEN: s.backendEnv } }] } }, 'config');
      logger.flush();
      authenticator.close();
      `,
    );
    const { stderr } = await run(process.execPath, [script], { env: { ...process.env, SECRETS: JSON.stringify(secrets) } });
    const lines = stderr.trim().split('\n');
    expect(lines.length).toBeGreaterThan(20);
    expect(stderr).toContain('authentication refused');
    expect(stderr).toContain('[redacted]');
    for (const [name, secret] of Object.entries(secrets)) {
      expect(stderr.includes(secret), `${name} appears in the log`).toBe(false);
      // No fragment long enough to be useful either (e.g. the JWT's signature part).
      expect(stderr.includes(secret.slice(-24)), `${name} tail appears in the log`).toBe(false);
    }
  });
});
