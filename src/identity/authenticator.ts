/**
 * The Authenticator: turns a transport's view of a request (headers, or the environment on stdio)
 * into a ClientIdentity, or a 401/403 with a safe message.
 *
 * Status choices (RFC 6750 section 3.1, MCP authorization 2025-11-25 "Error Handling"):
 * - 401 + WWW-Authenticate (no error code): no credential and anonymous access is off.
 * - 401 + error="invalid_token": unknown, revoked or expired API key; JWT with a bad signature,
 *   wrong aud (a token not issued for this resource is invalid here), wrong iss, alg none, expired,
 *   not yet valid, issued in the future (iat beyond the clock skew), unknown signing key, or
 *   signing keys unavailable (JWKS down: fail closed); a valid JWT whose client id is an API-key
 *   client's or one mcp-warden gives itself, unless auth.jwt.sharedClientIds lists it (one client-id
 *   space: whoever controls a token's subject must not become another credential's client).
 * - 401 + error="invalid_request": malformed Authorization header, two different credentials.
 * - 403 + error="insufficient_scope": a valid token without auth.oauth.requiredScopes.
 * - 403 (no challenge): a valid API key bound to another deployment (auth.deployment).
 * A verified TLS client certificate that auth.clientCertificates maps to a client identifies a
 * request that carries no credential (auth "certificate"); with a credential, the credential is
 * judged as without a certificate and identifies, but a mapped certificate naming another client id
 * than it is refused (401 invalid_request). A certificate matching several entries is refused (401
 * invalid_request); an unmapped one identifies nobody (the request is one without a credential).
 * The mapping follows a config reload (setClientCertificates).
 * A stdio client without a key is auth.stdioClient if set, else the local OS user when no
 * credential mechanism is configured at all, else anonymous (if allowed) or refused.
 * Messages never echo a credential.
 */
import { userInfo } from 'node:os';
import { resolve } from 'node:path';
import type { AuthConfig } from '../config/auth.js';
import type { Logger } from '../log/logger.js';
import { RefusalLog } from '../log/refusal-log.js';
import type { AuthRequest, AuthResult, Authenticator, ClientIdentity } from '../types.js';
import { KEY_PREFIX } from './api-keys.js';
import { API_KEY_ENV } from './backend-credentials.js';
import { bearerChallenge, resourceMetadataUrl, type ChallengeParams } from './challenge.js';
import { tokenScopes } from './claims.js';
import type { ClientCertificateEntry } from '../config/client-certificates.js';
import { CertificateIdentities, certificateOf, certificateStillValid, type CertificateMatch } from './client-certificates.js';
import { loggableUrl, plainHttpToRemote } from './jwks-fetch.js';
import { JwtVerifier } from './jwt.js';
import { KeyStore } from './key-store.js';

export { API_KEY_ENV };

export interface AuthenticatorOptions {
  logger?: Logger;
  /** Directory relative paths (keysFile, publicKey) resolve against. */
  baseDir?: string;
  /** Environment read for a stdio client's key; defaults to process.env. */
  env?: NodeJS.ProcessEnv;
  /** Clients come over HTTP (default); false when only a stdio client is served (no 401 to warn about). */
  servesHttp?: boolean;
  /** Rate limiting of refusal lines (config log.refusals), shared with the HTTP frontend; one of its own by default. */
  refusals?: RefusalLog;
  /** The admin tokens' "sha256:<hex>" hashes (admin.tokenHashes): no API key may have one (key-store.ts reservedKey). */
  adminTokenHashes?: readonly string[];
}

type Credential = { kind: 'api_key' | 'bearer'; value: string } | { kind: 'none' } | { kind: 'malformed'; reason: string };

function localUserName(): string {
  try {
    return userInfo().username;
  } catch {
    return 'local';
  }
}

/** Refusal reasons of a valid token whose client id is taken (clientIdClash). */
const API_KEY_CLIENT = 'token client id belongs to an API-key client (not listed in auth.jwt.sharedClientIds)';
const RESERVED_CLIENT = 'token client id is reserved ("anonymous", "local:*" or auth.stdioClient.id; not listed in auth.jwt.sharedClientIds)';
const CERTIFICATE_CLIENT = 'token client id belongs to a client-certificate client (auth.clientCertificates; not listed in auth.jwt.sharedClientIds)';

