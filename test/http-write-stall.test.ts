/**
 * server.writeStallTimeoutMs: an answer or SSE stream whose client stopped reading used to keep its
 * connection, and what node had buffered for it (up to server.maxUnreadBytesPerSession, and more on
 * a stream), for as long as the client held the socket. Now one whose socket takes none of the
 * bytes waiting for it for the timeout is destroyed and its session forgets it: a Streamable HTTP
 * JSON answer or SSE answer stream (the request's place among those in flight is freed), the
 * standalone GET stream, a legacy SSE stream (its session ends). Real listener, real sockets that
 * stop reading (paused); every wait is on an event (the log line the frontend writes when it
 * closes one, a session count) with a generous deadline, never a sleep. A client reading steadily is
 * never cut off (the watchdog's own check, with real sockets and a given clock).
 */
import { createServer, type ServerResponse } from 'node:http';
import { once } from 'node:events';
import { connect, type Socket } from 'node:net';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import type { StreamableHttpSession } from '../src/transport/http/streamable-session.js';
import { bytesTaken, WriteStallWatch } from '../src/transport/http/write-stall.js';
import { MCP_HEADERS, raw, rawSession, startFrontend, type StartedFrontend } from './helpers/http-fixture.js';
import { PATIENCE_MS, until } from './helpers/wait.js';

let started: StartedFrontend | undefined;
const sockets: Socket[] = [];
afterEach(async () => {
  for (const s of sockets.splice(0)) s.destroy();
  await started?.frontend.close();
  started = undefined;
});

const STALL_MS = 1000;
const CLOSED = 'http: answer closed: its client took none of it for server.writeStallTimeoutMs';
const call = (id: number, name: string, args: Record<string, unknown>) => JSON.stringify({ jsonrpc: '2.0', id, method: 'tools/call', params: { name, arguments: args } });
const sessionHeaders = (sessionId: string) => ({ ...MCP_HEADERS, 'mcp-session-id': sessionId, 'mcp-protocol-version': '2025-11-25' });

interface LogLine {
  msg: string;
  sessionId?: string;
  unreadBytes?: number;
  stalledMs?: number;
  writeStallTimeoutMs?: number;
}

/** A pino logger whose lines the test can wait for. */
function logSink() {
  const lines: LogLine[] = [];
  const waiters: (() => void)[] = [];
  const logger = pino({ level: 'info' }, {
    write(line: string) {
      lines.push(JSON.parse(line) as LogLine);
      for (const w of waiters.splice(0)) w();
    },
  });
  return {
    logger,
    lines,
    /** The first line matching `pred`, once logged (throws after PATIENCE_MS). */
    wait(pred: (l: LogLine) => boolean): Promise<LogLine> {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no log line as awaited within ${PATIENCE_MS} ms; lines: ${JSON.stringify(lines.map((l) => l.msg))}`)), PATIENCE_MS);
        const check = (): void => {
          const found = lines.find(pred);
          if (found !== undefined) {
            clearTimeout(timer);
            resolve(found);
          } else waiters.push(check);
        };
        check();
      });
    },
  };
}

/** A raw HTTP request on its own socket that reads nothing until drain(): after `readFirst`, if given, it stops. */
function stuckRequest(url: string, method: string, headers: Record<string, string>, body = '', readFirst?: string) {
  const target = new URL(url);
  const socket = connect(Number(target.port), target.hostname);
  sockets.push(socket);
  socket.on('error', () => undefined);
  const head = [`${method} ${target.pathname}${target.search} HTTP/1.1`, `Host: ${target.host}`, `Content-Length: ${Buffer.byteLength(body)}`, ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`)];
  let seen = '';
  let bytes = 0;
  const ready = new Promise<string>((resolve) => {
    if (readFirst === undefined) {
      socket.pause();
      resolve('');
      return;
    }
    const onData = (c: Buffer): void => {
      bytes += c.length;
      seen += c.toString('latin1');
      if (seen.includes(readFirst)) {
        socket.pause();
        socket.off('data', onData);
        resolve(seen);
      }
    };
    socket.on('data', onData);
  });
  socket.write(`${head.join('\r\n')}\r\n\r\n${body}`);
  return {
    ready,
    /** Reads what the connection still gives until it ends or `atLeast` bytes came. */
    drain: (atLeast: number) =>
      new Promise<{ bytes: number; closed: boolean }>((resolve) => {
        socket.on('data', (c: Buffer) => {
          bytes += c.length;
          if (bytes >= atLeast) resolve({ bytes, closed: false });
        });
        socket.once('close', () => resolve({ bytes, closed: true }));
        socket.resume();
      }),
  };
}

