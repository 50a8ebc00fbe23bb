/**
 * Compactly written tools/call lines (both heads compactToolCallIdAt knows) whose member names come
 * from a small pool of names that fold alike in Go's encoding/json (member-case.ts): `name`/`Name`,
 * `arguments`/`argumentſ` (U+017F), `kind`/`\u212aind` (U+212A), `id`/`ıd`/`İd`, `café`/`cafÉ`...,
 * at the top level after params, in params, in arguments and deeper (objects in arrays too), so
 * that lines with and without a case variant are both frequent. For the byte scans' tests
 * (distinct-keys.ts strict, native/raw_check.c rawRequest).
 */
import fc from 'fast-check';

export const VARIANT_NAMES = [
  'name', 'Name', 'NAME', 'nAme', 'arguments', 'Arguments', 'argumentſ', 'ARGUMENTS', 'params', 'Params', 'paramſ',
  'method', 'Method', 'jsonrpc', 'JSONRPC', 'id', 'ID', 'Id', '\u0131d', '\u0130d', '_meta', '_Meta', 'uri', 'URI', 'cursor', 'cursoR',
  'kind', 'Kind', '\u212aind', 'ſ', 's', 'S', 'k', 'K', '\u212a', 'x', 'X', 'caf\u00e9', 'caf\u00c9', 'stra\u00dfe', 'stra\u1e9ee', 'a', 'b',
];

/** A value whose objects' names come from VARIANT_NAMES (nested objects and arrays, a few levels). */
function valueArbitrary(): fc.Arbitrary<string> {
  const name = fc.constantFrom(...VARIANT_NAMES);
  const { value } = fc.letrec<{ value: string; object: string; array: string }>((tie) => ({
    value: fc.oneof({ depthSize: 'small', withCrossShrink: true }, fc.constantFrom('1', '"v"', 'true', 'null', '"ſ"', '"Name"'), tie('object'), tie('array')),
    object: fc.array(fc.tuple(name, tie('value')), { maxLength: 4 }).map((m) => `{${m.map(([k, v]) => `${JSON.stringify(k)}:${v}`).join(',')}}`),
    array: fc.array(tie('value'), { maxLength: 3 }).map((items) => `[${items.join(',')}]`),
  }));
  return value;
}

/** Members `"k":v` with names from VARIANT_NAMES (plus `extra`, more often). */
function members(extra: string[], max: number): fc.Arbitrary<string[]> {
  const name = fc.oneof({ weight: 2, arbitrary: fc.constantFrom(...extra) }, { weight: 3, arbitrary: fc.constantFrom(...VARIANT_NAMES) });
  return fc.array(fc.tuple(name, valueArbitrary()), { maxLength: max }).map((m) => m.map(([k, v]) => `${JSON.stringify(k)}:${v}`));
}

/** A compact tools/call line (its id `id`) with names from VARIANT_NAMES at every depth. */
export function caseVariantLine(): fc.Arbitrary<string> {
  return fc
    .tuple(fc.nat(99), fc.boolean(), members(['name', 'arguments', '_meta'], 4), fc.boolean(), members(['jsonrpc', 'id', 'method', 'params'], 2))
    .map(([id, head, params, paramsFirst, top]) => {
      const p = `{${params.join(',')}}`;
      const rest = top.length === 0 ? '' : `,${top.join(',')}`;
      return head ? `{"jsonrpc":"2.0","id":${id},"method":"tools/call","params":${p}${rest}}` : `{"method":"tools/call","params":${p}${paramsFirst ? rest : ''},"jsonrpc":"2.0","id":${id}}`;
    });
}

/** Hand-picked lines, each with one case variant, at each depth the parsed check covers (an ASCII line, else U+017F, U+212A, U+0131...). */
export const CASE_VARIANT_LINES = [
  '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"get_x","Name":"delete_x"}}',
  '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"get_x","arguments":{},"ARGUMENTS":{}}}',
  '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"get_x","Arguments":{}}}',
  '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"get_x","argumentſ":{}}}',
  '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"get_x","_Meta":{}}}',
  '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"get_x"},"Params":{}}',
  '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"get_x"},"paramſ":{}}',
  '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"get_x"},"Method":"tools/list"}',
  '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"get_x"},"\u0130d":2}',
  '{"method":"tools/call","params":{"name":"get_x"},"ID":2,"jsonrpc":"2.0","id":1}',
  '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"get_x","arguments":{"kind":"a","Kind":"b"}}}',
  '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"get_x","arguments":{"kind":"a","\u212aind":"b"}}}',
  '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"get_x","arguments":{"id":"a","\u0131d":"b"}}}',
  '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"get_x","arguments":{"caf\u00e9":1,"caf\u00c9":2}}}',
  '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"get_x","arguments":{"t":[{"u":{"id":"a","ID":"b"}}]}}}',
  '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"get_x","arguments":{"t":[[{"s":1,"ſ":2}]]}}}',
  `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"get_x","arguments":${'{"a":'.repeat(40)}{"x":1,"X":2}${'}'.repeat(40)}}}`,
  '{"method":"tools/call","params":{"arguments":{"Kind":1,"kind":2},"name":"get_x"},"jsonrpc":"2.0","id":1}',
];

/** Lines whose names Go keeps apart (non-ASCII ones at depth 3 and deeper included): the strict scans prove them. */
export const CASE_DISTINCT_LINES = [
  '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"get_x","arguments":{"caf\u00e9":1,"cafe":2,"x":3}}}',
  '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"get_x","arguments":{"\u00e9":1,"x":2,"s":3,"k":4,"i":5}}}',
  '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"get_x","arguments":{"\u017f":1,"k":2},"x":{"\u212a":3,"s":4}}}',
  '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"get_x","arguments":{"\u0131":1,"s":2},"_meta":{}}}',
  '{"method":"tools/call","params":{"arguments":{"t":[{"\u65e5\u672c":1,"ab":2}],"Kind":3},"name":"get_x"},"jsonrpc":"2.0","id":1}',
];