const JWT_CACHE_MS = 60_000;
const JWT_CACHE_SIZE = 1024;

const JWT_SHAPE = /^eyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*$/;

function single(value: string | string[] | undefined): string | undefined | null {
  if (Array.isArray(value)) return value.length === 1 ? value[0] : value.length === 0 ? undefined : null;
  return value;
}

function credentialFromHeaders(headers: AuthRequest['headers']): Credential {
  const authorization = single(headers.authorization);
  const apiKey = single(headers['x-api-key']);
  if (authorization === null || apiKey === null) return { kind: 'malformed', reason: 'more than one credential header' };
  let bearer: string | undefined;
  if (authorization !== undefined && authorization !== '') {
    const match = /^Bearer +([^\s]+) *$/i.exec(authorization);
    if (!match) return { kind: 'malformed', reason: 'Authorization must be "Bearer <token>"' };
    bearer = match[1];
  }
  const key = apiKey === undefined || apiKey === '' ? undefined : apiKey.trim();
  if (bearer !== undefined && key !== undefined && bearer !== key) return { kind: 'malformed', reason: 'send either Authorization or X-API-Key, not both' };
  if (key !== undefined) return { kind: 'api_key', value: key };
  if (bearer !== undefined) return { kind: 'bearer', value: bearer };
  return { kind: 'none' };
}

export class WardenAuthenticator implements Authenticator {
  readonly keys: KeyStore;
  private readonly jwt: JwtVerifier | undefined;
  /** auth.clientCertificates, when it has entries; replaced by setClientCertificates (a config reload). */
  private certs: CertificateIdentities | undefined;
  private readonly logger: Logger | undefined;
  private readonly refusals: RefusalLog;
  private readonly ownRefusals: boolean;
  private readonly env: NodeJS.ProcessEnv;
  private readonly servesHttp: boolean;
  private readonly metadataUrl: string | undefined;
  private readonly scope: string | undefined;
  private readonly credentialsConfigured: boolean;
  /** auth.jwt.sharedClientIds: ids a token may carry although an API key or mcp-warden itself uses them. */
  private readonly sharedClientIds: ReadonlySet<string>;
  /** Verified tokens -> identity, for at most JWT_CACHE_MS and never past the token's exp. */
  private readonly jwtCache = new Map<string, { client: ClientIdentity; until: number }>();

  constructor(
    private readonly config: AuthConfig,
    options: AuthenticatorOptions = {},
  ) {
    const baseDir = options.baseDir ?? process.cwd();
    this.logger = options.logger;
    this.refusals = options.refusals ?? new RefusalLog();
    this.ownRefusals = options.refusals === undefined;
    this.env = options.env ?? process.env;
    this.servesHttp = options.servesHttp ?? true;
    const keysFile = config.keysFile === undefined ? undefined : resolve(baseDir, config.keysFile);
    const reserved = new Set((options.adminTokenHashes ?? []).map((h) => h.slice('sha256:'.length).toLowerCase()));
    this.keys = new KeyStore(config.apiKeys, keysFile, options.logger, reserved);
    this.jwt = config.jwt ? new JwtVerifier(config.jwt, config.oauth, baseDir, (text) => options.logger?.warn(text)) : undefined;
    this.sharedClientIds = new Set(config.jwt?.sharedClientIds ?? []);
    this.certs = config.clientCertificates.length > 0 ? new CertificateIdentities(config.clientCertificates) : undefined;
    this.credentialsConfigured = config.apiKeys.length > 0 || config.keysFile !== undefined || config.jwt !== undefined || config.stdioApiKey !== undefined;
    this.metadataUrl = config.oauth ? resourceMetadataUrl(config.oauth.resource) : undefined;
    const scopes = config.oauth?.requiredScopes.length ? config.oauth.requiredScopes : config.oauth?.scopesSupported;
    this.scope = scopes && scopes.length > 0 ? scopes.join(' ') : undefined;
    this.logStartup();
  }