describe('server.writeStallTimeoutMs', () => {
  it('Streamable HTTP: a JSON answer its client stopped reading is closed after the timeout; the session forgets it and serves on', async () => {
    const ANSWER = 16 * 1024 * 1024;
    const log = logSink();
    started = await startFrontend({ writeStallTimeoutMs: STALL_MS }, undefined, log.logger);
    const sessionId = await rawSession(started.url);
    const session = started.acceptor.transports[0] as StreamableHttpSession;
    const headers = sessionHeaders(sessionId);
    // 16 MiB to a connection that reads nothing: far more than the kernel's socket buffers take.
    const stuck = stuckRequest(started.url, 'POST', headers, call(21, 'bulk', { bytes: ANSWER }));

    const closed = await log.wait((l) => l.msg === CLOSED);
    expect(closed.sessionId).toBe(sessionId);
    expect(closed.writeStallTimeoutMs).toBe(STALL_MS);
    expect(closed.unreadBytes).toBeGreaterThan(0);
    expect(closed.stalledMs).toBeGreaterThanOrEqual(STALL_MS);
    // The destroyed answer's 'close' (next tick) takes it off the session's count.
    await until(() => session.unreadBytes() === 0, 'the closed answer to leave the unread count');
    expect(session.requestRefusal()).toBeUndefined();
    const next = await raw(started.url, { headers, body: call(22, 'echo', { text: 'next' }) });
    expect(next.status).toBe(200);
    expect(next.body).toContain('next');
    // Reading now, the client gets what the kernel held, then the end of the connection: not the whole answer.
    const received = await stuck.drain(ANSWER + 4096);
    expect(received.closed).toBe(true);
    expect(received.bytes).toBeLessThan(ANSWER);
  });

  it("Streamable HTTP: an SSE answer stream its client stopped reading is closed and its request's place in flight is freed", async () => {
    const log = logSink();
    started = await startFrontend({ writeStallTimeoutMs: STALL_MS, maxInFlightPerSession: 1, maxUnreadBytesPerSession: 64 * 1024 * 1024 }, undefined, log.logger);
    const sessionId = await rawSession(started.url);
    const session = started.acceptor.transports[0] as StreamableHttpSession;
    const headers = sessionHeaders(sessionId);
    // The proxy is told the request was given up, and why (it cancels it at the backend: http-abandon-cancel).
    const abandoned: Array<[unknown, string]> = [];
    session.onabandon = (id, reason) => abandoned.push([id, reason]);
    // 8 MiB of notifications related to the call turn its answer into an SSE stream; the tool then waits (10 s or a cancel).
    stuckRequest(started.url, 'POST', headers, call(31, 'chatter', { count: 8, bytes: 1024 * 1024 }));
    await until(() => started!.acceptor.slowCalls === 1, 'the chatter call to be running');

    const closed = await log.wait((l) => l.msg === CLOSED);
    expect(closed.sessionId).toBe(sessionId);
    // Freed when the closed stream's 'close' comes (milliseconds). Without that, only the registry's
    // sweep (every 10 s here) or the tool's end (10 s) would free it: 5 s tells them apart.
    await until(() => session.requestRefusal() === undefined, "the closed stream's request to leave those in flight", 5000);
    expect(abandoned).toEqual([[31, 'its answer stream stalled: the client took none of it for server.writeStallTimeoutMs']]);
    expect(session.unreadBytes()).toBe(0);
    const next = await raw(started.url, { headers, body: call(32, 'echo', { text: 'room again' }) });
    expect(next.status).toBe(200);
  });

  it('Streamable HTTP: a standalone GET stream its client stopped reading is closed', async () => {
    const log = logSink();
    started = await startFrontend({ writeStallTimeoutMs: STALL_MS, replayBytes: 16 * 1024 * 1024 }, undefined, log.logger);
    const sessionId = await rawSession(started.url);
    const session = started.acceptor.transports[0] as StreamableHttpSession;
    const headers = sessionHeaders(sessionId);
    const get = stuckRequest(started.url, 'GET', { 'mcp-session-id': sessionId, 'mcp-protocol-version': '2025-11-25', accept: 'text/event-stream' }, '', '\r\n\r\n');
    await get.ready;
    await until(() => session.hasStandaloneStream, 'the standalone stream to be open');
    // 12 MiB of events unrelated to any request go to the standalone stream, which reads nothing.
    expect((await raw(started.url, { headers, body: call(41, 'broadcast', { count: 12, bytes: 1024 * 1024, tag: 'big' }) })).status).toBe(200);

    const closed = await log.wait((l) => l.msg === CLOSED);
    expect(closed.sessionId).toBe(sessionId);
    expect(session.hasStandaloneStream).toBe(false);
    const received = await get.drain(12 * 1024 * 1024);
    expect(received.closed).toBe(true);
  });

  it('legacy SSE: a stream its client stopped reading is closed, and its session ends', async () => {
    const log = logSink();
    started = await startFrontend({ writeStallTimeoutMs: STALL_MS }, undefined, log.logger);
    const stream = stuckRequest(started.sseUrl, 'GET', { accept: 'text/event-stream' }, '', '\n\n');
    const first = await stream.ready;
    const endpoint = new URL(/event: endpoint\r?\ndata: (\S+)/.exec(first)![1]!, started.sseUrl).href;
    expect(started.frontend.sessionCount).toBe(1);
    const post = (body: string) => raw(endpoint, { headers: { 'content-type': 'application/json' }, body });
    expect((await post(JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2024-11-05', capabilities: {}, clientInfo: { name: 't', version: '1' } } }))).status).toBe(202);
    expect((await post(JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }))).status).toBe(202);
    // An 8 MiB answer on the stream nobody reads (under the 16 MiB at which a stream is dropped at once).
    expect((await post(call(2, 'bulk', { bytes: 8 * 1024 * 1024 }))).status).toBe(202);

    const closed = await log.wait((l) => l.msg === CLOSED);
    expect(closed.unreadBytes).toBeGreaterThan(0);
    await until(() => started!.frontend.sessionCount === 0, 'the legacy SSE session to end');
    expect(started.acceptor.closedSessions).toBe(1);
    expect((await post(call(3, 'echo', { text: 'gone' }))).status).toBe(404);
  });
});

describe('WriteStallWatch', () => {
  it('cuts off a socket that takes nothing for the timeout, never one that keeps taking bytes (real sockets, given clock)', async () => {
    const TIMEOUT = 10 * 60_000; // its own timer never decides here: the test's clock does
    const stalled: ServerResponse[] = [];
    const watch = new WriteStallWatch(TIMEOUT, ({ res }) => stalled.push(res));
    let res: ServerResponse | undefined;
    const server = createServer((_req, r) => {
      res = r;
      r.writeHead(200, { 'content-type': 'application/octet-stream' });
      r.write(Buffer.alloc(32 * 1024 * 1024));
      watch.wrote(r);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const t0 = Date.now(); // before the response is watched: it cannot have been stalled since earlier
    try {
      const port = (server.address() as { port: number }).port;
      const client = connect(port, '127.0.0.1');
      sockets.push(client);
      client.on('error', () => undefined);
      client.pause();
      client.write(`GET / HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n\r\n`);
      await until(() => res !== undefined && watch.size === 1, 'the response to be watched with bytes waiting');
      watch.check(t0 + TIMEOUT - 1);
      expect(stalled).toEqual([]);

      // The client reads 2 MiB (of 32): the socket takes more bytes from node, which counts as progress.
      const sent = () => bytesTaken(res!)!;
      const before = sent();
      for (let got = 0; got < 2 * 1024 * 1024; ) {
        const chunk = client.read() as Buffer | null;
        if (chunk !== null) got += chunk.length;
        else await once(client, 'readable');
      }
      await until(() => sent() > before, 'the server socket to hand more bytes to the kernel');
      expect(watch.size).toBe(1);
      watch.check(t0 + 2 * TIMEOUT);
      expect(stalled).toEqual([]);
      expect(res!.destroyed).toBe(false);

      // Then it reads nothing more: once the kernel's buffers are full again, a whole timeout without
      // progress cuts it off (each pass moves the clock on by a timeout; bytes the kernel still took
      // after the pause count as progress for the pass that sees them).
      let clock = t0 + 2 * TIMEOUT;
      await until(() => {
        clock += TIMEOUT;
        watch.check(clock);
        return stalled.length > 0;
      }, 'the stalled response to be cut off');
      expect(stalled).toEqual([res]);
      expect(res!.destroyed).toBe(true);
      expect(watch.size).toBe(0);
    } finally {
      watch.stop();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
