/**
 * member-case.ts folds names as Go's encoding/json does (ToUpper(ToLower(c)) by Go's one-character
 * mappings): names Go reads as one struct field are refused side by side, or in place of a member
 * mcp-warden reads; names Go keeps apart are not.
 */
import { describe, expect, it } from 'vitest';
import { caseVariantProblem, goFold } from '../src/proxy/member-case.js';

describe('goFold: as Go folds', () => {
  it.each([
    ['İd', 'id'], // U+0130: Go lowers it to 'i' (JavaScript to 'i' and U+0307)
    ['ıd', 'id'], // U+0131
    ['paramſ', 'params'], // U+017F
    ['\u212aind', 'kind'], // U+212A
    ['straße', 'straẞe'], // ẞ lowers to ß, which Go does not upper-case
    ['ᾀ', 'ᾈ'],
    ['café', 'CAFÉ'],
    ['\u{10400}', '\u{10428}'],
  ])('%s and %s fold alike, and are refused side by side', (a, b) => {
    expect(goFold(a)).toBe(goFold(b));
    expect(caseVariantProblem({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 't', arguments: { [a]: 1, [b]: 2 } } })).toBeDefined();
  });

  it.each([['ss', 'ß'], ['i', 'ı̇'], ['k', 'κ'], ['s', 'σ']])('%s and %s do not', (a, b) => {
    expect(goFold(a)).not.toBe(goFold(b));
    expect(caseVariantProblem({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 't', arguments: { [a]: 1, [b]: 2 } } })).toBeUndefined();
  });

  it('"İd" or "urİ" in place of a member mcp-warden reads is refused', () => {
    expect(caseVariantProblem({ jsonrpc: '2.0', id: 1, method: 'tools/list', İd: 2 })).toMatch(/'İd' differs from 'id'/);
    expect(caseVariantProblem({ jsonrpc: '2.0', id: 1, method: 'resources/read', params: { urİ: 'file:///etc/shadow' } })).toMatch(/'urİ' differs from 'uri'/);
  });
});
