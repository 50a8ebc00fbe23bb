/**
 * Server-to-client requests under the DEFAULT policy (`wrap` without --policy: the read-only rules),
 * end to end over real stdio pipes with a real audit file: sampling, elicitation and roots/list
 * asked by a backend reach the SDK client and its answers go back, recorded as allowed; with
 * `data.warden.read_only.deny_server_requests: [sampling/createMessage]` the sampling request is
 * answered to the backend with the policy's error and never reaches the client.
 *
 * server-everything's own sampling and elicitation tools (trigger-*) are annotated as writes, so
 * the default pack hides and refuses them (checked below); the sampling and elicitation round trips
 * therefore go through test/servers/assistant-backend.mjs, whose tools that ask are read-only.
 */
import { execFile } from 'node:child_process';
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { CreateMessageRequestSchema, ElicitRequestSchema, ListRootsRequestSchema } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI, connectCli, EVERYTHING, firstText, isAlive, ROOT, tempDir, testClient, waitFor, type StdioConnection } from './helpers/proxy.js';

const run = promisify(execFile);
const ASSISTANT = join(ROOT, 'test/servers/assistant-backend.mjs');

interface AuditRow {
  method: string;
  backend?: string;
  tool?: string;
  decision: string;
  outcome: string;
  reasons: string[];
}

/** Rows of the audit file, oldest first, read with the CLI once mcp-warden has exited. */
async function auditRows(db: string, method: string): Promise<AuditRow[]> {
  const { stdout } = await run(process.execPath, [CLI, 'audit', 'query', '--db', db, '--method', method, '--json', '--asc', '--limit', '1000'], { cwd: ROOT });
  return JSON.parse(stdout) as AuditRow[];
}

/** An SDK client that counts the server requests its handlers receive. */
function countingClient(): { client: Client; seen: Record<string, number> } {
  const client = testClient('server-requests');
  const seen: Record<string, number> = { sampling: 0, elicitation: 0, roots: 0 };
  client.setRequestHandler(CreateMessageRequestSchema, async (req) => {
    seen.sampling!++;
    return { role: 'assistant', model: 'test-model', content: { type: 'text', text: `sampled: ${req.params.messages.length} message(s)` }, stopReason: 'endTurn' };
  });
  client.setRequestHandler(ElicitRequestSchema, async () => {
    seen.elicitation!++;
    return { action: 'accept', content: { name: 'Ada' } };
  });
  client.setRequestHandler(ListRootsRequestSchema, async () => {
    seen.roots!++;
    return { roots: [{ uri: 'file:///srv/project', name: 'project' }] };
  });
  return { client, seen };
}

async function stop(conn: StdioConnection): Promise<void> {
  await conn.close();
  await waitFor(() => !isAlive(conn.pid), 30_000, 'mcp-warden to exit');
}

let dir: string;
beforeAll(async () => {
  dir = await tempDir();
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('default policy in front of server-everything', () => {
  it('roots/list from the server reaches the client and is audited as allowed; trigger-* tools stay refused', async () => {
    const db = join(dir, 'everything.db');
    const { client, seen } = countingClient();
    const conn = await connectCli(['wrap', '--audit', db, '--name', 'everything', '--', process.execPath, EVERYTHING, 'stdio'], client);
    try {
      // server-everything asks for the client's roots shortly after initialize.
      await waitFor(() => seen.roots! > 0, 30_000, 'roots/list from server-everything');
      const roots = await conn.client.callTool({ name: 'get-roots-list', arguments: {} });
      expect(JSON.stringify(roots.content)).toContain('file:///srv/project');
      // The default pack treats server-everything's own sampling trigger as a write.
      const { tools } = await conn.client.listTools();
      expect(tools.map((t) => t.name)).not.toContain('trigger-sampling-request');
      const refused = await conn.client.callTool({ name: 'trigger-sampling-request', arguments: { prompt: 'hi', maxTokens: 5 } });
      expect(refused.isError).toBe(true);
      expect(firstText(refused)).toContain('Denied by policy');
      expect(seen.sampling).toBe(0);
    } finally {
      await stop(conn);
    }
    const rows = await auditRows(db, 'roots/list');
    expect(rows.length).toBeGreaterThan(0);
    for (const row of rows) expect(row).toMatchObject({ backend: 'everything', decision: 'allow', outcome: 'ok', reasons: [] });
  });
});

describe('default policy in front of a backend that samples and elicits', () => {
  it('a sampling and an elicitation round trip succeed and are audited as allowed', async () => {
    const db = join(dir, 'allowed.db');
    const { client, seen } = countingClient();
    const conn = await connectCli(['wrap', '--audit', db, '--name', 'assistant', '--', process.execPath, ASSISTANT], client);
    try {
      const summary = await conn.client.callTool({ name: 'summarize_notes', arguments: {} });
      expect(summary.isError).toBeFalsy();
      expect(firstText(summary)).toBe('summary: sampled: 1 message(s)');
      const prefs = await conn.client.callTool({ name: 'get_user_preferences', arguments: {} });
      expect(firstText(prefs)).toBe('preferences: action=accept name=Ada');
      expect(seen).toMatchObject({ sampling: 1, elicitation: 1 });
    } finally {
      await stop(conn);
    }
    expect(await auditRows(db, 'sampling/createMessage')).toEqual([
      expect.objectContaining({ backend: 'assistant', decision: 'allow', outcome: 'ok', reasons: [] }),
    ]);
    expect(await auditRows(db, 'elicitation/create')).toEqual([
      expect.objectContaining({ backend: 'assistant', decision: 'allow', outcome: 'ok', reasons: [] }),
    ]);
  });

  it('deny_server_requests: sampling is answered to the server with the policy error and never reaches the client', async () => {
    const db = join(dir, 'denied.db');
    const data = join(dir, 'deny-sampling.yaml');
    await writeFile(data, 'warden:\n  read_only:\n    deny_server_requests: [sampling/createMessage]\n');
    const reason = "Request 'sampling/createMessage' from backend 'assistant' to the client is denied by data.warden.read_only.deny_server_requests";
    const { client, seen } = countingClient();
    const conn = await connectCli(['wrap', '--audit', db, '--data', data, '--name', 'assistant', '--', process.execPath, ASSISTANT], client);
    try {
      const summary = await conn.client.callTool({ name: 'summarize_notes', arguments: {} });
      // The backend's own tool reports the JSON-RPC error it got back for its sampling request.
      expect(summary.isError).toBe(true);
      expect(firstText(summary)).toContain('sampling/createMessage failed:');
      expect(firstText(summary)).toContain(`reasons=${JSON.stringify([reason])}`);
      expect(seen.sampling).toBe(0);
      // Elicitation is not in the list: still allowed.
      const prefs = await conn.client.callTool({ name: 'get_user_preferences', arguments: {} });
      expect(firstText(prefs)).toBe('preferences: action=accept name=Ada');
      expect(seen.elicitation).toBe(1);
    } finally {
      await stop(conn);
    }
    expect(await auditRows(db, 'sampling/createMessage')).toEqual([
      expect.objectContaining({ backend: 'assistant', decision: 'deny', outcome: 'denied', reasons: [reason] }),
    ]);
    expect(await auditRows(db, 'elicitation/create')).toEqual([expect.objectContaining({ decision: 'allow', outcome: 'ok' })]);
  });
});
