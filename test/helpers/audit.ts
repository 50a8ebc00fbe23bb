/** Helpers for the audit tests: temp databases, sample records, the built CLI and raw file bytes. */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { auditSchema, type AuditConfig } from '../../src/config/audit.js';
import { journalBatchPieces, type JournalBatch } from '../../src/audit/journal-range.js';
import type { Spool } from '../../src/audit/spool.js';
import type { AuditRecord } from '../../src/types.js';

export const CLI = resolve('dist/cli/main.js');

export function tempDir(): { dir: string; cleanup(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'warden-audit-'));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export function auditConfig(path: string, overrides: Record<string, unknown> = {}): AuditConfig {
  return auditSchema.parse({ path, ...overrides });
}

export function sampleRecord(overrides: Partial<AuditRecord> = {}): AuditRecord {
  return {
    time: Date.now(),
    clientId: 'alice',
    clientName: 'Alice (laptop)',
    authMethod: 'api_key',
    sessionId: 'sess-1',
    transport: 'streamable-http',
    backend: 'qubinode',
    method: 'tools/call',
    requestId: 7,
    tool: 'qubinode__list_vms',
    arguments: { filter: 'running' },
    decision: 'allow',
    reasons: [],
    policyVersion: 'sha256:abc',
    outcome: 'ok',
    result: { content: [{ type: 'text', text: 'vm-1, vm-2' }] },
    decisionMicros: 42,
    backendMicros: 1234,
    requestBytes: 120,
    responseBytes: 300,
    ...overrides,
  };
}

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export function runCli(args: string[], options: { cwd?: string } = {}): Promise<CliResult> {
  return new Promise((done) => {
    execFile(process.execPath, [CLI, ...args], { cwd: options.cwd, env: { ...process.env, MCP_WARDEN_LOG_LEVEL: 'silent' } }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? ((err as { code: number }).code) : 1) : 0;
      done({ code, stdout, stderr });
    });
  });
}

/** Raw bytes of the database and every file of it (-wal, -shm, the journal segments in <db>.journal/, older journals beside it). */
export function databaseBytes(dbPath: string): Buffer {
  const dir = resolve(dbPath, '..');
  const base = dbPath.slice(dir.length + 1);
  const files = (d: string, names: string[]): string[] =>
    names.flatMap((n) => {
      const p = join(d, n);
      const stat = statSync(p, { throwIfNoEntry: false });
      if (stat === undefined) return [];
      return stat.isDirectory() ? files(p, readdirSync(p)) : [p];
    });
  const parts = files(dir, readdirSync(dir).filter((n) => n.startsWith(base))).flatMap((p) => (existsSync(p) ? [readFileSync(p)] : []));
  return Buffer.concat(parts);
}

/**
 * The lines Spool.take() hands out, as text: a JournalRange (the active mapped segment's lines) is
 * read from its file, as the writer thread reads it.
 */
export function takeText(spool: Spool): string {
  return batchText(spool.take());
}

/** A batch of Spool.take() as text (JournalRanges read from their files), as the writer thread reads it. */
export function batchText(t: JournalBatch): string {
  return journalBatchPieces(t, { buffer: Buffer.alloc(0) }).join('');
}