  private logStartup(): void {
    const { config, logger } = this;
    if (!logger) return;
    const jwt = config.jwt ? (config.jwt.jwksUrl ? 'jwks' : config.jwt.publicKey ? 'public key' : 'shared secret') : 'off';
    logger.info({ apiKeyCount: this.keys.size, keysFile: config.keysFile, jwt, oauth: config.oauth !== undefined, clientCertificates: this.certs?.size ?? 0, anonymous: config.anonymous }, 'auth: client identification configured');
    if (config.jwt && config.jwt.issuer === undefined) logger.warn('auth.jwt.issuer is not set: tokens of any issuer signed by the configured key are accepted');
    const jwks = config.jwt?.jwksUrl === undefined ? undefined : new URL(config.jwt.jwksUrl);
    if (jwks !== undefined && plainHttpToRemote(jwks)) {
      logger.warn({ jwksUrl: loggableUrl(jwks) }, 'auth.jwt.jwksUrl is plain http to another host: whoever can answer for it on the network can substitute signing keys and forge any token; use https');
    }
    const idle = this.unusedSharedClientIds();
    if (idle.length > 0) {
      // Listing an id only matters when a key's client or mcp-warden itself has it: anything else is a typo, most likely.
      logger.warn(
        { sharedClientIds: idle },
        `auth.jwt.sharedClientIds lists ${idle.map((id) => JSON.stringify(id)).join(', ')}, which no API key (auth.apiKeys or the keys file) is bound to and mcp-warden does not give itself ("anonymous", "local:*", auth.stdioClient.id): listing ${idle.length === 1 ? 'it' : 'them'} changes nothing (a token may carry such an id anyway); check for a typo against the keys' client ids (mcp-warden keys list)`,
      );
    }
    if (!this.credentialsConfigured && this.certs === undefined && !config.anonymous && this.servesHttp) {
      logger.warn('auth: no API keys, keys file, JWT or client certificates configured and auth.anonymous is false: every HTTP request will be refused with 401');
    }
  }

  authenticate(request: AuthRequest): AuthResult | Promise<AuthResult> {
    let credential = credentialFromHeaders(request.headers);
    if (credential.kind === 'none' && request.transport === 'stdio') credential = this.stdioCredential();
    const cert = this.certs === undefined || request.clientCertificate === undefined ? undefined : this.certs.identify(request.clientCertificate);
    if (cert?.kind === 'ambiguous') return this.refuseAmbiguousCertificate(request, cert.entries);
    if (cert?.kind !== 'mapped' || credential.kind === 'malformed') return this.byCredential(credential, request, cert);
    const certClient = cert.client;
    if (credential.kind === 'none') return { ok: true, client: request.address === undefined ? certClient : { ...certClient, address: request.address } };
    // A credential too: judged as ever, and it must name the client the certificate names.
    const result = this.byCredential(credential, request, cert);
    return result instanceof Promise ? result.then((r) => this.sameClientAsCertificate(r, certClient, request)) : this.sameClientAsCertificate(result, certClient, request);
  }

  private byCredential(credential: Credential, request: AuthRequest, cert: CertificateMatch | undefined): AuthResult | Promise<AuthResult> {
    switch (credential.kind) {
      case 'malformed':
        return this.refuse(request, credential.reason, 'invalid_request');
      case 'none':
        return this.noCredential(request, cert?.kind === 'unmapped');
      case 'api_key':
        return this.apiKey(credential.value, request);
      case 'bearer':
        if (this.jwt && !credential.value.startsWith(KEY_PREFIX) && JWT_SHAPE.test(credential.value)) {
          return this.cachedJwt(credential.value, request) ?? this.bearerJwt(this.jwt, credential.value, request);
        }
        return this.apiKey(credential.value, request);
    }
  }

  /** A request whose mapped client certificate names one client and its valid credential another: refused. */
  private sameClientAsCertificate(result: AuthResult, certClient: ClientIdentity, request: AuthRequest): AuthResult {
    if (!result.ok || result.client.id === certClient.id) return result;
    this.logRefusal('info', `cert-mismatch\0${certClient.id}\0${result.client.id}`, { transport: request.transport, address: request.address, certificateClient: certClient.id, credentialClient: result.client.id, credentialId: result.client.credentialId }, 'authentication refused: the credential and the client certificate identify different clients');
    return this.refuse(request, 'the credential and the client certificate identify different clients', 'invalid_request');
  }

