/** Rego-style text of values, as OPA prints terms (sprintf %v, error messages, print). */
import { BigNum, RSet, type Value } from './types.js';
import { objForEach } from './object.js';
import { numberText } from './hash.js';

export function formatValue(v: Value): string {
  if (v === null) return 'null';
  switch (typeof v) {
    case 'boolean':
      return v ? 'true' : 'false';
    case 'number':
      return numberText(v);
    case 'string':
      return JSON.stringify(v);
  }
  if (v instanceof BigNum) return v.text;
  if (Array.isArray(v)) return '[' + v.map(formatValue).join(', ') + ']';
  if (v instanceof RSet) {
    if (v.size === 0) return 'set()';
    return '{' + v.values().map(formatValue).join(', ') + '}';
  }
  const parts: string[] = [];
  objForEach(v, (k, val) => {
    parts.push(formatValue(k) + ': ' + formatValue(val));
  });
  return '{' + parts.join(', ') + '}';
}

/** like formatValue but a top-level string is printed raw (print, sprintf %v of a string) */
export function formatRaw(v: Value): string {
  return typeof v === 'string' ? v : formatValue(v);
}
