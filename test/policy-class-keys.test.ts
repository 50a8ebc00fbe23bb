/**
 * Decisions reused by class (src/proxy/judged-calls.ts with projected-key.ts classKey and
 * PolicyDecider.decidedByClass), in process with the real decider and a real backend child. A
 * property test over every shipped pack and several clients: random calls whose `name`,
 * `namespace` and `resourceType` (and other members) are random strings (a leading '-', unicode,
 * characters JSON escapes, the empty string, a name spelled with a \u escape), numbers, booleans,
 * null, arrays, objects or absent. Each call is sent the usual way (a string id: decided afresh)
 * and its input document taken from that decision; then compactly (the byte path, where a decision
 * kept for another call of the same class may answer it). Each run sends a call, then the same call
 * with another random `name`: the second meets the decision kept for the first when their names
 * have the same class, and must be decided afresh when they do not. The compact answer must be the one a
 * fresh evaluation of that input document gives with no memo at all (a new prepared rule per
 * evaluation, no carried values): allowed and forwarded, or denied with the same reasons.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { requestReasons } from '../src/policy/decision.js';
import type { CompiledPolicy } from '../src/policy/engine.js';
import { engineFor } from '../src/policy/engines.js';
import { buildInput } from '../src/policy/input.js';
import { BUILTIN_PACKS_DIR, createPolicyDecider, type PolicyDeciderHandle } from '../src/policy/index.js';
import { resolvePolicy } from '../src/policy/sources.js';
import type { Decision, InterceptContext } from '../src/types.js';
import { CountingDecider, compactCall, receivedLine, startJudgedProxy, usualCall, type JudgedProxy, type Message } from './helpers/judged-session.js';
import { UNIVERSES } from './helpers/pack-universe.js';

let running: JudgedProxy | undefined;
let dir: string | undefined;
afterEach(async () => {
  await running?.close();
  running = undefined;
  if (dir) await rm(dir, { recursive: true, force: true });
  dir = undefined;
});

/** Remembers the context of the last tools/call decided (a copy: the byte path reuses its context). */
class RecordingDecider extends CountingDecider {
  last: InterceptContext | undefined;
  override decide(ctx: InterceptContext): Decision {
    if (ctx.method === 'tools/call') this.last = { ...ctx };
    return super.decide(ctx);
  }
}

/** The reasons a fresh evaluation gives: every rule through a new prepared rule (no memo, nothing carried). */
function freshReasons(pack: string, dataFile: string): (ctx: InterceptContext) => string[] {
  const resolved = resolvePolicy([pack], [dataFile], {}, { engine: 'rego', baseDir: process.cwd(), packsDir: BUILTIN_PACKS_DIR });
  const compiled = engineFor('rego').compile(resolved.sources, resolved.data, 'mcp.authz', { strictBuiltinErrors: true });
  // each rule on its own prepared rule (rego/index.ts PreparedRule: a new generation per evaluation,
  // no decision memo, nothing carried between inputs); no evaluatePhase: no shared query
  const plain: CompiledPolicy = { evaluate: (rule, input) => compiled.evaluate(rule, input), defines: (rule) => compiled.defines(rule) };
  return (ctx) => {
    try {
      return requestReasons(plain, buildInput(ctx), 'mcp.authz');
    } catch (err) {
      return [`policy error: ${(err as Error).message}`];
    }
  };
}

/** what an answer shows: forwarded, or the deny's text */
function shown(answer: Message): unknown {
  if (receivedLine(answer) !== undefined) return 'forwarded';
  return answer.result ?? answer.error;
}

const str = fc.oneof(
  fc.string({ maxLength: 8 }),
  fc.string({ maxLength: 6 }).map((s) => `-${s}`),
  fc.string({ maxLength: 6, unit: 'grapheme' }),
  fc.string({ maxLength: 6, unit: 'binary' }),
  fc.constantFrom('', '-', '--', '--namespace=kube-system', '-A', '-n', 'web-1', 'é', '日本', '😀', 'a"b', 'a\\b', '\u2028', '\u0000', '\u007f', 'default', 'kube-system', 'secrets', 'pods', 'events'),
);
const value = fc.oneof(
  { weight: 8, arbitrary: str },
  fc.integer(),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.boolean(),
  fc.constant(null),
  fc.array(fc.oneof(str, fc.integer()), { maxLength: 2 }),
  fc.dictionary(fc.constantFrom('a', 'name', '-'), str, { maxKeys: 2 }),
);
/** absent (undefined) or a value */
const member = fc.option(value, { nil: undefined, freq: 4 });
/** mostly a few plain values (so that calls often differ in name alone), else any member */
const usual = fc.oneof({ weight: 3, arbitrary: fc.constantFrom(undefined, 'default', 'pods') }, member);
/** a name: mostly a string (the classes are those of strings), else any member */
const aName = fc.oneof({ weight: 3, arbitrary: str }, member);
/** whether name is spelled with an escape (a quarter of the time) */
const escape = fc.integer({ min: 0, max: 3 }).map((i) => i === 0);

