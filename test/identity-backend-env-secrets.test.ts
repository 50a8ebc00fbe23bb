/**
 * A stdio backend inherits mcp-warden's environment, and the documented way to give mcp-warden its
 * secrets is `${NAME}` references in warden.yaml (SECURITY.md). So the variables the config reads its
 * credentials from (auth.jwt.secret, auth.stdioApiKey, audit.chainKey, an HTTP backend's
 * bearerToken, headers and url, another stdio backend's env) must not reach a stdio backend: with the
 * JWT secret a backend could mint a token for any client and role, and with another backend's token
 * act as that backend's caller. A real `serve` with two stdio backends and one HTTP backend; the
 * credential recorder backend writes down the environment it was started with.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RECORDER, readRecords, startHttpRecorder } from './helpers/credential-recorder.js';
import { connectHttp, startServe, waitFor, type ServeProcess } from './helpers/proxy.js';

const SECRETS = {
  WARDEN_T_JWT_SECRET: 'jwt-secret-not-for-backends-0123456789abcdef',
  WARDEN_T_STDIO_KEY: 'stdio-key-not-for-backends-0123456789',
  WARDEN_T_CHAIN_KEY: 'chain-key-not-for-backends-0123456789',
  WARDEN_T_HTTP_TOKEN: 'http-backend-token-0123456789',
  WARDEN_T_HTTP_HEADER: 'http-backend-header-0123456789',
  WARDEN_T_URL_TOKEN: 'http-backend-url-token-0123456789',
  WARDEN_T_OTHER_STDIO: 'other-stdio-backend-secret-0123456789',
  WARDEN_T_OWN_SECRET: 'own-stdio-backend-secret-0123456789',
};
/** Not secrets: a variable only used inside a composed path, and one the config never names. */
const PLAIN = { WARDEN_T_DIR_PART: 'plain-dir-part', WARDEN_T_UNRELATED: 'unrelated-value' };

