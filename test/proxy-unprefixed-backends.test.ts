/**
 * Several backends showing their tools unprefixed (`prefix: ''`): which backend a tool name belongs
 * to is known only from their tool lists, and a client need not list before it calls. A call made
 * before the client listed (or before it paged through every backend's list) used to be answered
 * `-32602 Unknown tool` although a backend had the tool; the proxy now fetches the lists it does not
 * know in full, then routes the call (the first backend in configuration order that has the name).
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
});
