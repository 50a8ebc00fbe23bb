/**
 * A logging/setLevel the policy denies must never take effect at the backend. The proxy remembered
 * the level before deciding the request (router.ts setLevel, one backend), and replays the
 * remembered level to a backend that restarts: after a crash, the backend was set, by mcp-warden
 * itself and with no decision, to the very level the policy had refused the client. Now only a
 * level the backend accepted (an allowed request, answered without error) is remembered and
 * replayed. Real `serve` over Streamable HTTP and over stdio (where answers may go to the client
 * unparsed: a setLevel's answer is read, to be tracked), a real stdio backend that keeps the levels it was
 * set to (test/servers/level-backend.mjs), killed through its own tool and restarted by the proxy.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectCli, firstText, startServe, waitFor } from './helpers/proxy.js';
import { answerMessages, INIT_BODY, INITIALIZED_BODY, postOnce } from './helpers/keyed-http.js';

const LEVEL_BACKEND = resolve(import.meta.dirname, 'servers/level-backend.mjs');
const backendYaml = `backends:
  - { name: levels, transport: stdio, command: ${JSON.stringify(process.execPath)}, args: [${JSON.stringify(LEVEL_BACKEND)}], restart: { initialDelayMs: 50, maxDelayMs: 50 } }
`;
const POLICY = `package mcp.authz

import rego.v1

default allow := true

deny contains "debug logs are for operators only" if {
	input.method == "logging/setLevel"
	input.params.level == "debug"
}
`;

/**
 * serve (anonymous clients) with `policy` as dir/levels.rego in front of `backends` (YAML), in a
 * directory of its own, and one initialized Streamable HTTP session to send requests on.
 */
async function levelsSession(prefix: string, backends: string, policy: string) {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  writeFileSync(join(dir, 'levels.rego'), policy);
  const serve = await startServe(`${backends}auth: { anonymous: true }
policy: { paths: [${JSON.stringify(join(dir, 'levels.rego'))}], watch: false }
audit: { enabled: false }
`);
  const init = await postOnce(serve.url, INIT_BODY, {});
  expect(init.status).toBe(200);
  const headers = { 'mcp-session-id': init.headers['mcp-session-id'] as string, 'mcp-protocol-version': '2025-11-25' };
  expect((await postOnce(serve.url, INITIALIZED_BODY, headers)).status).toBe(202);
  let nextId = 10;
  return {
    dir,
    request: async (method: string, params: Record<string, unknown>) =>
      answerMessages((await postOnce(serve.url, JSON.stringify({ jsonrpc: '2.0', id: nextId++, method, params }), headers)).body)[0]!,
    stop: async () => {
      await serve.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

describe('a denied logging/setLevel, after the backend restarts', { timeout: 60_000 }, () => {
  let levels: Awaited<ReturnType<typeof levelsSession>> | undefined;
  const request = (method: string, params: Record<string, unknown>) => levels!.request(method, params);
  const backendState = async () => {
    const answer = await request('tools/call', { name: 'levels', arguments: {} });
    return answer.result === undefined ? undefined : (JSON.parse(answer.result.content[0]!.text) as { pid: number; levels: string[] });
  };

  beforeAll(async () => {
    levels = await levelsSession('warden-level-replay-', backendYaml, POLICY);
  });

  afterAll(async () => {
    await levels?.stop();
  });

  it('is not replayed: the restarted backend gets the last level the policy allowed', async () => {
    expect(await request('logging/setLevel', { level: 'warning' })).toMatchObject({ result: {} });
    const denied = await request('logging/setLevel', { level: 'debug' });
    expect(denied.error?.message).toContain('debug logs are for operators only');
    const before = (await backendState())!;
    expect(before.levels).toEqual(['warning']);

    await request('tools/call', { name: 'crash', arguments: {} });
    let after: { pid: number; levels: string[] } | undefined;
    await waitFor(async () => {
      after = await backendState();
      return after !== undefined && after.pid !== before.pid;
    }, 30_000, 'the backend to restart');
    // Before the fix: ['debug'], the level the policy refused, set by the proxy's own replay.
    expect(after!.levels).toEqual(['warning']);
  });

  it('over stdio (serve --stdio) as well', async () => {
    const dir = levels!.dir;
    const config = join(dir, 'stdio.yaml');
    writeFileSync(config, `${backendYaml}policy: { paths: [${JSON.stringify(join(dir, 'levels.rego'))}], watch: false }\naudit: { enabled: false }\n`);
    const { client, close } = await connectCli(['serve', '--stdio', '--no-http', '--config', config]);
    try {
      const state = async () => {
        const result = await client.callTool({ name: 'levels', arguments: {} }).catch(() => undefined);
        return result === undefined || result.isError === true ? undefined : (JSON.parse(firstText(result)) as { pid: number; levels: string[] });
      };
      await client.setLoggingLevel('warning');
      await expect(client.setLoggingLevel('debug')).rejects.toThrow('debug logs are for operators only');
      const before = (await state())!;
      expect(before.levels).toEqual(['warning']);
      await client.callTool({ name: 'crash', arguments: {} });
      let after: { pid: number; levels: string[] } | undefined;
      await waitFor(async () => {
        after = await state();
        return after !== undefined && after.pid !== before.pid;
      }, 30_000, 'the backend to restart');
      expect(after!.levels).toEqual(['warning']);
    } finally {
      await close();
    }
  });
});

/**
 * With several backends, logging/setLevel goes to each backend that offers logging, and was decided
 * once with no backend in its input: a policy rule that denies it for one backend
 * (input.backend.name) never applied, and that backend was set anyway. Now it is decided for each
 * backend it would reach and goes to those the policy allows; denied for all, it is answered denied.
 */
describe('logging/setLevel with several backends', { timeout: 60_000 }, () => {
  let levels: Awaited<ReturnType<typeof levelsSession>> | undefined;
  const request = (method: string, params: Record<string, unknown>) => levels!.request(method, params);
  const levelsOf = async (backend: string) => (JSON.parse((await request('tools/call', { name: `${backend}__levels`, arguments: {} })).result!.content[0]!.text) as { levels: string[] }).levels;

  beforeAll(async () => {
    const backend = (name: string) => `  - { name: ${name}, transport: stdio, command: ${JSON.stringify(process.execPath)}, args: [${JSON.stringify(LEVEL_BACKEND)}] }\n`;
    levels = await levelsSession('warden-level-fanout-', `backends:\n${backend('a')}${backend('b')}`, `package mcp.authz

import rego.v1

default allow := true

deny contains "backend b keeps its logging level" if {
	input.method == "logging/setLevel"
	input.backend.name == "b"
}

deny contains "nobody silences the logs" if {
	input.method == "logging/setLevel"
	input.params.level == "emergency"
}
`);
  });

  afterAll(async () => {
    await levels?.stop();
  });

  it('is decided per backend: sent to those the policy allows only; denied for every one, answered denied', async () => {
    expect(await request('logging/setLevel', { level: 'error' })).toMatchObject({ result: {} });
    const denied = await request('logging/setLevel', { level: 'emergency' });
    expect(denied.error?.message).toContain('nobody silences the logs');
    expect(await levelsOf('a')).toEqual(['error']);
    // Before the fix: ['error'] (decided once, with no backend in the input).
    expect(await levelsOf('b')).toEqual([]);
  });
});