describe('stdio backends do not inherit the secrets warden.yaml reads from the environment', () => {
  let dir: string;
  let serve: ServeProcess | undefined;
  let httpRecorder: Awaited<ReturnType<typeof startHttpRecorder>> | undefined;
  const recStdio = () => join(dir, 'rec-stdio.jsonl');
  const otherStdio = () => join(dir, 'other-stdio.jsonl');

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'warden-env-secrets-'));
    httpRecorder = await startHttpRecorder(join(dir, 'rec-http.jsonl'));
    const node = JSON.stringify(process.execPath);
    const yaml = `
server: { host: 127.0.0.1 }
backends:
  - { name: rec_stdio, transport: stdio, command: ${node}, args: [${JSON.stringify(RECORDER)}], env: { MCP_RECORD_FILE: ${JSON.stringify(recStdio())}, OWN_TOKEN: "\${WARDEN_T_OWN_SECRET}", LOG_DIR: "/tmp/\${WARDEN_T_DIR_PART}/logs" } }
  - { name: other_stdio, transport: stdio, command: ${node}, args: [${JSON.stringify(RECORDER)}], env: { MCP_RECORD_FILE: ${JSON.stringify(otherStdio())}, OTHER_TOKEN: "\${WARDEN_T_OTHER_STDIO}" } }
  - { name: rec_http, transport: streamable-http, url: "${httpRecorder.url}?token=\${WARDEN_T_URL_TOKEN}", bearerToken: "\${WARDEN_T_HTTP_TOKEN}", headers: { X-Backend-Key: "\${WARDEN_T_HTTP_HEADER}" } }
auth:
  anonymous: true
  stdioApiKey: "\${WARDEN_T_STDIO_KEY}"
  jwt: { secret: "\${WARDEN_T_JWT_SECRET}", audience: "https://warden.test/mcp" }
policy: { paths: [allow-all], watch: false }
audit: { enabled: true, path: ${JSON.stringify(join(dir, 'audit.db'))}, chainKey: "\${WARDEN_T_CHAIN_KEY}", flushIntervalMs: 10 }
`;
    const saved = { ...process.env };
    Object.assign(process.env, SECRETS, PLAIN);
    try {
      serve = await startServe(yaml);
    } finally {
      for (const name of [...Object.keys(SECRETS), ...Object.keys(PLAIN)]) if (saved[name] === undefined) delete process.env[name];
    }
  });

  afterAll(async () => {
    await serve?.stop();
    await httpRecorder?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('each stdio backend gets its own configured env and ordinary variables, and none of the config secrets', async () => {
    const client = await connectHttp(serve!.url);
    try {
      // Both stdio backends started for this session (each records its environment at start).
      await client.listTools();
      await waitFor(() => readRecords(recStdio()).some((r) => r.kind === 'env') && readRecords(otherStdio()).some((r) => r.kind === 'env'), 30_000, 'stdio backends started');
    } finally {
      await client.close();
    }
    const own = readRecords(recStdio()).find((r) => r.kind === 'env')!.env!;
    const other = readRecords(otherStdio()).find((r) => r.kind === 'env')!.env!;

    // Their own configured credentials, under the names the config gives them.
    expect(own.OWN_TOKEN).toBe(SECRETS.WARDEN_T_OWN_SECRET);
    expect(other.OTHER_TOKEN).toBe(SECRETS.WARDEN_T_OTHER_STDIO);
    expect(own.LOG_DIR).toBe('/tmp/plain-dir-part/logs');
    // Ordinary environment still inherited (PATH, a variable only composed into a path, one never named).
    expect(own.PATH).toBe(process.env.PATH);
    expect(own.WARDEN_T_DIR_PART).toBe(PLAIN.WARDEN_T_DIR_PART);
    expect(own.WARDEN_T_UNRELATED).toBe(PLAIN.WARDEN_T_UNRELATED);

    // No secret value of the config, under any variable name, in either backend's environment.
    for (const [who, env] of [['rec_stdio', own], ['other_stdio', other]] as const) {
      const values = Object.entries(env).filter(([name]) => name !== 'OWN_TOKEN' && name !== 'OTHER_TOKEN');
      for (const [name, secret] of Object.entries(SECRETS)) {
        if ((who === 'rec_stdio' && name === 'WARDEN_T_OWN_SECRET') || (who === 'other_stdio' && name === 'WARDEN_T_OTHER_STDIO')) continue;
        const leaked = values.filter(([, v]) => v.includes(secret)).map(([n]) => n);
        expect(leaked, `${who} got ${name} in ${leaked.join(', ')}`).toEqual([]);
      }
    }
    // Not even its own secret under the source variable name: it gets it under the configured one.
    expect(own.WARDEN_T_OWN_SECRET).toBeUndefined();
    expect(own.OTHER_TOKEN).toBeUndefined();
    expect(other.OWN_TOKEN).toBeUndefined();
  });
});

describe('secretEnvReferences: which ${NAME} references are credentials', () => {
  it('counts references in credential fields, whole-value env entries and defaults; not composed env values or other sections', async () => {
    const { secretEnvReferences } = await import('../src/config/secret-env.js');
    const names = secretEnvReferences({
      server: { host: '${HOST_NAME}' },
      policy: { paths: ['${POLICY_DIR}/p.rego'] },
      auth: { jwt: { secret: '${JWT_A:-fallback-secret-0123456789abcdef0123}' }, stdioApiKey: 'prefix-${STDIO_B}' },
      audit: { path: '${AUDIT_DIR}/a.db', chainKey: '${CHAIN_C}' },
      backends: [
        { name: 'h', transport: 'sse', url: 'https://${NOMAD_HOST}/sse?token=${NOMAD_D}', bearerToken: '${TOKEN_E}', headers: { 'x-key': 'Key ${HEADER_F}' } },
        { name: 's', transport: 'stdio', command: 'x', env: { T: ' ${WHOLE_G} ', DIR: '${HOME}/x', BOTH: '${A_PART}${B_PART}' } },
      ],
    });
    expect([...names].sort()).toEqual(['CHAIN_C', 'HEADER_F', 'JWT_A', 'NOMAD_D', 'NOMAD_HOST', 'STDIO_B', 'TOKEN_E', 'WHOLE_G']);
    expect(secretEnvReferences(undefined).size).toBe(0);
    expect(secretEnvReferences({ backends: 'not a list', auth: [] }).size).toBe(0);
  });
});
