/** Config section `auth`: how clients prove who they are (API keys, JWT), and OAuth resource metadata. */
import { z } from 'zod';

const apiKeyEntry = z
  .object({
    id: z.string(),
    /** "sha256:<hex>" of the key; keys are never stored in clear. */
    hash: z.string(),
    client: z.string(),
    name: z.string().optional(),
    roles: z.array(z.string()).default([]),
    expires: z.string().optional(),
  })
  .strict();

export const authSchema = z
  .object({
    /** Allow requests with no credential; the policy then sees client.id = "anonymous". */
    anonymous: z.boolean().default(false),
    /** Keys file managed by `mcp-warden keys`. */
    keysFile: z.string().optional(),
    apiKeys: z.array(apiKeyEntry).default([]),
    jwt: z
      .object({
        secret: z.string().optional(),
        publicKey: z.string().optional(),
        jwksUrl: z.url().optional(),
        issuer: z.string().optional(),
        audience: z.string().optional(),
        algorithms: z.array(z.string()).optional(),
        rolesClaim: z.string().default('roles'),
        clientIdClaim: z.string().default('sub'),
        clockSkewSec: z.number().int().nonnegative().default(30),
      })
      .strict()
      .optional(),
    oauth: z
      .object({
        /** Our own resource URL (the audience tokens must be bound to). */
        resource: z.url(),
        authorizationServers: z.array(z.url()).min(1),
        scopesSupported: z.array(z.string()).optional(),
      })
      .strict()
      .optional(),
  })
  .strict();

export type AuthConfig = z.infer<typeof authSchema>;
