/**
 * Spellings of a secret that the audit's name-based masking did not read as names: a query
 * parameter whose name is percent-encoded (`?api%5Fkey=`, `%74oken=`), a member of JSON encoded
 * twice (a string holding `{\"password\":\"...\"}`, or JSON text holding a member whose string
 * value holds it), a name written with a `\u` escape, and the userinfo of a URL
 * (`https://user:secret@host/`, `postgres://u:p@h/db`, a token given as the user name), which
 * names nothing. In resource URIs, arguments, results and error messages. Real `wrap` over a real
 * backend (both the parsed path and, with allow-all, the raw path that journals lines as they
 * came), the real SQLite file, its -wal and journal directory searched for every secret. And the
 * scans stay linear: adversarial inputs of megabytes finish (a quadratic scan would not finish
 * within the test's timeout; a linear one takes milliseconds per megabyte).
 */
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openAuditStore } from '../src/audit/index.js';
import { Redactor } from '../src/audit/redact.js';
import { auditConfig, databaseBytes, runCli, sampleRecord, tempDir } from './helpers/audit.js';
import { connectCli, TEST_BACKEND } from './helpers/proxy.js';

const S = {
  uriPct: 'SEKRIT-uripct-1a01',
  uriUser: 'SEKRIT-uriuser-1a02',
  argPct: 'SEKRIT-argpct-1a03',
  argDouble: 'SEKRIT-argdouble-1a04',
  argNested: 'SEKRIT-argnested-1a05',
  argPg: 'SEKRIT-argpg-1a06',
  argTokenUser: 'SEKRIT-argtokuser-1a07',
  argEscName: 'SEKRIT-argescname-1a08',
  msgPg: 'SEKRIT-msgpg-1a09',
  msgPct: 'SEKRIT-msgpct-1a10',
  rawPct: 'SEKRIT-rawpct-1a11',
  rawUser: 'SEKRIT-rawuser-1a12',
};

interface Row {
  method: string;
  resource: string | null;
  arguments: unknown;
  result: unknown;
  errorMessage: string | null;
}

async function rows(db: string): Promise<Row[]> {
  const r = await runCli(['audit', 'query', '--db', db, '--json', '--asc', '--limit', '1000']);
  expect(r.code).toBe(0);
  return JSON.parse(r.stdout) as Row[];
}

const FIELDS = ['password', 'token', 'api_key', 'apikey', 'authorization', 'secret'];