  /** A certificate that several auth.clientCertificates entries match: a configuration problem, refused (fail closed). */
  private refuseAmbiguousCertificate(request: AuthRequest, entries: number[]): AuthResult {
    const fingerprint = request.clientCertificate?.fingerprint256;
    const where = entries.map((i) => `auth.clientCertificates[${i}]`).join(', ');
    this.logRefusal('warn', `cert-ambiguous\0${fingerprint}`, { transport: request.transport, address: request.address, subject: request.clientCertificate?.subject, fingerprint, entries: where }, `authentication refused: the client certificate matches ${where}: one certificate must identify one client (narrow their match)`);
    return this.refuse(request, 'the client certificate matches more than one auth.clientCertificates entry', 'invalid_request');
  }

  /**
   * A new auth.clientCertificates, already validated by the config schema (a config reload): used
   * from the next request on. An identity a certificate proved holds only while the mapping in force
   * gives its certificate the same client (stillValid), so a mapping removed or changed ends the
   * streams and answers still owed to it, as a removed API key does. Throws (nothing changed) when an
   * entry names this authenticator's auth.stdioClient.id, which a reload does not change.
   */
  setClientCertificates(entries: readonly ClientCertificateEntry[]): void {
    const own = this.config.stdioClient?.id;
    const clash = entries.findIndex((e) => e.client === own);
    if (clash >= 0) throw new Error(`auth.clientCertificates[${clash}].client: "${own}" is auth.stdioClient.id, mcp-warden's own id for a local stdio client`);
    this.certs = entries.length > 0 ? new CertificateIdentities(entries) : undefined;
  }

  /** Whether the mapping in force still gives a certificate identity's certificate that client. */
  private certificateStillMapped(client: ClientIdentity): boolean {
    const cert = certificateOf(client);
    if (cert === undefined || this.certs === undefined) return false;
    const match = this.certs.identify(cert);
    return match.kind === 'mapped' && match.client.id === client.id;
  }

  close(): void {
    this.keys.close();
    if (this.ownRefusals) this.refusals.close();
  }

  /** An info or warn refusal line, rate limited per key (log/refusal-log.ts). */
  private logRefusal(level: 'info' | 'warn', key: string, fields: Record<string, unknown>, msg: string): void {
    if (this.logger !== undefined) this.refusals.log(this.logger, level, key, fields, msg);
  }

  private stdioCredential(): Credential {
    const value = this.env[API_KEY_ENV] || this.config.stdioApiKey;
    // Like a Bearer credential: an API key, or a JWT when jwt is configured.
    return value ? { kind: 'bearer', value } : { kind: 'none' };
  }

  private noCredential(request: AuthRequest, unmappedCertificate = false): AuthResult {
    if (request.transport === 'stdio') {
      const local = this.config.stdioClient;
      if (local) return { ok: true, client: { id: local.id, name: local.name ?? local.id, auth: 'local', roles: [...local.roles], claims: {} } };
      // No credential mechanism configured at all: the stdio client is the local user who launched us.
      if (!this.credentialsConfigured) {
        const user = localUserName();
        return { ok: true, client: { id: `local:${user}`, name: user, auth: 'local', roles: [], claims: {} } };
      }
    }
    if (this.config.anonymous) {
      const client: ClientIdentity = { id: 'anonymous', name: 'anonymous', auth: 'anonymous', roles: [], claims: {} };
      if (request.address !== undefined) client.address = request.address;
      return { ok: true, client };
    }
    return this.refuse(request, unmappedCertificate ? 'authentication required (the client certificate is not one auth.clientCertificates maps to a client)' : 'authentication required');
  }

