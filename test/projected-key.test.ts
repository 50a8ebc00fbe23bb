/**
 * The member spans a tools/call's distinct-keys scan records (src/proxy/distinct-keys.ts,
 * memberSpans) and the decision key read off them (src/proxy/projected-key.ts). Generated lines
 * (fast-check, whitespace and member order varied, other members after params): every recorded
 * name and value parses to what JSON.parse reads; two lines get the same projected key exactly when
 * their tool names, the kind of their arguments and the observed members (parsed) are the same
 * (bytes written alike), whatever the other members hold; the bounds decline rather than misread.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compactToolCallIdAt, idSpan } from '../src/proxy/compact-bytes.js';
import { argSpans, distinctKeysToolCall, MAX_SPANS, memberSpans, paramSpans } from '../src/proxy/distinct-keys.js';
import { projected, projectedKey } from '../src/proxy/projected-key.js';

/** Scans a compact tools/call line; true when proven. */
function scan(line: string): Buffer | undefined {
  const buf = Buffer.from(line);
  if (compactToolCallIdAt(buf, 0, buf.length) < 0) return undefined;
  return distinctKeysToolCall(buf, 0, buf.length, idSpan.params, idSpan.before, true) ? buf : undefined;
}

function spansOf(buf: Buffer, spans: typeof paramSpans, count: number): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (let k = 0; k < count; k++) {
    const name = buf.toString('utf8', spans.nameStart[k], spans.nameEnd[k]);
    out[name] = JSON.parse(buf.toString('utf8', spans.valueStart[k], spans.valueEnd[k]));
  }
  return out;
}

const ws = fc.constantFrom('', ' ', '\n ', '\t');
/** JSON text of a value with whitespace around its tokens */
function spaced(value: unknown, pad: string): string {
  return JSON.stringify(value, null, pad === '' ? undefined : 1).replace(/\n/g, pad.includes('\n') ? '\n' : ' ');
}

const value = fc.oneof(fc.string({ maxLength: 6 }), fc.integer(), fc.boolean(), fc.constant(null), fc.array(fc.integer(), { maxLength: 2 }), fc.dictionary(fc.constantFrom('a', 'ns', 'name'), fc.integer(), { maxKeys: 2 }));
const argKeys = fc.constantFrom('namespace', 'name', 'command', 'x', 'é', 'flags');
const args = fc.oneof({ weight: 6, arbitrary: fc.dictionary(argKeys, value, { maxKeys: 5 }) }, { weight: 1, arbitrary: fc.oneof(fc.string({ maxLength: 4 }), fc.constant([1]), fc.constant(null)) }, { weight: 1, arbitrary: fc.constant(undefined) });
const meta = fc.option(fc.record({ progressToken: fc.integer() }), { nil: undefined });

function line(name: string, a: unknown, m: unknown, pad: string, idLast: boolean): string {
  const params: Record<string, unknown> = {};
  if (m !== undefined) params._meta = m;
  params.name = name;
  if (a !== undefined) params.arguments = a;
  const p = spaced(params, pad);
  return idLast ? `{"method":"tools/call","params":${p},"jsonrpc":"2.0","id":7}` : `{"jsonrpc":"2.0","id":7,"method":"tools/call","params":${p}}`;
}

const FOOTPRINT = { arguments: ['command', 'namespace', 'é'], params: ['_meta'] };

describe('member spans of a tools/call', () => {
  it('record every member of params and of an arguments object, as JSON.parse reads them', () => {
    fc.assert(
      fc.property(fc.constantFrom('kubectl_get', 'echo'), args, meta, ws, fc.boolean(), (name, a, m, pad, idLast) => {
        const text = line(name, a, m, pad, idLast);
        const buf = scan(text);
        expect(buf, text).toBeDefined();
        const params = (JSON.parse(text) as { params: Record<string, unknown> }).params;
        expect(memberSpans.overflow).toBe(false);
        expect(spansOf(buf!, paramSpans, memberSpans.paramsCount)).toEqual(params);
        const at = memberSpans.arguments;
        expect(at >= 0 ? buf!.toString('utf8', paramSpans.nameStart[at], paramSpans.nameEnd[at]) : undefined).toBe(a === undefined ? undefined : 'arguments');
        if (a !== null && typeof a === 'object' && !Array.isArray(a)) expect(spansOf(buf!, argSpans, memberSpans.argsCount)).toEqual(a);
        else expect(memberSpans.argsCount).toBe(0);
      }),
      { numRuns: 500, seed: 77 },
    );
  });

  it('members of an object after params are not taken for its own; too many members is overflow', () => {
    const buf = scan('{"method":"tools/call","params":{"name":"t","arguments":{"a":1}},"x":{"b":2,"c":{"d":3}},"jsonrpc":"2.0","id":7}');
    expect(buf).toBeDefined();
    expect(spansOf(buf!, paramSpans, memberSpans.paramsCount)).toEqual({ name: 't', arguments: { a: 1 } });
    expect(spansOf(buf!, argSpans, memberSpans.argsCount)).toEqual({ a: 1 });
    const many = Object.fromEntries(Array.from({ length: MAX_SPANS + 1 }, (_, i) => [`k${i}`, i]));
    expect(scan(line('t', many, undefined, '', false))).toBeDefined();
    expect(memberSpans.overflow).toBe(true);
    expect(projectedKey(Buffer.from('x'), FOOTPRINT, 2048)).toBe(false);
  });
});

