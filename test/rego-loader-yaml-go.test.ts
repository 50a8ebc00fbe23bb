/**
 * YAML that OPA reads outside yaml.unmarshal, read as OPA v1 does:
 *   - data files of `policy eval -d dir` (loader.ts) and policy.dataFiles (sources.ts): OPA's loader
 *     reads them with sigs.k8s.io/yaml over go-yaml v2 (YAML 1.1: yes/no booleans, 0755 octal,
 *     merge keys, keys made strings, only the first document), the reader yaml.unmarshal uses.
 *   - METADATA blocks: OPA v1's parser reads them with gopkg.in/yaml.v3 into typed fields
 *     (annotation-yaml.ts): YAML 1.2 values, a Go string's text, yaml.v3's bool words.
 * Each case failed with the YAML 1.2 reading these places used before; bad input gets an error
 * naming the file (and the line where there is one), never another value.
 */
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { compilePolicy, evalQuery, loadPaths, parseModule, toJSON } from '../src/policy/rego/index.js';
import { resolvePolicy } from '../src/policy/sources.js';

const root = mkdtempSync(path.join(os.tmpdir(), 'rego-loader-yaml-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let dirs = 0;

/** a fresh folder holding the files given (name -> content, a Buffer as bytes) */
function folder(files: Record<string, string | Buffer>): string {
  const dir = path.join(root, `d${dirs++}`);
  for (const [name, content] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    writeFileSync(path.join(dir, name), content);
  }
  return dir;
}

const loadedData = (files: Record<string, string | Buffer>): unknown => toJSON(loadPaths([folder(files)]).data);
const loadError = (files: Record<string, string | Buffer>): string => {
  try {
    loadPaths([folder(files)]);
  } catch (e) {
    return (e as Error).message;
  }
  throw new Error('loaded without an error');
};

describe('data files are read as OPA loader reads them (go-yaml v2 through sigs.k8s.io/yaml)', () => {
  it('YAML 1.1 booleans: yes/no/on/off are booleans, so a namespace written `no` is false', () => {
    expect(loadedData({ 'data.yaml': 'read_only: yes\nexec: off\nallowed_namespaces: [no, default]\n' })).toEqual({
      read_only: true,
      exec: false,
      allowed_namespaces: [false, 'default'],
    });
  });

  it('a policy sees the boolean: `"no" in data.allowed_namespaces` is false under OPA', () => {
    const dir = folder({
      'policy.rego': 'package t\n\nallowed if "no" in data.allowed_namespaces\n',
      'data.yaml': 'allowed_namespaces: [no, default]\n',
    });
    const { modules, data } = loadPaths([dir]);
    const rows = evalQuery(compilePolicy(modules, { data }), 'data.t.allowed');
    expect(rows).toEqual([]);
  });

  it('0755 is octal (493), as is 0755 as a key ("493")', () => {
    expect(loadedData({ 'data.yaml': 'mode: 0755\nby_mode: {0755: rwx}\n' })).toEqual({ mode: 493, by_mode: { '493': 'rwx' } });
  });

  it('merge keys apply (YAML 1.2 would keep a key named "<<")', () => {
    const text = 'defaults: &d {allow_exec: false, limit: 5}\nteam:\n  <<: *d\n  limit: 9\n';
    expect(loadedData({ 'data.yaml': text })).toEqual({ defaults: { allow_exec: false, limit: 5 }, team: { allow_exec: false, limit: 9 } });
  });

  it('keys become strings as sigs.k8s.io/yaml writes them: yes -> "true", 1 -> "1"', () => {
    expect(loadedData({ 'data.yml': 'k: {yes: 1, 1: a}\n' })).toEqual({ k: { true: 1, '1': 'a' } });
  });

  it('only the first document of a stream is data (go-yaml reads one); YAML 1.2 refused the file', () => {
    expect(loadedData({ 'data.yaml': 'a: 1\n---\nb: 2\n' })).toEqual({ a: 1 });
    // a later document that does not parse is an error here (go-yaml would not read it: fail closed)
    expect(loadError({ 'data.yaml': 'a: 1\n---\nb: [\n' })).toMatch(/data\.yaml: error converting YAML to JSON: yaml: line \d+/);
  });

  it('the file lands under its folder: an empty file or a list is that value there', () => {
    expect(loadedData({ 'sub/data.yaml': '# nothing\n', 'list/data.yaml': '- yes\n- no\n' })).toEqual({ sub: null, list: [true, false] });
  });

  it('at the root, a data file must hold an object (OPA: bad document type)', () => {
    expect(loadError({ 'data.yaml': '' })).toMatch(/data\.yaml: data document at data must be an object/);
    expect(loadError({ 'data.yaml': '- a\n' })).toMatch(/data\.yaml: data document at data must be an object/);
  });

  it('a syntax error names the file and the line, in OPA loader words', () => {
    const msg = loadError({ 'data.yaml': 'a: 1\nb: [1, 2\n' });
    expect(msg).toMatch(/^\S*data\.yaml: error converting YAML to JSON: yaml: line \d+: /);
  });

  it('what YAML 1.2 reads but go-yaml refuses is an error, not another value', () => {
    // go-yaml has no \/ escape; YAML 1.2 reads "a/b"
    expect(loadError({ 'data.yaml': 'x: "a\\/b"\n' })).toMatch(/data\.yaml: error converting YAML to JSON: yaml: found unknown escape character/);
    // bytes that are not UTF-8: go-yaml refuses them; Node would have read U+FFFD
    expect(loadError({ 'data.yaml': Buffer.from([0x61, 0x3a, 0x20, 0xff, 0x0a]) })).toMatch(/data\.yaml: error converting YAML to JSON: yaml: invalid UTF-8/);
  });

  it('JSON data files are unchanged', () => {
    expect(loadedData({ 'data.json': '{"a": "yes", "b": 0}' })).toEqual({ a: 'yes', b: 0 });
  });
});

describe('policy.dataFiles YAML is read as OPA reads a data file', () => {
  const resolve = (files: Record<string, string>) => {
    const dir = folder({ 'p.rego': 'package mcp.authz\n', ...files });
    const names = Object.keys(files);
    return resolvePolicy(['p.rego'], names, {}, { engine: 'rego', baseDir: dir, packsDir: path.join(dir, 'none') });
  };

  it('yes/no, octal and merge keys as go-yaml v2', () => {
    const text = 'warden:\n  read_only: yes\n  allowed_namespaces: [no, default]\n  mode: 0755\n  base: &b {x: 1}\n  team: {<<: *b}\n';
    expect(resolve({ 'data.yaml': text }).data).toEqual({
      warden: { read_only: true, allowed_namespaces: [false, 'default'], mode: 493, base: { x: 1 }, team: { x: 1 } },
    });
  });

  it('a file go-yaml cannot read is an error naming the file', () => {
    expect(() => resolve({ 'bad.yaml': 'x: "a\\/b"\n' })).toThrow(/bad\.yaml: invalid YAML data: yaml: found unknown escape character/);
    expect(() => resolve({ 'bad.yaml': 'a: [1\n' })).toThrow(/bad\.yaml: invalid YAML data: yaml: line \d+/);
  });
});

/** the annotation document of the METADATA block above the package */
function packageMetadata(block: string): Record<string, unknown> {
  const src = `${block.split('\n').map((l) => `# ${l}`.trimEnd()).join('\n')}\npackage t\n`;
  const mod = parseModule(`# METADATA\n${src}`, 'm.rego');
  return mod.annotations![0]!.data;
}

const metadataError = (block: string): string => {
  try {
    packageMetadata(block);
  } catch (e) {
    return (e as Error).message;
  }
  throw new Error('parsed without an error');
};

describe('METADATA is read as OPA v1 reads it (gopkg.in/yaml.v3 into typed fields)', () => {
  it('entrypoint takes yaml.v3 bool words: yes is true; false is left out', () => {
    expect(packageMetadata('entrypoint: yes').entrypoint).toBe(true);
    expect(packageMetadata('entrypoint: "on"').entrypoint).toBe(true);
    expect('entrypoint' in packageMetadata('entrypoint: no')).toBe(false);
    expect(metadataError('entrypoint: 1')).toMatch(/invalid METADATA: entrypoint: cannot unmarshal !!number into bool/);
    expect(metadataError('entrypoint: "true"')).toMatch(/invalid METADATA: entrypoint: cannot unmarshal !!str into bool/);
  });

  it('string fields hold the text as written: title 0755 is "0755", description true is "true"', () => {
    const doc = packageMetadata('title: 0755\ndescription: true\norganizations: [1.0, yes]');
    expect(doc).toMatchObject({ title: '0755', description: 'true', organizations: ['1.0', 'yes'] });
    expect('title' in packageMetadata('title: ~')).toBe(false);
    expect(metadataError('title: {a: 1}')).toMatch(/invalid METADATA: title: cannot unmarshal !!map into string/);
  });

  it('custom values are YAML 1.2 as yaml.v3 reads them: yes stays "yes" (go-yaml v2 would say true)', () => {
    expect(packageMetadata('custom:\n  enabled: yes\n  level: 3').custom).toEqual({ enabled: 'yes', level: 3 });
  });

  it('merge keys apply in METADATA too', () => {
    expect(packageMetadata('custom:\n  base: &b {a: 1}\n  more: {<<: *b, c: 2}').custom).toEqual({ base: { a: 1 }, more: { a: 1, c: 2 } });
  });

  it('a METADATA block that is not a mapping is an error', () => {
    expect(metadataError('- a')).toMatch(/invalid METADATA: METADATA: cannot unmarshal !!seq into a mapping/);
  });
});
