/**
 * For the TLS tests: the checked-in test-only certificates (test/fixtures/tls, see its README),
 * requests over node:https with a chosen CA and client certificate (raw JSON-RPC, one connection
 * each, so each sees the listener's certificate of the moment), and the serial a fresh handshake shows.
 */
import { copyFileSync, readFileSync } from 'node:fs';
import https from 'node:https';
import { join, resolve } from 'node:path';
import tls from 'node:tls';
import { POST_HEADERS } from './keyed-http.js';

export const TLS_DIR = resolve(import.meta.dirname, '../fixtures/tls');
export const tlsFile = (name: string): string => join(TLS_DIR, name);
export const pem = (name: string): string => readFileSync(tlsFile(name), 'utf8');

/** Copies fixtures into `dir` (as `to`, default their own name). */
export function copyTls(dir: string, ...names: Array<string | [string, string]>): void {
  for (const n of names) {
    const [from, to] = typeof n === 'string' ? [n, n] : n;
    copyFileSync(tlsFile(from), join(dir, to));
  }
}

/** The TLS side of a request: whom we trust, which client certificate we show (fixture names). */
export interface TlsClient {
  ca?: string;
  cert?: string;
  key?: string;
  /** Newest TLS version the client offers (to check server.tls.minVersion). */
  maxVersion?: tls.SecureVersion;
}

function tlsOptions(client: TlsClient): tls.ConnectionOptions {
  return {
    ...(client.maxVersion === undefined ? {} : { maxVersion: client.maxVersion }),
    ...(client.ca === undefined ? {} : { ca: pem(client.ca) }),
    ...(client.cert === undefined ? {} : { cert: pem(client.cert), key: pem(client.key!) }),
  };
}

export interface HttpsAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** One HTTPS request on a connection of its own, read to its end; rejects when the TLS handshake (or the connection) fails. */
export function httpsRequest(url: string, method: string, body: string | undefined, headers: Record<string, string>, client: TlsClient): Promise<HttpsAnswer> {
  return new Promise((resolveAnswer, reject) => {
    const req = https.request(url, { method, headers: body === undefined ? headers : { ...POST_HEADERS, ...headers }, agent: false, ...tlsOptions(client) }, (res) => {
      let text = '';
      res.on('data', (c: Buffer) => (text += c.toString()));
      res.on('end', () => resolveAnswer({ status: res.statusCode!, headers: res.headers, body: text }));
      res.on('error', reject);
    });
    req.setTimeout(15_000, () => req.destroy(new Error('request timed out')));
    req.on('error', reject);
    req.end(body);
  });
}

/** The serial number of the certificate a new TLS connection to `url` is shown (verified against `ca`). */
export function peerSerial(url: string, client: TlsClient = { ca: 'ca.pem' }): Promise<string> {
  const { hostname, port } = new URL(url);
  return new Promise((resolveSerial, reject) => {
    const socket = tls.connect({ host: hostname, port: Number(port), servername: 'localhost', ...tlsOptions(client) }, () => {
      const serial = socket.getPeerCertificate().serialNumber;
      socket.end();
      resolveSerial(serial);
    });
    socket.on('error', reject);
  });
}
