/**
 * `mcp-warden keys create|list|revoke|rotate|hash`: manage API keys in the keys file. A key is
 * printed once, on stdout, when created; the file holds only its sha256 hash.
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import type { ApiKeyEntry } from '../../config/auth.js';
import { loadConfigSection, readConfigValue } from '../../config/load.js';
import { generateApiKey, generateKeyId, hashApiKey } from '../../identity/api-keys.js';
import { parseDuration } from '../../identity/duration.js';
import { readKeysFile, updateKeysFile } from '../../identity/keys-file.js';
import { CliError, EXIT } from '../errors.js';

interface FileOptions {
  keysFile?: string;
  config?: string;
}

/**
 * The keys file: --keys-file, else auth.keysFile of --config, else $MCP_WARDEN_KEYS_FILE, else
 * auth.keysFile of ./warden.yaml when there is one (as the audit commands default to it). Only
 * auth.keysFile is read from the config: a variable elsewhere in it (a backend's token) need not be set.
 */
function keysFilePath(opts: FileOptions): string {
  if (opts.keysFile) return resolve(opts.keysFile);
  if (opts.config) return keysFileOf(opts.config);
  if (process.env.MCP_WARDEN_KEYS_FILE) return resolve(process.env.MCP_WARDEN_KEYS_FILE);
  if (existsSync('warden.yaml')) return keysFileOf('warden.yaml');
  throw new CliError('no keys file: pass --keys-file PATH or --config warden.yaml (with auth.keysFile)', EXIT.USAGE);
}

function keysFileOf(config: string): string {
  const { value: auth, baseDir } = loadConfigSection(config, 'auth', ['keysFile']);
  if (auth.keysFile) return resolve(baseDir, auth.keysFile);
  throw new CliError(`${config}: auth.keysFile is not set; pass --keys-file`, EXIT.USAGE);
}

/** The config whose keys file this is: --config, else ./warden.yaml when its auth.keysFile is this file. */
function configUsing(opts: FileOptions, file: string): string | undefined {
  if (opts.config) return opts.config;
  if (!existsSync('warden.yaml')) return undefined;
  try {
    return keysFileOf('warden.yaml') === file ? 'warden.yaml' : undefined;
  } catch {
    return undefined;
  }
}

/**
 * What binding a new key to client `client` means for the client-id space of the config that uses
 * the keys file (docs/identity.md, "One client-id space"): with auth.jwt set, tokens naming that id
 * are refused from now on unless auth.jwt.sharedClientIds lists it; an id mcp-warden gives itself
 * makes the key's holder that client. Read without the JWT secret (the keys commands need no
 * variable but the keys file's).
 */
function clientIdWarnings(client: string, config: string | undefined): string[] {
  if (config === undefined) return [];
  const out: string[] = [];
  const stdioClient = readConfigValue(config, ['auth', 'stdioClient', 'id']).value;
  if (client === 'anonymous' || client.startsWith('local:') || client === stdioClient) {
    out.push(
      `client id ${JSON.stringify(client)} is one mcp-warden gives itself (${client === 'anonymous' ? 'clients without a credential, auth.anonymous' : client === stdioClient ? 'auth.stdioClient.id in ' + config : 'the local stdio user'}): this key's holder is that same client, with its policy grants, data, rate limit and sessions; revoke the key (keys revoke) unless that is intended`,
    );
  }
  if (!readConfigValue(config, ['auth', 'jwt'], false).found) return out;
  const shared = readConfigValue(config, ['auth', 'jwt', 'sharedClientIds']).value;
  if (Array.isArray(shared) && shared.includes(client)) return out;
  out.push(
    `${config} configures auth.jwt and client id ${JSON.stringify(client)} is not in auth.jwt.sharedClientIds: from now on a token whose client id is ${JSON.stringify(client)} is refused (401 invalid_token; API keys and tokens share one client-id space). List it in auth.jwt.sharedClientIds if tokens for it are the same client, else revoke this key and choose another --client`,
  );
  return out;
}

function withFileOptions(cmd: Command): Command {
  return cmd
    .option('--keys-file <path>', 'keys file (YAML, or JSON if it ends in .json); default: auth.keysFile of --config, $MCP_WARDEN_KEYS_FILE, or auth.keysFile of ./warden.yaml')
    .option('-c, --config <file>', 'warden.yaml whose auth.keysFile to use');
}

function status(key: ApiKeyEntry, now: number): 'active' | 'revoked' | 'expired' {
  if (key.revoked && Date.parse(key.revoked) <= now) return 'revoked';
  if (key.expires && Date.parse(key.expires) <= now) return 'expired';
  return 'active';
}

