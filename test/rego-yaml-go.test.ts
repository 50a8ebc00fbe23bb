/**
 * yaml.unmarshal / yaml.is_valid read YAML as OPA does: sigs.k8s.io/yaml v1.6 YAMLToJSON over go-yaml
 * v2.4 (YAML 1.1), the JSON then read back. Each expectation is OPA's value; the comment names the
 * go-yaml v2 (resolve.go, decode.go, scannerc.go) or sigs.k8s.io/yaml (yaml.go) behaviour behind it.
 * Where our reader cannot follow go-yaml it errors (fail closed): those cases say so.
 */
import { describe, expect, it } from 'vitest';
import { BigNum } from '../src/policy/rego/value/index.js';
import { call, callError } from './helpers/rego-builtin-call.js';

const un = (s: string) => call('yaml.unmarshal', [s]);
const err = (s: string) => callError('yaml.unmarshal', [s]);
const valid = (s: string) => call('yaml.is_valid', [s]);

describe('yaml.unmarshal reads YAML 1.1 as go-yaml v2 does', () => {
  it('booleans: exactly the words of go-yaml v2 resolve.go table', () => {
    for (const w of ['y', 'Y', 'yes', 'Yes', 'YES', 'on', 'On', 'ON', 'true', 'True', 'TRUE']) expect(un(`a: ${w}`), w).toEqual({ a: true });
    for (const w of ['n', 'N', 'no', 'No', 'NO', 'off', 'Off', 'OFF', 'false', 'False', 'FALSE']) expect(un(`a: ${w}`), w).toEqual({ a: false });
    // other spellings are strings (the table is exact), as are quoted or !!str-tagged words
    for (const w of ['yEs', 'oN', 'tRUE', 'nO', 'Nope']) expect(un(`a: ${w}`), w).toEqual({ a: w });
    expect(un('a: "yes"\nb: !!str no\nc: ! on')).toEqual({ a: 'yes', b: 'no', c: 'on' });
    expect(un('- no\n- yes')).toEqual([false, true]);
  });

  it('nulls: ~ null Null NULL and empty; other spellings are strings', () => {
    expect(un('a: ~\nb: null\nc: Null\nd: NULL\ne:\nf: nULL')).toEqual({ a: null, b: null, c: null, d: null, e: null, f: 'nULL' });
    expect(un('')).toBe(null);
    expect(un('# only a comment\n')).toBe(null);
  });

  it('integers: strconv.ParseInt base 0 after removing _ (0777 octal, 0o, 0x, 0b, signs)', () => {
    expect(un('a: 0777\nb: 0o17\nc: 0x1F\nd: 0b101\ne: 1_000\nf: +12\ng: -0x10\nh: 0')).toEqual({ a: 511, b: 15, c: 31, d: 5, e: 1000, f: 12, g: -16, h: 0 });
    // not octal: ParseInt fails, yamlStyleFloat matches, a float 8 (JSON 8)
    expect(un('a: 08')).toEqual({ a: 8 });
    // go-yaml's own 0b branch parses the rest with a sign
    expect(un('a: 0b-101')).toEqual({ a: -5 });
    // int64 and uint64 stay exact
    expect(un('a: 9223372036854775807\nb: 18446744073709551615')).toEqual({
      a: BigNum.fromBigInt(9223372036854775807n),
      b: BigNum.fromBigInt(18446744073709551615n),
    });
    // beyond uint64: a float64, written by encoding/json as 18446744073709552000
    expect(un('a: 18446744073709551616')).toEqual({ a: BigNum.fromBigInt(18446744073709552000n) });
    expect(un('a: -9223372036854775809')).toEqual({ a: BigNum.fromBigInt(-9223372036854776000n) });
  });

  it('floats: yamlStyleFloat and ParseFloat; no sexagesimal; .inf/.nan are refused by encoding/json', () => {
    expect(un('a: 1.5\nb: 1e3\nc: .5\nd: 1.\ne: -.5e-3\nf: 1_0.5')).toEqual({ a: 1.5, b: 1000, c: 0.5, d: 1, e: -0.0005, f: 10.5 });
    // an overflow is a ParseFloat error: the text stays a string
    expect(un('a: 1e400')).toEqual({ a: '1e400' });
    // go-yaml v2 has no base-60 numbers (resolve.go: "purposefully unsupported")
    expect(un('a: 1:20\nb: 190:20:30.15')).toEqual({ a: '1:20', b: '190:20:30.15' });
    expect(err('a: .inf').message).toBe('json: unsupported value: +Inf');
    expect(err('a: -.Inf').message).toBe('json: unsupported value: -Inf');
    expect(err('a: .NaN').message).toBe('json: unsupported value: NaN');
    expect(valid('a: .nan')).toBe(false);
    // only the values left in the map reach encoding/json
    expect(un('a: .nan\na: 1')).toEqual({ a: 1 });
  });

  it('timestamps stay their text (decode.go keeps them strings in interface{}); tags are checked', () => {
    expect(un('a: 2001-12-14\nb: 2001-12-14T21:59:43.10-05:00\nc: !!timestamp 2001-12-14')).toEqual({
      a: '2001-12-14',
      b: '2001-12-14T21:59:43.10-05:00',
      c: '2001-12-14',
    });
    expect(err('a: !!timestamp nope').message).toBe('yaml: cannot decode !!str `nope` as a !!timestamp');
  });

  it('explicit tags: resolve() checks them; unknown and local tags leave the text', () => {
    expect(un('a: !!int "12"\nb: !!float 1\nc: !!str 12\nd: !foo 12\ne: !!binary aGVsbG8=\nf: !!bool yes\ng: !!null ""')).toEqual({
      a: 12,
      b: 1,
      c: '12',
      d: '12',
      e: 'hello',
      f: true,
      g: null,
    });
    expect(err('a: !!int 1.5').message).toBe('yaml: cannot decode !!float `1.5` as a !!int');
    expect(err('a: !!bool 1').message).toBe('yaml: cannot decode !!int `1` as a !!bool');
    expect(valid('a: !!binary "not base64!"')).toBe(false);
  });

  it('keys: sigs.k8s.io/yaml makes bool and number keys strings; null and uint64 keys are errors', () => {
    expect(un('1: a\ntrue: b\nyes: c\n0x10: d\n9223372036854775807: e')).toEqual({
      '1': 'a',
      true: 'c', // yes is the same Go key as true: the later value
      '16': 'd',
      '9223372036854775807': 'e',
    });
    // the YAML 1.1 boolean words are booleans as keys too: key y is "true", on: is "true"
    expect(un('{x: 1, y: 2}')).toEqual({ x: 1, true: 2 });
    expect(un('on: push\noff: 1')).toEqual({ true: 'push', false: 1 });
    // floats: strconv.FormatFloat(f, 'g', -1, 32)
    expect(un('1.5: a\n0.1: b\n1e6: c\n3.14159265358979: d\n.inf: e\n-.inf: f\n100000.0: g\n0.00001: h\n16777217.0: i')).toEqual({
      '1.5': 'a',
      '0.1': 'b',
      '1e+06': 'c',
      '3.1415927': 'd',
      '.inf': 'e',
      '-.inf': 'f',
      '100000': 'g',
      '1e-05': 'h',
      '1.6777216e+07': 'i', // float32 rounding
    });
    expect(valid('~: a')).toBe(false);
    expect(valid('? \n: a')).toBe(false);
    expect(err('18446744073709551615: a').message).toContain('unsupported map key of type: uint64');
    // two Go keys (int 1 and string "1") become one JSON key: Go keeps either, in map order; we refuse
    expect(valid('1: a\n"1": b')).toBe(false);
    expect(valid('1: a\n1.0: b')).toBe(false);
    // a mapping or sequence key: decode.go "invalid map key"
    expect(valid('? [a]\n: 1')).toBe(false);
    // duplicate keys: the later wins (yaml.Unmarshal is not strict)
    expect(un('a: 1\na: 2')).toEqual({ a: 2 });
  });

  it('merge keys: go-yaml v2 sets the merged keys in place, overriding the keys before the merge', () => {
    expect(un('namespace: default\n<<: {namespace: kube-system}')).toEqual({ namespace: 'kube-system' });
    expect(un('<<: {namespace: kube-system}\nnamespace: default')).toEqual({ namespace: 'default' });
    expect(un('namespace: default\n<<: {namespace: null}')).toEqual({ namespace: null });
    // a sequence is merged backwards: its earlier maps take precedence
    expect(un('<<: [{a: 1, b: 1}, {a: 2, c: 2}]')).toEqual({ a: 1, b: 1, c: 2 });
    expect(un('base: &b {a: 1, b: 2}\nx:\n  a: 0\n  <<: *b\n  c: 3')).toEqual({ base: { a: 1, b: 2 }, x: { a: 1, b: 2, c: 3 } });
    expect(un('x: {<<: {<<: {a: 1}, b: 2}, c: 3}')).toEqual({ x: { a: 1, b: 2, c: 3 } });
    // the key is a merge when plain, or tagged !!merge (also verbatim) or '!'; quoted untagged it is a key
    expect(un('"<<": {a: 1}')).toEqual({ '<<': { a: 1 } });
    expect(un('a: 0\n!!merge "<<": {a: 1}')).toEqual({ a: 1 });
    expect(un('a: 0\n!<tag:yaml.org,2002:merge> "<<": {a: 1}')).toEqual({ a: 1 });
    expect(un('a: 0\n? <<\n: {a: 1}')).toEqual({ a: 1 });
    // decode.go: "map merge requires map or sequence of maps as the value"
    expect(valid('<<: 1')).toBe(false);
    expect(valid('<<: [{a: 1}, 2]')).toBe(false);
    expect(valid('s: &s x\n<<: *s')).toBe(false);
    // a tag with %-escapes may name merge (libyaml decodes them): refused
    expect(valid('a: 0\n!<tag:yaml.org,2002:mer%67e> "<<": {a: 1}')).toBe(false);
    // << as a value is just text
    expect(un('cmd: cat << EOF')).toEqual({ cmd: 'cat << EOF' });
  });

  it('line breaks: a lone CR, NEL, LS and PS end lines as in libyaml', () => {
    expect(un('a: 1\rb: 2')).toEqual({ a: 1, b: 2 });
    expect(un('a: 1\r\nb: 2')).toEqual({ a: 1, b: 2 });
    expect(un('a: 1\u0085b: 2')).toEqual({ a: 1, b: 2 });
    expect(un('namespace: default # c\u2028namespace: kube-system')).toEqual({ namespace: 'kube-system' });
    expect(un('namespace: default # c\u2029namespace: kube-system')).toEqual({ namespace: 'kube-system' });
    expect(un('namespace: default # c\rnamespace: kube-system')).toEqual({ namespace: 'kube-system' });
    // NEL inside a double-quoted scalar is a folded line break (a space)
    expect(un('a: "x\u0085  y"')).toEqual({ a: 'x y' });
    // go-yaml keeps LS/PS breaks inside scalars as content; not followed here: refused (fail closed)
    expect(valid('a: "x\u2028y"')).toBe(false);
    expect(valid('a: |\n  x\u2028  y\n')).toBe(false);
  });

  it('characters and escapes libyaml refuses are errors', () => {
    expect(valid('a: "\u0001"')).toBe(false); // reader: control characters are not allowed
    expect(valid('a: \u007f')).toBe(false);
    expect(valid('a: "\\/"')).toBe(false); // scannerc.go has no \/ escape
    expect(valid('a: "\\ud83d\\ude00"')).toBe(false); // surrogate escapes: invalid Unicode character escape code
    expect(un('a: "\\u00e9\\N\\_\\x41"')).toEqual({ a: '\u00e9\u0085\u00a0A' });
    expect(un('a: "\u{1F600}"')).toEqual({ a: '\u{1F600}' });
    // libyaml ends a plain scalar at '?' inside a flow collection; YAML 1.2 does not: refused there
    expect(un('a: x?y')).toEqual({ a: 'x?y' });
    expect(valid('a: [x?y]')).toBe(false);
  });

  it('directives, anchors and aliases as go-yaml reads them', () => {
    expect(un('%YAML 1.1\n---\na: yes')).toEqual({ a: true });
    expect(valid('%YAML 1.2\n---\na: 1')).toBe(false); // parserc.go: found incompatible YAML document
    expect(valid('%FOO bar\n---\na: 1')).toBe(false); // found unknown directive name
    expect(valid('a: &x.y 1\nb: *x.y')).toBe(false); // anchor names are [0-9A-Za-z_-]
    expect(un('a: &x-1 1\nb: *x-1\nc: &x-1 2\nd: *x-1')).toEqual({ a: 1, b: 1, c: 2, d: 2 });
    expect(err('a: &x [*x]').message).toBe("yaml: anchor 'x' value contains itself");
    expect(valid('a: *nope')).toBe(false);
    const laughs = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]'];
    for (const [x, y] of ['ba', 'cb', 'dc', 'ed', 'fe', 'gf', 'hg', 'ih']) laughs.push(`${x}: &${x} [${Array(9).fill('*' + y).join(',')}]`);
    expect(err(laughs.join('\n')).message).toBe('yaml: document contains excessive aliasing');
  });

  it('the first document is the value; syntax errors keep go-yaml wording', () => {
    expect(un('a: 1\n---\nb: 2')).toEqual({ a: 1 });
    expect(err('[1,2,3').message).toContain('yaml: line 1: did not find');
    expect(valid('a: b: c')).toBe(false);
    expect(call('yaml.is_valid', [1])).toBe(false);
  });
});
