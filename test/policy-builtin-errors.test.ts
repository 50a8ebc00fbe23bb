/**
 * policy.builtinErrors in the decision point (createPolicyDecider, the real Rego engine):
 *   - strict (the default with engine rego): a builtin error during a decision denies with the usual
 *     evaluation-error reason (`policy error: <file:line:col>: <code>: <builtin>: <message>`) and is
 *     logged with its location; at the request, list and response phases;
 *   - undefined: OPA's default, the expression is undefined (the deny rule does not fire);
 *   - the mode in force is logged at startup (a warning when it is undefined);
 *   - engine wasm has no strict mode: strict is refused there, and undefined is what it runs.
 * And the engine's evaluation paths under strict (test/rego level): the interpreter, its decision
 * memo with interpreted or generated readers, and generated code (codegen) give, query after query
 * on one long-lived prepared query, what a fresh evaluation gives: an error exactly where a fresh
 * evaluation errs, never a value kept from an earlier query (nor an error kept into a later one).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Logger } from '../src/log/logger.js';
import { createPolicyDecider } from '../src/policy/index.js';
import { compilePolicy, RegoEvalError, toJSON, type Value } from '../src/policy/rego/index.js';
import { memoStats } from '../src/policy/rego/topdown/memo.js';
import { listItem, toolCall, client, tool } from './helpers/contexts.js';
import { assembleTestPolicy, tarGz } from './helpers/wasm-policy.js';
import { BUILTIN_ERROR_POLICY } from './helpers/builtin-error-policy.js';

const POLICY = BUILTIN_ERROR_POLICY;

const RESPONSE_POLICY = `package mcp.authz

import rego.v1

redact := set()

deny contains "withheld" if {
	input.phase == "response"
	count(input.result.items) > 2
}
`;

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'warden-builtin-errors-'));
  writeFileSync(join(dir, 'deny.rego'), POLICY);
  writeFileSync(join(dir, 'response.rego'), RESPONSE_POLICY);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** a pino logger whose lines land in `lines` */
function capture(): { logger: Logger; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const logger = pino({ level: 'info' }, { write: (s: string) => void lines.push(JSON.parse(s) as Record<string, unknown>) });
  return { logger, lines };
}

function decider(extra: Record<string, unknown> = {}, file = 'deny.rego') {
  const { logger, lines } = capture();
  const d = createPolicyDecider({ paths: ['allow-all', file], watch: false, ...extra }, { baseDir: dir, logger });
  return { d, lines };
}

const ERROR_REASON = /^policy error: .*deny\.rego:5:\d+: eval_type_error: startswith: operand 1 must be string but got number$/;

