/** The recorder used when auditing is off (or before the audit module is wired in): accepts and drops every record. */
import type { AuditRecord, Recorder } from '../types.js';

export class NoopRecorder implements Recorder {
  readonly discardsRecords = true;
  record(_entry: AuditRecord): void {
    /* intentionally nothing: audit disabled */
  }
  async close(): Promise<void> {
    /* nothing to flush */
  }
}
