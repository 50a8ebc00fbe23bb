/** `mcp-warden keys ...` through the built CLI (run `npm run build` first) on a temp keys file. */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { authSchema } from '../src/config/auth.js';
import { createAuthenticator } from '../src/identity/index.js';
import { updateKeysFile } from '../src/identity/keys-file.js';

const run = promisify(execFile);
const CLI = resolve('dist/cli/main.js');

interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

async function cli(args: string[], input?: string, cwd?: string): Promise<CliResult> {
  const child = run(process.execPath, [CLI, ...args], { cwd, env: { ...process.env, MCP_WARDEN_KEYS_FILE: '', UNSET_BACKEND_TOKEN: '' } });
  if (input !== undefined) {
    child.child.stdin?.end(input);
  }
  try {
    const { stdout, stderr } = await child;
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

describe('mcp-warden keys (real CLI)', { timeout: 120_000 }, () => {
  let dir: string;
  let file: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'warden-keys-cli-'));
    file = join(dir, 'keys.yaml');
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const listJson = async () => JSON.parse((await cli(['keys', 'list', '--keys-file', file, '--json'])).stdout) as Array<Record<string, unknown>>;
  const check = async (key: string) => {
    const auth = createAuthenticator(authSchema.parse({ keysFile: file }), { env: {} });
    try {
      return await auth.authenticate({ transport: 'streamable-http', headers: { 'x-api-key': key } });
    } finally {
      auth.close();
    }
  };

  it('create prints a 256-bit key once; the file holds only its hash (mode 0600); list never shows keys', async () => {
    const created = await cli(['keys', 'create', '--keys-file', file, '--client', 'alice', '--roles', 'vm-operator,reader', '--expires', '90d']);
    expect(created.code).toBe(0);
    const key = created.stdout.trim();
    expect(key).toMatch(/^mcpw_[A-Za-z0-9_-]{43}$/); // 32 bytes of base64url
    expect(created.stderr).toMatch(/created key k_[0-9a-f]{12} for client alice \(roles: vm-operator,reader, expires 20\d\d-/);
    expect(created.stderr).not.toContain(key);
    const text = readFileSync(file, 'utf8');
    expect(text).not.toContain(key);
    expect(text).not.toContain(key.slice(5));
    expect(text).toMatch(/hash: sha256:[0-9a-f]{64}/);
    expect(statSync(file).mode & 0o777).toBe(0o600);

    const bob = (await cli(['keys', 'create', '--keys-file', file, '--client', 'bob'])).stdout.trim();
    const list = await cli(['keys', 'list', '--keys-file', file]);
    expect(list.code).toBe(0);
    expect(list.stdout).toMatch(/^ID\s+CLIENT\s+NAME\s+ROLES\s+STATUS/);
    expect(list.stdout).toMatch(/alice\s+alice\s+vm-operator,reader\s+active/);
    for (const k of [key, bob]) {
      expect(list.stdout).not.toContain(k);
      expect(readFileSync(file, 'utf8')).not.toContain(k);
    }
    const alice = await check(key);
    expect(alice.ok && alice.client).toMatchObject({ id: 'alice', roles: ['vm-operator', 'reader'], auth: 'api_key' });
  });

  it('revoke by id and by client: the keys stop working; unknown id is a clear error', async () => {
    const carol = (await cli(['keys', 'create', '--keys-file', file, '--client', 'carol'])).stdout.trim();
    const id = (await listJson()).find((k) => k.client === 'carol')!.id as string;
    expect((await check(carol)).ok).toBe(true);
    const revoked = await cli(['keys', 'revoke', id, '--keys-file', file]);
    expect(revoked).toMatchObject({ code: 0, stderr: `revoked ${id}\n` });
    expect(await check(carol)).toMatchObject({ ok: false, status: 401, message: 'API key revoked' });
    expect((await listJson()).find((k) => k.id === id)!.status).toBe('revoked');

    const dave1 = (await cli(['keys', 'create', '--keys-file', file, '--client', 'dave'])).stdout.trim();
    const dave2 = (await cli(['keys', 'create', '--keys-file', file, '--client', 'dave'])).stdout.trim();
    expect((await cli(['keys', 'revoke', '--client', 'dave', '--keys-file', file])).code).toBe(0);
    expect((await check(dave1)).ok).toBe(false);
    expect((await check(dave2)).ok).toBe(false);

    const missing = await cli(['keys', 'revoke', 'k_000000000000', '--keys-file', file]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toBe(`mcp-warden: keys revoke: no key with id k_000000000000 in ${file} (see mcp-warden keys list --keys-file ${file}); nothing revoked\n`);
    const noClient = await cli(['keys', 'revoke', '--client', 'nobody', '--keys-file', file]);
    expect(noClient).toMatchObject({ code: 1, stderr: `mcp-warden: keys revoke: client nobody has no active key in ${file} (see mcp-warden keys list --keys-file ${file}); nothing revoked\n` });
    expect((await cli(['keys', 'revoke', '--keys-file', file])).stderr).toBe('mcp-warden: keys revoke: give the key id to revoke (see keys list), or --client to revoke all of its active keys\n');
  });

  it('revoke: an id revoked already says so (exit 0, first time kept); a keys file that does not exist is exit 1, not created', async () => {
    await cli(['keys', 'create', '--keys-file', file, '--client', 'fiona']);
    const id = (await listJson()).find((k) => k.client === 'fiona')!.id as string;
    expect(await cli(['keys', 'revoke', id, '--keys-file', file])).toMatchObject({ code: 0, stderr: `revoked ${id}\n` });
    const first = (await listJson()).find((k) => k.id === id)!;
    const again = await cli(['keys', 'revoke', id, '--keys-file', file]);
    expect(again.code).toBe(0);
    expect(again.stderr).toMatch(new RegExp(`^key ${id} was already revoked \\(at 20\\d\\d-[^)]+\\); nothing changed\n$`));
    expect((await listJson()).find((k) => k.id === id)).toEqual(first);

    const nowhere = join(dir, 'no-such-dir', 'keys.yaml');
    const gone = await cli(['keys', 'revoke', 'k_000000000000', '--keys-file', nowhere]);
    expect(gone).toMatchObject({ code: 1, stderr: `mcp-warden: keys revoke: keys file ${nowhere} does not exist: no key to revoke (check --keys-file / auth.keysFile)\n` });
    expect(existsSync(join(dir, 'no-such-dir'))).toBe(false);
  });

  it('create warns when the client id enters the JWT client-id space of the config using the keys file (read without the JWT secret), or is a reserved id', async () => {
    const here = mkdtempSync(join(tmpdir(), 'warden-keys-jwt-'));
    try {
      delete process.env.UNSET_JWT_SECRET;
      writeFileSync(join(here, 'warden.yaml'), 'auth:\n  keysFile: keys.yaml\n  stdioClient: { id: console }\n  jwt:\n    secret: ${UNSET_JWT_SECRET}\n    sharedClientIds: [dashboard]\n');
      const config = join(here, 'warden.yaml');
      const clash = await cli(['keys', 'create', '--client', 'ops-team', '--config', config]);
      expect(clash.code).toBe(0);
      expect(clash.stdout).toMatch(/^mcpw_/);
      expect(clash.stderr.split('\n').filter((l) => l.startsWith('warning: '))).toEqual([
        `warning: ${config} configures auth.jwt and client id "ops-team" is not in auth.jwt.sharedClientIds: from now on a token whose client id is "ops-team" is refused (401 invalid_token; API keys and tokens share one client-id space). List it in auth.jwt.sharedClientIds if tokens for it are the same client, else revoke this key and choose another --client`,
      ]);
      // Listed as shared: nothing to say. The same keys file named with --keys-file next to that warden.yaml: warned too.
      expect((await cli(['keys', 'create', '--client', 'dashboard', '--config', config])).stderr).not.toContain('warning');
      const byFile = await cli(['keys', 'create', '--client', 'alice', '--keys-file', join(here, 'keys.yaml')], undefined, here);
      expect(byFile.stderr).toContain('warning: warden.yaml configures auth.jwt and client id "alice" is not in auth.jwt.sharedClientIds');
      const reserved = await cli(['keys', 'create', '--client', 'console', '--config', config]);
      expect(reserved.stderr).toContain('warning: client id "console" is one mcp-warden gives itself (auth.stdioClient.id in');
      const anonymous = await cli(['keys', 'create', '--client', 'anonymous', '--config', config]);
      expect(anonymous.stderr).toContain('warning: client id "anonymous" is one mcp-warden gives itself (clients without a credential, auth.anonymous)');
      // Without JWT in the config, a plain client id draws no warning.
      writeFileSync(join(here, 'plain.yaml'), 'auth:\n  keysFile: keys.yaml\n');
      expect((await cli(['keys', 'create', '--client', 'bob', '--config', join(here, 'plain.yaml')])).stderr).not.toContain('warning');
    } finally {
      rmSync(here, { recursive: true, force: true });
    }
  });

  it('rotate: old and new keys both work during the grace period, the new one inherits roles', async () => {
    const old = (await cli(['keys', 'create', '--keys-file', file, '--client', 'erin', '--roles', 'admin'])).stdout.trim();
    const rotated = await cli(['keys', 'rotate', '--client', 'erin', '--grace', '24h', '--keys-file', file]);
    expect(rotated.code).toBe(0);
    const fresh = rotated.stdout.trim();
    expect(fresh).toMatch(/^mcpw_/);
    expect(fresh).not.toBe(old);
    expect(rotated.stderr).toMatch(/old key k_[0-9a-f]{12} valid until 20\d\d-/);
    const a = await check(old);
    const b = await check(fresh);
    expect(a.ok && a.client.roles).toEqual(['admin']);
    expect(b.ok && b.client.roles).toEqual(['admin']);
    const erin = (await listJson()).filter((k) => k.client === 'erin');
    expect(erin).toHaveLength(2);
    const graceEnd = Date.parse(erin[0]!.expires as string);
    expect(graceEnd - Date.now()).toBeGreaterThan(23 * 3600_000);
    expect(graceEnd - Date.now()).toBeLessThanOrEqual(24 * 3600_000);

    // --grace 0: the old key stops at once.
    const again = (await cli(['keys', 'rotate', '--client', 'erin', '--grace', '0', '--keys-file', file])).stdout.trim();
    expect((await check(fresh)).ok).toBe(false);
    expect((await check(old)).ok).toBe(false);
    expect((await check(again)).ok).toBe(true);
    expect(readFileSync(file, 'utf8')).not.toMatch(/mcpw_/);
  });

  it('concurrent commands on one file lose no key (lock file)', async () => {
    const racy = join(dir, 'new-dir', 'racy.yaml'); // the directory is created on first use
    const made = await Promise.all(Array.from({ length: 6 }, (_, i) => cli(['keys', 'create', '--keys-file', racy, '--client', `c${i}`])));
    expect(made.map((m) => m.code)).toEqual([0, 0, 0, 0, 0, 0]);
    const listed = JSON.parse((await cli(['keys', 'list', '--keys-file', racy, '--json'])).stdout) as Array<{ client: string }>;
    expect(listed.map((k) => k.client).sort()).toEqual(['c0', 'c1', 'c2', 'c3', 'c4', 'c5']);
    for (const m of made) expect(readFileSync(racy, 'utf8')).not.toContain(m.stdout.trim());
    expect(existsSync(`${racy}.lock`)).toBe(false);
  });

  it('bad input: unknown client for rotate, bad duration, no keys file, a broken file', async () => {
    expect((await cli(['keys', 'rotate', '--client', 'nobody', '--keys-file', file])).stderr).toBe(`mcp-warden: client nobody has no active key in ${file}; use keys create\n`);
    const bad = await cli(['keys', 'create', '--client', 'x', '--expires', '90 days', '--keys-file', file]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toBe('mcp-warden: --expires: invalid duration "90 days": expected a number and a unit (s, m, h, d, w), e.g. 90d or 24h\n');
    const none = await cli(['keys', 'list']);
    expect(none).toMatchObject({ code: 2, stderr: 'mcp-warden: no keys file: pass --keys-file PATH or --config warden.yaml (with auth.keysFile)\n' });
    const broken = join(dir, 'broken.yaml');
    writeFileSync(broken, 'keys: 3\n');
    expect((await cli(['keys', 'list', '--keys-file', broken])).stderr).toBe(`mcp-warden: keys file ${broken}: keys: Invalid input: expected array, received number\n`);
  });

  it('--config uses auth.keysFile relative to the config; JSON keys files work too; keys hash reads stdin', async () => {
    writeFileSync(join(dir, 'warden.yaml'), 'backends:\n  - name: demo\n    transport: stdio\n    command: node\nauth:\n  keysFile: team-keys.json\n');
    const made = await cli(['keys', 'create', '--client', 'frank', '--config', join(dir, 'warden.yaml')]);
    expect(made.code).toBe(0);
    const json = JSON.parse(readFileSync(join(dir, 'team-keys.json'), 'utf8')) as { keys: Array<{ client: string }> };
    expect(json.keys.map((k) => k.client)).toEqual(['frank']);
    const hexKey = 'c0ffee00c0ffee00c0ffee00c0ffee00c0ffee00c0ffee00c0ffee00c0ffee00';
    const hashed = await cli(['keys', 'hash'], `${hexKey}\n`);
    expect(hashed.stdout).toMatch(/^sha256:[0-9a-f]{64}\n$/);
    expect(hashed.stdout).not.toContain(hexKey);
  });

  it("in a folder with warden.yaml, its auth.keysFile is the default (as for the audit commands), read without the file's other variables", async () => {
    // README: `mcp-warden keys create --client sre-bot --roles operator` next to a warden.yaml whose
    // backend takes its token from a variable the operator managing keys does not have.
    const here = mkdtempSync(join(tmpdir(), 'warden-keys-cwd-'));
    try {
      delete process.env.UNSET_BACKEND_TOKEN;
      writeFileSync(
        join(here, 'warden.yaml'),
        'backends:\n  - name: nomad\n    transport: sse\n    url: http://127.0.0.1:8000/sse\n    bearerToken: ${UNSET_BACKEND_TOKEN_X}\nauth:\n  keysFile: keys.yaml\n',
      );
      const made = await cli(['keys', 'create', '--client', 'sre-bot', '--roles', 'operator'], undefined, here);
      expect(made.stderr).toContain(`in ${join(here, 'keys.yaml')}`);
      expect(made.code).toBe(0);
      const listed = await cli(['keys', 'list', '--config', 'warden.yaml', '--json'], undefined, here);
      expect(listed.code).toBe(0);
      expect((JSON.parse(listed.stdout) as Array<{ client: string }>).map((k) => k.client)).toEqual(['sre-bot']);
      // A mistake in the keys file's own key is still named.
      writeFileSync(join(here, 'bad.yaml'), 'auth:\n  keysFile: ${NO_SUCH_KEYS_VAR}\n');
      expect((await cli(['keys', 'list', '--config', 'bad.yaml'], undefined, here)).stderr).toBe(
        'mcp-warden: invalid configuration:\nbad.yaml: auth.keysFile: environment variable NO_SUCH_KEYS_VAR is not set\n',
      );
    } finally {
      rmSync(here, { recursive: true, force: true });
    }
  });

  it('keys revoke with neither a key id nor --client says what to give (it said "not both")', async () => {
    const r = await cli(['keys', 'revoke', '--keys-file', file]);
    expect(r).toMatchObject({ code: 2, stderr: 'mcp-warden: keys revoke: give the key id to revoke (see keys list), or --client to revoke all of its active keys\n' });
    const both = await cli(['keys', 'revoke', 'k_0123456789ab', '--client', 'alice', '--keys-file', file]);
    expect(both).toMatchObject({ code: 2, stderr: 'mcp-warden: keys revoke: give either a key id or --client, not both\n' });
  });

  it('create refuses an empty --client (it wrote an entry that made the file unreadable for every later command and the server)', async () => {
    const f = join(dir, 'empty-client.yaml');
    expect(await cli(['keys', 'create', '--client', 'ok', '--keys-file', f])).toMatchObject({ code: 0 });
    for (const client of ['', '  ']) {
      const r = await cli(['keys', 'create', '--client', client, '--keys-file', f]);
      expect(r).toMatchObject({ code: 2, stdout: '', stderr: 'mcp-warden: --client: expected a client id, got an empty one\n' });
    }
    // The file is as it was: one key, readable.
    const list = await cli(['keys', 'list', '--json', '--keys-file', f]);
    expect(list.code).toBe(0);
    expect((JSON.parse(list.stdout) as Array<{ client: string }>).map((k) => k.client)).toEqual(['ok']);
    // And the keys file itself never writes what its reads would refuse.
    const before = readFileSync(f, 'utf8');
    expect(() => updateKeysFile(f, (keys) => ({ keys: [...keys, { ...keys[0]!, id: 'k_other', client: '' }], result: undefined }))).toThrow(
      `keys file ${f}: not changed: the new entry would be invalid (keys.1.client: Too small: expected string to have >=1 characters)`,
    );
    expect(readFileSync(f, 'utf8')).toBe(before);
  });

  it('list of a keys file that does not exist says so on stderr (an empty table alone hid a mistyped path)', async () => {
    const missing = join(dir, 'no-such-keys.yaml');
    const r = await cli(['keys', 'list', '--keys-file', missing]);
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toMatch(/^ID\s+CLIENT/);
    expect(r.stderr).toBe(`note: keys file ${missing} does not exist (yet): no keys; keys create makes it\n`);
    expect(existsSync(missing)).toBe(false);
  });

  it('a keys file path it cannot create is one line naming it (a file in the way; under procfs it spun forever)', async () => {
    writeFileSync(join(dir, 'a-file'), 'not a directory\n');
    const blocked = join(dir, 'a-file', 'keys.yaml');
    const r = await cli(['keys', 'create', '--client', 'x', '--keys-file', blocked]);
    expect(r).toMatchObject({ code: 4, stdout: '', stderr: `mcp-warden: keys file ${blocked}: cannot create it: ${join(dir, 'a-file')} is not a directory\n` });
    if (process.platform === 'linux' && existsSync('/proc/self')) {
      // mkdir under /proc fails with ENOENT although /proc exists: Node's recursive mkdir retried forever.
      const proc = await cli(['keys', 'create', '--client', 'x', '--keys-file', '/proc/mcp-warden-test/keys.yaml']);
      expect(proc).toMatchObject({ code: 4, stdout: '', stderr: 'mcp-warden: keys file /proc/mcp-warden-test/keys.yaml: cannot create its directory /proc/mcp-warden-test: ENOENT\n' });
    }
  });

  it('a keys file below a symbolic link to nothing: one line naming the keys file and the link (it said only ENOENT of a stat)', async () => {
    const link = join(dir, 'dangling');
    symlinkSync(join(dir, 'no-such-dir'), link);
    const f = join(link, 'keys.yaml');
    const r = await cli(['keys', 'create', '--client', 'x', '--keys-file', f]);
    expect(r).toMatchObject({ code: 4, stdout: '', stderr: `mcp-warden: keys file ${f}: cannot create it: ${link} is a symbolic link to ${join(dir, 'no-such-dir')}, which does not exist\n` });
  });

});
