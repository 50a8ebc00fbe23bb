/**
 * Request ids between wrap and its backend (proxy/in-flight.ts): a client's integer id reaches the
 * backend as the client wrote it while no request in flight to that backend holds it, and the
 * answer comes back byte for byte; an id that the proxy's own request, or another request of the
 * client, holds in flight is replaced by a fresh one and answered under the client's id; an id
 * given up (cancelled) is not reused before the backend's late answer, which is dropped.
 * verbatim-server answers `received` / `hold` with the request line as it reached it.
 */
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { LineClient } from './helpers/line-client.js';
import { ROOT } from './helpers/proxy.js';

const SERVER = join(ROOT, 'test/servers/verbatim-server.mjs');

let client: LineClient | undefined;
afterEach(async () => {
  client?.proc.stdin.end();
  client?.proc.kill('SIGTERM');
  await client?.exited;
  client = undefined;
});

async function wrap(): Promise<LineClient> {
  client = new LineClient(['wrap', '--policy', 'allow-all', '--no-audit', '--', process.execPath, SERVER]);
  await client.initialize();
  return client;
}

const call = (id: number | string, name: string, args: Record<string, unknown> = {}): string =>
  `{"jsonrpc":"2.0","id":${JSON.stringify(id)},"method":"tools/call","params":${JSON.stringify({ name, arguments: args })}}\n`;

/** The request line (parsed) as the backend saw it, which an answer of `received` / `hold` carries. */
function requestOf(answer: Record<string, unknown>): { id: unknown; params: { name: string; arguments: Record<string, unknown> } } {
  const text = (answer.result as { content: Array<{ text: string }> }).content[0]!.text;
  return JSON.parse(text) as ReturnType<typeof requestOf>;
}

/** The id the backend saw in the request line an answer of `received` / `hold` carries. */
function seenId(answer: Record<string, unknown>): unknown {
  return requestOf(answer).id;
}

/** The tool whose request an answer carries. */
function toolOf(answer: Record<string, unknown>): string {
  return requestOf(answer).params.name;
}

/** The next `n` answers (no notifications). */
async function answers(c: LineClient, n: number): Promise<Array<Record<string, unknown>>> {
  const out = [];
  for (let i = 0; i < n; i++) out.push(await c.next());
  return out;
}

describe('wrap: ids between the proxy and the backend', () => {
  it("a client's integer id reaches the backend as written, and the answer comes back byte for byte", async () => {
    const c = await wrap();
    const line = call(7, 'received', { a: 1 });
    c.write(line);
    const answer = await c.next();
    expect(answer.id).toBe(7);
    expect((answer.result as { content: Array<{ text: string }> }).content[0]!.text).toBe(line.slice(0, -1));
  });

  it("ids the proxy's own requests hold in flight are replaced, and answered under the client's id", async () => {
    const c = await wrap();
    // String ids are forwarded under the proxy's own (fresh) ids: small integers, held for 3 s (the
    // integer ids below must reach wrap while they are held, however busy the host).
    for (let k = 0; k < 4; k++) c.write(call(`s${k}`, 'hold', { ms: 3000 }));
    await new Promise((r) => setTimeout(r, 100));
    const ids = [1, 2, 3, 4, 5, 100, 101, 102];
    for (const id of ids) c.write(call(id, 'received'));
    const got = await answers(c, 4 + ids.length);
    const byId = new Map(got.map((a) => [a.id, a]));
    expect(byId.size).toBe(4 + ids.length);
    const holdIds = [0, 1, 2, 3].map((k) => seenId(byId.get(`s${k}`)!) as number);
    expect(new Set(holdIds).size).toBe(4);
    for (const h of holdIds) expect(Number.isInteger(h)).toBe(true);
    let replaced = 0;
    for (const id of ids) {
      const seen = seenId(byId.get(id)!);
      if (holdIds.includes(id)) {
        // Held by the proxy's own request: the backend saw another id, not held by any of them.
        expect(seen).not.toBe(id);
        expect(holdIds).not.toContain(seen);
        replaced++;
      } else {
        expect(seen).toBe(id);
      }
    }
    expect(replaced).toBeGreaterThan(0);
  });

  it('a client that sends one id twice while the first is in flight gets both answered; the backend never sees one id twice at once', async () => {
    const c = await wrap();
    c.write(call(9, 'hold', { ms: 300, n: 1 }));
    c.write(call(9, 'hold', { ms: 300, n: 2 }));
    const got = await answers(c, 2);
    expect(got.map((a) => a.id)).toEqual([9, 9]);
    const seen = got.map(seenId);
    expect(seen).toContain(9);
    expect(new Set(seen).size).toBe(2);
  });

  it('a cancelled id is not reused before the late answer, which is dropped; a new request under it gets its own answer', async () => {
    const c = await wrap();
    // Held for 3 s: the cancel and the reuse below reach wrap while the backend still holds 20,
    // however busy the host (the lines are read in order; no wait is needed between them).
    c.write(call(20, 'hold', { ms: 3000 }));
    c.send({ jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: 20, reason: 'test' } });
    // Reusing an id breaks the protocol's rule, but must still not mix up answers.
    c.write(call(20, 'received', { again: true }));
    const answer = await c.next();
    expect(answer.id).toBe(20);
    expect(toolOf(answer)).toBe('received');
    expect(seenId(answer)).not.toBe(20);
    // The hold answers late (under 20): dropped, and it frees 20, after which a request under it is
    // forwarded as written. Asked again until it is, instead of assuming when the late answer came:
    // every answer must be one of these requests', never the hold's.
    for (let n = 0; ; n++) {
      c.write(call(20, 'received', { n }));
      const next = await c.next();
      expect(next.id).toBe(20);
      expect(toolOf(next), 'the late answer to the cancelled request reached the client').toBe('received');
      expect(requestOf(next).params.arguments.n).toBe(n);
      if (seenId(next) === 20) break;
      expect(n, 'id 20 still not forwarded as written 20 s after its hold should have answered').toBeLessThan(230);
      await new Promise((r) => setTimeout(r, 100));
    }
  });
});
