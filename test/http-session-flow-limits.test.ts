/**
 * Per-session flow limits of the HTTP frontends, against a real listener and real sockets. A
 * client that sends requests and does not read the answers (or sends them faster than they are
 * answered) used to make a session hold without bound: every request was taken, every answer
 * buffered. Now a request is refused with 429 + Retry-After and a JSON-RPC error naming the setting
 * while server.maxInFlightPerSession requests await answers, or while more than
 * server.maxUnreadBytesPerSession of answers wait unread; requests already taken are all answered,
 * in full, once the client reads. And the Streamable HTTP replay ring is bounded by bytes
 * (server.replayBytes), not only by its 128 events.
 */
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { connect, type Socket } from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { MCP_HEADERS, raw, rawSession, startFrontend, type StartedFrontend } from './helpers/http-fixture.js';

let started: StartedFrontend | undefined;
const sockets: Socket[] = [];
const streams: IncomingMessage[] = [];

afterEach(async () => {
  for (const s of sockets.splice(0)) s.destroy();
  for (const s of streams.splice(0)) s.destroy();
  await started?.frontend.close();
  started = undefined;
});

const call = (id: number | string, name: string, args: Record<string, unknown>) => JSON.stringify({ jsonrpc: '2.0', id, method: 'tools/call', params: { name, arguments: args } });

function sessionHeaders(sessionId: string): Record<string, string> {
  return { ...MCP_HEADERS, 'mcp-session-id': sessionId, 'mcp-protocol-version': '2025-11-25' };
}