function parseRoles(text: string | undefined): string[] {
  if (!text) return [];
  return text.split(',').map((r) => r.trim()).filter((r) => r.length > 0);
}

function durationOption(text: string | undefined, flag: string): number | undefined {
  if (text === undefined) return undefined;
  try {
    return parseDuration(text);
  } catch (err) {
    throw new CliError(`${flag}: ${(err as Error).message}`, EXIT.USAGE);
  }
}

function newKey(fields: Omit<ApiKeyEntry, 'id' | 'hash' | 'created'>, now: number): { key: string; entry: ApiKeyEntry } {
  const key = generateApiKey();
  const entry: ApiKeyEntry = { id: generateKeyId(), hash: hashApiKey(key), client: fields.client, roles: fields.roles, created: new Date(now).toISOString() };
  if (fields.name !== undefined) entry.name = fields.name;
  if (fields.expires !== undefined) entry.expires = fields.expires;
  if (fields.deployment !== undefined) entry.deployment = fields.deployment;
  return { key, entry };
}

function announce(key: string, entry: ApiKeyEntry, file: string): void {
  process.stdout.write(`${key}\n`);
  const roles = entry.roles.length > 0 ? entry.roles.join(',') : '(none)';
  process.stderr.write(
    `created key ${entry.id} for client ${entry.client} (roles: ${roles}${entry.expires ? `, expires ${entry.expires}` : ''}) in ${file}\n` +
      'the key is shown only this once: store it now (only its hash is kept)\n',
  );
}