/** params spelled with arguments.name's first character (a code point) as \u escapes, when name is a non-empty string written first */
function spelled(tool: string, args: Record<string, unknown>, escapeName: boolean): string {
  let a = JSON.stringify(args);
  const n = args.name;
  const plainName = `{"name":${JSON.stringify(n)}`;
  if (escapeName && typeof n === 'string' && n.length > 0 && a.startsWith(plainName)) {
    const k = n.codePointAt(0)! > 0xffff ? 2 : 1;
    const units = Array.from({ length: k }, (_, i) => `\\u${n.charCodeAt(i).toString(16).padStart(4, '0')}`).join('');
    a = `{"name":"${units}${JSON.stringify(n.slice(k)).slice(1)}${a.slice(plainName.length)}`;
  }
  return `{"name":${JSON.stringify(tool)},"arguments":${a}}`;
}

for (const universe of UNIVERSES.filter((u) => u.pack !== 'allow-all')) {
  const pack = universe.pack;
  const runs = pack === 'kubernetes' ? 300 : 40;
  describe(`${pack}: the byte path with class keys decides as a fresh evaluation`, () => {
    it('random names, namespaces, resource types: compact answer = fresh evaluation of its input', async () => {
      dir = await mkdtemp(join(tmpdir(), 'warden-classes-'));
      const dataFile = join(dir, 'data.json');
      await writeFile(dataFile, JSON.stringify(universe.data));
      const reference = freshReasons(pack, dataFile);
      const inner: PolicyDeciderHandle = createPolicyDecider({ paths: [pack], dataFiles: [dataFile] });
      const decider = new RecordingDecider(inner);
      running = startJudgedProxy(inner, universe.tools, decider);
      const sessions = await Promise.all(universe.clients.slice(0, 3).map((c) => running!.open(c)));
      const pool = universe.clients.flatMap((c) => universe.args(c));
      const toolNames = Object.keys(universe.tools);
      // a few tools most of the time (calls meet the decisions kept for their class), any tool else
      const tool = fc.oneof({ weight: 3, arbitrary: fc.constantFrom(...toolNames.slice(0, 3)) }, fc.constantFrom(...toolNames));
      const args = fc
        .tuple(
          fc.oneof({ weight: 3, arbitrary: fc.constant({}) }, fc.constantFrom(...pool)),
          aName,
          usual,
          usual,
          fc.option(fc.dictionary(fc.constantFrom('x', 'labelSelector', 'container', 'operation'), value, { maxKeys: 2 }), { nil: {}, freq: 3 }),
        )
        .map(([base, name, namespace, resourceType, more]) => {
          // name first (spelled() escapes it there)
          const a: Record<string, unknown> = name !== undefined ? { name } : {};
          Object.assign(a, base, more);
          if (name !== undefined) a.name = name;
          if (namespace !== undefined) a.namespace = namespace;
          if (resourceType !== undefined) a.resourceType = resourceType;
          return a;
        });
      let n = 0;
      let byClass = 0;
      const exactSeen = new Set<string>();
      const seen = { forwarded: 0, denied: 0 };
      await fc.assert(
        fc.asyncProperty(fc.integer({ min: 0, max: sessions.length - 1 }), tool, args, aName, escape, escape, async (which, tool, a, otherName, esc1, esc2) => {
          const session = sessions[which]!;
          const second: Record<string, unknown> = otherName === undefined ? {} : { name: otherName };
          Object.assign(second, a);
          if (otherName === undefined) delete second.name;
          else second.name = otherName;
          for (const [params, byClassToo] of [
            [spelled(tool, a, esc1), false],
            [spelled(tool, second, esc2), true],
          ] as const) {
            const id = `u${++n}`;
            decider.last = undefined;
            const usual = await session.send(`{"jsonrpc":"2.0","id":"${id}","method":"tools/call","params":${params}}`, id);
            const ctx = decider.last as InterceptContext | undefined;
            expect(ctx, 'the usual way decides').toBeDefined();
            const reasons = reference(ctx!);
            const before = decider.toolCalls;
            const compact = await session.send(`{"jsonrpc":"2.0","id":${++n},"method":"tools/call","params":${params}}`, n);
            const got = shown(compact);
            if (reasons.length === 0) expect(got, params).toBe('forwarded');
            else {
              expect(got, params).not.toBe('forwarded');
              for (const r of reasons) expect(JSON.stringify(got), params).toContain(JSON.stringify(r).slice(1, -1));
            }
            expect(got, params).toEqual(shown(usual));
            seen[got === 'forwarded' ? 'forwarded' : 'denied']++;
            // answered without deciding, and no call with these exact params was decided before: a class key
            const key = `${which} ${params}`;
            if (byClassToo && decider.toolCalls === before && !exactSeen.has(key)) byClass++;
            exactSeen.add(key);
          }
        }),
        { numRuns: runs, seed: 1616 },
      );
      expect(seen.denied + seen.forwarded).toBe(2 * runs);
      if (pack === 'kubernetes') {
        expect(seen.denied).toBeGreaterThan(5);
        expect(seen.forwarded).toBeGreaterThan(5);
        // class keys answered calls never seen with these bytes (distinct names of one class)
        expect(byClass).toBeGreaterThan(40);
      }
    }, 300_000);
  });
}

describe('compactCall and usualCall spell what the property sends', () => {
  it('a \\u escape spelling reads as the same params', () => {
    const p = spelled('kubectl_get', { name: '-web', namespace: 'default' }, true);
    expect(p).toContain('"name":"\\u002dweb"');
    expect(JSON.parse(p)).toEqual({ name: 'kubectl_get', arguments: { name: '-web', namespace: 'default' } });
    expect(compactCall(1, {})).toContain('"id":1');
    expect(usualCall('a', {})).toContain('"id":"a"');
  });
});
