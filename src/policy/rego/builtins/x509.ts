/**
 * crypto.x509.* builtins: parse_certificates, parse_and_verify_certificates(_with_options),
 * parse_certificate_request and parse_keypair. Input is PEM, base64 of PEM, or base64 of DER
 * (chains concatenated), as OPA accepts it; output objects carry the fields of Go's
 * x509.Certificate JSON that policies use (Subject, Issuer, DNSNames, URIStrings, NotBefore, ...).
 * Chains are verified with node:crypto (signatures, issuer names, validity at the query time).
 */
import { X509Certificate, createPrivateKey, createPublicKey } from 'node:crypto';
import { objGet, type Value } from '../value/index.js';
import { type BuiltinDef, BuiltinError } from './registry.js';
import { str, obj } from './operands.js';
import { goBase64Decode } from './base64.js';
import { Asn1Error, bigIntOf, children, content, nameOf, numberValue, oidParts, readTLV, timeOf, type TLV } from './asn1.js';
import { ipText } from './net-ip.js';

const SIG_ALGS: Record<string, number> = {
  '1.2.840.113549.1.1.4': 2,
  '1.2.840.113549.1.1.5': 3,
  '1.2.840.113549.1.1.11': 4,
  '1.2.840.113549.1.1.12': 5,
  '1.2.840.113549.1.1.13': 6,
  '1.2.840.10040.4.3': 7,
  '2.16.840.1.101.3.4.3.2': 8,
  '1.2.840.10045.4.1': 9,
  '1.2.840.10045.4.3.2': 10,
  '1.2.840.10045.4.3.3': 11,
  '1.2.840.10045.4.3.4': 12,
  '1.2.840.113549.1.1.10': 13,
  '1.3.101.112': 16,
};
const PK_ALGS: Record<string, number> = { '1.2.840.113549.1.1.1': 1, '1.2.840.10040.4.1': 2, '1.2.840.10045.2.1': 3, '1.3.101.112': 4 };
const EXT_KEY_USAGE: Record<string, number> = {
  '2.5.29.37.0': 0,
  '1.3.6.1.5.5.7.3.1': 1,
  '1.3.6.1.5.5.7.3.2': 2,
  '1.3.6.1.5.5.7.3.3': 3,
  '1.3.6.1.5.5.7.3.4': 4,
  '1.3.6.1.5.5.7.3.5': 5,
  '1.3.6.1.5.5.7.3.6': 6,
  '1.3.6.1.5.5.7.3.7': 7,
  '1.3.6.1.5.5.7.3.8': 8,
  '1.3.6.1.5.5.7.3.9': 9,
};

function b64(b: Buffer, t: TLV): string {
  return b.subarray(t.start, t.end).toString('base64');
}

interface SAN {
  dns: string[];
  email: string[];
  ip: string[];
  uri: string[];
}

function parseSAN(b: Buffer, t: TLV, san: SAN): void {
  for (const g of children(b, t)) {
    const c = content(b, g);
    switch (g.tag & 0x1f) {
      case 1:
        san.email.push(c.toString('latin1'));
        break;
      case 2:
        san.dns.push(c.toString('latin1'));
        break;
      case 6:
        san.uri.push(c.toString('latin1'));
        break;
      case 7:
        if (c.length === 4) san.ip.push(ipText({ bits: 32, v: BigInt('0x' + c.toString('hex')) }));
        else if (c.length === 16) san.ip.push(ipText({ bits: 128, v: BigInt('0x' + c.toString('hex')) }));
        break;
    }
  }
}

