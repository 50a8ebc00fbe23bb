/**
 * A raw entry head's own INSERT (src/audit/head-insert.ts) writes the head's values as hex blob
 * literals cast to text: SQLite reads such a blob in the database's encoding. A database file made
 * UTF-16 beforehand (PRAGMA encoding before its first table; the proxy then migrates it) must store
 * the same text as the bound statement, and its chain must verify: on the old code its client_id
 * read '潬慣㩬潲瑯' instead of 'local:root' and `audit verify` reported row 1 changed.
 */
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { chainKeying } from '../src/audit/chain-key.js';
import { ChainWriter } from '../src/audit/chain-writer.js';
import { openAuditReader } from '../src/audit/index.js';
import { rawHeadJson, rawJournalBody, RawEntryReader } from '../src/audit/raw-entry.js';
import { Redactor } from '../src/audit/redact.js';
import { configureWriter, migrate } from '../src/audit/schema.js';
import type { RawRecordHead } from '../src/types.js';
import { tempDir } from './helpers/audit.js';

const HEAD: RawRecordHead = { clientId: 'local:root', clientName: 'grüße 日本', authMethod: 'local', sessionId: 'stdio-1', transport: 'stdio', backend: 'inv', decision: 'allow', reasons: [], policyVersion: 'sha256:0f3a9c', decisionMicros: 3 };
const REQUEST = '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"echo","arguments":{"text":"hi"}}}';
const ANSWER = '{"jsonrpc":"2.0","id":1,"result":{"content":[{"type":"text","text":"echo:hi"}]}}';

describe('audit: heads with an INSERT of their own in a database not in UTF-8', () => {
  let tmp: ReturnType<typeof tempDir>;
  beforeEach(() => {
    tmp = tempDir();
  });
  afterEach(() => tmp.cleanup());

  for (const encoding of ['UTF-16le', 'UTF-16be']) {
    it(`stores the head's text as binding does, and the chain verifies (${encoding})`, () => {
      const path = `${tmp.dir}/audit.db`;
      const made = new Database(path);
      made.pragma(`encoding = '${encoding}'`);
      made.exec('CREATE TABLE made_before (a); DROP TABLE made_before');
      made.close();
      const db = new Database(path);
      try {
        configureWriter(db);
        migrate(db);
        expect(db.pragma('encoding', { simple: true })).toBe(encoding);
        // Every head gets its own statement at once (were it allowed to).
        const writer = new ChainWriter(db, chainKeying(undefined), new RawEntryReader(new Redactor(['password']), 16 * 1024), 1);
        let text = '';
        for (let i = 0; i < 40; i++) text += `${i + 1} ${rawJournalBody(rawHeadJson(HEAD), 1_790_000_000_000 + i, 100, REQUEST.length, ANSWER.length, REQUEST, ANSWER)}\n`;
        expect(writer.writeBatch('j', text).unreadable).toBe(0);
        const rows = db.prepare('SELECT client_id, client_name, session_id, backend, decision, policy_version FROM audit_log ORDER BY seq').raw().all();
        expect(rows).toHaveLength(40);
        for (const row of rows) expect(row).toEqual(['local:root', 'grüße 日本', 'stdio-1', 'inv', 'allow', 'sha256:0f3a9c']);
      } finally {
        db.close();
      }
      const reader = openAuditReader(path);
      try {
        expect(reader.verify()).toMatchObject({ ok: true, rows: 40 });
      } finally {
        reader.close();
      }
    });
  }
});
