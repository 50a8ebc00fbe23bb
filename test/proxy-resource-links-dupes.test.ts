/**
 * With several backends the session reads the resource URIs in a backend's answer to route later
 * reads (resource-links.ts) and rewrites one in mcp-warden: alias form under the giver's alias; an
 * answer it did not rewrite could still go to the client as the backend's own text. A backend that
 * writes a URI twice (`"uri":"mcp-warden:beta:...","uri":"test://verbatim/1"`) had the proxy judge
 * the last (JSON.parse) and a client whose parser keeps the first member read the alias, which
 * routes its read to beta: one backend pointing the client's reads at another. The answer whose
 * URIs the session read is now sent as parsed. And a result that also has a `task` member was not
 * read for its URIs at all (the task branch took it), so an alias of another backend reached the
 * client as given. And the bound on remembered links was one queue for all backends: a backend
 * giving LINKED_URIS_MAX + 1 links pushed out another's, then gave that URI as its own and took
 * its reads. And a link was remembered as its giver's even when another backend's URI template
 * covers the URI (a read the client already made of it went there): from then on alpha answered
 * the client's reads of beta's test://beta/items/1. And a URI template listed in alias form
 * (mcp-warden:beta:...) reached the client as listed (2588864 showed only resources under the
 * lister's alias), so the URIs the client made of alpha's template went to beta. Real serve --stdio
 * over real pipes, the raw line read.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { LINKED_URIS_MAX } from '../src/proxy/resource-links.js';
import { LineClient } from './helpers/line-client.js';
import { ROOT, tempDir, TEST_BACKEND } from './helpers/proxy.js';

const VERBATIM = join(ROOT, 'test/servers/verbatim-server.mjs');

/** The raw answer lines of serve --stdio to `calls` (after initialize, each sent once the one before it is answered), by id. */
const VERBATIM_AND_BETA = `
  - { name: verbatim, transport: stdio, command: ${JSON.stringify(process.execPath)}, args: [${JSON.stringify(VERBATIM)}] }
  - { name: beta, transport: stdio, command: ${JSON.stringify(process.execPath)}, args: [${JSON.stringify(TEST_BACKEND)}], env: { TEST_BACKEND_LABEL: beta } }`;

async function rawAnswers(calls: Array<object | ((answers: Map<number, string>) => object)>, backends = VERBATIM_AND_BETA): Promise<Map<number, string>> {
  const dir = await tempDir();
  const file = join(dir, 'warden.yaml');
  await writeFile(
    file,
    `backends:${backends}
auth: { anonymous: true }
audit: { enabled: false }
policy: { paths: [allow-all], watch: false }
`,
  );
  const client = new LineClient(['serve', '--config', file, '--stdio', '--no-http']);
  const answers = new Map<number, string>();
  try {
    await client.initialize();
    for (const call of calls) {
      const message = (typeof call === 'function' ? call(answers) : call) as { id: number };
      client.send(message);
      for (;;) {
        const line = await client.nextLine(60_000);
        if ((JSON.parse(line) as { id?: number }).id !== message.id) continue;
        answers.set(message.id, line);
        break;
      }
    }
  } finally {
    if (client.proc.exitCode === null && client.proc.signalCode === null) client.proc.kill('SIGTERM');
    await client.exited;
  }
  return answers;
}

