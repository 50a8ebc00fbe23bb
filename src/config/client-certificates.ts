/**
 * Config `auth.clientCertificates`: TLS client certificates as client identities. Each entry maps
 * the certificates its `match` selects (every selector given must hold: SHA-256 fingerprint,
 * subject commonName, SAN DNS name, URI or email) to a client id, name and roles. Only a
 * certificate the handshake verified against server.tls.caFile is ever matched (schema.ts refuses
 * entries without that CA). Two entries pinning the same fingerprint, or selecting exactly the
 * same names, are refused here; a certificate that still matches several entries is refused per
 * request (identity/client-certificates.ts).
 */
import { z } from 'zod';

/** "sha256:<64 hex>" or OpenSSL's "AB:CD:…" (32 colon-separated pairs); either case. */
const FINGERPRINT = /^(sha256:[0-9A-Fa-f]{64}|[0-9A-Fa-f]{2}(:[0-9A-Fa-f]{2}){31})$/;

/** A fingerprint as 64 lowercase hex digits, whichever way it was written. */
export function normalFingerprint(text: string): string {
  return text.replace(/^sha256:/, '').replace(/:/g, '').toLowerCase();
}

export const certificateMatchSchema = z
  .object({
    /** SHA-256 of the certificate (`openssl x509 -noout -fingerprint -sha256`): pins this one certificate. */
    fingerprint: z
      .string()
      .regex(FINGERPRINT, 'expected "sha256:" and 64 hex digits, or 32 colon-separated hex pairs as `openssl x509 -noout -fingerprint -sha256` prints them')
      .optional(),
    /** The subject's commonName (exact; a certificate with several commonNames never matches it). */
    commonName: z.string().min(1).optional(),
    /** A DNS name among the certificate's subject alternative names (exact, case-insensitive; no wildcards). */
    dns: z.string().min(1).optional(),
    /** A URI among its subject alternative names (exact), e.g. a SPIFFE id. */
    uri: z.string().min(1).optional(),
    /** An email address among its subject alternative names (exact; the domain case-insensitive). */
    email: z.string().min(1).optional(),
  })
  .strict()
  .refine((m) => Object.values(m).some((v) => v !== undefined), 'give at least one of fingerprint, commonName, dns, uri, email');

export const clientCertificateEntrySchema = z
  .object({
    /** Client id the certificate identifies (what policies, limits and the audit key on). */
    client: z
      .string()
      .min(1)
      .refine((id) => id !== 'anonymous' && !id.startsWith('local:'), 'the client ids "anonymous" and "local:*" are mcp-warden\'s own'),
    /** Display name; defaults to the client id. */
    name: z.string().optional(),
    roles: z.array(z.string()).default([]),
    match: certificateMatchSchema,
  })
  .strict();

/** The selectors of an entry as one text: two entries with the same one select the same certificates. */
function selectorKey(m: z.infer<typeof certificateMatchSchema>): string {
  return JSON.stringify([m.fingerprint === undefined ? null : normalFingerprint(m.fingerprint), m.commonName ?? null, m.dns?.toLowerCase() ?? null, m.uri ?? null, m.email ?? null]);
}

export const clientCertificatesSchema = z.array(clientCertificateEntrySchema).superRefine((entries, ctx) => {
  const fingerprints = new Map<string, number>();
  const selectors = new Map<string, number>();
  entries.forEach((e, i) => {
    if (e.match.fingerprint !== undefined) {
      const fp = normalFingerprint(e.match.fingerprint);
      const first = fingerprints.get(fp);
      if (first !== undefined) {
        ctx.addIssue({ code: 'custom', path: [i, 'match', 'fingerprint'], message: `the same certificate as entry [${first}]: one certificate identifies one client` });
        return;
      }
      fingerprints.set(fp, i);
    }
    const key = selectorKey(e.match);
    const same = selectors.get(key);
    if (same !== undefined) ctx.addIssue({ code: 'custom', path: [i, 'match'], message: `selects the same certificates as entry [${same}]: one certificate identifies one client` });
    else selectors.set(key, i);
  });
});

export type ClientCertificateEntry = z.infer<typeof clientCertificateEntrySchema>;