/** A raw HTTP POST on its own socket whose answer is not read until `read()` is called. */
function stuckPost(
  url: string,
  headers: Record<string, string>,
  body: string,
): { read(): Promise<{ status: number; body: string }>; drain(atLeast: number): Promise<{ bytes: number; closed: boolean }> } {
  const target = new URL(url);
  const socket = connect(Number(target.port), target.hostname);
  sockets.push(socket);
  socket.pause();
  const head = [`POST ${target.pathname} HTTP/1.1`, `Host: ${target.host}`, `Content-Length: ${Buffer.byteLength(body)}`, ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`)];
  socket.write(`${head.join('\r\n')}\r\n\r\n${body}`);
  return {
    read: () =>
      new Promise((resolve, reject) => {
        const chunks: Buffer[] = [];
        let total = 0;
        let expected = -1;
        let bodyStart = -1;
        socket.on('data', (c: Buffer) => {
          chunks.push(c);
          total += c.length;
          if (bodyStart < 0) {
            const all = Buffer.concat(chunks);
            const end = all.indexOf('\r\n\r\n');
            if (end < 0) return;
            bodyStart = end + 4;
            expected = Number(/content-length: *(\d+)/i.exec(all.subarray(0, end).toString())?.[1] ?? -1);
          }
          if (expected >= 0 && total >= bodyStart + expected) {
            const all = Buffer.concat(chunks);
            resolve({ status: Number(all.subarray(9, 12).toString()), body: all.subarray(bodyStart, bodyStart + expected).toString() });
          }
        });
        socket.on('error', reject);
        socket.resume();
      }),
    // Reads until the connection ends or `atLeast` bytes came, whichever is first.
    drain: (atLeast) =>
      new Promise((resolve) => {
        let bytes = 0;
        const done = (closed: boolean): void => resolve({ bytes, closed });
        socket.on('data', (c: Buffer) => {
          bytes += c.length;
          if (bytes >= atLeast) done(false);
        });
        socket.once('close', () => done(true));
        socket.on('error', () => undefined);
        socket.resume();
      }),
  };
}

describe('Streamable HTTP: per-session flow limits', () => {
  it('refuses a request beyond server.maxInFlightPerSession awaiting answers (429, names the setting); room again once one is answered', async () => {
    started = await startFrontend({ maxInFlightPerSession: 2 });
    const sessionId = await rawSession(started.url);
    const headers = sessionHeaders(sessionId);
    const slow1 = raw(started.url, { headers, body: call(11, 'slow', {}) });
    const slow2 = raw(started.url, { headers, body: call(12, 'slow', {}) });
    await vi.waitFor(() => expect(started!.acceptor.slowCalls).toBe(2), { timeout: 10_000, interval: 10 });

    const refused = await raw(started.url, { headers, body: call(13, 'echo', { text: 'one too many' }) });
    expect(refused.status).toBe(429);
    expect(refused.headers['retry-after']).toBe('1');
    expect(refused.json()).toMatchObject({ id: 13, error: { code: -32000 } });
    expect(refused.json().error.message).toMatch(/2 requests awaiting answers \(server\.maxInFlightPerSession is 2\)/);

    // Another session of the same client is not held back by this one.
    const other = await rawSession(started.url);
    expect((await raw(started.url, { headers: sessionHeaders(other), body: call(1, 'echo', { text: 'other' }) })).status).toBe(200);

    // The client cancels one: its exchange ends (202), and a new request is taken and answered.
    await raw(started.url, { headers, body: JSON.stringify({ jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: 11 } }) });
    expect((await slow1).status).toBe(202);
    const echoed = await raw(started.url, { headers, body: call(14, 'echo', { text: 'room again' }) });
    expect(echoed.status).toBe(200);
    expect(echoed.body).toContain('room again');
    await raw(started.url, { headers, body: JSON.stringify({ jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: 12 } }) });
    expect((await slow2).status).toBe(202);
  });

  it('refuses requests while more than server.maxUnreadBytesPerSession of answers wait unread; the unread answer is still delivered whole', async () => {
    const ANSWER = 16 * 1024 * 1024;
    started = await startFrontend({ maxUnreadBytesPerSession: 1024 * 1024 });
    const sessionId = await rawSession(started.url);
    const headers = sessionHeaders(sessionId);
    // A 16 MiB answer to a connection that reads nothing: far more than the kernel's socket buffers take.
    const stuck = stuckPost(started.url, headers, call(21, 'bulk', { bytes: ANSWER }));

    let probe = 100;
    const refusal = await vi.waitFor(
      async () => {
        const r = await raw(started!.url, { headers, body: call(probe++, 'echo', { text: 'probe' }) });
        expect(r.status).toBe(429);
        return r;
      },
      { timeout: 20_000, interval: 10 },
    );
    expect(refusal.headers['retry-after']).toBe('1');
    expect(refusal.json().error.message).toMatch(/bytes of this session's answers wait unread by the client \(server\.maxUnreadBytesPerSession is 1048576\)/);

    // The client reads: the whole answer arrives, and the session takes requests again.
    const answer = await stuck.read();
    expect(answer.status).toBe(200);
    const parsed = JSON.parse(answer.body) as { id: number; result: { content: { text: string }[] } };
    expect(parsed.id).toBe(21);
    expect(parsed.result.content[0]!.text.length).toBe(ANSWER);
    await vi.waitFor(
      async () => {
        const r = await raw(started!.url, { headers, body: call(probe++, 'echo', { text: 'after' }) });
        expect(r.status).toBe(200);
      },
      { timeout: 10_000, interval: 10 },
    );
  });
});

/** Opens a GET stream (legacy /sse or the Streamable standalone stream) and collects its events. */
function openStream(url: string, headers: Record<string, string>): Promise<{ events: { id?: string; event: string; data: string }[]; wait(pred: () => boolean): Promise<void> }> {
  return new Promise((resolve, reject) => {
    const target = new URL(url);
    const req = httpRequest({ host: target.hostname, port: target.port, path: target.pathname + target.search, method: 'GET', headers, agent: false }, (res) => {
      streams.push(res);
      const events: { id?: string; event: string; data: string }[] = [];
      const waiters: (() => void)[] = [];
      let buffer = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        buffer += chunk;
        let end: number;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const e: { id?: string; event: string; data: string } = { event: 'message', data: '' };
          for (const line of block.split('\n')) {
            if (line.startsWith('id: ')) e.id = line.slice(4);
            else if (line.startsWith('event: ')) e.event = line.slice(7);
            else if (line.startsWith('data: ')) e.data += line.slice(6);
          }
          if (!block.startsWith(':')) events.push(e);
        }
        for (const w of waiters.splice(0)) w();
      });
      resolve({
        events,
        wait: (pred) =>
          new Promise<void>((done) => {
            const check = (): void => (pred() ? done() : void waiters.push(check));
            check();
          }),
      });
    });
    req.on('error', reject);
    req.end();
  });
}

describe('Streamable HTTP: the SSE answer stream of a cancelled request', () => {
  it('still counts what its client left unread on it', async () => {
    started = await startFrontend({ maxUnreadBytesPerSession: 1024 * 1024 });
    const sessionId = await rawSession(started.url);
    const headers = sessionHeaders(sessionId);
    // 8 MiB of notifications related to the call turn its answer into an SSE stream the client does not read.
    stuckPost(started.url, headers, call(61, 'chatter', { count: 8, bytes: 1024 * 1024 }));
    await vi.waitFor(() => expect(started!.acceptor.slowCalls).toBe(1), { timeout: 10_000, interval: 10 });
    const cancelled = await raw(started.url, { headers, body: JSON.stringify({ jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: 61 } }) });
    expect(cancelled.status).toBe(202);
    const probe = await raw(started.url, { headers, body: call(62, 'echo', { text: 'probe' }) });
    expect(probe.status).toBe(429);
    expect(probe.json().error.message).toMatch(/server\.maxUnreadBytesPerSession is 1048576/);
  });
});

describe('Streamable HTTP: unread answers of an ended session', () => {
  it('DELETE closes the connections still holding unread answers (a client cannot shed the limit by ending sessions)', async () => {
    const ANSWER = 16 * 1024 * 1024;
    started = await startFrontend({ maxUnreadBytesPerSession: 1024 * 1024 });
    const sessionId = await rawSession(started.url);
    const headers = sessionHeaders(sessionId);
    const stuck = stuckPost(started.url, headers, call(41, 'bulk', { bytes: ANSWER }));
    let probe = 100;
    await vi.waitFor(
      async () => expect((await raw(started!.url, { headers, body: call(probe++, 'echo', { text: 'probe' }) })).status).toBe(429),
      { timeout: 20_000, interval: 10 },
    );
    const del = await raw(started.url, { method: 'DELETE', headers: { 'mcp-session-id': sessionId, 'mcp-protocol-version': '2025-11-25' } });
    expect(del.status).toBe(200);
    // Read what the connection still gives: it ends before the whole answer (without the fix it all came).
    const received = await stuck.drain(ANSWER);
    expect(received.closed).toBe(true);
    expect(received.bytes).toBeLessThan(ANSWER);
  });
});

/** A raw GET of the standalone stream that reads its first chunk and then nothing. */
function stuckGet(url: string, headers: Record<string, string>): Promise<{ drain(atLeast: number): Promise<{ bytes: number; closed: boolean }> }> {
  const target = new URL(url);
  const socket = connect(Number(target.port), target.hostname);
  sockets.push(socket);
  const head = [`GET ${target.pathname} HTTP/1.1`, `Host: ${target.host}`, ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`)];
  socket.write(`${head.join('\r\n')}\r\n\r\n`);
  return new Promise((resolve) => {
    let bytes = 0;
    socket.once('data', (c: Buffer) => {
      bytes += c.length;
      socket.pause();
      resolve({
        drain: (atLeast) =>
          new Promise((done) => {
            socket.on('data', (d: Buffer) => {
              bytes += d.length;
              if (bytes >= atLeast) done({ bytes, closed: false });
            });
            socket.once('close', () => done({ bytes, closed: true }));
            socket.on('error', () => undefined);
            socket.resume();
          }),
      });
    });
  });
}

