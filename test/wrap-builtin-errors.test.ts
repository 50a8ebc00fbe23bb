/**
 * policy.builtinErrors through a real `mcp-warden wrap` (stdio pipes, the built CLI) in front of a
 * test server that records every line it reads (test/servers/listed-tools-server.mjs with
 * LISTED_TOOLS_RECORD). The policy is the allow-all pack plus
 * `deny contains "x" if startswith(input.arguments.name, "-")`:
 *   - strict (the default, or said in the config): a call with name 5 (startswith of a number: a
 *     builtin error) is denied with the usual deny answer naming the evaluation error and its
 *     location, and never reaches the backend; the error is logged with its location; a tool whose
 *     list decision errors is hidden; a response whose response-phase decision errors is withheld.
 *   - undefined (--builtin-errors undefined, or in the config): OPA's default, the expression is
 *     undefined, the deny rule does not fire: the call is forwarded, the tool listed, the answer shown.
 * The strict runs go through the interpreter with and without the decision memo's generated
 * readers (MCP_WARDEN_REGO_CODEGEN unset, 0) and through generated code (MCP_WARDEN_REGO_CODEGEN=1).
 * Calls are sent as ok, 5, ok, 5: with the audit off the proxy keeps decisions for reuse, and an
 * erroring call must never be answered from (or leave) a kept decision.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { LineClient } from './helpers/line-client.js';
import { ROOT } from './helpers/proxy.js';
import { BUILTIN_ERROR_POLICY } from './helpers/builtin-error-policy.js';

const SERVER = join(ROOT, 'test/servers/listed-tools-server.mjs');

const REQUEST_POLICY = BUILTIN_ERROR_POLICY;

// The server answers a call with the line it read: the response phase looks into it (redact turns the phase on).
const RESPONSE_POLICY = `package mcp.authz

import rego.v1

redact := set()

deny contains "withheld" if {
	input.phase == "response"
	startswith(json.unmarshal(input.result.content[0].text).params.arguments.tag, "-")
}
`;

let dir: string;
let client: LineClient | undefined;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'warden-builtin-errors-'));
  await writeFile(join(dir, 'deny.rego'), REQUEST_POLICY);
  await writeFile(join(dir, 'response.rego'), RESPONSE_POLICY);
  return () => rm(dir, { recursive: true, force: true });
});

afterEach(async () => {
  if (client) {
    client.proc.stdin.end();
    await client.exited;
  }
  client = undefined;
});

interface Run {
  /** policy.builtinErrors in the config file (absent: not set) */
  config?: 'strict' | 'undefined';
  /** wrap's --builtin-errors */
  flag?: 'strict' | 'undefined';
  env?: Record<string, string>;
}

let runs = 0;

/** Starts wrap with the allow-all pack and `policyFile`; returns the client and the server's record file. */
async function start(policyFile: string, run: Run): Promise<{ c: LineClient; record: string }> {
  const n = ++runs;
  const record = join(dir, `record-${n}.jsonl`);
  const config = join(dir, `warden-${n}.yaml`);
  await writeFile(config, `policy:\n  paths: [allow-all, ./${policyFile}]\n  watch: false\n${run.config ? `  builtinErrors: ${run.config}\n` : ''}`);
  const args = ['wrap', '--no-audit', '--config', config];
  if (run.flag) args.push('--builtin-errors', run.flag);
  args.push('--', process.execPath, SERVER);
  const c = new LineClient(args, {
    MCP_WARDEN_LOG_LEVEL: 'info',
    LISTED_TOOLS: JSON.stringify({ safe: {}, odd: { title: 5 }, dashed: { title: '-x' } }),
    LISTED_TOOLS_RECORD: record,
    ...run.env,
  });
  client = c;
  await c.initialize();
  return { c, record };
}

/** The arguments of every tools/call the server read, in order. */
async function received(record: string): Promise<unknown[]> {
  if (!existsSync(record)) return [];
  const lines = (await readFile(record, 'utf8')).split('\n').filter((l) => l.trim() !== '');
  return lines.map((l) => JSON.parse(l) as { method?: string; params?: { arguments?: unknown } }).filter((m) => m.method === 'tools/call').map((m) => m.params?.arguments);
}

/** The text of a tools/call answer, and whether it is an error result. */
function callText(answer: Record<string, unknown>): { text: string; isError: boolean } {
  const result = answer.result as { content: { text: string }[]; isError?: boolean };
  return { text: result.content[0]!.text, isError: result.isError === true };
}