describe('resource links a backend writes to steer reads (several backends, serve --stdio)', { timeout: 90_000 }, () => {
  it('the client gets the URI the session routed (parsed and serialized again), never the alias of another backend', async () => {
    const answers = await rawAnswers([
      { jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: 'verbatim__duplink', arguments: {} } },
      { jsonrpc: '2.0', id: 3, method: 'resources/read', params: { uri: 'test://verbatim/1' } },
    ]);
    const line = answers.get(2)!;
    // Whatever parser the client uses, it reads one uri: the one the proxy read and routes.
    expect(line).not.toContain('mcp-warden:beta:');
    expect((JSON.parse(line) as { result: { content: Array<{ uri: string }> } }).result.content[0]!.uri).toBe('test://verbatim/1');
    // That URI routes to the backend that gave it (verbatim answers resources/read with an error of its own).
    expect(answers.get(3)).toContain('Method not found');
  });

  it('a result that also carries a task member is read for its URIs too: an alias of another backend is shown under the giver', async () => {
    const answers = await rawAnswers([
      { jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: 'verbatim__tasklink', arguments: {} } },
      { jsonrpc: '2.0', id: 3, method: 'resources/read', params: { uri: 'mcp-warden:verbatim:mcp-warden:beta:test://beta/only' } },
    ]);
    const uri = (JSON.parse(answers.get(2)!) as { result: { content: Array<{ uri: string }> } }).result.content[0]!.uri;
    expect(uri).toBe('mcp-warden:verbatim:mcp-warden:beta:test://beta/only');
    // Read as shown, it goes to the backend that gave it (verbatim has no resources/read), not beta.
    expect(answers.get(3)).toContain('Method not found');
  });

  it('a backend giving more links than the session keeps forgets only its own: another backend\'s link still routes to that backend', async () => {
    const backends = ['alpha', 'beta'].map((name) => `
  - { name: ${name}, transport: stdio, command: ${JSON.stringify(process.execPath)}, args: [${JSON.stringify(TEST_BACKEND)}], env: { TEST_BACKEND_LABEL: ${name}, TEST_BACKEND_LINKS: '1' } }`).join('');
    const call = (id: number, name: string, args: object) => ({ jsonrpc: '2.0', id, method: 'tools/call', params: { name, arguments: args } });
    const answers = await rawAnswers(
      [
        call(2, 'alpha__link', { uri: 'test://kept' }),
        // beta floods the session's memory, then gives alpha's URI as its own
        call(3, 'beta__link', { uri: 'test://flood', count: LINKED_URIS_MAX + 1 }),
        call(4, 'beta__link', { uri: 'test://kept' }),
        { jsonrpc: '2.0', id: 5, method: 'resources/read', params: { uri: 'test://kept' } },
      ],
      backends,
    );
    const given = (JSON.parse(answers.get(4)!) as { result: { content: Array<{ type: string; uri?: string }> } }).result.content.find((c) => c.type === 'resource_link');
    expect(given?.uri).toBe('mcp-warden:beta:test://kept');
    expect((JSON.parse(answers.get(5)!) as { result: { contents: Array<{ text: string }> } }).result.contents[0]!.text).toBe('alpha:test://kept');
  });

  it("a link to a URI another backend's template covers is shown aliased: reads of that URI stay with the template's backend", async () => {
    const backends = ['alpha', 'beta'].map((name) => `
  - { name: ${name}, transport: stdio, command: ${JSON.stringify(process.execPath)}, args: [${JSON.stringify(TEST_BACKEND)}], env: { TEST_BACKEND_LABEL: ${name}, TEST_BACKEND_LINKS: '1' } }`).join('');
    const cursor = (answers: Map<number, string>, id: number) => (JSON.parse(answers.get(id)!) as { result: { nextCursor?: string } }).result.nextCursor;
    const text = (answers: Map<number, string>, id: number) => (JSON.parse(answers.get(id)!) as { result: { contents: Array<{ text: string }> } }).result.contents[0]!.text;
    const answers = await rawAnswers(
      [
        { jsonrpc: '2.0', id: 2, method: 'resources/templates/list', params: {} },
        (a) => ({ jsonrpc: '2.0', id: 3, method: 'resources/templates/list', params: { cursor: cursor(a, 2) } }),
        { jsonrpc: '2.0', id: 4, method: 'resources/read', params: { uri: 'test://beta/items/1' } },
        { jsonrpc: '2.0', id: 5, method: 'tools/call', params: { name: 'alpha__link', arguments: { uri: 'test://beta/items/1' } } },
        { jsonrpc: '2.0', id: 6, method: 'resources/read', params: { uri: 'test://beta/items/1' } },
      ],
      backends,
    );
    expect(text(answers, 4)).toBe('beta:test://beta/items/1');
    const given = (JSON.parse(answers.get(5)!) as { result: { content: Array<{ type: string; uri?: string }> } }).result.content.find((c) => c.type === 'resource_link');
    expect(given?.uri).toBe('mcp-warden:alpha:test://beta/items/1');
    expect(text(answers, 6)).toBe('beta:test://beta/items/1');
  });

  it("a URI template listed in another backend's mcp-warden: alias form is shown under the lister's alias: URIs the client makes of it go to the lister", async () => {
    const backends = ['alpha', 'beta'].map((name) => `
  - { name: ${name}, transport: stdio, command: ${JSON.stringify(process.execPath)}, args: [${JSON.stringify(TEST_BACKEND)}], env: { TEST_BACKEND_LABEL: ${name}${name === 'alpha' ? ", TEST_BACKEND_TEMPLATE: 'mcp-warden:beta:test://beta/secret/{id}'" : ''} } }`).join('');
    const templates = (answers: Map<number, string>, id: number) => (JSON.parse(answers.get(id)!) as { result: { resourceTemplates: Array<{ uriTemplate: string }>; nextCursor?: string } }).result;
    const answers = await rawAnswers(
      [
        { jsonrpc: '2.0', id: 2, method: 'resources/templates/list', params: {} },
        (a) => ({ jsonrpc: '2.0', id: 3, method: 'resources/templates/list', params: { cursor: templates(a, 2).nextCursor } }),
      ],
      backends,
    );
    const all = [...templates(answers, 2).resourceTemplates, ...templates(answers, 3).resourceTemplates].map((t) => t.uriTemplate);
    expect(all).toContain('mcp-warden:alpha:mcp-warden:beta:test://beta/secret/{id}');
    expect(all).not.toContain('mcp-warden:beta:test://beta/secret/{id}');
  });
});
