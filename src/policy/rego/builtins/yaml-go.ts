/**
 * yaml.unmarshal as OPA computes it: sigs.k8s.io/yaml's YAMLToJSON (go-yaml v2, i.e. YAML 1.1, into
 * map[interface{}]interface{}, keys made strings, then encoding/json), and that JSON read back.
 * The `yaml` package is used as the parser only (no schema: every scalar stays text); the rest follows
 * go-yaml v2.4 (decode.go, resolve.go, scannerc.go's line breaks and escapes) and sigs.k8s.io/yaml v1.6:
 *   - YAML 1.1 scalars (yes/no/on/off/y/n booleans, 0777 octal, 0b1010, 1_000, .inf/.nan) by go-yaml's
 *     table; timestamps stay text; no sexagesimal numbers (go-yaml has none).
 *   - merge keys (<<, also !!merge) assign the merged keys in place, in order: a merge overrides the
 *     keys written before it and is overridden by keys after it; in a sequence of maps the earlier win.
 *   - keys that are booleans or numbers become their text ("true", "1", floats as float32 %g), a null
 *     or uint64 key is an error, two keys that become one text are an error (Go keeps either).
 *   - NaN and infinite values are an error (encoding/json refuses them); integers beyond uint64 are floats.
 *   - a lone CR and NEL are line breaks; LS and PS are line breaks too, and inside a scalar (where
 *     go-yaml would keep them as content) they are an error, as are the escapes \/ and surrogates,
 *     characters libyaml's reader refuses, anchors it cannot read, %YAML other than 1.1, tags with
 *     %-escapes, a '?' in a plain scalar in a flow collection and !!binary that is not UTF-8.
 * Where this reader cannot tell what go-yaml does it throws (a policy then fails closed).
 */
import YAML, { isAlias, isMap, isPair, isScalar, isSeq, type Alias, type Document, type Node, type Scalar, type YAMLError, type YAMLMap } from 'yaml';
import { parseNumber, type Value } from '../value/index.js';
import { BuiltinError } from './registry.js';
import { goBase64Decode } from './base64.js';
import { GoFloat, GoInt, TAG, goJSONFloat, keyIdentity, keyText, resolveScalar, type GoScalar } from './yaml-go-scalar.js';

class GoMap {
  readonly entries = new Map<string, [GoScalar, GoValue]>();
}
type GoValue = GoScalar | GoMap | GoValue[];

const ANCHOR = /^[A-Za-z0-9_-]+$/;

/**
 * libyaml's reader: characters it refuses are an error; a CR not before LF and NEL become LF (as
 * go-yaml reads them everywhere); LS and PS become LF with their offsets kept (the same length, so the
 * parser's offsets stay those of the input).
 */
function readInput(s: string): { text: string; seps: number[] } {
  let out = '';
  const seps: number[] = [];
  let from = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0x20 && c <= 0x7e) continue;
    let rep: string | undefined;
    if (c === 0x09 || c === 0x0a) continue;
    if (c === 0x0d) {
      if (s.charCodeAt(i + 1) === 0x0a) continue;
      rep = '\n';
    } else if (c === 0x85) rep = '\n';
    else if (c === 0x2028 || c === 0x2029) {
      rep = '\n';
      seps.push(i);
    } else if (c >= 0xd800 && c <= 0xdbff && (s.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      i++;
      continue;
    } else if (!((c >= 0xa0 && c <= 0xd7ff) || (c >= 0xe000 && c <= 0xfffd))) {
      throw new BuiltinError('yaml: control characters are not allowed');
    }
    if (rep !== undefined) {
      out += s.slice(from, i) + rep;
      from = i + 1;
    }
  }
  return { text: from === 0 ? s : out + s.slice(from), seps };
}

/** go-yaml rejects these double-quoted escapes that YAML 1.2 readers take: \/ and surrogate code points */
function checkEscapes(raw: string): void {
  for (let i = raw.indexOf('\\'); i >= 0; i = raw.indexOf('\\', i + 2)) {
    const e = raw[i + 1];
    if (e === '/') throw new BuiltinError('yaml: found unknown escape character (\\/ in a double-quoted scalar)');
    const len = e === 'u' ? 4 : e === 'U' ? 8 : 0;
    if (len === 0) continue;
    const code = parseInt(raw.slice(i + 2, i + 2 + len), 16);
    if ((code >= 0xd800 && code <= 0xdfff) || code > 0x10ffff) throw new BuiltinError('yaml: found invalid Unicode character escape code');
  }
}

/** go-yaml's limit on alias expansion (decode.go allowedAliasRatio) */
function allowedAliasRatio(decodes: number): number {
  if (decodes <= 400000) return 0.99;
  if (decodes >= 4000000) return 0.1;
  return 0.99 - 0.89 * ((decodes - 400000) / 3600000);
}