/** Ends wrap (the client closes its input) and returns its log lines (pino JSON on stderr). */
async function logOf(c: LineClient): Promise<Record<string, unknown>[]> {
  c.proc.stdin.end();
  await c.exited;
  client = undefined;
  return c.stderr
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

const STRICT_RUNS: [string, Run][] = [
  ['by default', {}],
  ['builtinErrors: strict in the config', { config: 'strict' }],
  ['--builtin-errors strict, generated code (MCP_WARDEN_REGO_CODEGEN=1)', { flag: 'strict', env: { MCP_WARDEN_REGO_CODEGEN: '1' } }],
  ['by default, interpreter alone (MCP_WARDEN_REGO_CODEGEN=0)', { env: { MCP_WARDEN_REGO_CODEGEN: '0' } }],
];

const UNDEFINED_RUNS: [string, Run][] = [
  ['--builtin-errors undefined', { flag: 'undefined' }],
  ['builtinErrors: undefined in the config', { config: 'undefined' }],
];

const ERROR_TEXT = /^Denied by policy: policy error: .*deny\.rego:5:\d+: eval_type_error: startswith: operand 1 must be string but got number$/;

describe('wrap: a builtin error in the policy under builtinErrors strict', () => {
  for (const [label, run] of STRICT_RUNS) {
    it(`${label}: the call is denied naming the evaluation error, never forwarded; the erroring tool is hidden`, async () => {
      const { c, record } = await start('deny.rego', run);
      const list = (await c.request(1, 'tools/list')).result as { tools: { name: string }[] };
      expect(list.tools.map((t) => t.name).sort()).toEqual(['redefine', 'safe', 'slow']);

      const answers: { text: string; isError: boolean }[] = [];
      let id = 10;
      for (const name of ['ok', 5, 'ok', 5, '-x']) answers.push(callText(await c.request(id++, 'tools/call', { name: 'safe', arguments: { name } })));
      expect(answers[0]!.isError).toBe(false);
      expect(answers[2]!.isError).toBe(false);
      for (const a of [answers[1]!, answers[3]!]) {
        expect(a.isError).toBe(true);
        expect(a.text).toMatch(ERROR_TEXT);
      }
      expect(answers[4]).toEqual({ text: 'Denied by policy: x', isError: true });
      // the backend read only the allowed calls
      expect(await received(record)).toEqual([{ name: 'ok' }, { name: 'ok' }]);

      const log = await logOf(c);
      expect(log.find((l) => l.msg === 'policy loaded')).toMatchObject({ builtinErrors: 'strict' });
      const errors = log.filter((l) => typeof l.msg === 'string' && l.msg.startsWith('policy evaluation error'));
      expect(errors.length).toBeGreaterThan(0);
      const callError = errors.find((l) => l.method === 'tools/call');
      expect(callError).toBeDefined();
      expect(callError!.location).toMatch(/deny\.rego:5:\d+$/);
      expect(callError!.msg).toMatch(/eval_type_error: startswith: operand 1 must be string but got number/);
      const listError = errors.find((l) => l.phase === 'list');
      expect(listError?.tool).toBe('odd');
      expect(listError!.location).toMatch(/deny\.rego:9:\d+$/);
    });
  }

  it('the response phase: an answer whose decision errors is withheld, though the backend had the call', async () => {
    const { c, record } = await start('response.rego', {});
    const err = callText(await c.request(1, 'tools/call', { name: 'safe', arguments: { tag: 5 } }));
    expect(err.isError).toBe(true);
    expect(err.text).toMatch(/^Denied by policy: policy error: .*response\.rego:9:\d+: eval_type_error: startswith: operand 1 must be string but got number$/);
    expect(callText(await c.request(2, 'tools/call', { name: 'safe', arguments: { tag: '-a' } }))).toEqual({ text: 'Denied by policy: withheld', isError: true });
    expect(callText(await c.request(3, 'tools/call', { name: 'safe', arguments: { tag: 'a' } })).isError).toBe(false);
    expect(await received(record)).toEqual([{ tag: 5 }, { tag: '-a' }, { tag: 'a' }]);
  });
});

describe('wrap: builtinErrors undefined keeps OPA default (the expression is undefined)', () => {
  for (const [label, run] of UNDEFINED_RUNS) {
    it(`${label}: the call is forwarded, the tool listed, and the mode is warned about at startup`, async () => {
      const { c, record } = await start('deny.rego', run);
      const list = (await c.request(1, 'tools/list')).result as { tools: { name: string }[] };
      expect(list.tools.map((t) => t.name).sort()).toEqual(['odd', 'redefine', 'safe', 'slow']);
      const answer = callText(await c.request(2, 'tools/call', { name: 'safe', arguments: { name: 5 } }));
      expect(answer.isError).toBe(false);
      expect(JSON.parse(answer.text)).toMatchObject({ method: 'tools/call', params: { arguments: { name: 5 } } });
      expect(callText(await c.request(3, 'tools/call', { name: 'safe', arguments: { name: '-x' } }))).toEqual({ text: 'Denied by policy: x', isError: true });
      expect(await received(record)).toEqual([{ name: 5 }]);
      const log = await logOf(c);
      expect(log.find((l) => l.msg === 'policy loaded')).toMatchObject({ builtinErrors: 'undefined' });
      expect(log.find((l) => l.level === 40 && typeof l.msg === 'string' && l.msg.includes('builtin errors are undefined'))).toBeDefined();
      expect(log.filter((l) => typeof l.msg === 'string' && l.msg.startsWith('policy evaluation error'))).toEqual([]);
    });
  }

  it('the response phase: the answer is shown', async () => {
    const { c } = await start('response.rego', { flag: 'undefined' });
    const answer = callText(await c.request(1, 'tools/call', { name: 'safe', arguments: { tag: 5 } }));
    expect(answer.isError).toBe(false);
    expect(JSON.parse(answer.text)).toMatchObject({ params: { arguments: { tag: 5 } } });
  });
});

describe('wrap --builtin-errors: bad values', () => {
  it('an unknown mode is refused at startup with the setting named (exit 3)', async () => {
    const c = new LineClient(['wrap', '--no-audit', '--policy', 'allow-all', '--builtin-errors', 'lenient', '--', process.execPath, SERVER]);
    const { code } = await c.exited;
    expect(code).toBe(3);
    expect(c.stderr).toMatch(/policy\.builtinErrors: Invalid option: expected one of "strict"\|"undefined"/);
  });
});
