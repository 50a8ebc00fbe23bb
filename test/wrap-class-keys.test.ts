/**
 * Decisions reused by class through a real `mcp-warden wrap` (stdio pipes, the built CLI) with the
 * kubernetes pack, in front of test/servers/listed-tools-server.mjs (which records every line it
 * reads). The pack reads a call's `name` only to refuse one kubectl would read as a flag (a string
 * starting with "-", or not a string): calls that differ only in a plain name share one kept
 * decision (projected-key.ts classKey), so 30 distinct names cost as many evaluations as one (the
 * policy logs how many request decisions it evaluated when it closes, at debug level), while a
 * name starting with "-" (also spelled with an escape) is still denied and never reaches the
 * server. With policy.reuseDecisions: false the same calls are each evaluated.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { LineClient } from './helpers/line-client.js';
import { ROOT } from './helpers/proxy.js';

const SERVER = join(ROOT, 'test/servers/listed-tools-server.mjs');
const TOOLS = { kubectl_get: { readOnlyHint: true }, kubectl_generic: {} };

let dir: string;
let client: LineClient | undefined;
let runs = 0;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'warden-class-keys-'));
  return () => rm(dir, { recursive: true, force: true });
});

afterEach(async () => {
  if (client) {
    client.proc.stdin.end();
    await client.exited;
  }
  client = undefined;
});

async function start(reuse: boolean): Promise<{ c: LineClient; record: string }> {
  const n = ++runs;
  const record = join(dir, `record-${n}.jsonl`);
  const config = join(dir, `warden-${n}.yaml`);
  await writeFile(config, `policy:\n  paths: [kubernetes]\n  watch: false\n  reuseDecisions: ${reuse}\n`);
  const c = new LineClient(['wrap', '--no-audit', '--config', config, '--', process.execPath, SERVER], {
    MCP_WARDEN_LOG_LEVEL: 'debug',
    LISTED_TOOLS: JSON.stringify(TOOLS),
    LISTED_TOOLS_RECORD: record,
  });
  client = c;
  await c.initialize();
  return { c, record };
}

/** The names of the tools/call lines the server read, in order. */
async function receivedNames(record: string): Promise<unknown[]> {
  if (!existsSync(record)) return [];
  const lines = (await readFile(record, 'utf8')).split('\n').filter((l) => l.trim() !== '');
  return lines
    .map((l) => JSON.parse(l) as { method?: string; params?: { arguments?: { name?: unknown } } })
    .filter((m) => m.method === 'tools/call')
    .map((m) => m.params?.arguments?.name);
}

/** Ends wrap and returns how many request decisions its policy evaluated (logged on close). */
async function evaluated(c: LineClient): Promise<number> {
  c.proc.stdin.end();
  await c.exited;
  client = undefined;
  const closed = c.stderr
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Record<string, unknown>)
    .find((l) => l.msg === 'policy closed');
  expect(closed, c.stderr).toBeDefined();
  return closed!.requestDecisions as number;
}

const FLAG = "Argument 'name' starts with '-' (kubectl would read it as a flag): denied";

/** Sends kubectl_get calls with these names, then three names kubectl would read as flags; checks every answer. */
async function session(c: LineClient, names: string[]): Promise<void> {
  // the tool definitions first (a call for a tool not listed yet goes the usual way, and keeps no decision)
  await c.request(1, 'tools/list');
  let id = 10;
  for (const name of names) {
    const answer = await c.request(id++, 'tools/call', { name: 'kubectl_get', arguments: { resourceType: 'pods', name, namespace: 'default' } });
    const result = answer.result as { content: { text: string }[]; isError?: boolean };
    expect(result.isError, JSON.stringify(answer)).not.toBe(true);
    expect(JSON.parse(result.content[0]!.text)).toMatchObject({ params: { arguments: { name } } });
  }
  for (const spelled of ['"-A"', '"--namespace=kube-system"', '"\\u002dA"']) {
    const n = id++;
    c.write(`{"jsonrpc":"2.0","id":${n},"method":"tools/call","params":{"name":"kubectl_get","arguments":{"resourceType":"pods","name":${spelled},"namespace":"default"}}}\n`);
    let answer: Record<string, unknown>;
    do answer = await c.next();
    while (answer.id !== n);
    const result = answer.result as { content: { text: string }[]; isError?: boolean };
    expect(result.isError, spelled).toBe(true);
    expect(result.content[0]!.text, spelled).toContain(FLAG);
  }
}

describe('wrap, kubernetes pack: calls differing only in a plain name share one decision', () => {
  it('30 distinct names are evaluated as often as one; names kubectl reads as flags are denied, never forwarded', async () => {
    const names = Array.from({ length: 30 }, (_, i) => `web-${i}-${'x'.repeat(i % 7)}`);

    const one = await start(true);
    await session(one.c, ['web']);
    expect(await receivedNames(one.record)).toEqual(['web']);
    const once = await evaluated(one.c);

    const many = await start(true);
    await session(many.c, names);
    // every allowed call reached the server with its own name; none of the flag-like ones did
    expect(await receivedNames(many.record)).toEqual(names);
    expect(await evaluated(many.c)).toBe(once);

    // the same calls with reuse off: each evaluated
    const off = await start(false);
    await session(off.c, names);
    expect(await receivedNames(off.record)).toEqual(names);
    expect(await evaluated(off.c)).toBeGreaterThanOrEqual(once + names.length - 1);
  }, 60_000);
});