class GoDecoder {
  private readonly targets = new Map<Alias, Node | undefined>();
  private readonly expanding = new Set<Alias>();
  private decodes = 0;
  private aliasDecodes = 0;
  private aliasDepth = 0;

  constructor(private readonly seps: number[]) {}

  /** anchors as go-yaml's parser records them (a later anchor of one name wins from there on), and checks */
  scan(n: Node | null, anchors: Map<string, Node>, inFlow = false): void {
    if (n === null) return;
    if (isAlias(n)) {
      if (!ANCHOR.test(n.source)) throw new BuiltinError(`yaml: alias name ${JSON.stringify(n.source)} is not one go-yaml reads`);
      this.targets.set(n, anchors.get(n.source));
      return;
    }
    if (n.anchor !== undefined) {
      if (!ANCHOR.test(n.anchor)) throw new BuiltinError(`yaml: anchor name ${JSON.stringify(n.anchor)} is not one go-yaml reads`);
      anchors.set(n.anchor, n);
    }
    if (n.tag?.includes('%')) throw new BuiltinError(`yaml: tag ${n.tag} has %-escapes (not supported)`);
    if (isScalar(n)) return this.checkScalar(n, inFlow);
    const flow = inFlow || n.flow === true;
    for (const item of n.items as unknown[]) {
      if (isPair(item)) {
        this.scan(item.key as Node | null, anchors, flow);
        this.scan(item.value as Node | null, anchors, flow);
      } else this.scan(item as Node, anchors, flow);
    }
  }

  private checkScalar(n: Scalar, inFlow: boolean): void {
    // libyaml ends a plain scalar at '?' inside [ ] and { } (scannerc.go), YAML 1.2 does not
    if (inFlow && n.type === 'PLAIN' && n.source?.includes('?')) throw new BuiltinError("yaml: a '?' inside a plain scalar in a flow collection is not supported");
    const r = n.range;
    if (this.seps.length > 0 && r) {
      const end = n.type === 'BLOCK_LITERAL' || n.type === 'BLOCK_FOLDED' ? r[2] : r[1];
      if (this.seps.some((p) => p >= r[0] && p < end)) {
        throw new BuiltinError('yaml: a line separator (U+2028/U+2029) inside a scalar, which go-yaml keeps as content, is not supported');
      }
    }
    const tok = n.srcToken;
    if (tok?.type === 'double-quoted-scalar') checkEscapes(tok.source);
  }

  decodeDocument(contents: Node | null): GoValue {
    this.count(); // the document node
    return this.unmarshal(contents);
  }

  private count(): void {
    this.decodes++;
    if (this.aliasDepth > 0) this.aliasDecodes++;
    if (this.aliasDecodes > 100 && this.decodes > 1000 && this.aliasDecodes / this.decodes > allowedAliasRatio(this.decodes)) {
      throw new BuiltinError('yaml: document contains excessive aliasing');
    }
  }

  /** d.unmarshal: a node's value; a mapping (or an alias of one) goes into `into` when given (a merge) */
  private unmarshal(n: Node | null, into?: GoMap): GoValue {
    this.count();
    if (isAlias(n)) return this.alias(n, into);
    if (isMap(n)) {
      const m = into ?? new GoMap();
      this.mapping(n, m);
      return m;
    }
    if (isSeq(n)) return (n.items as unknown[]).map((item) => (isPair(item) ? this.pairAsMap(item) : this.unmarshal(item as Node)));
    return this.scalar(n);
  }

  private pairAsMap(p: { key: unknown; value: unknown }): GoMap {
    this.count();
    const m = new GoMap();
    this.pair(p.key as Node | null, p.value as Node | null, m);
    return m;
  }

  private alias(n: Alias, into?: GoMap): GoValue {
    if (this.expanding.has(n)) throw new BuiltinError(`yaml: anchor '${n.source}' value contains itself`);
    const target = this.targets.get(n);
    if (target === undefined) throw new BuiltinError(`yaml: unknown anchor '${n.source}' referenced`);
    this.expanding.add(n);
    this.aliasDepth++;
    try {
      return this.unmarshal(target, into);
    } finally {
      this.aliasDepth--;
      this.expanding.delete(n);
    }
  }

  private scalar(n: Scalar | null): GoScalar {
    if (n === null) return null; // an empty node: a plain empty scalar
    const tag = n.tag ?? '';
    const plain = (tag === '' && n.type === 'PLAIN') || tag === '!';
    const text = typeof n.source === 'string' ? n.source : String(n.value ?? '');
    return resolveScalar(tag, text, plain, binaryText);
  }

  private mapping(n: YAMLMap, out: GoMap): void {
    for (const item of n.items) this.pair(item.key as Node | null, item.value as Node | null, out);
  }

