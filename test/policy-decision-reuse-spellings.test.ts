/**
 * Adversarial review of reused decisions through the proxy (src/proxy/judged-calls.ts with the
 * projected key): a policy that observes a member of params (_meta.tier), members of arguments, the
 * kind of the arguments (a string is allowed for one tool) and the tool; raw compact lines written
 * to share a key where they must not (escapes in names and values, 1 vs 1.0, -0 vs 0, absent vs
 * null vs false arguments, a name that is not a string, duplicates at depth, observed names nested
 * in other members, more members than the scan records), sent in A B A orders so that every line
 * can be answered from a decision kept for another. Each outcome must be the one the same params
 * get when sent the usual way (decided afresh).
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createPolicyDecider } from '../src/policy/index.js';
import { client } from './helpers/contexts.js';
import { receivedLine, startJudgedProxy, type JudgedProxy, type Message } from './helpers/judged-session.js';

let running: JudgedProxy | undefined;
let dir: string | undefined;
afterEach(async () => {
  await running?.close();
  running = undefined;
  if (dir) await rm(dir, { recursive: true, force: true });
  dir = undefined;
});

const POLICY = `package mcp.authz

import rego.v1

allow if input.method != "tools/call"

allow if {
	input.params._meta.tier == "gold"
	not input.arguments.danger
	input.arguments.n != 1
}

allow if {
	is_string(input.arguments)
	input.tool.name == "frob"
}

deny contains sprintf("danger %v", [input.arguments.danger]) if input.arguments.danger
`;

/** params spelled raw (a compact line's params member), the id put in by send */
const PARAMS = [
  '{"name":"frob","arguments":{"n":2},"_meta":{"tier":"gold"}}',
  '{"name":"frob","arguments":{"n":2},"_meta":{"tier":"g\\u006fld"}}',
  '{"name":"frob","arguments":{"n":2},"_meta":{"tier":"silver"}}',
  '{"name":"frob","arguments":{"n":1},"_meta":{"tier":"gold"}}',
  '{"name":"frob","arguments":{"n":1.0},"_meta":{"tier":"gold"}}',
  '{"name":"frob","arguments":{"n":1e0},"_meta":{"tier":"gold"}}',
  '{"name":"frob","arguments":{"n":-0},"_meta":{"tier":"gold"}}',
  '{"name":"frob","arguments":{"n":0},"_meta":{"tier":"gold"}}',
  '{"name":"frob","arguments":{"n":2,"danger":false},"_meta":{"tier":"gold"}}',
  '{"name":"frob","arguments":{"n":2,"danger":true},"_meta":{"tier":"gold"}}',
  '{"name":"frob","arguments":{"n":2,"\\u0064anger":true},"_meta":{"tier":"gold"}}',
  '{"name":"frob","arguments":{"n":2,"x":{"danger":true}},"_meta":{"tier":"gold"}}',
  '{"name":"frob","arguments":{"n":2},"x":{"danger":true},"_meta":{"tier":"gold"}}',
  '{"name":"frob","arguments":{"n":2,"x":{"danger":1,"danger":2}},"_meta":{"tier":"gold"}}',
  '{"name":"frob","arguments":{"n" : 2 , "danger" : "yes" },"_meta":{ "tier":"gold" }}',
  '{"name":"frob","arguments":"text","_meta":{"tier":"bronze"}}',
  '{"name":"frob","arguments":"te\\u0078t","_meta":{"tier":"bronze"}}',
  '{"name":"frob","arguments":null,"_meta":{"tier":"gold"}}',
  '{"name":"frob","arguments":false,"_meta":{"tier":"gold"}}',
  '{"name":"frob","_meta":{"tier":"gold"}}',
  '{"name":"frob","arguments":[{"danger":true}],"_meta":{"tier":"gold"}}',
  '{"name":"fro\\u0062","arguments":"text"}',
  '{"name":"other","arguments":"text"}',
  '{"name":"other","arguments":{"n":2},"_meta":{"tier":"gold"}}',
  '{"name":["frob"],"arguments":"text"}',
  `{"name":"frob","arguments":{${Array.from({ length: 40 }, (_, i) => `"m${i}":${i}`).join(',')},"danger":true},"_meta":{"tier":"gold"}}`,
  `{"name":"frob","arguments":{${Array.from({ length: 40 }, (_, i) => `"m${i}":${i}`).join(',')}},"_meta":{"tier":"gold"}}`,
  `{"name":"frob","arguments":{"n":2,"pad":"${'p'.repeat(3000)}"},"_meta":{"tier":"gold"}}`,
  `{"name":"frob","arguments":{"n":2,"danger":"${'d'.repeat(3000)}"},"_meta":{"tier":"gold"}}`,
];

/** the decision an answer shows: forwarded (the backend's echo; the bytes may differ: a compact line goes as written), or the deny */
function decided(answer: Message): unknown {
  return receivedLine(answer) !== undefined ? 'forwarded' : { result: answer.result, error: answer.error };
}

describe('reused decisions against lines written to share a key', () => {
  it('every line, in A B A orders, gets the outcome of a fresh decision of its params', async () => {
    dir = await mkdtemp(join(tmpdir(), 'warden-spellings-'));
    const file = join(dir, 'policy.rego');
    await writeFile(file, POLICY);
    const inner = createPolicyDecider({ paths: [file] });
    // n is observed only by class (!= 1: a number by its value, a string, null... by type): class keys too
    expect(inner.pureDecisionFootprint).toEqual({
      arguments: ['danger', 'n'],
      params: ['_meta'],
      classes: [{ member: 'n', prefixes: [], suffixes: [], equals: [], numbersByValue: true }],
    });
    running = startJudgedProxy(inner, { frob: {}, other: {} });
    const s = await running.open(client('local', [], {}, 'local'));
    // afresh: the usual way (a string id is never taken as bytes)
    const fresh: unknown[] = [];
    for (const [i, p] of PARAMS.entries()) {
      const id = `u${i}`;
      fresh.push(decided(await s.send(`{"jsonrpc":"2.0","id":"${id}","method":"tools/call","params":${p}}`, id)));
    }
    // both outcomes are there
    expect(fresh.filter((o) => o === 'forwarded').length).toBeGreaterThan(4);
    expect(fresh.filter((o) => o !== 'forwarded').length).toBeGreaterThan(4);
    // compact lines: every ordered pair (A, B, A) so that each can meet each other's kept decision
    let id = 0;
    for (let a = 0; a < PARAMS.length; a++) {
      for (let b = 0; b < PARAMS.length; b++) {
        for (const k of [a, b, a]) {
          const n = ++id;
          const got = decided(await s.send(`{"jsonrpc":"2.0","id":${n},"method":"tools/call","params":${PARAMS[k]}}`, n));
          expect(got, `${PARAMS[k]!.slice(0, 200)} after ${PARAMS[a === k ? b : a]!.slice(0, 200)}`).toEqual(fresh[k]);
        }
      }
    }
    expect(running.decider.toolCalls).toBeLessThan(PARAMS.length * PARAMS.length);
  }, 120_000);
});
