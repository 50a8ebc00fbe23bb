/**
 * No body is read before a request is checked. POST, GET and DELETE on the MCP paths run the
 * Host/Origin guard and the authenticator in an onRequest hook, before the body; but a CORS
 * preflight (OPTIONS, answered by a route handler) and any request no route takes (an unknown
 * path, fastify's own 404) had their body read first, up to server.maxMessageBytes (4 MiB), by
 * anyone: no credential, no allowed Host, held for as long as server.requestTimeoutMs allowed the
 * client to trickle it, on up to server.maxConnectionsPerAddress (256) connections per address
 * (1 GiB). Now both are answered before the body, and their connections closed. Real sockets on
 * loopback: a client announces 3 MiB, sends all but the last 128 KiB and waits for an answer.
 */
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { RefusingAuthenticator, startFrontend, type StartedFrontend } from './helpers/http-fixture.js';

const ANNOUNCED = 3 * 1024 * 1024;

let started: StartedFrontend | undefined;
afterEach(async () => {
  await started?.frontend.close();
  started = undefined;
});

/**
 * Sends `head` announcing ANNOUNCED body bytes, then all but the last 128 KiB; resolves with the
 * status line of the answer, or undefined when none came within 3 s of the last byte sent.
 */
function partialBody(port: number, head: string): Promise<{ status: string | undefined; closed: boolean }> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    let answer = '';
    let timer: NodeJS.Timeout | undefined;
    const done = (closed: boolean) => {
      clearTimeout(timer);
      socket.destroy();
      resolve({ status: answer === '' ? undefined : answer.split('\r\n')[0], closed });
    };
    socket.on('data', (d: Buffer) => (answer += d.toString('latin1')));
    socket.on('end', () => done(true));
    socket.on('error', () => done(true));
    socket.write(head.replace(/\n/g, '\r\n') + `Content-Length: ${ANNOUNCED}\r\n\r\n`);
    const chunk = Buffer.alloc(64 * 1024, 0x78);
    let sent = 0;
    const pump = () => {
      while (sent < ANNOUNCED - 2 * chunk.length) {
        sent += chunk.length;
        if (!socket.write(chunk)) return void socket.once('drain', pump);
      }
      timer = setTimeout(() => done(false), 3000);
    };
    pump();
  });
}

describe('bodies are not read before the request is checked', () => {
  it('a CORS preflight with a body is answered before it, and its connection closed', async () => {
    started = await startFrontend({}, new RefusingAuthenticator());
    const port = started.port;
    const preflight = await partialBody(port, `OPTIONS /mcp HTTP/1.1\nHost: 127.0.0.1:${port}\nOrigin: http://localhost:3000\nContent-Type: application/json\n`);
    expect(preflight.status).toBe('HTTP/1.1 204 No Content');
    expect(preflight.closed).toBe(true);
    // A foreign Host: refused (403) before the body as well.
    const rebound = await partialBody(port, 'OPTIONS /sse HTTP/1.1\nHost: evil.example\nContent-Type: application/json\n');
    expect(rebound.status).toBe('HTTP/1.1 403 Forbidden');
    expect(rebound.closed).toBe(true);
  });

  it('a request to a path no route takes is answered 404 before its body, and its connection closed', async () => {
    started = await startFrontend({}, new RefusingAuthenticator());
    const port = started.port;
    for (const line of ['POST /nowhere HTTP/1.1', 'PUT /messages HTTP/1.1', 'DELETE /sse HTTP/1.1']) {
      const answer = await partialBody(port, `${line}\nHost: 127.0.0.1:${port}\nContent-Type: application/json\n`);
      expect(answer.status, line).toBe('HTTP/1.1 404 Not Found');
      expect(answer.closed, line).toBe(true);
    }
  });

  it('a preflight without a body is answered as before (204, CORS headers, connection kept)', async () => {
    started = await startFrontend({}, new RefusingAuthenticator());
    const res = await fetch(started.url, { method: 'OPTIONS', headers: { origin: 'http://localhost:3000', 'access-control-request-method': 'POST' } });
    expect(res.status).toBe(204);
    expect(res.headers.get('access-control-allow-origin')).toBe('http://localhost:3000');
    expect(res.headers.get('access-control-allow-methods')).toContain('POST');
    expect(res.headers.get('connection')).not.toBe('close');
    const missing = await fetch(new URL('/nowhere', started.url));
    expect(missing.status).toBe(404);
    expect(await missing.json()).toMatchObject({ error: 'Not Found', statusCode: 404 });
  });
});
