/**
 * Client certificates as identities (auth.clientCertificates): which entry a verified client
 * certificate matches, and the ClientIdentity it proves (auth "certificate", the entry's client id,
 * name and roles; claims holding the certificate's public facts: subject, SANs, fingerprint,
 * issuer, serial, not_after). An entry matches when every selector of its `match` holds; a
 * certificate that matches no entry identifies nobody, one that matches more than one is ambiguous
 * (refused by the authenticator: a certificate must not be two clients). The transport hands only
 * certificates its handshake verified against server.tls.caFile. Results are kept per certificate
 * object (one per connection), so a keep-alive connection's requests share one identity. A config
 * reload makes a new CertificateIdentities (the authenticator swaps it in): its results start afresh,
 * and an identity it made is known by its claims object (certificateOf), so that whether the
 * mapping in force still gives the same client can be asked later (authenticator.stillValid).
 */
import type { ClientCertificateEntry } from '../config/client-certificates.js';
import { normalFingerprint } from '../config/client-certificates.js';
import type { ClientIdentity, VerifiedClientCertificate } from '../types.js';

export type CertificateMatch =
  | { kind: 'mapped'; client: ClientIdentity }
  | { kind: 'unmapped' }
  /** Indexes of the auth.clientCertificates entries it matches (two or more). */
  | { kind: 'ambiguous'; entries: number[] };

/** "user@Example.ORG" -> "user@example.org": the domain of an address is case-insensitive, its local part is not. */
function normalEmail(email: string): string {
  const at = email.lastIndexOf('@');
  return at < 0 ? email : email.slice(0, at + 1) + email.slice(at + 1).toLowerCase();
}

function matches(entry: ClientCertificateEntry, cert: VerifiedClientCertificate): boolean {
  const m = entry.match;
  if (m.fingerprint !== undefined && normalFingerprint(m.fingerprint) !== cert.fingerprint256) return false;
  if (m.commonName !== undefined && (cert.commonNames.length !== 1 || cert.commonNames[0] !== m.commonName)) return false;
  if (m.dns !== undefined && !cert.dns.some((d) => d.toLowerCase() === m.dns!.toLowerCase())) return false;
  if (m.uri !== undefined && !cert.uris.includes(m.uri)) return false;
  if (m.email !== undefined && !cert.emails.some((e) => normalEmail(e) === normalEmail(m.email!))) return false;
  return true;
}

/** The certificate's public facts as the policy sees them in input.client.claims. */
export function certificateClaims(cert: VerifiedClientCertificate): Record<string, unknown> {
  return {
    subject: cert.subject,
    issuer: cert.issuer,
    serial: cert.serial,
    fingerprint_sha256: cert.fingerprint256,
    not_after: cert.notAfter,
    san: { dns: [...cert.dns], uri: [...cert.uris], email: [...cert.emails] },
  };
}

/** The certificate each certificate identity was made for, by its claims object (kept through `{ ...client, address }`). */
const certificateOfClaims = new WeakMap<object, VerifiedClientCertificate>();

/** The verified certificate a "certificate" identity was proven with (by its claims object), or undefined. */
export function certificateOf(client: ClientIdentity): VerifiedClientCertificate | undefined {
  return certificateOfClaims.get(client.claims);
}

export class CertificateIdentities {
  private readonly clients: ReadonlySet<string>;
  private readonly seen = new WeakMap<VerifiedClientCertificate, CertificateMatch>();

  constructor(private readonly entries: readonly ClientCertificateEntry[]) {
    this.clients = new Set(entries.map((e) => e.client));
  }

  get size(): number {
    return this.entries.length;
  }

  /** Whether an entry maps certificates to this client id (the one client-id space, authenticator.ts). */
  hasClient(id: string): boolean {
    return this.clients.has(id);
  }

  /** What a verified certificate identifies. */
  identify(cert: VerifiedClientCertificate): CertificateMatch {
    let found = this.seen.get(cert);
    if (found === undefined) {
      found = this.match(cert);
      this.seen.set(cert, found);
    }
    return found;
  }

  private match(cert: VerifiedClientCertificate): CertificateMatch {
    const hits: number[] = [];
    this.entries.forEach((e, i) => {
      if (matches(e, cert)) hits.push(i);
    });
    if (hits.length === 0) return { kind: 'unmapped' };
    if (hits.length > 1) return { kind: 'ambiguous', entries: hits };
    const entry = this.entries[hits[0]!]!;
    const client: ClientIdentity = {
      id: entry.client,
      name: entry.name ?? entry.client,
      auth: 'certificate',
      roles: entry.roles,
      claims: certificateClaims(cert),
      credentialId: `sha256:${cert.fingerprint256}`,
    };
    certificateOfClaims.set(client.claims, cert);
    return { kind: 'mapped', client };
  }
}

/**
 * Whether a certificate identity still holds at `now`: its certificate not past notAfter. (A
 * connection outlives the handshake that checked the dates; a stream kept open on it must not.)
 */
export function certificateStillValid(client: ClientIdentity, now: number): boolean {
  const notAfter = Date.parse(String(client.claims.not_after));
  return Number.isFinite(notAfter) && now <= notAfter;
}
