/**
 * A client message with a request's method and no id (`{"method":"tools/call",...}`) is a
 * notification by JSON-RPC's letter, and client notifications are not decided by the policy: the
 * proxy forwarded it to every backend as it came. A backend that dispatches on the method alone (as
 * many hand-written servers do) ran the tool the policy denies, and the audit had no record of it.
 * MCP's notifications are all named `notifications/...`: a client notification named otherwise is
 * now dropped, never forwarded; `notifications/*` go on as before. Real `serve` over Streamable
 * HTTP, a lenient hand-written stdio backend (test/servers/lenient-backend.mjs).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServe, type ServeProcess } from './helpers/proxy.js';
import { answerMessages, INIT_BODY, INITIALIZED_BODY, postOnce } from './helpers/keyed-http.js';

const LENIENT_BACKEND = resolve(import.meta.dirname, 'servers/lenient-backend.mjs');

describe('a client notification named like a request', { timeout: 60_000 }, () => {
  let dir: string;
  let serve: ServeProcess;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'warden-notification-methods-'));
    writeFileSync(join(dir, 'p.rego'), 'package mcp.authz\n\nimport rego.v1\n\ndefault allow := true\n\ndeny contains "deleting is not allowed" if input.tool.name == "delete_thing"\n');
    serve = await startServe(`
backends:
  - { name: lenient, transport: stdio, command: ${JSON.stringify(process.execPath)}, args: [${JSON.stringify(LENIENT_BACKEND)}] }
auth: { anonymous: true }
policy: { paths: [${JSON.stringify(join(dir, 'p.rego'))}], watch: false }
audit: { enabled: false }
`);
  });

  afterAll(async () => {
    await serve?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('is dropped, not forwarded undecided; MCP notifications still reach the backend', async () => {
    const init = await postOnce(serve.url, INIT_BODY, {});
    expect(init.status).toBe(200);
    const session = init.headers['mcp-session-id'] as string;
    const headers = { 'mcp-session-id': session, 'mcp-protocol-version': '2025-11-25' };
    expect((await postOnce(serve.url, INITIALIZED_BODY, headers)).status).toBe(202);
    const call = (id: number | undefined, name: string) => JSON.stringify({ jsonrpc: '2.0', ...(id === undefined ? {} : { id }), method: 'tools/call', params: { name, arguments: {} } });

    // As a request, the policy denies it.
    const denied = answerMessages((await postOnce(serve.url, call(2, 'delete_thing'), headers)).body)[0]!;
    expect(denied.result).toMatchObject({ isError: true, content: [{ text: expect.stringContaining('deleting is not allowed') }] });
    // Without an id it is a notification: accepted by the transport (202), as any notification is.
    expect((await postOnce(serve.url, call(undefined, 'delete_thing'), headers)).status).toBe(202);
    expect((await postOnce(serve.url, JSON.stringify({ jsonrpc: '2.0', method: 'notifications/roots/list_changed' }), headers)).status).toBe(202);

    // Lines reach the backend in order: by this answer it has read both notifications.
    const seen = JSON.parse(answerMessages((await postOnce(serve.url, call(3, 'executed'), headers)).body)[0]!.result!.content[0]!.text) as { executed: string[]; notifications: string[] };
    // Before the fix: executed ["delete_thing"], the call the policy denies, run undecided.
    expect(seen.executed).toEqual([]);
    expect(seen.notifications).toEqual(['notifications/initialized', 'notifications/roots/list_changed']);
  });
});