  private apiKey(presented: string, request: AuthRequest): AuthResult {
    const found = this.keys.lookup(presented);
    switch (found.kind) {
      case 'unknown':
        return this.refuse(request, 'invalid API key', 'invalid_token');
      case 'unavailable':
        return this.refuse(request, 'API key could not be checked (keys file unreadable)', 'invalid_token');
      case 'revoked':
        return this.refuse(request, 'API key revoked', 'invalid_token', found.key.entry.id);
      case 'expired':
        return this.refuse(request, 'API key expired', 'invalid_token', found.key.entry.id);
      case 'ok':
        break;
    }
    const { entry, claims } = found.key;
    if (entry.deployment !== undefined && entry.deployment !== this.config.deployment) {
      this.logRefusal('info', `deployment\0${entry.id}\0${request.address}`, { transport: request.transport, address: request.address, keyId: entry.id }, 'API key for another deployment refused');
      return { ok: false, status: 403, message: 'API key not valid for this deployment' };
    }
    const client: ClientIdentity = { id: entry.client, name: entry.name ?? entry.client, auth: 'api_key', roles: entry.roles, claims: claims as Record<string, unknown>, credentialId: entry.id };
    if (request.address !== undefined) client.address = request.address;
    return { ok: true, client };
  }

  /** A token verified in the last minute (and not expired since) skips verification: no await on the hot path. */
  private cachedJwt(token: string, request: AuthRequest): AuthResult | undefined {
    const hit = this.jwtCache.get(token);
    if (hit === undefined) return undefined;
    if (Date.now() >= hit.until) {
      this.jwtCache.delete(token);
      return undefined;
    }
    // A key bound to this client id may have been added to the keys file since the token was verified.
    if (!this.sharedClientIds.has(hit.client.id) && this.keys.hasClient(hit.client.id)) {
      this.jwtCache.delete(token);
      return this.refuseClientId(request, hit.client.id, API_KEY_CLIENT);
    }
    return { ok: true, client: request.address === undefined ? hit.client : { ...hit.client, address: request.address } };
  }

  private remember(token: string, client: ClientIdentity): void {
    const exp = typeof client.claims.exp === 'number' ? client.claims.exp * 1000 : Number.POSITIVE_INFINITY;
    const until = Math.min(exp, Date.now() + JWT_CACHE_MS);
    if (this.jwtCache.size >= JWT_CACHE_SIZE) this.jwtCache.delete(this.jwtCache.keys().next().value!);
    this.jwtCache.set(token, { client, until });
  }

  private async bearerJwt(verifier: JwtVerifier, token: string, request: AuthRequest): Promise<AuthResult> {
    const outcome = await verifier.verify(token);
    if (!outcome.ok) {
      if (outcome.unavailable) this.logRefusal('warn', `jwks\0${outcome.reason}`, { jwksUrl: this.jwksUrlForLogs(), reason: outcome.reason, ...(outcome.detail === undefined ? {} : { detail: outcome.detail }) }, 'JWT refused: signing keys unavailable');
      return this.refuse(request, outcome.reason, 'invalid_token');
    }
    const clash = this.clientIdClash(outcome.clientId);
    if (clash !== undefined) return this.refuseClientId(request, outcome.clientId, clash);
    const required = this.config.oauth?.requiredScopes ?? [];
    if (required.length > 0) {
      const granted = tokenScopes(outcome.claims);
      const missing = required.filter((s) => !granted.includes(s));
      if (missing.length > 0) {
        this.logRefusal('info', `scope\0${outcome.clientId}`, { transport: request.transport, address: request.address, clientId: outcome.clientId, missing }, 'JWT refused: insufficient scope');
        const description = `token lacks scope ${missing.join(' ')}`;
        const challenge: ChallengeParams = { error: 'insufficient_scope', description, scope: required.join(' ') };
        if (this.metadataUrl) challenge.resourceMetadata = this.metadataUrl;
        return { ok: false, status: 403, message: description, wwwAuthenticate: bearerChallenge(challenge) };
      }
    }
    const client: ClientIdentity = { id: outcome.clientId, name: outcome.name, auth: 'jwt', roles: outcome.roles, claims: outcome.claims as Record<string, unknown> };
    if (outcome.credentialId !== undefined) client.credentialId = outcome.credentialId;
    this.remember(token, client);
    return { ok: true, client: request.address === undefined ? client : { ...client, address: request.address } };
  }

