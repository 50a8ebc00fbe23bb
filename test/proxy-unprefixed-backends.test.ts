/**
 * Several backends showing their tools and prompts unprefixed (`prefix: ''`): which backend a name
 * belongs to is known only from their lists, and a client need not list before it calls. A call made
 * before the client listed (or before it paged through every backend's list) used to be answered
 * `-32602 Unknown tool` although a backend had the tool, and prompts/get (and completion/complete
 * for a prompt) was `-32602 Unknown prompt` always, listed or not; the proxy now fetches the lists
 * it does not know in full, then routes the request (the first backend in configuration order that
 * has the name).
 * Real serve (stdio client) in front of server-everything and the test backend, read-only pack.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LineClient } from './helpers/line-client.js';
import { EVERYTHING, TEST_BACKEND } from './helpers/proxy.js';

type Msg = Record<string, unknown>;
const text = (m: Msg) => ((m.result as { content?: Array<{ text?: string }> } | undefined)?.content ?? []).map((c) => c.text ?? '').join('\n');

describe('several unprefixed backends: a tool called before the client listed', () => {
  let dir: string;
  let client: LineClient;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'warden-unprefixed-'));
    const config = join(dir, 'warden.yaml');
    await writeFile(
      config,
      `backends:
  - { name: everything, prefix: '', transport: stdio, command: ${JSON.stringify(process.execPath)}, args: [${JSON.stringify(EVERYTHING)}] }
  - { name: test, prefix: '', transport: stdio, command: ${JSON.stringify(process.execPath)}, args: [${JSON.stringify(TEST_BACKEND)}], env: { TEST_BACKEND_LABEL: second } }
policy: { paths: [read-only], watch: false }
audit: { enabled: false }
`,
    );
    client = new LineClient(['serve', '--config', config, '--stdio', '--no-http']);
    expect((await client.initialize()).result).toBeDefined();
  });
  afterAll(async () => {
    client?.proc.stdin.end();
    await client?.exited;
    await rm(dir, { recursive: true, force: true });
  });

  it("runs on the backend that has it: the second backend's tool (on its second page), the first's", async () => {
    const whoami = await client.request(1, 'tools/call', { name: 'whoami', arguments: {} });
    expect(whoami.error).toBeUndefined();
    expect(text(whoami)).toContain('second');
    const sum = await client.request(2, 'tools/call', { name: 'get-sum', arguments: { a: 1, b: 2 } });
    expect(text(sum)).toBe('The sum of 1 and 2 is 3.');
  });

  it('a name both have goes to the first in configuration order; a name none has is unknown', async () => {
    expect(text(await client.request(3, 'tools/call', { name: 'echo', arguments: { message: 'm', text: 't' } }))).toBe('Echo: m');
    // (the policy is asked first: read-only denies a tool it cannot classify, and that deny is the answer)
    const unknown = await client.request(4, 'tools/call', { name: 'no-such-tool', arguments: {} });
    expect(unknown.result).toMatchObject({ isError: true });
    expect(text(unknown)).toMatch(/^Denied by policy: /);
  });

  it('prompts/get and completion/complete for a prompt, before and after the client listed', async () => {
    const farewell = await client.request(10, 'prompts/get', { name: 'farewell' });
    expect(JSON.stringify(farewell.result)).toContain('second:farewell');
    const simple = await client.request(11, 'prompts/get', { name: 'simple-prompt' });
    expect(JSON.stringify(simple.result)).toContain('This is a simple prompt without arguments.');
    const completed = await client.request(12, 'completion/complete', { ref: { type: 'ref/prompt', name: 'greet' }, argument: { name: 'name', value: 'a' } });
    expect(completed.result).toMatchObject({ completion: { values: expect.arrayContaining([expect.stringMatching(/^second-/)]) } });
    await client.request(13, 'prompts/list', {});
    expect(JSON.stringify((await client.request(14, 'prompts/get', { name: 'farewell' })).result)).toContain('second:farewell');
    expect(await client.request(15, 'prompts/get', { name: 'no-such-prompt' })).toMatchObject({ error: { code: -32602, message: 'Unknown prompt: no-such-prompt' } });
  });
});