describe('Streamable HTTP: a replaced standalone stream', () => {
  it('is closed when its client left part of it unread (a GET with Last-Event-ID: 0 cannot pile up replays)', async () => {
    started = await startFrontend({ replayBytes: 16 * 1024 * 1024 });
    const sessionId = await rawSession(started.url);
    const headers = sessionHeaders(sessionId);
    // 12 MiB of events kept for replay, more than the kernel's socket buffers take.
    expect((await raw(started.url, { headers, body: call(51, 'broadcast', { count: 12, bytes: 1024 * 1024, tag: 'big' }) })).status).toBe(200);
    const get = { 'mcp-session-id': sessionId, 'mcp-protocol-version': '2025-11-25', accept: 'text/event-stream', 'last-event-id': '0' };
    const first = await stuckGet(started.url, get);
    await stuckGet(started.url, get); // replaces the first, which has most of its 12 MiB unread
    const received = await first.drain(12 * 1024 * 1024);
    expect(received.closed).toBe(true);
    expect(received.bytes).toBeLessThan(12 * 1024 * 1024);
  });
});

describe('legacy HTTP+SSE: server.maxInFlightPerSession', () => {
  it('refuses a POSTed request beyond the cap (429, names the setting); a cancelled one makes room', async () => {
    started = await startFrontend({ maxInFlightPerSession: 2 });
    const stream = await openStream(started.sseUrl, { accept: 'text/event-stream' });
    await stream.wait(() => stream.events.some((e) => e.event === 'endpoint'));
    const endpoint = new URL(stream.events.find((e) => e.event === 'endpoint')!.data, started.sseUrl).href;
    const post = (body: string) => raw(endpoint, { headers: { 'content-type': 'application/json' }, body });
    const answered = (id: number) => stream.events.some((e) => e.event === 'message' && (JSON.parse(e.data) as { id?: number }).id === id);

    expect((await post(JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2024-11-05', capabilities: {}, clientInfo: { name: 't', version: '1' } } }))).status).toBe(202);
    await stream.wait(() => answered(1));
    expect((await post(JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }))).status).toBe(202);
    expect((await post(call(2, 'slow', {}))).status).toBe(202);
    expect((await post(call(3, 'slow', {}))).status).toBe(202);
    await vi.waitFor(() => expect(started!.acceptor.slowCalls).toBe(2), { timeout: 10_000, interval: 10 });

    const refused = await post(call(4, 'echo', { text: 'one too many' }));
    expect(refused.status).toBe(429);
    expect(refused.json()).toMatchObject({ id: 4, error: { code: -32000 } });
    expect(refused.json().error.message).toMatch(/2 requests awaiting answers \(server\.maxInFlightPerSession is 2\)/);
    expect(answered(4)).toBe(false);

    // Cancelled by the client: no longer awaiting (its late answer, if any, is the proxy's to drop).
    expect((await post(JSON.stringify({ jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: 2 } }))).status).toBe(202);
    expect((await post(call(5, 'echo', { text: 'room again' }))).status).toBe(202);
    await stream.wait(() => answered(5));
    await post(JSON.stringify({ jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: 3 } }));
  });
});

