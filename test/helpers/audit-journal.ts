/**
 * Helpers for the journal tests (orphans, locks, kill -9): a fresh database path per test with the
 * child processes it started killed after it, the "imported once" check a restart must pass, and
 * the "every answered call stored once" check of the durability tests.
 */
import type { ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, expect } from 'vitest';
import { openAuditReader, openAuditStore } from '../../src/audit/index.js';
import type { QueryOptions, QueryPage } from '../../src/audit/query.js';
import { listJournals } from '../../src/audit/spool.js';
import { auditConfig, tempDir } from './audit.js';

export interface AuditTemp {
  /** the running test's temporary directory */
  readonly dir: string;
  /** the database path of the running test (audit.db in a fresh temporary directory) */
  readonly path: string;
  /** child processes of the running test: SIGKILLed after it */
  readonly children: ChildProcess[];
}

/** Call inside a describe: each test gets a fresh directory and database path, removed after it. */
export function auditTempEach(): AuditTemp {
  let tmp: ReturnType<typeof tempDir> | undefined;
  let path = '';
  const children: ChildProcess[] = [];
  beforeEach(() => {
    tmp = tempDir();
    path = join(tmp.dir, 'audit.db');
  });
  afterEach(() => {
    for (const c of children.splice(0)) c.kill('SIGKILL');
    tmp?.cleanup();
  });
  return {
    get dir() {
      return tmp!.dir;
    },
    get path() {
      return path;
    },
    children,
  };
}

/**
 * Opens the store at `path` (which imports the orphaned journals): its rows are `requestIds` in
 * order and the chain verifies; the journals are gone afterwards, and opening it again imports
 * nothing more.
 */
export async function expectImportedOnce(path: string, requestIds: string[]): Promise<void> {
  const store = openAuditStore(auditConfig(path));
  try {
    expect(store.query({ order: 'asc', limit: requestIds.length + 10 }).rows.map((r) => r.requestId)).toEqual(requestIds);
    expect(store.verify()).toMatchObject({ ok: true, rows: requestIds.length });
  } finally {
    await store.close();
  }
  expect(listJournals(path)).toEqual([]);
  const again = openAuditStore(auditConfig(path));
  try {
    expect(again.verify()).toMatchObject({ ok: true, rows: requestIds.length });
  } finally {
    await again.close();
  }
}

/** The stored request ids are distinct, and every call whose answer reached the client is among them. */
export function expectAnsweredStoredOnce<T>(storedIds: T[], answered: T[]): void {
  expect(new Set(storedIds).size).toBe(storedIds.length);
  const stored = new Set(storedIds);
  expect(answered.filter((id) => !stored.has(id))).toEqual([]);
}

/** How many tools/call rows there are per `vm_name` argument (every page of the query). */
export function storedVmNames(audit: { query(options?: QueryOptions): QueryPage }): Map<string, number> {
  const stored = new Map<string, number>();
  let cursor: number | undefined;
  do {
    const page = audit.query({ method: 'tools/call', limit: 1000, cursor });
    for (const r of page.rows) {
      const vm = (r.arguments as { vm_name?: string } | null)?.vm_name;
      if (vm) stored.set(vm, (stored.get(vm) ?? 0) + 1);
    }
    cursor = page.nextCursor;
  } while (cursor !== undefined);
  return stored;
}

/** True while some process holds a flock on the file now at `file` (read from /proc/locks by inode: no lock is taken to look). */
export function flocked(file: string): boolean {
  if (!existsSync(file)) return false;
  const ino = statSync(file).ino;
  return readFileSync('/proc/locks', 'utf8')
    .split('\n')
    .some((l) => / FLOCK /.test(l) && l.split(/\s+/).some((f) => f.endsWith(`:${ino}`)));
}

/** The database at `path` holds exactly the calls `ids`, in order, and its chain verifies. */
export function expectStoredInOrder(path: string, ids: unknown[]): void {
  const reader = openAuditReader(path);
  try {
    expect(reader.query({ order: 'asc', limit: 1000 }).rows.map((r) => r.requestId)).toEqual(ids);
    expect(reader.verify()).toMatchObject({ ok: true, rows: ids.length });
  } finally {
    reader.close();
  }
}
