/**
 * Audit log: every request, its decision and its outcome in SQLite (better-sqlite3, WAL), redacted,
 * hash-chained for tamper evidence, written off the hot path by a batch writer thread behind a
 * crash-safe journal. openAuditStore() gives the proxy its Recorder (plus query/stats/verify);
 * openAuditReader() is the CLI's read-only view; createRecorder() is the wiring seam that honours
 * `audit.enabled`.
 */
import type { AuditConfig } from '../config/audit.js';
import type { Recorder } from '../types.js';
import { openAuditStore, type AuditStore, type OpenOptions } from './store.js';

export { openAuditStore, openAuditReader, type AuditFileReader, type AuditReader, type AuditStore, type OpenOptions } from './store.js';
export { AuditBackpressureError, type AuditCounters } from './recorder.js';
export { type AuditFilter, type QueryOptions, type QueryPage, type AuditStats, type StatsOptions, DECISIONS } from './query.js';
export { parseExpectedHead, type ExpectedHead, type VerifyResult, type VerifyProblem } from './verify.js';
export { type AuditEntry } from './row.js';
export { toDecisionLog, type DecisionLogEvent } from './export.js';
export { Redactor, REDACTED } from './redact.js';
export { parseAuditTime } from './time.js';
export { ChainKeyError } from './chain-key.js';

/** A recorder that stores nothing (audit.enabled: false). */
export const disabledRecorder: Recorder = {
  record() {},
  close: () => Promise.resolve(),
};

/**
 * The recorder for a configuration: the SQLite store when auditing is enabled, else one that
 * stores nothing. Accepts the whole warden config or just its `audit` section.
 */
export function createRecorder(config: AuditConfig | { audit: AuditConfig }, options: OpenOptions = {}): AuditStore | Recorder {
  const audit = 'audit' in config ? config.audit : config;
  if (!audit.enabled) return disabledRecorder;
  return openAuditStore(audit, options.logger, options);
}