describe('the decision point under builtinErrors', () => {
  it('strict by default: the request is denied with the evaluation error, logged with its location', () => {
    const { d, lines } = decider();
    const decision = d.decide(toolCall('safe', { name: 5 }));
    expect(decision.allowed).toBe(false);
    expect(decision.reasons).toHaveLength(1);
    expect(decision.reasons[0]).toMatch(ERROR_REASON);
    expect(decision.error).toMatch(/deny\.rego:5:\d+: eval_type_error: startswith/);
    expect(d.decide(toolCall('safe', { name: 'ok' }))).toMatchObject({ allowed: true, reasons: [] });
    expect(d.decide(toolCall('safe', { name: '-x' }))).toMatchObject({ allowed: false, reasons: ['x'] });
    expect(lines.find((l) => l.msg === 'policy loaded')).toMatchObject({ builtinErrors: 'strict', engine: 'rego' });
    const logged = lines.find((l) => typeof l.msg === 'string' && l.msg.startsWith('policy evaluation error'));
    expect(logged).toMatchObject({ level: 50, method: 'tools/call', phase: 'request', tool: 'safe' });
    expect(logged!.location).toMatch(/deny\.rego:5:\d+$/);
    expect(logged!.msg).toMatch(/startswith: operand 1 must be string but got number/);
    expect(lines.some((l) => l.level === 40)).toBe(false);
    d.close();
  });

  it('strict: a list item whose decision errors is denied (hidden)', () => {
    const { d } = decider({ builtinErrors: 'strict' });
    expect(d.decide(listItem('odd', { annotations: { title: 5 } }))).toMatchObject({ allowed: false, error: expect.stringMatching(/deny\.rego:9:\d+/) });
    expect(d.decide(listItem('plain', { annotations: { title: 'plain' } })).allowed).toBe(true);
    d.close();
  });

  it('strict: a response whose decision errors is denied (withheld)', () => {
    const { d } = decider({}, 'response.rego');
    expect(d.wantsResponsePhase).toBe(true);
    const call = toolCall('safe', {});
    const decision = d.decide({ ...call, phase: 'response', result: { items: 5 } });
    expect(decision.allowed).toBe(false);
    expect(decision.reasons[0]).toMatch(/^policy error: .*response\.rego:9:\d+: eval_type_error: count: operand 1 must be/);
    expect(d.decide({ ...call, phase: 'response', result: { items: [1, 2, 3] } })).toMatchObject({ allowed: false, reasons: ['withheld'] });
    expect(d.decide({ ...call, phase: 'response', result: { items: [] } }).allowed).toBe(true);
    d.close();
  });

  it('undefined: OPA default, the expression is undefined and the deny rule does not fire; warned at startup', () => {
    const { d, lines } = decider({ builtinErrors: 'undefined' });
    expect(d.decide(toolCall('safe', { name: 5 }))).toMatchObject({ allowed: true, reasons: [] });
    expect(d.decide(listItem('odd', { annotations: { title: 5 } })).allowed).toBe(true);
    expect(d.decide(toolCall('safe', { name: '-x' }))).toMatchObject({ allowed: false, reasons: ['x'] });
    expect(lines.find((l) => l.msg === 'policy loaded')).toMatchObject({ builtinErrors: 'undefined' });
    expect(lines.find((l) => l.level === 40)?.msg).toMatch(/builtin errors are undefined/);
    d.close();
    const r = decider({ builtinErrors: 'undefined' }, 'response.rego').d;
    expect(r.decide({ ...toolCall('safe', {}), phase: 'response', result: { items: 5 } }).allowed).toBe(true);
    r.close();
  });

  it('a value other than strict or undefined is refused', () => {
    expect(() => createPolicyDecider({ paths: ['allow-all'], watch: false, builtinErrors: 'lenient' as 'strict' })).toThrow(/builtinErrors/);
  });
});

describe('engine wasm has no strict mode', () => {
  let bundle: string;
  beforeAll(async () => {
    bundle = join(dir, 'bundle.tar.gz');
    writeFileSync(bundle, tarGz({ '/policy.wasm': await assembleTestPolicy(), '/data.json': '{}', '/.manifest': '{"revision":"1"}' }));
  });

  it('builtinErrors: strict with engine wasm is refused, naming the setting', () => {
    expect(() => createPolicyDecider({ engine: 'wasm', paths: [bundle], watch: false, builtinErrors: 'strict' })).toThrow(/builtinErrors.*not available with engine: wasm/s);
  });

  it('left out, engine wasm runs undefined and says so at startup', () => {
    const { logger, lines } = capture();
    const d = createPolicyDecider({ engine: 'wasm', paths: [bundle], watch: false }, { logger });
    expect(lines.find((l) => l.msg === 'policy loaded')).toMatchObject({ engine: 'wasm', builtinErrors: 'undefined' });
    expect(lines.find((l) => l.level === 40)?.msg).toMatch(/builtin errors are undefined/);
    d.close();
  });
});

/**
 * A policy whose rules err on some inputs at several depths: in the decision rules, in helpers
 * (complete, partial set, function, else chain, comprehension) reading input members a query
 * changes, and in a helper reading only stable members (tool), so that the memo, the keyed and
 * carried values and generated code all meet errors.
 */
const LAYERED = `package p

import rego.v1

allow if not blocked

name := input.arguments.name

dash if startswith(name, "-")

level := lower(input.arguments.level)

big if to_number(input.arguments.n) > 10

kind := "short" if {
	count(input.arguments.list) < 2
} else := "long" if {
	count(input.arguments.list) >= 2
}

shout(x) := upper(x)

tagged contains t if {
	some t in input.arguments.tags
	startswith(t, "#")
}

titled if endswith(input.tool.annotations.title, "!")

blocked if dash

blocked if level == "admin"

blocked if big

blocked if kind == "long"

blocked if shout(input.arguments.f) == "X"

blocked if count(tagged) > 1

blocked if titled

deny contains "dash" if dash

deny contains sprintf("level %s", [level]) if level != "user"

deny contains "tags" if count([t | some t in tagged]) > 0
`;

