/**
 * Applies a policy's `redact` obligations to a result before the client sees it. A rule with a
 * `field` selects values: a dotted path with indexes ("content.0.text") from the top, or a bare
 * name matched case-insensitively at any depth. Without a `pattern` the selected value is replaced
 * by `replacement` (default "[REDACTED]"); with a `pattern` (RE2 syntax: linear time, no
 * catastrophic backtracking) only the matches inside selected strings are replaced. A rule with only
 * a pattern applies to every string in the result. The result is modified in place (the proxy owns
 * the parsed message).
 */
import { RE2JS } from 're2js';
import type { RedactRule } from '../types.js';

const DEFAULT_REPLACEMENT = '[REDACTED]';
const compiled = new Map<string, RE2JS | null>();

function compile(pattern: string): RE2JS | null {
  let re = compiled.get(pattern);
  if (re === undefined) {
    try {
      re = RE2JS.compile(pattern);
    } catch {
      re = null;
    }
    if (compiled.size > 1000) compiled.clear();
    compiled.set(pattern, re);
  }
  return re;
}

type Rewrite = (value: unknown) => unknown;

function rewriteStrings(value: unknown, fn: (s: string) => string): unknown {
  if (typeof value === 'string') return fn(value);
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) value[i] = rewriteStrings(value[i], fn);
    return value;
  }
  if (value !== null && typeof value === 'object') {
    const obj = value as Record<string, unknown>;
    for (const key of Object.keys(obj)) obj[key] = rewriteStrings(obj[key], fn);
  }
  return value;
}

function atPath(target: unknown, path: string[], rewrite: Rewrite): void {
  let node = target;
  for (let i = 0; i < path.length - 1; i++) {
    if (node === null || typeof node !== 'object') return;
    node = (node as Record<string, unknown>)[path[i]!];
  }
  if (node === null || typeof node !== 'object') return;
  const last = path[path.length - 1]!;
  const container = node as Record<string, unknown>;
  if (last in container) container[last] = rewrite(container[last]);
}

function anyDepth(target: unknown, lowerName: string, rewrite: Rewrite): void {
  if (Array.isArray(target)) {
    for (const item of target) anyDepth(item, lowerName, rewrite);
    return;
  }
  if (target === null || typeof target !== 'object') return;
  const obj = target as Record<string, unknown>;
  for (const key of Object.keys(obj)) {
    if (key.toLowerCase() === lowerName) obj[key] = rewrite(obj[key]);
    else anyDepth(obj[key], lowerName, rewrite);
  }
}

export function applyRedactions<T>(value: T, rules: ReadonlyArray<RedactRule> | undefined): T {
  if (!rules || rules.length === 0) return value;
  let out: unknown = value;
  for (const rule of rules) {
    const replacement = rule.replacement ?? DEFAULT_REPLACEMENT;
    let rewrite: Rewrite;
    if (rule.pattern !== undefined) {
      const re = compile(rule.pattern);
      // An invalid pattern must not leak what it was meant to hide: mask the selection entirely.
      rewrite = re ? (v) => rewriteStrings(v, (s) => re.matcher(s).replaceAll(replacement)) : () => replacement;
    } else {
      rewrite = () => replacement;
    }
    if (rule.field === undefined || rule.field === '') {
      out = rule.pattern !== undefined ? rewrite(out) : out;
    } else if (rule.field.includes('.')) {
      atPath(out, rule.field.split('.'), rewrite);
    } else {
      anyDepth(out, rule.field.toLowerCase(), rewrite);
    }
  }
  return out as T;
}
