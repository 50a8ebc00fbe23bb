/**
 * The pieces of certificate identities on their own, with real TLS connections in this process
 * (no serve): what the transport reads from a connection (verifiedClientCertificate: fingerprint,
 * subject, SANs, notAfter for a verified certificate; nothing for an unverified one), Node's
 * subjectaltname text with quoted values (a comma inside a value cannot split it in two), and the
 * authenticator on those facts: the identity's claims, the same identity object for a connection's
 * requests, selectors that must all hold, the precedence of a credential, and stillValid ending at
 * the certificate's notAfter (for streams kept open past it).
 */
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import tls from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { authSchema } from '../src/config/auth.js';
import { createAuthenticator, generateApiKey, hashApiKey } from '../src/identity/index.js';
import { parseSubjectAltName, verifiedClientCertificate } from '../src/transport/http/peer-certificate.js';
import type { AuthResult, VerifiedClientCertificate } from '../src/types.js';
import { pem } from './helpers/tls.js';

/**
 * The certificate facts the server side of a real handshake reads: `verify` as serve does with
 * server.tls.caFile, `none` asks for no certificate, `unverified` asks for one but lets a
 * certificate it cannot verify through (serve never does: the transport must still not trust it).
 */
async function factsOf(client: { cert: string; key: string } | undefined, mode: 'verify' | 'none' | 'unverified' = 'verify'): Promise<VerifiedClientCertificate | undefined> {
  const server = tls.createServer({ cert: pem('server.pem'), key: pem('server.key'), ca: pem('ca.pem'), requestCert: mode !== 'none', rejectUnauthorized: mode === 'verify' });
  const seen = new Promise<VerifiedClientCertificate | undefined>((resolve) => server.once('secureConnection', (socket) => {
    const first = verifiedClientCertificate(socket);
    // Read once per connection: the same object again.
    expect(verifiedClientCertificate(socket)).toBe(first);
    resolve(first);
    socket.end();
  }));
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const socket = tls.connect({ port: (server.address() as AddressInfo).port, host: '127.0.0.1', servername: 'localhost', ca: pem('ca.pem'), ...(client === undefined ? {} : { cert: pem(client.cert), key: pem(client.key) }) });
  socket.on('error', () => undefined);
  try {
    return await seen;
  } finally {
    socket.destroy();
    server.close();
  }
}

const ops = { cert: 'ops-client.pem', key: 'ops-client.key' };
const plain = { cert: 'client.pem', key: 'client.key' };

describe('verifiedClientCertificate: what a connection proves', { timeout: 30_000 }, () => {
  it('a verified certificate: fingerprint, subject, commonNames, SANs by kind, issuer, serial, notAfter', async () => {
    const facts = await factsOf(ops);
    expect(facts).toEqual({
      fingerprint256: expect.stringMatching(/^[0-9a-f]{64}$/) as unknown,
      subject: 'CN=ops-bot',
      commonNames: ['ops-bot'],
      dns: ['ops-bot.internal'],
      uris: ['spiffe://warden.test/ops-bot'],
      emails: ['ops-bot@warden.test'],
      issuer: 'CN=mcp-warden test CA',
      serial: '2003',
      notAfter: expect.stringMatching(/^21\d\d-\d\d-\d\dT/) as unknown,
    });
  });

  it('no certificate asked for, or one the handshake did not verify (another CA): nothing', async () => {
    expect(await factsOf(ops, 'none')).toBeUndefined();
    expect(await factsOf({ cert: 'other-client.pem', key: 'other-client.key' }, 'unverified')).toBeUndefined();
    expect(await factsOf(ops, 'unverified')).toMatchObject({ serial: '2003' });
  });

  it('subjectaltname values written as JSON strings (a comma inside) stay one value', () => {
    expect(parseSubjectAltName('DNS:a.example, URI:"spiffe://x/a, DNS:evil.example", email:b@c, IP Address:127.0.0.1')).toEqual({
      DNS: ['a.example'],
      URI: ['spiffe://x/a, DNS:evil.example'],
      email: ['b@c'],
      'IP Address': ['127.0.0.1'],
    });
  });
});

describe('the authenticator on certificate facts', { timeout: 30_000 }, () => {
  let opsFacts: VerifiedClientCertificate;
  let plainFacts: VerifiedClientCertificate;
  const key = generateApiKey();
  const authenticator = () =>
    createAuthenticator(
      authSchema.parse({
        apiKeys: [{ id: 'k_ops', hash: hashApiKey(key), client: 'ops-bot', roles: ['from-key'] }],
        clientCertificates: [
          { client: 'ops-bot', name: 'Ops bot', roles: ['operator'], match: { dns: 'ops-bot.internal', email: 'ops-bot@WARDEN.TEST', commonName: 'ops-bot' } },
          // Every selector must hold: this one's URI is not ops-client's.
          { client: 'never', match: { dns: 'ops-bot.internal', uri: 'spiffe://warden.test/someone-else' } },
        ],
      }),
    );
  beforeAll(async () => {
    opsFacts = (await factsOf(ops))!;
    plainFacts = (await factsOf(plain))!;
  });
  const ok = (r: AuthResult | Promise<AuthResult>) => {
    expect(r).not.toBeInstanceOf(Promise);
    const result = r as AuthResult;
    if (!result.ok) throw new Error(`refused: ${result.message}`);
    return result.client;
  };
  let auth: ReturnType<typeof authenticator>;
  afterAll(() => auth?.close());

  it('a mapped certificate: auth "certificate", the entry\'s id, name and roles, the certificate\'s public facts as claims', () => {
    auth = authenticator();
    const client = ok(auth.authenticate({ transport: 'streamable-http', headers: {}, clientCertificate: opsFacts }));
    expect(client).toEqual({
      id: 'ops-bot',
      name: 'Ops bot',
      auth: 'certificate',
      roles: ['operator'],
      credentialId: `sha256:${opsFacts.fingerprint256}`,
      claims: {
        subject: 'CN=ops-bot',
        issuer: 'CN=mcp-warden test CA',
        serial: '2003',
        fingerprint_sha256: opsFacts.fingerprint256,
        not_after: opsFacts.notAfter,
        san: { dns: ['ops-bot.internal'], uri: ['spiffe://warden.test/ops-bot'], email: ['ops-bot@warden.test'] },
      },
    });
    // The connection's requests (one facts object) get one identity object: unchanged identities cost the policy nothing.
    expect(ok(auth.authenticate({ transport: 'streamable-http', headers: {}, clientCertificate: opsFacts }))).toBe(client);
  });

  it('a credential of the same client identifies (its roles, auth api_key); an unmapped certificate is no credential', () => {
    auth ??= authenticator();
    expect(ok(auth.authenticate({ transport: 'streamable-http', headers: { 'x-api-key': key }, clientCertificate: opsFacts }))).toMatchObject({ id: 'ops-bot', auth: 'api_key', roles: ['from-key'] });
    const refused = auth.authenticate({ transport: 'streamable-http', headers: {}, clientCertificate: plainFacts }) as AuthResult;
    expect(refused).toMatchObject({ ok: false, status: 401, message: 'authentication required (the client certificate is not one auth.clientCertificates maps to a client)' });
  });

  it('stillValid holds until the certificate\'s notAfter, not after it', () => {
    auth ??= authenticator();
    const client = ok(auth.authenticate({ transport: 'streamable-http', headers: {}, clientCertificate: opsFacts }));
    const notAfter = Date.parse(opsFacts.notAfter);
    expect(auth.stillValid(client, notAfter)).toBe(true);
    expect(auth.stillValid(client, notAfter + 1)).toBe(false);
  });
});
