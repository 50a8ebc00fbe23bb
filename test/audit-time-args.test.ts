/**
 * --since/--until (and the admin API's since/until) read ISO 8601 dates, epoch milliseconds or a
 * duration ago, and nothing else. They used to fall back on Date.parse, which also takes "7"
 * (2001-07-01), "1", "-1", "0" (2000), "Jan 5" (2001-01-05) and "2026-02-31" (2026-03-03): a
 * mistyped `--until 7` (meant 7d) answered no row at all, exit 0, as if nothing had matched, and
 * an investigation read that as "no such call". Unit checks, then the real CLI on a real SQLite file.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openAuditStore, parseAuditTime } from '../src/audit/index.js';
import { auditConfig, runCli, sampleRecord, tempDir } from './helpers/audit.js';

const NOW = Date.UTC(2026, 5, 15, 12, 0, 0);

describe('audit time arguments', () => {
  it('takes ISO dates, epoch milliseconds and durations', () => {
    expect(parseAuditTime('2026-01-31', NOW)).toBe(Date.UTC(2026, 0, 31));
    expect(parseAuditTime('2026-01-31T10:00:00Z', NOW)).toBe(Date.UTC(2026, 0, 31, 10));
    expect(parseAuditTime('2026-01-31T10:00:00.250Z', NOW)).toBe(Date.UTC(2026, 0, 31, 10, 0, 0, 250));
    expect(parseAuditTime('2026-01-31T10:00+01:00', NOW)).toBe(Date.UTC(2026, 0, 31, 9));
    expect(parseAuditTime('2026-01-31T10:00:00-0500', NOW)).toBe(Date.UTC(2026, 0, 31, 15));
    expect(parseAuditTime('2026-02-28 23:59:59Z', NOW)).toBe(Date.UTC(2026, 1, 28, 23, 59, 59));
    expect(parseAuditTime('2024-02-29', NOW)).toBe(Date.UTC(2024, 1, 29));
    expect(parseAuditTime('1790000100000', NOW)).toBe(1790000100000);
    expect(parseAuditTime('15m', NOW)).toBe(NOW - 15 * 60_000);
    expect(parseAuditTime(' 7d ', NOW)).toBe(NOW - 7 * 86_400_000);
    expect(parseAuditTime('1.5h', NOW)).toBe(NOW - 5_400_000);
  });

  it('refuses what Date.parse would have guessed at', () => {
    for (const bad of ['7', '1', '0', '-1', '12', '99', '2026', 'Jan 5', 'tomorrow 3', '2026-02-31', '2025-02-29', '2026-13-01', '2026-01-31T24:00:00Z', '2026-01-31T10:61Z', 'Sat, 31 Jan 2026 10:00:00 GMT', '1e12', '7 d', 'Infinity']) {
      expect(() => parseAuditTime(bad, NOW), bad).toThrow(`cannot read "${bad}" as a time`);
    }
    expect(() => parseAuditTime('7', NOW)).toThrow('a number needs a unit, e.g. 7d, or is epoch milliseconds');
  });

  describe('through the CLI', () => {
    const tmp = tempDir();
    const db = join(tmp.dir, 'audit.db');
    beforeAll(async () => {
      const store = openAuditStore(auditConfig(db));
      for (let i = 0; i < 3; i++) store.record(sampleRecord({ time: Date.UTC(2026, 0, 1) + i * 1000 }));
      await store.flush();
      await store.close();
    });
    afterAll(() => tmp.cleanup());

    it('a bare number or a date that does not exist is a usage error (exit 2), not an empty answer', async () => {
      for (const [option, value] of [['--until', '7'], ['--since', 'Jan 5'], ['--until', '2026-02-31']] as const) {
        const r = await runCli(['audit', 'query', '--db', db, option, value, '--ndjson']);
        expect(r.code, `${option} ${value}`).toBe(2);
        expect(r.stdout).toBe('');
        expect(r.stderr).toContain(`${option}: cannot read "${value}" as a time`);
      }
      const ok = await runCli(['audit', 'query', '--db', db, '--until', '2026-01-01T00:00:01.500Z', '--ndjson']);
      expect(ok.code).toBe(0);
      expect(ok.stdout.trim().split('\n')).toHaveLength(2);
    });
  });
});
