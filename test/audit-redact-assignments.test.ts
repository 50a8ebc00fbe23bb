/**
 * Secrets named by an assignment or a quoted member that the text masking did not read: a quoted
 * value (`export API_TOKEN="..."`, dotenv's `KEY="..."`, `curl -d 'password=...'`), blanks around
 * the `=` (.env, INI and TOML files a tool reads: `password = ...`), an assignment after a comma or
 * a bracket (`a=1,token=...`, `Settings(password='...')`) or a URL's `#` (an OAuth redirect's
 * `#access_token=...`), a member with its name in single quotes
 * (a Python dict's repr, as a pydantic validation error quotes the input: `{'password': '...'}`)
 * or with `=>`, a member of JSON text whose value is an object or an array (`"authorization":
 * {"scheme": "Bearer", "credentials": "..."}`), a `Name: value` in quotes (`curl -H "Authorization:
 * Bearer ..."`, a header list in JSON text) or after a line break escaped in JSON text (`\r\n`), `Authorization=Bearer ...` (the credential is the word after the scheme), and keys
 * that end with a field in one case (`PGPASSWORD`, libpq's variable; ngrok's `authtoken`). Each
 * reached the audit database as written. Real `wrap` over a real backend (its answer echoes the
 * arguments; its error message quotes the request), the real SQLite file, its -wal and journal
 * directory searched for every secret; the scans stay linear on adversarial text.
 */
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Redactor } from '../src/audit/redact.js';
import { auditSchema } from '../src/config/audit.js';
import { databaseBytes, runCli, tempDir } from './helpers/audit.js';
import { connectCli, TEST_BACKEND } from './helpers/proxy.js';

const FIELDS = auditSchema.parse({}).redactFields;

/** Each text, and what it is stored as: its secret (the `SEKRIT-...`) masked, the rest as written. */
const CASES: Array<[string, string]> = [
  ['export API_TOKEN="SEKRIT-dq-2b01"; ./deploy', 'export API_TOKEN="[REDACTED]"; ./deploy'],
  ["curl -d 'password=SEKRIT-sq-2b02' https://h.example/login", "curl -d 'password=[REDACTED]' https://h.example/login"],
  ['[db]\nuser = app\npassword = SEKRIT-ini-2b03\nport = 5432', '[db]\nuser = app\npassword = [REDACTED]\nport = 5432'],
  ['api_key = "SEKRIT-toml-2b04" # prod', 'api_key = "[REDACTED]" # prod'],
  ['PGPASSWORD=SEKRIT-pg-2b05 psql -h db', 'PGPASSWORD=[REDACTED] psql -h db'],
  ['a=1,token=SEKRIT-comma-2b06', 'a=1,token=[REDACTED]'],
  ["Settings(user='al', password='SEKRIT-kw-2b07')", "Settings(user='al', password='[REDACTED]')"],
  ["input_value={'user': 'al', 'password': 'SEKRIT-repr-2b08'}", "input_value={'user': 'al', 'password': '[REDACTED]'}"],
  ['{"password" => "SEKRIT-arrow-2b09"}', '{"password" => "[REDACTED]"}'],
  ['Authorization=Bearer SEKRIT-bearer-2b10 sent', 'Authorization=[REDACTED] sent'],
  ['AUTHTOKEN: SEKRIT-caps-2b11', 'AUTHTOKEN: [REDACTED]'],
  ['token="it\\"s SEKRIT-esc-2b12" next', 'token="[REDACTED]" next'],
  ['password="SEKRIT-open-2b13 never closed\nnext line', 'password="[REDACTED]\nnext line'],
  ['https://app.example/cb#access_token=SEKRIT-frag-2b16&token_type=bearer', 'https://app.example/cb#access_token=[REDACTED]&token_type=bearer'],
  // A member whose value is an object or an array, in JSON text (pretty-printed too): the value whole, as the key-based masking does.
  ['{"user":"al","password":{"value":"SEKRIT-obj-2b17"},"n":1}', '{"user":"al","password":"[REDACTED]","n":1}'],
  ['{\n  "apiKey": [\n    "SEKRIT-arr-2b18",\n    "k2"\n  ],\n  "x": "]"\n}', '{\n  "apiKey": "[REDACTED]",\n  "x": "]"\n}'],
  // A .env file a tool answered as JSON text: its lines are escaped line breaks.
  ['{"path":".env","content":"A=1\\nPGPASSWORD=SEKRIT-envjson-2b22\\nB=2"}', '{"path":".env","content":"A=1\\nPGPASSWORD=[REDACTED]\\nB=2"}'],
  ['{"cmd":"run --token=SEKRIT-bare-2b23\\" x"}', '{"cmd":"run --token=[REDACTED]\\" x"}'],
  // `Name: value` in quotes (a command's header, a header list in JSON text) and after a line break escaped in JSON text.
  ['curl -H "Authorization: Bearer SEKRIT-hdrq-2b19" https://h.example', 'curl -H "Authorization: [REDACTED]" https://h.example'],
  ['{"headers":["X-Api-Key: SEKRIT-hdrarr-2b20","Host: h"]}', '{"headers":["X-Api-Key: [REDACTED]","Host: h"]}'],
  ['{"log":"GET / HTTP/1.1\\r\\nAuthorization: Basic SEKRIT-crlf-2b21\\r\\nHost: h"}', '{"log":"GET / HTTP/1.1\\r\\nAuthorization: [REDACTED]\\r\\nHost: h"}'],
  // In JSON a tool answers as text (the quotes escaped once), and in JSON of JSON (three backslashes).
  ['{"cmd":"export TOKEN=\\"SEKRIT-json1-2b14\\" && run","n":1}', '{"cmd":"export TOKEN=\\"[REDACTED]\\" && run","n":1}'],
  ['{"a":"{\\"ini\\":\\"password = \\\\\\"SEKRIT-json2-2b15\\\\\\"\\"}"}', '{"a":"{\\"ini\\":\\"password = \\\\\\"[REDACTED]\\\\\\"\\"}"}'],
];
const SECRETS = CASES.map(([text]) => /SEKRIT-[a-z0-9]+-2b\d\d/.exec(text)![0]);
const KEYED = { PGPASSWORD: 'SEKRIT-key-2b20', authtoken: 'SEKRIT-key-2b21', env: [{ name: 'PGPASSWORD', value: 'SEKRIT-key-2b22' }] };
const KEYED_SECRETS = ['SEKRIT-key-2b20', 'SEKRIT-key-2b21', 'SEKRIT-key-2b22'];