function urlObject(u: string): Value {
  const m = /^([A-Za-z][A-Za-z0-9+.-]*):(?:\/\/([^/?#]*))?([^?#]*)(?:\?([^#]*))?(?:#(.*))?$/.exec(u);
  return {
    Scheme: m?.[1] ?? '',
    Opaque: '',
    User: null,
    Host: m?.[2] ?? '',
    Path: m?.[3] ?? u,
    RawPath: '',
    OmitHost: false,
    ForceQuery: false,
    RawQuery: m?.[4] ?? '',
    Fragment: m?.[5] ?? '',
    RawFragment: '',
  };
}

/** extensions common to certificates and CSRs */
function applyExtensions(b: Buffer, exts: TLV[], out: Record<string, Value>): void {
  const san: SAN = { dns: [], email: [], ip: [], uri: [] };
  const list: Value[] = [];
  for (const e of exts) {
    const parts = children(b, e);
    const oid = oidParts(b, parts[0]!);
    const critical = parts.length === 3 && content(b, parts[1]!)[0] !== 0;
    const valueT = parts[parts.length - 1]!;
    list.push({ Id: oid, Critical: critical, Value: content(b, valueT).toString('base64') });
    const inner = readTLV(b, valueT.contentStart, valueT.end);
    switch (oid.join('.')) {
      case '2.5.29.17':
        parseSAN(b, inner, san);
        break;
      case '2.5.29.19': {
        out.BasicConstraintsValid = true;
        const bc = children(b, inner);
        out.IsCA = bc.length > 0 && bc[0]!.tag === 0x01 && content(b, bc[0]!)[0] !== 0;
        const pl = bc.find((x) => x.tag === 0x02);
        out.MaxPathLen = pl ? Number(bigIntOf(b, pl)) : -1;
        out.MaxPathLenZero = pl !== undefined && out.MaxPathLen === 0;
        break;
      }
      case '2.5.29.15': {
        const c = content(b, inner);
        let usage = 0;
        for (let i = 0; i < 9; i++) {
          const byte = c[1 + (i >> 3)];
          if (byte !== undefined && byte & (0x80 >> (i & 7))) usage |= 1 << i;
        }
        out.KeyUsage = usage;
        break;
      }
      case '2.5.29.37': {
        const known: number[] = [];
        const unknown: Value[] = [];
        for (const k of children(b, inner)) {
          const o = oidParts(b, k);
          const n = EXT_KEY_USAGE[o.join('.')];
          if (n !== undefined) known.push(n);
          else unknown.push(o);
        }
        out.ExtKeyUsage = known;
        out.UnknownExtKeyUsage = unknown.length ? unknown : null;
        break;
      }
      case '2.5.29.14':
        out.SubjectKeyId = content(b, inner).toString('base64');
        break;
    }
  }
  out.Extensions = list.length ? list : null;
  out.DNSNames = san.dns.length ? san.dns : null;
  out.EmailAddresses = san.email.length ? san.email : null;
  out.IPAddresses = san.ip.length ? san.ip : null;
  out.URIs = san.uri.length ? san.uri.map(urlObject) : null;
  out.URIStrings = san.uri.length ? san.uri : null;
}

function algOf(b: Buffer, t: TLV, table: Record<string, number>): number {
  return table[oidParts(b, children(b, t)[0]!).join('.')] ?? 0;
}

export function parseCertificate(der: Buffer): Record<string, Value> {
  try {
    const cert = readTLV(der, 0);
    if (cert.tag !== 0x30) throw new Asn1Error('not a sequence');
    const [tbs, sigAlg, sig] = children(der, cert);
    if (tbs === undefined || sigAlg === undefined || sig === undefined) throw new Asn1Error('short certificate');
    const f = children(der, tbs);
    let i = 0;
    let version = 1;
    if (f[0]!.tag === 0xa0) {
      version = Number(bigIntOf(der, children(der, f[0]!)[0]!)) + 1;
      i++;
    }
    const serial = f[i++]!;
    i++; // signature algorithm (repeated)
    const issuer = f[i++]!;
    const validity = children(der, f[i++]!);
    const subject = f[i++]!;
    const spki = f[i++]!;
    const out: Record<string, Value> = {
      Raw: b64(der, cert),
      RawTBSCertificate: b64(der, tbs),
      RawSubjectPublicKeyInfo: b64(der, spki),
      RawSubject: b64(der, subject),
      RawIssuer: b64(der, issuer),
      Signature: content(der, sig).subarray(1).toString('base64'),
      SignatureAlgorithm: algOf(der, sigAlg, SIG_ALGS),
      PublicKeyAlgorithm: algOf(der, children(der, spki)[0]!, PK_ALGS),
      Version: version,
      SerialNumber: numberValue(bigIntOf(der, serial)),
      Issuer: nameOf(der, issuer),
      Subject: nameOf(der, subject),
      NotBefore: timeOf(der, validity[0]!),
      NotAfter: timeOf(der, validity[1]!),
      KeyUsage: 0,
      ExtKeyUsage: null,
      UnknownExtKeyUsage: null,
      BasicConstraintsValid: false,
      IsCA: false,
      MaxPathLen: 0,
      MaxPathLenZero: false,
      SubjectKeyId: null,
    };
    const extWrap = f.slice(i).find((x) => x.tag === 0xa3);
    applyExtensions(der, extWrap ? children(der, children(der, extWrap)[0]!) : [], out);
    return out;
  } catch (e) {
    if (e instanceof Asn1Error || e instanceof TypeError || e instanceof RangeError) throw new BuiltinError('x509: malformed certificate');
    throw e;
  }
}

function parseCSR(der: Buffer): Record<string, Value> {
  const csr = readTLV(der, 0);
  if (csr.tag !== 0x30) throw new Asn1Error(`asn1: structure error: tags don't match (16 vs {class:1 tag:${csr.tag & 0x1f} length:${csr.end - csr.contentStart} isCompound:${(csr.tag & 0x20) !== 0}})`);
  const [info, sigAlg, sig] = children(der, csr);
  if (info === undefined || sigAlg === undefined || sig === undefined) throw new Asn1Error('asn1: structure error: short request');
  const [version, subject, spki, attrs] = children(der, info);
  const out: Record<string, Value> = {
    Raw: b64(der, csr),
    RawTBSCertificateRequest: b64(der, info),
    RawSubjectPublicKeyInfo: b64(der, spki!),
    RawSubject: b64(der, subject!),
    Version: Number(bigIntOf(der, version!)),
    Signature: content(der, sig).subarray(1).toString('base64'),
    SignatureAlgorithm: algOf(der, sigAlg, SIG_ALGS),
    PublicKeyAlgorithm: algOf(der, children(der, spki!)[0]!, PK_ALGS),
    Subject: nameOf(der, subject!),
    Attributes: null,
  };
  let exts: TLV[] = [];
  if (attrs !== undefined) {
    for (const a of children(der, attrs)) {
      const [oidT, setT] = children(der, a);
      if (oidT && setT && oidParts(der, oidT).join('.') === '1.2.840.113549.1.9.14') exts = children(der, children(der, setT)[0]!);
    }
  }
  applyExtensions(der, exts, out);
  return out;
}

// ---- inputs ----

function pemBlocks(text: string, type: string): Buffer[] {
  const re = new RegExp(`-----BEGIN ${type}-----([\\s\\S]*?)-----END ${type}-----`, 'g');
  return [...text.matchAll(re)].map((m) => Buffer.from(m[1]!.replace(/\s+/g, ''), 'base64'));
}

function inputBytes(s: string): Buffer {
  if (s.startsWith('-----BEGIN')) return Buffer.from(s, 'utf8');
  return goBase64Decode(s, false);
}

function certDERs(s: string): Buffer[] {
  const bytes = inputBytes(s);
  const text = bytes.toString('latin1');
  if (text.startsWith('-----BEGIN')) return pemBlocks(text, 'CERTIFICATE');
  const out: Buffer[] = [];
  let p = 0;
  while (p < bytes.length) {
    let t: TLV;
    try {
      t = readTLV(bytes, p);
    } catch {
      throw new BuiltinError('x509: malformed certificate');
    }
    out.push(bytes.subarray(p, t.end));
    p = t.end;
  }
  return out;
}

function verifyChain(ders: Buffer[], nowMs: number): boolean {
  if (ders.length === 0) return false;
  try {
    const certs = ders.map((d) => new X509Certificate(d));
    for (const c of certs) {
      if (nowMs < Date.parse(c.validFrom) || nowMs > Date.parse(c.validTo)) return false;
    }
    for (let i = 0; i + 1 < certs.length; i++) {
      if (!certs[i]!.checkIssued(certs[i + 1]!) || !certs[i]!.verify(certs[i + 1]!.publicKey)) return false;
    }
    return true;
  } catch {
    return false;
  }
}

function parseAndVerify(s: string, nowMs: number): Value {
  const invalid: Value = [false, []];
  let ders: Buffer[];
  try {
    ders = certDERs(s);
  } catch {
    return invalid;
  }
  // OPA: the first certificate is the root, the last the leaf; the verified chain is leaf first
  const chain = ders.slice().reverse();
  if (!verifyChain(chain, nowMs)) return invalid;
  try {
    return [true, chain.map(parseCertificate)];
  } catch {
    return invalid;
  }
}

function parseKeyPair(certIn: string, keyIn: string): Value {
  const certText = inputBytes(certIn).toString('utf8');
  const keyText = inputBytes(keyIn).toString('utf8');
  const ders = pemBlocks(certText, 'CERTIFICATE');
  if (ders.length === 0) throw new BuiltinError('tls: failed to find any PEM data in certificate input');
  const keyPem = /-----BEGIN ([A-Z ]*PRIVATE KEY)-----[\s\S]*?-----END \1-----/.exec(keyText);
  if (keyPem === null) throw new BuiltinError('tls: failed to find any PEM data in key input');
  let match = false;
  try {
    const priv = createPrivateKey(keyPem[0]);
    const fromKey = createPublicKey(priv).export({ format: 'der', type: 'spki' });
    const fromCert = new X509Certificate(ders[0]!).publicKey.export({ format: 'der', type: 'spki' });
    match = fromKey.equals(fromCert);
  } catch (e) {
    throw new BuiltinError(`tls: failed to parse private key: ${(e as Error).message}`);
  }
  if (!match) throw new BuiltinError('tls: private key does not match public key');
  return { Certificate: ders.map((d) => d.toString('base64')), PrivateKey: null, Leaf: parseCertificate(ders[0]!) } as Value;
}

function nowMsOf(ns: bigint): number {
  return Number(ns / 1_000_000n);
}

export const builtins: BuiltinDef[] = [
  { name: 'crypto.x509.parse_certificates', arity: 1, fn: (a) => certDERs(str(a[0]!, 1)).map(parseCertificate) },
  {
    name: 'crypto.x509.parse_and_verify_certificates',
    arity: 1,
    fn: (a, ctx) => parseAndVerify(str(a[0]!, 1), nowMsOf(ctx.nowNs)),
  },
  {
    name: 'crypto.x509.parse_and_verify_certificates_with_options',
    arity: 2,
    fn: (a, ctx) => {
      const opts = obj(a[1]!, 2);
      const t = objGet(opts, 'CurrentTime');
      const now = typeof t === 'number' ? t / 1e6 : nowMsOf(ctx.nowNs);
      return parseAndVerify(str(a[0]!, 1), now);
    },
  },
  {
    name: 'crypto.x509.parse_certificate_request',
    arity: 1,
    fn: (a) => {
      const s = str(a[0]!, 1);
      const bytes = inputBytes(s);
      const text = bytes.toString('latin1');
      const der = text.startsWith('-----BEGIN') ? pemBlocks(text, '(?:NEW )?CERTIFICATE REQUEST')[0] : bytes;
      if (der === undefined) throw new BuiltinError('failed to decode PEM block containing the certificate request');
      try {
        return parseCSR(der);
      } catch (e) {
        const msg = (e as Error).message;
        throw new BuiltinError(msg.startsWith('asn1:') ? msg : `asn1: structure error: ${msg}`);
      }
    },
  },
  { name: 'crypto.x509.parse_keypair', arity: 2, fn: (a) => parseKeyPair(str(a[0]!, 1), str(a[1]!, 2)) },
];