describe('projected decision key', () => {
  const keyOf = (text: string): string | undefined => {
    const buf = scan(text);
    if (buf === undefined || !projectedKey(buf, FOOTPRINT, 2048)) return undefined;
    return projected.bytes.toString('hex', 0, projected.length);
  };
  /** what the key must tell apart: name, the kind of arguments (or all of it), observed members, observed params members */
  const observed = (name: string, a: unknown, m: unknown): string => {
    const kind = a === undefined ? 'absent' : a !== null && typeof a === 'object' && !Array.isArray(a) ? 'object' : JSON.stringify(a);
    const members = kind === 'object' ? FOOTPRINT.arguments.map((k) => JSON.stringify((a as Record<string, unknown>)[k] ?? '<absent>')) : [];
    return JSON.stringify([name, kind, members, m === undefined ? '<absent>' : m]);
  };

  it('is the same exactly when the observed parts are (written alike), whatever else params holds', () => {
    const call = fc.tuple(fc.constantFrom('kubectl_get', 'echo'), args, meta);
    let same = 0;
    fc.assert(
      fc.property(call, call, ws, fc.boolean(), fc.boolean(), ([n1, a1, m1], [n2, a2, m2], pad, id1, id2) => {
        // the second call often copies the first's observed members and changes the rest
        if (a1 !== null && typeof a1 === 'object' && !Array.isArray(a1) && a2 !== null && typeof a2 === 'object' && !Array.isArray(a2)) {
          for (const k of FOOTPRINT.arguments) {
            const o2 = a2 as Record<string, unknown>;
            if (k in a1) o2[k] = (a1 as Record<string, unknown>)[k];
            else delete o2[k];
          }
          n2 = n1;
          m2 = m1;
        }
        const k1 = keyOf(line(n1, a1, m1, pad, id1));
        const k2 = keyOf(line(n2, a2, m2, pad, id2));
        expect(k1).toBeDefined();
        const equalObserved = observed(n1, a1, m1) === observed(n2, a2, m2);
        if (equalObserved) same++;
        // members written by the same JSON.stringify are written alike: equal observed parts, equal keys
        expect(k1 === k2).toBe(equalObserved);
      }),
      { numRuns: 1000, seed: 99 },
    );
    expect(same).toBeGreaterThan(200);
  });

  it('unobserved members do not change it; observed ones, their absence and the kind of arguments do', () => {
    const k = (a: unknown, extra = '') => keyOf(`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"kubectl_get"${a === undefined ? '' : `,"arguments":${JSON.stringify(a)}`}${extra}}}`);
    expect(k({ namespace: 'a', name: 'p1' })).toBe(k({ name: 'p2', namespace: 'a' }));
    expect(k({ namespace: 'a' })).toBe(k({ namespace: 'a', flags: { x: 1 } }, ',"other":[1,2]'));
    expect(k({ namespace: 'a' })).not.toBe(k({ namespace: 'b' }));
    expect(k({ namespace: 'a' })).not.toBe(k({ namespace: 'a' }, ',"_meta":{"progressToken":1}'));
    expect(k({})).not.toBe(k({ command: null }));
    expect(k({})).not.toBe(k(undefined));
    expect(k({})).not.toBe(k([]));
    expect(k('a')).not.toBe(k('b'));
    expect(k({ namespace: 'a' })).not.toBe(keyOf('{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"kubectl_describe","arguments":{"namespace":"a"}}}'));
    // no name string: not keyed so
    expect(keyOf('{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":3,"arguments":{}}}')).toBeUndefined();
    expect(keyOf('{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"arguments":{}}}')).toBeUndefined();
    // longer than the bound: not keyed so
    const buf = scan(`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"t","arguments":{"command":"${'x'.repeat(100)}"}}}`)!;
    expect(projectedKey(buf, FOOTPRINT, 64)).toBe(false);
    expect(projectedKey(buf, FOOTPRINT, 2048)).toBe(true);
  });
});
