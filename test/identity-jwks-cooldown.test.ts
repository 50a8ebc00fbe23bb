/**
 * auth.jwt.jwksCooldownMs has a floor (MIN_JWKS_COOLDOWN_MS, 1 s). jose looks a token's kid up
 * before it checks the signature, and refetches the key set when the kid is unknown, at most once
 * per cooldown: with a cooldown of 0 every request carrying a made-up kid (no valid signature
 * needed) became a fetch from the authorization server, so any client could turn its traffic into
 * traffic against the IdP. Below the floor the config is refused at startup (exit 3, naming the
 * setting); the real CLI is run on such a warden.yaml.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { authSchema, MIN_JWKS_COOLDOWN_MS } from '../src/config/auth.js';
import { CLI, ROOT } from './helpers/proxy.js';

const BACKEND = join(ROOT, 'test/servers/raw-audit-backend.mjs');
const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const jwt = (cooldown?: number) => ({ jwksUrl: 'https://as.example/jwks.json', audience: 'https://w/mcp', ...(cooldown === undefined ? {} : { jwksCooldownMs: cooldown }) });

/** Runs `serve --config` until it exits or says it is listening (then stops it). */
function serve(yaml: string): Promise<{ code: number | null; stderr: string; listening: boolean }> {
  const dir = mkdtempSync(join(tmpdir(), 'warden-jwks-cooldown-'));
  dirs.push(dir);
  const file = join(dir, 'warden.yaml');
  writeFileSync(file, yaml);
  const proc = spawn(process.execPath, [CLI, 'serve', '--config', file, '--port', '0'], { cwd: dir, env: { ...process.env, MCP_WARDEN_LOG_LEVEL: 'warn' }, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  let listening = false;
  proc.stderr.on('data', (d: Buffer) => {
    stderr += d.toString();
    if (!listening && stderr.includes('listening on')) {
      listening = true;
      proc.kill('SIGTERM');
    }
  });
  return new Promise((resolve) => proc.once('close', (code) => resolve({ code, stderr, listening })));
}

const config = (cooldown: number) => `
backends: [{ name: demo, transport: stdio, command: ${JSON.stringify(process.execPath)}, args: [${JSON.stringify(BACKEND)}] }]
auth:
  jwt: { jwksUrl: "https://as.example/jwks.json", audience: "https://w/mcp", jwksCooldownMs: ${cooldown} }
policy: { paths: [allow-all], watch: false }
audit: { enabled: false }
`;

describe('auth.jwt.jwksCooldownMs floor', () => {
  it('the schema refuses a cooldown under 1 s, naming why; 1 s and the default (30 s) are accepted', () => {
    expect(MIN_JWKS_COOLDOWN_MS).toBe(1000);
    for (const low of [0, 1, 999]) {
      const parsed = authSchema.safeParse({ jwt: jwt(low) });
      expect(parsed.success, String(low)).toBe(false);
      expect(parsed.error?.issues[0]?.path).toEqual(['jwt', 'jwksCooldownMs']);
      expect(parsed.error?.issues[0]?.message).toMatch(/^at least 1000 ms: every token naming an unknown kid may make mcp-warden fetch the JWKS/);
    }
    expect(authSchema.parse({ jwt: jwt(1000) }).jwt?.jwksCooldownMs).toBe(1000);
    expect(authSchema.parse({ jwt: jwt() }).jwt?.jwksCooldownMs).toBe(30_000);
  });

  it('serve refuses to start on jwksCooldownMs: 0 (exit 3, the file and the key named) and starts on 1000', { timeout: 60_000 }, async () => {
    const refused = await serve(config(0));
    expect(refused.listening).toBe(false);
    expect(refused.code).toBe(3);
    expect(refused.stderr).toMatch(/warden\.yaml: auth\.jwt\.jwksCooldownMs: at least 1000 ms/);
    const accepted = await serve(config(1000));
    expect(accepted.listening, accepted.stderr).toBe(true);
  });
});
