/**
 * Adversarial review of decision reuse on the byte path (src/proxy/judged-calls.ts with
 * projected-key.ts: the exact key on the observed members, the class key on the class-keyed ones),
 * in process with the real decider over a custom policy and a real backend child. Each case is a
 * policy whose decision for one call was kept and whose decision for a second call, equal in its
 * key, differs in a fresh evaluation: the second call, sent compactly after the first, must be
 * answered as a fresh evaluation answers it (the same call with a string id, which the byte path
 * does not take).
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createPolicyDecider } from '../src/policy/index.js';
import { client } from './helpers/contexts.js';
import { compactCall, receivedLine, startJudgedProxy, usualCall, type JudgedProxy, type Message } from './helpers/judged-session.js';

let running: JudgedProxy | undefined;
let dir: string | undefined;
afterEach(async () => {
  await running?.close();
  running = undefined;
  if (dir) await rm(dir, { recursive: true, force: true });
  dir = undefined;
});

/** every other request allowed: initialize, tools/list */
const HEAD = 'package mcp.authz\n\nimport rego.v1\n\nallow if input.method != "tools/call"\n\n';

/** what an answer shows: forwarded, or the deny's text */
function shown(answer: Message): unknown {
  if (receivedLine(answer) !== undefined) return 'forwarded';
  return answer.result ?? answer.error;
}

/**
 * Sends each call compactly (the byte path, in this order, in one session), each right after the
 * same call with a string id (decided afresh); returns [fresh, compact] answers per call.
 */
async function run(policy: string, calls: Array<Record<string, unknown>>): Promise<Array<[unknown, unknown]>> {
  dir = await mkdtemp(join(tmpdir(), 'warden-class-adv-'));
  const file = join(dir, 'policy.rego');
  await writeFile(file, HEAD + policy);
  const inner = createPolicyDecider({ paths: [file], watch: false });
  running = startJudgedProxy(inner, { t: {} });
  const session = await running.open(client('local', [], {}, 'local'));
  const out: Array<[unknown, unknown]> = [];
  let n = 0;
  for (const args of calls) {
    const params = { name: 't', arguments: args };
    const id = `u${++n}`;
    const fresh = shown(await session.send(usualCall(id, params), id));
    const compact = shown(await session.send(compactCall(++n, params), n));
    out.push([fresh, compact]);
  }
  return out;
}

describe('byte path: a kept decision answers a call equal in its key only where a fresh evaluation agrees', () => {
  it('two complete rules whose values conflict but for one value of a member read by its type', async () => {
    // r is `name` when the values agree ("x"), a conflict (an evaluation error: denied) otherwise
    const policy = 'r := input.arguments.name if input.tool.name == "t"\n\nr := "x" if input.tool.name == "t"\n\nallow if is_string(r)\n';
    const got = await run(policy, [{ name: 'x' }, { name: 'y' }]);
    expect(got[0]).toEqual(['forwarded', 'forwarded']);
    expect(got[1]![0]).not.toBe('forwarded');
    expect(got[1]![1]).toEqual(got[1]![0]);
  });

  it('two function clauses whose results conflict but for one value of a member read by its type', async () => {
    const policy = 'f(v) := v\n\nf(_) := "x"\n\nallow if is_string(f(input.arguments.name))\n';
    const got = await run(policy, [{ name: 'x' }, { name: 'y' }]);
    expect(got[0]).toEqual(['forwarded', 'forwarded']);
    expect(got[1]![0]).not.toBe('forwarded');
    expect(got[1]![1]).toEqual(got[1]![0]);
  });

  it('two complete rules holding the arguments object: their conflict compares members no rule looks up', async () => {
    // the footprint would be {name}: a conflict whenever arguments has any other member
    const policy = 'a := input.arguments if input.tool.name == "t"\n\na := {"name": "x"} if input.tool.name == "t"\n\nallow if a.name == "x"\n';
    const got = await run(policy, [{ name: 'x' }, { name: 'x', other: 1 }]);
    expect(got[0]).toEqual(['forwarded', 'forwarded']);
    expect(got[1]![0]).not.toBe('forwarded');
    expect(got[1]![1]).toEqual(got[1]![0]);
  });

  it('a call whose output argument is bound already compares its result with it: a member read by its type', async () => {
    // f(1, x) with x bound to "a" holds only when name is "a"
    const policy = 'f(_) := input.arguments.name\n\nallow if {\n\tx := "a"\n\tf(1, x)\n}\n';
    const got = await run(policy, [{ name: 'a' }, { name: 'b' }]);
    expect(got[0]).toEqual(['forwarded', 'forwarded']);
    expect(got[1]![0]).not.toBe('forwarded');
    expect(got[1]![1]).toEqual(got[1]![0]);
  });

  it('a call whose output argument is bound already compares its result with it: the arguments object', async () => {
    const policy = 'allow if {\n\tx := {"name": "a"}\n\tobject.get(input, "arguments", {}, x)\n}\n';
    const got = await run(policy, [{ name: 'a' }, { name: 'b' }]);
    expect(got[0]).toEqual(['forwarded', 'forwarded']);
    expect(got[1]![0]).not.toBe('forwarded');
    expect(got[1]![1]).toEqual(got[1]![0]);
  });

  it('a call whose output argument holds the member already compares it with the result', async () => {
    const policy = 'g(_) := "a"\n\nallow if {\n\tx := input.arguments.name\n\tg(1, x)\n}\n';
    const got = await run(policy, [{ name: 'a' }, { name: 'b' }]);
    expect(got[0]).toEqual(['forwarded', 'forwarded']);
    expect(got[1]![0]).not.toBe('forwarded');
    expect(got[1]![1]).toEqual(got[1]![0]);
  });

  it('a class-keyed member written twice, or beside a case variant of its name, never meets the decision kept for its class', async () => {
    dir = await mkdtemp(join(tmpdir(), 'warden-class-adv-'));
    const file = join(dir, 'policy.rego');
    await writeFile(file, `${HEAD}deny contains "flag" if startswith(input.arguments.name, "-")\n\nallow if input.tool.name == "t"\n`);
    running = startJudgedProxy(createPolicyDecider({ paths: [file], watch: false }), { t: {} });
    expect(running.decider.pureDecisionFootprint?.classes?.map((c) => c.member)).toEqual(['name']);
    const session = await running.open(client('local', [], {}, 'local'));
    const line = (id: number, args: string) => `{"jsonrpc":"2.0","id":${id},"method":"tools/call","params":{"name":"t","arguments":${args}}}`;
    expect(shown(await session.send(line(1, '{"name":"web"}'), 1))).toBe('forwarded');
    // the same class: answered by the kept decision without deciding
    const before = running.decider.toolCalls;
    expect(shown(await session.send(line(2, '{"name":"db"}'), 2))).toBe('forwarded');
    expect(running.decider.toolCalls).toBe(before);
    for (const [id, args] of [
      [3, '{"name":"web","name":"-A"}'],
      [4, '{"name":"-A","name":"web"}'],
      [5, '{"name":"web","Name":"-A"}'],
      [6, '{"Name":"-A","name":"web"}'],
    ] as const) {
      // refused, or parsed (the last one read) and judged so: the backend then gets what was judged, written once
      const answer = await session.send(line(id, args), id);
      const received = receivedLine(answer);
      if (received !== undefined) expect(received, args).not.toContain('-A');
    }
  });
});
