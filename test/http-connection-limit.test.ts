/**
 * TCP connections per client address (server.maxConnectionsPerAddress, default 256). The session
 * caps count sessions only: one host could open thousands of idle sockets (or trickle requests
 * within requestTimeoutMs) without a session and take the process's file descriptors. Now a
 * connection past the limit from one address is closed at once, before its request is read: the
 * request is never handled (no session, no backend). Another address is not affected, and a
 * connection closed frees its place. The real HTTP frontend, real sockets from two loopback
 * source addresses.
 */
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serverSchema } from '../src/config/server.js';
import { MCP_HEADERS, initializeBody, startFrontend, type StartedFrontend } from './helpers/http-fixture.js';
import { until } from './helpers/wait.js';

interface Conn {
  socket: net.Socket;
  /** resolves when the server closes it: with the bytes it got before */
  closed: Promise<string>;
}

/** A raw TCP connection from `from` to the frontend, kept open (nothing sent yet). */
function connect(port: number, from: string): Promise<Conn> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: '127.0.0.1', port, localAddress: from }, () => resolve({ socket, closed }));
    let got = '';
    const closed = new Promise<string>((done) => {
      socket.on('data', (c: Buffer) => (got += c.toString()));
      socket.on('close', () => done(got));
    });
    socket.on('error', () => undefined);
    socket.once('error', reject);
  });
}

/** An initialize request written on the socket as HTTP/1.1. */
function sendInitialize(c: Conn, port: number): void {
  const body = initializeBody();
  const headers = Object.entries({ ...MCP_HEADERS, host: `127.0.0.1:${port}`, 'content-length': String(Buffer.byteLength(body)), 'x-test-client': 'alice' })
    .map(([k, v]) => `${k}: ${v}`)
    .join('\r\n');
  c.socket.write(`POST /mcp HTTP/1.1\r\n${headers}\r\n\r\n${body}`);
}

describe('connections per client address (server.maxConnectionsPerAddress)', () => {
  let started: StartedFrontend;
  const open: Conn[] = [];

  beforeAll(async () => {
    started = await startFrontend({ maxConnectionsPerAddress: 3 });
  });
  afterAll(async () => {
    for (const c of open) c.socket.destroy();
    await started.frontend.close();
  });

  it('defaults to 256', () => {
    expect(serverSchema.parse({}).maxConnectionsPerAddress).toBe(256);
    expect(serverSchema.safeParse({ maxConnectionsPerAddress: 0 }).success).toBe(false);
  });

  it('the 4th connection from one address is closed unread (its request opens no session); another address is not; a closed connection frees its place', async () => {
    const port = started.port;
    for (let i = 0; i < 3; i++) open.push(await connect(port, '127.0.0.1'));
    await until(() => started.frontend.connections.openFrom('127.0.0.1') === 3, 'three connections counted');

    // One more from the same address: the server closes it without reading what it sends.
    const fourth = await connect(port, '127.0.0.1');
    sendInitialize(fourth, port);
    expect(await fourth.closed).toBe('');
    expect(started.frontend.sessionCount).toBe(0);
    expect(started.frontend.connections.openFrom('127.0.0.1')).toBe(3);

    // Another address is counted apart: its initialize is answered and opens a session.
    const other = await connect(port, '127.0.0.2');
    open.push(other);
    sendInitialize(other, port);
    await until(() => started.frontend.sessionCount === 1, 'the session of 127.0.0.2');

    // A connection of the first address closed: its place is free again, and a request on a new one is answered.
    open[0]!.socket.destroy();
    await until(() => started.frontend.connections.openFrom('127.0.0.1') === 2, 'the closed connection uncounted');
    const again = await connect(port, '127.0.0.1');
    open.push(again);
    let answer = '';
    again.socket.on('data', (c: Buffer) => (answer += c.toString()));
    sendInitialize(again, port);
    await until(() => answer.startsWith('HTTP/1.1 200'), 'the initialize answer on the freed place');
    expect(started.frontend.sessionCount).toBe(2);
  });
});
