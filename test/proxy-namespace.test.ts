/**
 * The pure pieces of the proxy: namespacing and its inverse, URI aliases, composed cursors, URI
 * template matching, the capability merge of `initialize`, and redaction obligations.
 */
import { describe, expect, it } from 'vitest';
import { mergeCapabilities, mergeInitializeResults } from '../src/proxy/initialize.js';
import { decodeCursor, encodeCursor, Namespace, templateMatcher } from '../src/proxy/namespace.js';
import { applyRedactions } from '../src/proxy/redact.js';

const ns = (backends: Array<[string, string | undefined]>, sep = '__') =>
  new Namespace(backends.map(([name, prefix]) => ({ name, prefix: Namespace.prefixFor(prefix, name, backends.length) })), sep);

describe('Namespace', () => {
  it('is transparent with one backend and no prefix', () => {
    const n = ns([['only', undefined]]);
    expect(n.exposed(0, 'read_file')).toBe('read_file');
    expect(n.resolve('read_file')).toEqual({ index: 0, name: 'read_file' });
    expect(n.resolve('only__read_file')).toEqual({ index: 0, name: 'only__read_file' });
  });

  it('prefixes with one backend when a prefix is configured, and refuses unprefixed names', () => {
    const n = ns([['fs', 'files']]);
    expect(n.exposed(0, 'read')).toBe('files__read');
    expect(n.resolve('files__read')).toEqual({ index: 0, name: 'read' });
    expect(n.resolve('read')).toBeUndefined();
  });

  it('prefixes every backend with its name (or prefix) when there are several; longest prefix wins', () => {
    const n = ns([['a', undefined], ['a__b', undefined], ['c', 'k8s']], '__');
    expect(n.exposed(0, 'x')).toBe('a__x');
    expect(n.exposed(2, 'get')).toBe('k8s__get');
    expect(n.resolve('a__b__x')).toEqual({ index: 1, name: 'x' });
    expect(n.resolve('a__y')).toEqual({ index: 0, name: 'y' });
    expect(n.resolve('k8s__get')).toEqual({ index: 2, name: 'get' });
    expect(n.resolve('nobody__x')).toBeUndefined();
  });

  it('an empty prefix among several backends routes by what each backend has', () => {
    const n = ns([['a', ''], ['b', '']]);
    expect(n.resolve('t', (i, name) => i === 1 && name === 't')).toEqual({ index: 1, name: 't' });
    expect(n.resolve('t', () => false)).toBeUndefined();
  });

  it('aliases and unaliases URIs', () => {
    const n = ns([['a', undefined], ['beta', undefined]]);
    const alias = Namespace.alias('beta', 'file:///x?y=1');
    expect(alias).toBe('mcp-warden:beta:file:///x?y=1');
    expect(n.unalias(alias)).toEqual({ index: 1, name: 'file:///x?y=1' });
    expect(n.unalias('mcp-warden:nobody:x')).toBeUndefined();
    expect(n.unalias('file:///x')).toBeUndefined();
  });
});

describe('cursors and templates', () => {
  it('round-trips composed cursors and rejects garbage', () => {
    expect(decodeCursor(encodeCursor(2, 'abc'))).toEqual({ index: 2, cursor: 'abc' });
    expect(decodeCursor(encodeCursor(1, undefined))).toEqual({ index: 1, cursor: undefined });
    expect(decodeCursor('not-a-cursor')).toBeUndefined();
    expect(decodeCursor(Buffer.from('["x"]').toString('base64url'))).toBeUndefined();
  });

  it('matches URIs against RFC 6570 templates', () => {
    expect(templateMatcher('test://b/items/{id}').test('test://b/items/7')).toBe(true);
    expect(templateMatcher('test://b/items/{id}').test('test://b/items/7/8')).toBe(false);
    expect(templateMatcher('file:///{+path}').test('file:///a/b/c.txt')).toBe(true);
    expect(templateMatcher('demo://r{?page}').test('demo://r?page=2')).toBe(true);
    expect(templateMatcher('a.b://{x}').test('aXb://y')).toBe(false);
  });
});

describe('initialize merge', () => {
  it('offers only what some backend offers, OR-ing flags and keeping unknown keys', () => {
    const caps = mergeCapabilities([
      { tools: { listChanged: false }, logging: {} },
      { tools: { listChanged: true }, resources: { subscribe: true }, experimental: { x: { on: true } } },
      undefined,
    ]);
    expect(caps).toEqual({ tools: { listChanged: true }, logging: {}, resources: { subscribe: true }, experimental: { x: { on: true } } });
    expect(caps.prompts).toBeUndefined();
  });

  it('passes one answer through unchanged and negotiates the oldest version for several', () => {
    const one = { protocolVersion: '2025-06-18', capabilities: {}, serverInfo: { name: 's', version: '1' }, extra: 1 };
    expect(mergeInitializeResults([{ name: 'a', result: one }], '0.1.0')).toBe(one);
    const merged = mergeInitializeResults(
      [
        { name: 'a', result: { protocolVersion: '2025-11-25', capabilities: { tools: {} }, instructions: 'use a' } },
        { name: 'b', result: { protocolVersion: '2025-06-18', capabilities: { prompts: {} } } },
      ],
      '0.1.0',
    );
    expect(merged).toMatchObject({ protocolVersion: '2025-06-18', capabilities: { tools: {}, prompts: {} }, serverInfo: { name: 'mcp-warden', version: '0.1.0' }, instructions: '## a\n\nuse a' });
  });
});

describe('redaction obligations', () => {
  const result = () => ({ content: [{ type: 'text', text: 'user=admin password=hunter2' }], meta: { Password: 'x', nested: { token: 't' } } });

  it('masks a field at any depth (case-insensitive), a dotted path, or pattern matches', () => {
    expect(applyRedactions(result(), [{ field: 'password' }]).meta.Password).toBe('[REDACTED]');
    expect(applyRedactions(result(), [{ field: 'token', replacement: '***' }]).meta.nested.token).toBe('***');
    expect(applyRedactions(result(), [{ field: 'content.0.text' }]).content[0]!.text).toBe('[REDACTED]');
    expect(applyRedactions(result(), [{ pattern: 'password=\\S+', replacement: 'password=*' }]).content[0]!.text).toBe('user=admin password=*');
    expect(applyRedactions(result(), [{ field: 'content.0.text', pattern: 'admin' }]).content[0]!.text).toBe('user=[REDACTED] password=hunter2');
  });

  it('an invalid pattern masks the whole selection instead of leaking it', () => {
    expect(applyRedactions(result(), [{ field: 'content.0.text', pattern: '(' }]).content[0]!.text).toBe('[REDACTED]');
  });

  it('no rules: the value itself, untouched', () => {
    const r = result();
    expect(applyRedactions(r, undefined)).toBe(r);
    expect(applyRedactions(r, [])).toBe(r);
  });
});