function register(program: Command): void {
  const keys = program.command('keys').description('manage client API keys (stored as hashes in the keys file)');

  withFileOptions(keys.command('create'))
    .description('create a key for a client; prints the key once on stdout')
    .requiredOption('--client <id>', 'client id the key is bound to')
    .option('--name <name>', 'display name (default: the client id)')
    .option('--roles <list>', 'comma-separated roles, e.g. vm-operator,reader')
    .option('--expires <duration>', 'lifetime, e.g. 90d, 24h, 2w')
    .option('--deployment <name>', 'only valid on the deployment with this auth.deployment')
    .action((opts: FileOptions & { client: string; name?: string; roles?: string; expires?: string; deployment?: string }) => {
      if (opts.client.trim() === '') throw new CliError('--client: expected a client id, got an empty one', EXIT.USAGE);
      const file = keysFilePath(opts);
      const now = Date.now();
      const lifetime = durationOption(opts.expires, '--expires');
      const fields: Omit<ApiKeyEntry, 'id' | 'hash' | 'created'> = { client: opts.client, roles: parseRoles(opts.roles) };
      if (opts.name !== undefined) fields.name = opts.name;
      if (lifetime !== undefined) fields.expires = new Date(now + lifetime).toISOString();
      if (opts.deployment !== undefined) fields.deployment = opts.deployment;
      const { key, entry } = newKey(fields, now);
      updateKeysFile(file, (list) => ({ keys: [...list, entry], result: undefined }));
      announce(key, entry, file);
      for (const line of clientIdWarnings(opts.client, configUsing(opts, file))) process.stderr.write(`warning: ${line}\n`);
    });

  withFileOptions(keys.command('list'))
    .description('list keys (ids, clients, roles, status; never the keys)')
    .option('--json', 'print JSON')
    .action((opts: FileOptions & { json?: boolean }) => {
      const now = Date.now();
      const file = keysFilePath(opts);
      // An empty table alone would not tell a mistyped path from a file without keys.
      if (!existsSync(file)) process.stderr.write(`note: keys file ${file} does not exist (yet): no keys; keys create makes it\n`);
      const rows = readKeysFile(file).map((k) => ({
        id: k.id,
        client: k.client,
        name: k.name ?? k.client,
        roles: k.roles,
        status: status(k, now),
        created: k.created ?? '',
        expires: k.expires ?? '',
        deployment: k.deployment ?? '',
      }));
      if (opts.json) {
        process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
        return;
      }
      const table = [['ID', 'CLIENT', 'NAME', 'ROLES', 'STATUS', 'CREATED', 'EXPIRES', 'DEPLOYMENT']];
      for (const r of rows) table.push([r.id, r.client, r.name, r.roles.join(',') || '-', r.status, r.created || '-', r.expires || '-', r.deployment || '-']);
      const widths = table[0]!.map((_, i) => Math.max(...table.map((row) => row[i]!.length)));
      for (const row of table) process.stdout.write(`${row.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd()}\n`);
    });

  withFileOptions(keys.command('revoke'))
    .description('revoke a key by id, or every active key of a client; takes effect without a restart')
    .argument('[id]', 'key id (see keys list)')
    .option('--client <id>', 'revoke all active keys of this client')
    .action((id: string | undefined, opts: FileOptions & { client?: string }) => {
      if (id === undefined && opts.client === undefined) throw new CliError('keys revoke: give the key id to revoke (see keys list), or --client to revoke all of its active keys', EXIT.USAGE);
      if (id !== undefined && opts.client !== undefined) throw new CliError('keys revoke: give either a key id or --client, not both', EXIT.USAGE);
      const file = keysFilePath(opts);
      // A path that names no file holds no key: said as such (exit 1), without creating its directory.
      if (!existsSync(file)) throw new CliError(`keys revoke: keys file ${file} does not exist: no key to revoke (check --keys-file / auth.keysFile)`, EXIT.CHECK_FAILED);
      const now = Date.now();
      const revokedAt = new Date(now).toISOString();
      const { newly, already } = updateKeysFile(file, (list) => {
        const matched = list.filter((k) => (id !== undefined ? k.id === id : k.client === opts.client && status(k, now) === 'active'));
        if (matched.length === 0) {
          throw new CliError(
            id !== undefined
              ? `keys revoke: no key with id ${id} in ${file} (see mcp-warden keys list --keys-file ${file}); nothing revoked`
              : `keys revoke: client ${opts.client} has no active key in ${file} (see mcp-warden keys list --keys-file ${file}); nothing revoked`,
            EXIT.CHECK_FAILED,
          );
        }
        const newly = matched.filter((k) => !k.revoked);
        for (const k of newly) k.revoked = revokedAt;
        return { keys: list, result: { newly, already: matched.filter((k) => !newly.includes(k)) } };
      });
      if (newly.length > 0) process.stderr.write(`revoked ${newly.map((k) => k.id).join(', ')}\n`);
      // Revoking again keeps the first revocation time, and says so rather than "revoked" (exit 0: the key is revoked).
      for (const k of already) process.stderr.write(`key ${k.id} was already revoked (at ${k.revoked}); nothing changed\n`);
    });

  withFileOptions(keys.command('rotate'))
    .description("create a new key for a client; the client's old keys stay valid for the grace period")
    .requiredOption('--client <id>', 'client whose key to rotate')
    .option('--grace <duration>', 'how long the old keys stay valid (0 revokes them now)', '24h')
    .option('--expires <duration>', "new key's lifetime (default: the old key's lifetime, if it had one)")
    .action((opts: FileOptions & { client: string; grace: string; expires?: string }) => {
      const file = keysFilePath(opts);
      const now = Date.now();
      const grace = opts.grace.trim() === '0' ? 0 : durationOption(opts.grace, '--grace')!;
      const lifetime = durationOption(opts.expires, '--expires');
      const graceEnd = new Date(now + grace).toISOString();
      const { key, entry, active } = updateKeysFile(file, (list) => {
        const active = list.filter((k) => k.client === opts.client && status(k, now) === 'active');
        const newest = active.at(-1);
        if (!newest) throw new CliError(`client ${opts.client} has no active key in ${file}; use keys create`, EXIT.CHECK_FAILED);
        const fields: Omit<ApiKeyEntry, 'id' | 'hash' | 'created'> = { client: newest.client, roles: [...newest.roles] };
        if (newest.name !== undefined) fields.name = newest.name;
        if (newest.deployment !== undefined) fields.deployment = newest.deployment;
        const inherited = newest.expires && newest.created ? Date.parse(newest.expires) - Date.parse(newest.created) : undefined;
        const life = lifetime ?? inherited;
        if (life !== undefined && life > 0) fields.expires = new Date(now + life).toISOString();
        for (const k of active) {
          if (grace === 0) k.revoked = graceEnd;
          else if (!k.expires || Date.parse(k.expires) > now + grace) k.expires = graceEnd;
        }
        const made = newKey(fields, now);
        return { keys: [...list, made.entry], result: { ...made, active } };
      });
      announce(key, entry, file);
      process.stderr.write(`old key${active.length > 1 ? 's' : ''} ${active.map((k) => k.id).join(', ')} ${grace === 0 ? 'revoked' : `valid until ${graceEnd}`}\n`);
    });

  keys
    .command('hash')
    .description('read a key on stdin (e.g. from `openssl rand -hex 32`) and print its sha256 hash for auth.apiKeys')
    .action(async () => {
      const chunks: Buffer[] = [];
      for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
      const key = Buffer.concat(chunks).toString('utf8').trim();
      if (key.length < 16) throw new CliError('expected a key of at least 16 characters on stdin', EXIT.USAGE);
      process.stdout.write(`${hashApiKey(key)}\n`);
    });
}

export { register };
