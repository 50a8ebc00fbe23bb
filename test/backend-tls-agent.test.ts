/**
 * BackendTlsAgent against a real HTTPS server that requires client certificates from the test CA
 * and answers each request with the serial of the certificate it saw and the connection it came
 * on. Keep-alive reuses a connection while the material is unchanged; after setMaterial the next
 * request is made on a new connection with the new certificate (an idle pooled connection made
 * with the previous one is closed, never reused), and a request in flight during the change
 * finishes on its connection, which is then closed instead of pooled. The backend session's
 * long-lived streams connect outside the pool (backend-http.ts) with the material in force too.
 */
import { once } from 'node:events';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectorFor } from '../src/transport/http/backend-http.js';
import { BackendTlsAgent } from '../src/transport/http/backend-tls-agent.js';
import { loadBackendTls } from '../src/transport/http/tls-material.js';
import { pem, TLS_DIR } from './helpers/tls.js';
import { until } from './helpers/wait.js';

const material = (cert: string) => loadBackendTls({ caFile: 'ca.pem', certFile: `${cert}.pem`, keyFile: `${cert}.key` }, TLS_DIR, 'backends[0].tls');

describe('BackendTlsAgent: new material for new connections', { timeout: 30_000 }, () => {
  let server: https.Server;
  let url: string;
  const sockets: TLSSocket[] = [];
  let hold: (() => void) | undefined;

  beforeAll(async () => {
    server = https.createServer({ cert: pem('server.pem'), key: pem('server.key'), ca: pem('ca.pem'), requestCert: true, rejectUnauthorized: true }, (req, res) => {
      const socket = req.socket as TLSSocket;
      if (!sockets.includes(socket)) sockets.push(socket);
      const answer = () => res.end(JSON.stringify({ serial: socket.getPeerCertificate().serialNumber, connection: sockets.indexOf(socket) }));
      if (req.url === '/hold') hold = answer;
      else answer();
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    url = `https://localhost:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => {
    server.closeAllConnections();
    server.close();
  });

  function get(agent: https.Agent, path = '/'): Promise<{ serial: string; connection: number }> {
    return new Promise((resolve, reject) => {
      https
        .get(`${url}${path}`, { agent }, (res) => {
          let body = '';
          res.on('data', (c: Buffer) => (body += c.toString()));
          res.on('end', () => resolve(JSON.parse(body) as { serial: string; connection: number }));
        })
        .on('error', reject);
    });
  }

  it('reuses its connection until the material changes, then connects anew with the new certificate', async () => {
    const agent = new BackendTlsAgent(material('client'));
    try {
      const a = await get(agent);
      const b = await get(agent);
      expect(a.serial).toBe('2001');
      expect(b).toEqual(a); // keep-alive: the same connection
      agent.setMaterial(material('ops-client'));
      const c = await get(agent);
      expect(c.serial).toBe('2003');
      expect(c.connection).not.toBe(a.connection);
      await until(() => sockets[a.connection]!.destroyed, 'the idle connection made with the previous certificate to be closed');
    } finally {
      agent.destroy();
    }
  });

  it('the long-lived streams connect outside the pool, each with the certificate in force when it opens', async () => {
    const agent = new BackendTlsAgent(material('client'));
    try {
      const before = connectorFor(new URL(url), agent).streamAgent as https.Agent;
      expect(before).not.toBe(agent);
      expect((await get(before)).serial).toBe('2001');
      agent.setMaterial(material('ops-client'));
      // Before, the stream agent was made once from the pool's first options: every stream opened
      // after a rotation still presented the old certificate (one the backend may no longer take).
      const after = connectorFor(new URL(url), agent).streamAgent as https.Agent;
      expect((await get(after)).serial).toBe('2003');
      expect(Object.values(after.freeSockets).flat()).toEqual([]); // one connection per stream, not pooled
    } finally {
      agent.destroy();
    }
  });

  it('a request in flight during the change finishes on its connection, which is then closed, not pooled', async () => {
    const agent = new BackendTlsAgent(material('ops-client'));
    try {
      const held = get(agent, '/hold');
      await until(() => hold !== undefined, 'the held request at the server');
      agent.setMaterial(material('client'));
      hold!();
      const old = await held;
      expect(old.serial).toBe('2003');
      const fresh = await get(agent);
      expect(fresh.serial).toBe('2001');
      expect(fresh.connection).not.toBe(old.connection);
      expect(Object.values(agent.freeSockets).flat().length).toBe(1); // only the new connection is pooled
    } finally {
      agent.destroy();
    }
  });
});

