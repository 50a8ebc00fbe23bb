/**
 * The client certificate of an HTTPS request's connection, as public facts (VerifiedClientCertificate):
 * fingerprint, subject and its commonNames, subject alternative names, issuer, serial, notAfter.
 * Only a certificate the handshake verified (socket.authorized: it chains to server.tls.caFile and
 * is within its validity) is ever returned; on plain HTTP, without caFile, or for an unverified peer
 * there is none. What a certificate identifies is identity/'s business, not this file's. The facts
 * are read once per connection (a keep-alive connection's requests share one object).
 */
import type { Socket } from 'node:net';
import type { DetailedPeerCertificate, PeerCertificate, TLSSocket } from 'node:tls';
import type { VerifiedClientCertificate } from '../../types.js';

const facts = new WeakMap<Socket, VerifiedClientCertificate | null>();

/** The verified client certificate of this connection, or undefined. */
export function verifiedClientCertificate(socket: Socket): VerifiedClientCertificate | undefined {
  const known = facts.get(socket);
  if (known !== undefined) return known ?? undefined;
  const read = readCertificate(socket);
  facts.set(socket, read ?? null);
  return read;
}

function readCertificate(socket: Socket): VerifiedClientCertificate | undefined {
  const tlsSocket = socket as Partial<TLSSocket>;
  if (tlsSocket.encrypted !== true || tlsSocket.authorized !== true || typeof tlsSocket.getPeerCertificate !== 'function') return undefined;
  const cert = tlsSocket.getPeerCertificate(false) as PeerCertificate | DetailedPeerCertificate | null;
  if (cert === null || typeof cert.fingerprint256 !== 'string' || cert.fingerprint256 === '') return undefined;
  const san = parseSubjectAltName(cert.subjectaltname ?? '');
  const notAfter = new Date(cert.valid_to);
  return {
    fingerprint256: cert.fingerprint256.replace(/:/g, '').toLowerCase(),
    subject: distinguishedName(cert.subject),
    commonNames: values(cert.subject?.CN),
    dns: san.DNS ?? [],
    uris: san.URI ?? [],
    emails: san.email ?? [],
    issuer: distinguishedName(cert.issuer),
    serial: cert.serialNumber,
    notAfter: Number.isNaN(notAfter.getTime()) ? cert.valid_to : notAfter.toISOString(),
  };
}

function values(v: string | string[] | undefined): string[] {
  return v === undefined ? [] : Array.isArray(v) ? [...v] : [v];
}

/** "CN=ops-bot, O=Example" from node's name object (an attribute given twice has an array). */
function distinguishedName(name: Readonly<Record<string, string | string[] | undefined>> | undefined): string {
  if (name === undefined || name === null) return '';
  return Object.entries(name)
    .flatMap(([k, v]) => values(v).map((one) => `${k}=${one}`))
    .join(', ');
}

/**
 * Node's subjectaltname text ("DNS:a, URI:spiffe://x, email:b@c"), by kind. A value with a comma,
 * a quote or other special characters is written as a JSON string literal (`URI:"a,b"`), so a
 * value cannot pass for two.
 */
export function parseSubjectAltName(text: string): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  let i = 0;
  while (i < text.length) {
    const colon = text.indexOf(':', i);
    if (colon < 0) break;
    const kind = text.slice(i, colon);
    let value: string;
    let end: number;
    if (text[colon + 1] === '"') {
      // A JSON string literal: find its closing quote (one not escaped).
      let j = colon + 2;
      while (j < text.length && text[j] !== '"') j += text[j] === '\\' ? 2 : 1;
      try {
        value = JSON.parse(text.slice(colon + 1, j + 1)) as string;
      } catch {
        return out; // Not node's format: take nothing more from it.
      }
      end = j + 1;
    } else {
      end = text.indexOf(', ', colon + 1);
      if (end < 0) end = text.length;
      value = text.slice(colon + 1, end);
    }
    (out[kind] ??= []).push(value);
    i = text.startsWith(', ', end) ? end + 2 : end;
  }
  return out;
}