  private pair(k: Node | null, v: Node | null, out: GoMap): void {
    if (isMergeKey(k)) return this.merge(v, out);
    const key = this.unmarshal(k);
    if (key instanceof GoMap || Array.isArray(key)) throw new BuiltinError('yaml: invalid map key: a mapping or sequence');
    const val = this.unmarshal(v);
    out.entries.set(keyIdentity(key), [key, val]);
  }

  /** d.merge: the merged mappings' keys are set in `out` as they come (so they override earlier keys) */
  private merge(v: Node | null, out: GoMap): void {
    const wantMap = (): never => {
      throw new BuiltinError('yaml: map merge requires map or sequence of maps as the value');
    };
    const mapOrAliasOfMap = (n: unknown): void => {
      if (isAlias(n)) {
        const t = this.targets.get(n);
        if (t !== undefined && !isMap(t)) wantMap();
      } else if (!isMap(n)) wantMap();
    };
    if (isMap(v) || isAlias(v)) {
      mapOrAliasOfMap(v);
      this.unmarshal(v, out);
    } else if (isSeq(v)) {
      // backwards: the earlier maps of the sequence take precedence
      for (let i = v.items.length - 1; i >= 0; i--) {
        const item = v.items[i];
        mapOrAliasOfMap(item);
        this.unmarshal(item as Node, out);
      }
    } else wantMap();
  }
}

function isMergeKey(k: Node | null): boolean {
  if (!isScalar(k) || k.source !== '<<') return false;
  const tag = k.tag ?? '';
  return (tag === '' && k.type === 'PLAIN') || tag === '!' || tag === TAG.merge;
}

const UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/**
 * !!binary: Go's StdEncoding (padded; CR and LF skipped) to a Go string. Bytes that are not UTF-8
 * encoding/json would write as U+FFFD one byte at a time: refused here instead.
 */
function binaryText(s: string): string {
  let bytes: Buffer;
  try {
    bytes = goBase64Decode(s, false);
  } catch {
    throw new BuiltinError('yaml: !!binary value contains invalid base64 data');
  }
  try {
    return UTF8.decode(bytes);
  } catch {
    throw new BuiltinError('yaml: !!binary value is not UTF-8 text (not supported)');
  }
}

/** sigs.k8s.io/yaml's convertToJSONableObject and encoding/json, read back as OPA reads it */
function toValue(v: GoValue): Value {
  if (v === null || typeof v === 'boolean' || typeof v === 'string') return v;
  if (v instanceof GoInt) return parseNumber(v.v.toString())!;
  if (v instanceof GoFloat) return parseNumber(goJSONFloat(v))!;
  if (Array.isArray(v)) return v.map(toValue);
  const out: Record<string, Value> = {};
  const seen = new Set<string>();
  for (const [key, val] of v.entries.values()) {
    const k = keyText(key);
    if (seen.has(k)) throw new BuiltinError(`yaml: two keys of one mapping both become ${JSON.stringify(k)} (sigs.k8s.io/yaml keeps either)`);
    seen.add(k);
    Object.defineProperty(out, k, { value: toValue(val), enumerable: true, writable: true, configurable: true });
  }
  return out as unknown as Value;
}

function syntaxError(err: YAMLError): BuiltinError {
  const line = err.linePos?.[0]?.line ?? 1;
  const first = err.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
  const expected = /must end with a ([\]}])/.exec(first);
  return new BuiltinError(`yaml: line ${line}: ${expected ? `did not find expected ',' or '${expected[1]}'` : first}`);
}

/** yaml.unmarshal: the first document (the whole stream must parse cleanly) as OPA's Go code reads it */
export function goYamlUnmarshal(input: string): Value {
  const { text, seps } = readInput(input);
  const docs = YAML.parseAllDocuments(text, {
    schema: 'failsafe',
    resolveKnownTags: false,
    merge: false,
    uniqueKeys: false,
    keepSourceTokens: true,
  });
  const list: Document.Parsed[] = Array.isArray(docs) ? docs : [docs as Document.Parsed];
  for (const d of list) {
    const err = d.errors[0];
    if (err !== undefined) throw syntaxError(err);
    const bad = d.warnings.find((w) => w.code === 'BAD_DIRECTIVE');
    if (bad) throw syntaxError(bad);
    const y = d.directives?.yaml;
    if (y?.explicit && y.version !== '1.1') throw new BuiltinError('yaml: found incompatible YAML document (go-yaml reads %YAML 1.1 only)');
  }
  const first = list[0];
  if (first === undefined) return null;
  try {
    const dec = new GoDecoder(seps);
    const contents = first.contents as Node | null;
    dec.scan(contents, new Map());
    return toValue(dec.decodeDocument(contents));
  } catch (e) {
    if (e instanceof RangeError) throw new BuiltinError('yaml: exceeded max depth');
    throw e;
  }
}
