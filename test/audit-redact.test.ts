/** Which keys the audit masks, and how policy redact obligations apply (fields, paths, RE2 patterns). */
import { describe, expect, it } from 'vitest';
import { Redactor } from '../src/audit/index.js';
import { auditSchema } from '../src/config/audit.js';

const redactor = new Redactor(auditSchema.parse({}).redactFields);

describe('audit redaction', () => {
  it('masks configured names at any depth, case-insensitively, also as the last word of a longer name', () => {
    const masked = ['password', 'PASSWORD', 'Token', 'api_key', 'API-KEY', 'apiKey', 'x-api-key', 'Authorization', 'proxy_authorization', 'access_token', 'refreshToken', 'clientSecret', 'client-secret', 'db.password'];
    const kept = ['max_tokens', 'tokenizer', 'secretary', 'passwords_reset_count', 'keyboard', 'author', 'authorized'];
    for (const k of masked) expect(redactor.isSensitiveKey(k), k).toBe(true);
    for (const k of kept) expect(redactor.isSensitiveKey(k), k).toBe(false);
    const doc = { a: [{ b: { Password: 'p1', other: 'fine' } }], headers: { authorization: { scheme: 'Bearer', value: 'v' } } };
    expect(JSON.parse(redactor.serialize(doc)!)).toEqual({ a: [{ b: { Password: '[REDACTED]', other: 'fine' } }], headers: { authorization: '[REDACTED]' } });
    // Nothing sensitive: the same JSON as JSON.stringify.
    expect(redactor.serialize({ x: [1, 'two', null] })).toBe(JSON.stringify({ x: [1, 'two', null] }));
    expect(redactor.serialize(undefined)).toBeUndefined();
  });

  it('applies policy obligations: field names, dotted paths (array indexes too), patterns, replacements', () => {
    const value = { content: [{ type: 'text', text: 'ssn 123-45-6789 and 987-65-4321' }], owner: { email: 'a@b.c' }, note: 'call 555-12-3456' };
    const out = JSON.parse(
      redactor.serialize(value, [
        { field: 'content.0.text', pattern: '\\d{3}-\\d{2}-\\d{4}', replacement: '***' },
        { field: 'email' },
        { pattern: '555-\\d+-\\d+', replacement: '[phone]' },
      ])!,
    );
    expect(out).toEqual({ content: [{ type: 'text', text: 'ssn *** and ***' }], owner: { email: '[REDACTED]' }, note: 'call [phone]' });
    // The input object is not modified.
    expect(value.content[0]!.text).toBe('ssn 123-45-6789 and 987-65-4321');
    expect(redactor.redactText('failed for sk-abc123', [{ pattern: 'sk-[a-z0-9]+' }])).toBe('failed for [REDACTED]');
  });
});
