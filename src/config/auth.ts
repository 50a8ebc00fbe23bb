/**
 * Config section `auth`: how clients prove who they are (API keys, JWT, client certificates), OAuth protected-resource
 * metadata, and the identity of an unauthenticated stdio client. Keys are stored as hashes only.
 */
import { z } from 'zod';
import { clientCertificatesSchema } from './client-certificates.js';

/** "sha256:<64 hex>": the only form a key is ever stored in. */
export const keyHashSchema = z.string().regex(/^sha256:[0-9a-f]{64}$/, 'expected "sha256:" followed by 64 lowercase hex digits');

/** One API key as stored (inline here or in the keys file). */
export const apiKeyEntrySchema = z
  .object({
    /** Key id: safe to log, names the key in `keys list/revoke` and in the audit. */
    id: z.string().regex(/^[A-Za-z0-9_.-]+$/, 'letters, digits, _ . - only'),
    hash: keyHashSchema,
    /** Client id the key is bound to (what policies and the audit key on). */
    client: z.string().min(1),
    /** Display name; defaults to the client id. */
    name: z.string().optional(),
    roles: z.array(z.string()).default([]),
    /** ISO 8601 time after which the key is refused. */
    expires: z.iso.datetime({ offset: true }).optional(),
    /** ISO 8601 time the key was revoked; a revoked key is refused. */
    revoked: z.iso.datetime({ offset: true }).optional(),
    created: z.iso.datetime({ offset: true }).optional(),
    /** Deployment the key is valid for; a key for another deployment gets 403. Unset: any. */
    deployment: z.string().optional(),
  })
  .strict();

export type ApiKeyEntry = z.infer<typeof apiKeyEntrySchema>;

/**
 * Least auth.jwt.jwksCooldownMs accepted: at most one JWKS fetch per second, whatever unknown kids
 * clients send (jose's own default is 30 s).
 */
export const MIN_JWKS_COOLDOWN_MS = 1000;

const stringOrList = z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]);

/** A media type as `typ` carries it: "at+jwt", "JWT", "application/at+jwt". */
const MEDIA_TYPE = /^[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]*(\/[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]*)?$/;

const ALG = /^(HS|RS|PS|ES)(256|384|512)$|^EdDSA$|^Ed25519$|^ES256K$/;

export const jwtSchema = z
  .object({
    /** Shared secret for HS256/384/512 (use ${ENV} interpolation; at least 32 bytes). */
    secret: z.string().min(32, 'an HMAC secret must be at least 32 characters').optional(),
    /** PEM public key (SPKI) for RS/PS/ES/EdDSA, inline or as a path to a file (relative to the config). */
    publicKey: z.string().optional(),
    /** JWKS URL of the authorization server; fetched, cached, refreshed on an unknown kid. */
    jwksUrl: z.url().optional(),
    /**
     * PEM CA certificate(s) the JWKS server's certificate must chain to, instead of the system's CAs
     * (an identity provider with a certificate from a private CA). Relative to the config's folder;
     * refused, as TLS files are, when other users may write it. Needs an https jwksUrl.
     */
    jwksCaFile: z.string().min(1).optional(),
    /** How long one JWKS fetch may take. */
    jwksTimeoutMs: z.number().int().positive().default(5000),
    /**
     * Minimum time between two JWKS fetches (an unknown kid within it is refused). At least
     * MIN_JWKS_COOLDOWN_MS: any client can send a token naming a kid nobody has (no valid signature
     * needed, the kid is looked up first), and each such token may fetch the key set once per cooldown.
     */
    jwksCooldownMs: z
      .number()
      .int()
      .min(MIN_JWKS_COOLDOWN_MS, `at least ${MIN_JWKS_COOLDOWN_MS} ms: every token naming an unknown kid may make mcp-warden fetch the JWKS once per cooldown, so a lower value lets any client turn its requests into requests to the authorization server`)
      .default(30_000),
    /** A cached JWKS older than this is refetched. */
    jwksCacheMaxAgeMs: z.number().int().positive().default(600_000),
    /** Largest JWKS answer read; a larger one is refused (the key set already fetched is kept). */
    jwksMaxBytes: z.number().int().positive().default(256 * 1024),
    issuer: stringOrList.optional(),
    /** Accepted `aud` values; defaults to auth.oauth.resource. One of the two is required. */
    audience: stringOrList.optional(),
    /** Allowlist of `alg` values; defaults to HS* for a secret, the asymmetric families otherwise. */
    algorithms: z.array(z.string().regex(ALG, 'unsupported algorithm ("none" is never accepted)')).min(1).optional(),
    /** Claim holding roles: dotted path (`realm_access.roles`); a string value is split on spaces (`scope`). */
    rolesClaim: z.string().min(1).default('roles'),
    clientIdClaim: z.string().min(1).default('sub'),
    /**
     * Client ids a token may carry although they are also an API-key client's (a `client` of an
     * entry in auth.apiKeys or the keys file, whatever its status) or one mcp-warden gives itself
     * ("anonymous", "local:<user>", auth.stdioClient.id). A token naming such an id is refused
     * unless the id is listed here; a listed id is one client to the policy, its per-client data,
     * its rate limit and its sessions, whichever credential it shows (the audit still tells the
     * methods apart).
     */
    sharedClientIds: z.array(z.string().min(1)).default([]),
    nameClaim: z.string().min(1).default('name'),
    clockSkewSec: z.number().int().nonnegative().default(30),
    /**
     * Refuse a token without `exp` (RFC 9068 makes it REQUIRED in JWT access tokens): one without it
     * would stay valid until the signing key is rotated. false accepts such tokens.
     */
    requireExp: z.boolean().default(true),
    /**
     * Accepted values of the token's `typ` header, compared case-insensitively and with an
     * "application/" prefix ignored (RFC 7515 4.1.9). A token of another type, signed by the same
     * issuer for another purpose (a DPoP proof, a logout token, a security event token), is refused.
     */
    acceptedTypes: z.array(z.string().regex(MEDIA_TYPE, 'expected a media type such as "at+jwt" or "JWT"')).min(1).default(['JWT', 'at+jwt']),
    /** Refuse a token with no `typ` header (RFC 9068 access tokens carry "at+jwt"); false accepts one. */
    requireTyp: z.boolean().default(false),
  })
  .strict()
  .refine((j) => [j.secret, j.publicKey, j.jwksUrl].filter((v) => v !== undefined).length === 1, {
    message: 'set exactly one of secret, publicKey, jwksUrl',
  })
  .refine((j) => j.jwksCaFile === undefined || (j.jwksUrl !== undefined && URL.canParse(j.jwksUrl) && new URL(j.jwksUrl).protocol === 'https:'), {
    message: 'jwksCaFile needs an https jwksUrl (it is the CA the JWKS server\'s certificate must chain to)',
    path: ['jwksCaFile'],
  });