interface Row {
  method: string;
  arguments: unknown;
  result: unknown;
  errorMessage: string | null;
}

async function rows(db: string): Promise<Row[]> {
  const r = await runCli(['audit', 'query', '--db', db, '--json', '--asc', '--limit', '1000']);
  expect(r.code).toBe(0);
  return JSON.parse(r.stdout) as Row[];
}

describe('audit redaction of assignments and quoted members written in text', () => {
  const cleanups: Array<() => Promise<void> | void> = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  it('masks the value of each spelling, and only the value', () => {
    const r = new Redactor(FIELDS);
    for (const [text, stored] of CASES) expect(r.redactQuery(text), text).toBe(stored);
    expect(JSON.parse(r.serialize(KEYED)!)).toEqual({ PGPASSWORD: '[REDACTED]', authtoken: '[REDACTED]', env: [{ name: 'PGPASSWORD', value: '[REDACTED]' }] });
    // What names no secret stays as written.
    for (const text of ['a == token', 'x=1, y = "two"', "{'user': 'al'}", 'if token == other', 'max_tokens = 5', 'tokenizer=bpe']) expect(r.redactQuery(text), text).toBe(text);
  });

  for (const policy of ['default', 'allow-all']) {
    it(`keeps them out of the database through wrap: arguments, result and a backend's error message (${policy} policy)`, async () => {
      const tmp = tempDir();
      cleanups.push(tmp.cleanup);
      const db = join(tmp.dir, 'audit.db');
      const conn = await connectCli(['wrap', ...(policy === 'allow-all' ? ['--policy', 'allow-all'] : []), '--audit', db, '--', process.execPath, TEST_BACKEND]);
      const text = CASES.map(([t]) => t).join('\n');
      const answer = await conn.client.callTool({ name: 'echo', arguments: { text, ...KEYED } });
      expect(JSON.stringify(answer)).toContain(SECRETS[0]); // the client's answer is not changed
      // The backend refuses the cursor, quoting it in its error message.
      await expect(conn.client.listTools({ cursor: `x PGPASSWORD=${'SEKRIT-msg-2b30'}` })).rejects.toThrow(/SEKRIT-msg-2b30/);
      await conn.close();
      await expect.poll(async () => (await rows(db)).filter((r) => r.method === 'tools/call' || r.errorMessage !== null).length, { timeout: 30_000 }).toBe(2);

      const all = await rows(db);
      const call = all.find((r) => r.method === 'tools/call')!;
      const stored = CASES.map(([, s]) => s).join('\n');
      expect(call.arguments).toEqual({ text: stored, PGPASSWORD: '[REDACTED]', authtoken: '[REDACTED]', env: [{ name: 'PGPASSWORD', value: '[REDACTED]' }] });
      expect(JSON.stringify(call.result)).toContain(JSON.stringify(stored).slice(1, -1));
      expect(all.find((r) => r.method === 'tools/list' && r.errorMessage !== null)!.errorMessage).toContain('PGPASSWORD=[REDACTED]');
      const bytes = databaseBytes(db);
      for (const s of [...SECRETS, ...KEYED_SECRETS, 'SEKRIT-msg-2b30']) expect(bytes.includes(Buffer.from(s)), s).toBe(false);
      expect((await runCli(['audit', 'verify', '--db', db])).code).toBe(0);
    });
  }

  // Async, yielding between inputs (see audit-redact-spellings: a worker held for a minute fails the run).
  it('scans adversarial text of megabytes in linear time', async () => {
    const r = new Redactor(FIELDS);
    const n = 8 * 1024 * 1024;
    const fill = (unit: string, size = n) => unit.repeat(Math.ceil(size / unit.length));
    const inputs = [
      fill("token='"),
      fill('token="\\"'),
      fill('token= '),
      fill(' = '),
      fill(',a'),
      '(' + 'a'.repeat(n) + ' '.repeat(n) + 'x',
      fill('token=Bearer '),
      fill("'token':"),
      fill("'token': '\\'"),
      fill("'a':'\\'"),
      fill('"token" => "'),
      fill("password='a',"),
      fill('token=\\"'),
      fill('token=\\\\\\"x\\"'),
      'token=\\"' + '\\'.repeat(n) + '"',
      'token=\\"' + fill('\\\\"'),
      fill('"token":{'),
      fill('"a":['),
      '"token":[' + fill('"\\'),
      fill('"token":["]'),
      fill('"Token: \\'),
      fill('\\nToken: a'),
      fill("'Token: "),
      fill('\\na'),
      fill('\\u0041'),
      '\\'.repeat(n) + 'u0041=1',
      fill('\\ntoken=\\'),
    ];
    for (const text of inputs) {
      expect(typeof r.redactQuery(text)).toBe('string');
      await new Promise((resolve) => setImmediate(resolve));
    }
  });
});
