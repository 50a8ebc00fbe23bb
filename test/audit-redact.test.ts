/** Which keys the audit masks, how policy redact obligations apply (fields, paths, RE2 patterns), and that the call path's shortcut masks the same. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { openAuditStore, Redactor } from '../src/audit/index.js';
import { listJournals } from '../src/audit/spool.js';
import { auditSchema } from '../src/config/audit.js';
import { auditConfig, databaseBytes, sampleRecord, tempDir } from './helpers/audit.js';

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

  it('the call path (serializeFast) masks exactly what serialize masks, skipping the key scan only when no field name occurs', () => {
    const keys = ['password', 'PASSWORD', 'Token', 'api_key', 'API-KEY', 'apiKey', 'x-api-key', 'access_token', 'refreshToken', 'clientSecret',
      'api_\u212Aey', 'to\u212Aen', 'max_tokens', 'tokenizer', 'secretary', 'author', 'authorized', 'plain', 'tōken', '\u0130d'];
    for (const key of keys) {
      for (const doc of [{ [key]: 'v' }, { a: [{ b: { [key]: { deep: 1 } } }] }, [1, { [key]: null }], 'the token is x', { x: `${key}` }]) {
        expect(redactor.serializeFast(doc, undefined, undefined), key).toBe(redactor.serialize(doc));
        expect(redactor.serializeFast(doc, [], JSON.stringify(doc)), key).toBe(redactor.serialize(doc));
      }
    }
    // A Kelvin sign lower-cases to k: "api_\u212Aey" is api_key.
    expect(JSON.parse(redactor.serializeFast({ ['api_\u212Aey']: 's' }, undefined, undefined)!)).toEqual({ ['api_\u212Aey']: '[REDACTED]' });
    expect(redactor.serializeFast(undefined, undefined, undefined)).toBeUndefined();
    // Field names that are not plain ASCII: every value is scanned.
    const other = new Redactor(['straße', 'pin']);
    expect(JSON.parse(other.serializeFast({ STRAßE: 'x', Pin: 'y', ok: 1 }, undefined, undefined)!)).toEqual({ STRAßE: '[REDACTED]', Pin: '[REDACTED]', ok: 1 });
    // Policy rules always take the full path.
    expect(JSON.parse(redactor.serializeFast({ email: 'a@b.c' }, [{ field: 'email' }], '{"email":"a@b.c"}')!)).toEqual({ email: '[REDACTED]' });
  });

  it('no secret reaches the journal or the database without policy rules (configured field names only)', async () => {
    const tmp = tempDir();
    const path = `${tmp.dir}/audit.db`;
    const store = openAuditStore(auditConfig(path, { flushIntervalMs: 60_000 }));
    try {
      const secrets = ['pw-journal-111', 'tok-journal-222', 'ak-journal-333', 'auth-journal-444'];
      store.record(
        sampleRecord({
          arguments: { user: 'bob', password: secrets[0], nested: [{ access_token: secrets[1] }] },
          result: { content: [{ type: 'text', text: 'ok' }], 'X-Api-Key': secrets[2], headers: { authorization: secrets[3] } },
        }),
      );
      // Only in the journal so far (the flush interval is long).
      const journal = Buffer.concat(listJournals(path).flatMap((j) => j.files.map((f) => readFileSync(f))));
      expect(journal.includes(Buffer.from('bob'))).toBe(true);
      for (const s of secrets) expect(journal.includes(Buffer.from(s)), `${s} in the journal`).toBe(false);
      await store.flush();
      const bytes = databaseBytes(path);
      expect(bytes.includes(Buffer.from('bob'))).toBe(true);
      for (const s of secrets) expect(bytes.includes(Buffer.from(s)), `${s} in the files`).toBe(false);
      expect(store.query().rows[0]!.result).toEqual({ content: [{ type: 'text', text: 'ok' }], 'X-Api-Key': '[REDACTED]', headers: { authorization: '[REDACTED]' } });
    } finally {
      await store.close();
      tmp.cleanup();
    }
  });
});