describe('audit redaction of escaped, encoded and unnamed spellings', () => {
  const cleanups: Array<() => Promise<void> | void> = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  for (const policy of ['default', 'allow-all']) {
    it(`masks them in resource URIs, arguments and results through wrap (${policy} policy)`, async () => {
      const tmp = tempDir();
      cleanups.push(tmp.cleanup);
      const db = join(tmp.dir, 'audit.db');
      const conn = await connectCli(['wrap', ...(policy === 'allow-all' ? ['--policy', 'allow-all'] : []), '--audit', db, '--', process.execPath, TEST_BACKEND]);
      const uri = `test://app:${S.uriUser}@shared/x?api%5Fkey=${S.uriPct}&page=2`;
      const read = await conn.client.readResource({ uri });
      expect(read.contents[0]!.uri).toBe(uri); // the client's answer is not changed
      const text = [
        `GET https://h.example/p?%74oken=${S.argPct}&x=1`,
        JSON.stringify({ body: JSON.stringify({ user: 'al', password: S.argDouble }) }),
        JSON.stringify(JSON.stringify({ outer: JSON.stringify({ secret: S.argNested }) })),
        `DATABASE_URL=postgres://app:${S.argPg}@db.internal:5432/app`,
        `git clone https://${S.argTokenUser}@github.com/o/r.git`,
        `{"pass\\u0077ord":"${S.argEscName}"}`,
      ].join('\n');
      const answer = await conn.client.callTool({ name: 'echo', arguments: { text } });
      expect(JSON.stringify(answer)).toContain(S.argDouble);
      // No field name anywhere in this call's lines: with allow-all it may take the raw path, which
      // journals lines as they came when they hold no name (now: nor a `%` or an `@`).
      const unnamed = `see https://ops:${S.rawUser}@h.example/x?%74oken=${S.rawPct}`;
      await conn.client.callTool({ name: 'echo', arguments: { text: unnamed } });
      await conn.close();
      await expect.poll(async () => (await rows(db)).filter((r) => r.method === 'tools/call').length, { timeout: 30_000 }).toBe(2);

      const all = await rows(db);
      const readRow = all.find((r) => r.method === 'resources/read')!;
      expect(readRow.resource).toBe('test://app:[REDACTED]@shared/x?api%5Fkey=[REDACTED]&page=2');
      const [call, unnamedCall] = all.filter((r) => r.method === 'tools/call') as [Row, Row];
      expect(unnamedCall.arguments).toEqual({ text: 'see https://ops:[REDACTED]@h.example/x?%74oken=[REDACTED]' });
      expect(JSON.stringify(unnamedCall.result)).toContain('https://ops:[REDACTED]@h.example/x?%74oken=[REDACTED]');
      const stored = (call.arguments as { text: string }).text;
      expect(stored).toContain('?%74oken=[REDACTED]&x=1');
      expect(stored).toContain('{"body":"{\\"user\\":\\"al\\",\\"password\\":\\"[REDACTED]\\"}"}');
      expect(stored).toContain('\\\\\\"secret\\\\\\":\\\\\\"[REDACTED]\\\\\\"');
      expect(stored).toContain('postgres://app:[REDACTED]@db.internal:5432/app');
      expect(stored).toContain('https://[REDACTED]@github.com/o/r.git');
      expect(stored).toContain('{"pass\\u0077ord":"[REDACTED]"}');
      expect(JSON.stringify(call.result)).toContain('postgres://app:[REDACTED]@db.internal');
      const bytes = databaseBytes(db);
      for (const [name, s] of Object.entries(S)) if (!name.startsWith('msg')) expect(bytes.includes(Buffer.from(s)), s).toBe(false);
      expect((await runCli(['audit', 'verify', '--db', db])).code).toBe(0);
    });
  }

  it('masks them in an error message', async () => {
    const tmp = tempDir();
    cleanups.push(tmp.cleanup);
    const db = join(tmp.dir, 'audit.db');
    const store = openAuditStore(auditConfig(db));
    store.record(
      sampleRecord({
        outcome: 'rpc_error',
        errorCode: -32603,
        errorMessage: `connect postgres://app:${S.msgPg}@db/x failed; fetch https://api.example/v1?api%5Fkey=${S.msgPct} refused`,
        result: undefined,
      }),
    );
    await store.flush();
    await store.close();
    const [row] = await rows(db);
    expect(row!.errorMessage).toBe('connect postgres://app:[REDACTED]@db/x failed; fetch https://api.example/v1?api%5Fkey=[REDACTED] refused');
    const bytes = databaseBytes(db);
    for (const s of [S.msgPg, S.msgPct]) expect(bytes.includes(Buffer.from(s)), s).toBe(false);
  });

  it('sends text holding a `%` or an `@` off the raw path, as text holding a field name', () => {
    const r = new Redactor(FIELDS);
    for (const line of ['{"a":"x?%74oken=1"}', '{"a":"https://u:p@h/"}', '{"a":"pass\\u0077ord"}']) {
      expect(r.rawSafe(line), line).toBe(false);
      expect(r.rawSafeBytes(Buffer.from(line), 0, line.length), line).toBe(-1);
    }
    expect(r.rawSafe('{"a":"plain text"}')).toBe(true);
  });

  // Async, yielding between inputs: the scans take seconds each on a loaded machine, and a test
  // holding its worker's event loop for over 60 s makes vitest's worker RPC time out (an unhandled
  // error that fails the run although every test passed).
  it('scans adversarial text of megabytes in linear time', async () => {
    const r = new Redactor(FIELDS);
    const n = 8 * 1024 * 1024;
    const fill = (unit: string, size = n) => unit.repeat(Math.ceil(size / unit.length));
    const inputs = [
      fill('\\"'),
      fill('\\"a\\":'),
      '\\'.repeat(n) + '"',
      fill('\\"' + '\\'.repeat(60) + 'x'),
      // Many members on one line, 32 MiB: a scan that looks for the line's end again from each one
      // is quadratic in string searches that run at memory speed, and would still finish at 8 MiB.
      fill('{\\"password\\":\\"' + '\\\\\\"'.repeat(10), 4 * n),
      fill('{\\"token\\":', 4 * n),
      '://' + 'a'.repeat(n),
      fill('://a:'),
      'x://' + '@'.repeat(n),
      '?' + fill('a%'),
      fill('"a":"\\"'),
      fill('"'),
      fill('a=') + 'b',
      fill('Token: '),
    ];
    for (const text of inputs) {
      expect(typeof r.redactQuery(text)).toBe('string');
      await new Promise((resolve) => setImmediate(resolve));
      expect(typeof r.serialize({ text })).toBe('string');
      await new Promise((resolve) => setImmediate(resolve));
    }
    // Names are decoded before they are matched: a name that is one long run of backslashes.
    const run = '\\'.repeat(n);
    expect(typeof r.serialize({ [`${run}%41`]: 1, at: '@' })).toBe('string');
    expect(typeof r.redactQuery(`?${run}=1&x=%41`)).toBe('string');
  });
});