  /**
   * Whether the credential `client` was proven with still holds at `now`: the API key it was proven
   * with still in force (not revoked, expired or removed, still bound to this client under its id,
   * still for this deployment), a JWT not past its exp (with the
   * clock skew) whose client id has not become an API-key client's since, a client certificate not
   * past its notAfter that auth.clientCertificates (as reloaded) still maps to the same client. Other identities
   * (anonymous, local) hold as long as the config does. Asked for sessions with a stream open and
   * for each request awaiting its answer over Streamable HTTP.
   */
  stillValid(client: ClientIdentity, now = Date.now()): boolean {
    switch (client.auth) {
      case 'api_key': {
        // The very key the identity was proven with (its claims object is that key's), for this deployment as authenticate() asks.
        const key = client.credentialId === undefined ? undefined : this.keys.keyInForce(client.claims, client.credentialId, client.id, now);
        return key !== undefined && (key.entry.deployment === undefined || key.entry.deployment === this.config.deployment);
      }
      case 'jwt': {
        const exp = client.claims.exp;
        if (typeof exp === 'number' && now >= (exp + (this.config.jwt?.clockSkewSec ?? 0)) * 1000) return false;
        return this.clientIdClash(client.id) === undefined;
      }
      case 'certificate':
        return certificateStillValid(client, now) && this.certificateStillMapped(client);
      default:
        return true;
    }
  }

  /** auth.jwt.sharedClientIds entries that name no API-key client and no reserved id (said at startup). */
  unusedSharedClientIds(): string[] {
    return [...this.sharedClientIds].filter((id) => !this.keys.hasClient(id) && !this.reservedClientId(id) && this.certs?.hasClient(id) !== true);
  }

  private reservedClientId(id: string): boolean {
    return id === 'anonymous' || id.startsWith('local:') || id === this.config.stdioClient?.id;
  }

  /**
   * Why a verified token may not carry this client id, or undefined. API keys and tokens share one
   * client-id space (the policy, per-client data, rate limits and session ownership key on the id
   * alone), and a token's subject is chosen by the identity provider, sometimes by its users
   * (preferred_username, email): a token naming an API-key client's id, or an id mcp-warden gives
   * itself, would become that client. Refused unless auth.jwt.sharedClientIds lists the id.
   */
  private clientIdClash(id: string): string | undefined {
    if (this.sharedClientIds.has(id)) return undefined;
    if (this.keys.hasClient(id)) return API_KEY_CLIENT;
    if (this.certs?.hasClient(id) === true) return CERTIFICATE_CLIENT;
    if (this.reservedClientId(id)) return RESERVED_CLIENT;
    return undefined;
  }

  private refuseClientId(request: AuthRequest, clientId: string, reason: string): AuthResult {
    this.logRefusal('info', `client-id\0${clientId}`, { transport: request.transport, address: request.address, clientId }, 'JWT refused: its client id is not one a token may carry (auth.jwt.sharedClientIds)');
    return this.refuse(request, reason, 'invalid_token');
  }

  /** The JWKS URL without userinfo or query (which could carry a secret). */
  private jwksUrlForLogs(): string | undefined {
    const url = this.config.jwt?.jwksUrl;
    return url === undefined ? undefined : loggableUrl(new URL(url));
  }

  private refuse(request: AuthRequest, reason: string, error?: ChallengeParams['error'], keyId?: string): AuthResult {
    // The HTTP frontend logs every refusal; this line adds the key id when there is one.
    if (keyId !== undefined) this.logRefusal('info', `key\0${reason}\0${keyId}\0${request.address}`, { transport: request.transport, address: request.address, reason, keyId }, 'authentication refused');
    else this.logger?.debug({ transport: request.transport, address: request.address, reason }, 'authentication refused');
    const challenge: ChallengeParams = {};
    if (this.metadataUrl) challenge.resourceMetadata = this.metadataUrl;
    if (this.scope) challenge.scope = this.scope;
    if (error) {
      challenge.error = error;
      challenge.description = reason;
    }
    return { ok: false, status: 401, message: reason, wwwAuthenticate: bearerChallenge(challenge) };
  }
}