export const oauthSchema = z
  .object({
    /** Our own resource URL (the MCP endpoint); JWTs must carry it in `aud`. */
    resource: z.url(),
    authorizationServers: z.array(z.url()).min(1),
    scopesSupported: z.array(z.string()).optional(),
    /** Scopes a token must carry; a valid token without them gets 403 insufficient_scope. */
    requiredScopes: z.array(z.string()).default([]),
    resourceName: z.string().optional(),
    resourceDocumentation: z.url().optional(),
  })
  .strict();

export const authSchema = z
  .object({
    /** Allow requests with no credential; the policy then sees client.id = "anonymous". */
    anonymous: z.boolean().default(false),
    /** Name of this deployment; keys bound to another deployment are refused with 403. */
    deployment: z.string().optional(),
    /** Keys file managed by `mcp-warden keys` (relative to the config file). */
    keysFile: z.string().optional(),
    apiKeys: z.array(apiKeyEntrySchema).default([]),
    jwt: jwtSchema.optional(),
    oauth: oauthSchema.optional(),
    /**
     * TLS client certificates as identities (client-certificates.ts). Needs server.tls.caFile: only a
     * certificate the handshake verified against it identifies anyone.
     */
    clientCertificates: clientCertificatesSchema.default([]),
    /** Key presented by a stdio client when MCP_WARDEN_API_KEY is not set (usually ${ENV}). */
    stdioApiKey: z.string().optional(),
    /** Identity of a stdio client that presents no key (the local user who launched mcp-warden). */
    stdioClient: z
      .object({ id: z.string().min(1), name: z.string().optional(), roles: z.array(z.string()).default([]) })
      .strict()
      .optional(),
  })
  .strict()
  .refine((a) => !a.jwt || a.jwt.audience !== undefined || a.oauth !== undefined, {
    message: 'jwt needs an audience: set auth.jwt.audience or auth.oauth.resource',
    path: ['jwt', 'audience'],
  })
  .refine((a) => new Set(a.apiKeys.map((k) => k.id)).size === a.apiKeys.length, {
    message: 'API key ids must be unique',
    path: ['apiKeys'],
  })
  .superRefine((a, ctx) => {
    const own = a.stdioClient?.id;
    if (own === undefined) return;
    (a.clientCertificates ?? []).forEach((e, i) => {
      if (e.client === own) ctx.addIssue({ code: 'custom', path: ['clientCertificates', i, 'client'], message: `"${own}" is auth.stdioClient.id, mcp-warden's own id for a local stdio client` });
    });
  });

export type AuthConfig = z.infer<typeof authSchema>;
export type JwtConfig = z.infer<typeof jwtSchema>;
export type OAuthConfig = z.infer<typeof oauthSchema>;