const VALUES = fc.constantFrom<unknown>('a', '-a', 'admin', 'user', 'x', '#t', '12', '3', 'zz', 5, 0, true, null, [], ['#a', '#b'], ['a'], [1, 2], { k: 1 }, undefined);
const ARGS = fc.record(
  { name: VALUES, level: VALUES, n: VALUES, list: VALUES, f: VALUES, tags: VALUES },
  { requiredKeys: [] },
);
const TOOLS = [tool('t', { title: 'ok' }), tool('t', { title: 'go!' }), tool('t', { title: 5 }), tool('u', {})];
const CLIENT = client('c');

type Outcome = { error: string } | { values: unknown[] };

function outcome(f: () => readonly (Value | undefined)[]): Outcome {
  try {
    return { values: f().map((v) => (v === undefined ? '<undefined>' : toJSON(v))) };
  } catch (e) {
    if (!(e instanceof RegoEvalError)) throw e;
    return { error: e.message };
  }
}

describe('strict builtin errors on every evaluation path (one long-lived query vs a fresh one each time)', () => {
  const REFS = ['data.p.allow', 'data.p.deny'];
  const STABLE = ['client', 'tool', 'session', 'backend'];
  for (const codegen of [false, true]) {
    for (const memoCodegen of [false, true]) {
      it(`codegen ${codegen ? 'on' : 'off'}, memo readers ${memoCodegen ? 'generated' : 'interpreted'}`, () => {
        const policy = compilePolicy([{ file: 'layered.rego', source: LAYERED }]);
        const long = policy.prepareRules(REFS, { strict: true, stable: STABLE, codegen, memoCodegen });
        // the path under test is the one taken: generated code when asked for
        expect(long.generated !== null).toBe(codegen);
        let errors = 0;
        let values = 0;
        const hitsBefore = memoStats.hits;
        // each call, then the same call again (the memo's identical case), then one member changed (its readers' check)
        const CALL = fc.tuple(ARGS, fc.nat(TOOLS.length - 1), fc.constantFrom('name', 'level', 'n', 'list', 'f', 'tags'), VALUES);
        fc.assert(
          fc.property(fc.array(CALL, { minLength: 1, maxLength: 6 }), (drawn) => {
            const calls = drawn.flatMap(([args, t, key, v]) => [[args, t], [args, t], [{ ...args, [key]: v }, t]] as const);
            for (const [args, t] of calls) {
              const input = { phase: 'request', method: 'tools/call', client: CLIENT, tool: TOOLS[t], arguments: args, params: { name: 't', arguments: args } };
              const plain = JSON.parse(JSON.stringify(input)) as unknown;
              const fresh = outcome(() => compilePolicy([{ file: 'layered.rego', source: LAYERED }]).prepareRules(REFS, { strict: true }).eval(plain));
              const kept = outcome(() => long.evalShared(input));
              expect(kept).toEqual(fresh);
              if ('error' in fresh) errors++;
              else values++;
            }
          }),
          { numRuns: 150 },
        );
        // both kinds were met, and (interpreted) the memo answered some queries (how many depends on the draws: one run had exactly 20)
        expect(errors).toBeGreaterThan(50);
        expect(values).toBeGreaterThan(50);
        if (!codegen) expect(memoStats.hits - hitsBefore).toBeGreaterThan(0);
      });
    }
  }

  it('non-strict (builtinErrors undefined) on the same path: never an error from a builtin', () => {
    const policy = compilePolicy([{ file: 'layered.rego', source: LAYERED }]);
    const long = policy.prepareRules(REFS, { strict: false, stable: STABLE });
    const input = { phase: 'request', client: CLIENT, tool: TOOLS[2], arguments: { name: 5, level: [], n: 'x', list: 5, f: 1, tags: 5 } };
    expect(outcome(() => long.evalShared(input))).toEqual({ values: [true, []] });
  });
});