describe('Streamable HTTP: the replay ring is bounded by bytes (server.replayBytes)', () => {
  it('keeps only the newest events that fit in replayBytes for a stream opened later or resumed', async () => {
    started = await startFrontend({ replayBytes: 64 * 1024 });
    const sessionId = await rawSession(started.url);
    const headers = sessionHeaders(sessionId);
    // Ten 20 KiB notifications unrelated to any request while no GET stream is open: only the last three fit in 64 KiB.
    const sent = await raw(started.url, { headers, body: call(31, 'broadcast', { count: 10, bytes: 20 * 1024, tag: 'big' }) });
    expect(sent.status).toBe(200);

    const tags = (events: { data: string }[]) => events.map((e) => (JSON.parse(e.data) as { params: { data: string } }).params.data.split(':').slice(0, 2).join(':'));
    const first = await openStream(started.url, { ...headers, accept: 'text/event-stream' });
    // A live event after the replay marks its end.
    expect((await raw(started.url, { headers, body: call(32, 'broadcast', { count: 1, bytes: 1, tag: 'marker' }) })).status).toBe(200);
    await first.wait(() => tags(first.events).includes('marker:1'));
    expect(tags(first.events)).toEqual(['big:8', 'big:9', 'big:10', 'marker:1']);
    expect(first.events.map((e) => e.id)).toEqual(['8', '9', '10', '11']);

    // A client resuming from event 1 gets what is still kept after it, not the events let go.
    const resumed = await openStream(started.url, { ...headers, accept: 'text/event-stream', 'last-event-id': '1' });
    expect((await raw(started.url, { headers, body: call(33, 'broadcast', { count: 1, bytes: 1, tag: 'marker' }) })).status).toBe(200);
    await resumed.wait(() => resumed.events.some((e) => e.id === '12'));
    expect(resumed.events.map((e) => e.id)).toEqual(['8', '9', '10', '11', '12']);
  });
});
