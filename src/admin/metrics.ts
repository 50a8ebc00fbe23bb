/**
 * `GET <admin prefix>/metrics`: Prometheus text exposition (format 0.0.4) of what a platform team
 * watches: client sessions open, backend sessions by state and requests in flight to them, policy
 * decisions by method and result with their time, the policy version in force, the audit log's
 * rows (recorded, committed, waiting), damaged journal lines, failed writes and whether it failed
 * closed, admin audit reads answered 503 past their time limit, and the process's memory and uptime. Behind the admin bearer tokens (Prometheus sends one with `authorization`).
 * Built on demand from a snapshot; nothing here runs per request.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { AuditCounters } from '../audit/index.js';
import type { AdminConfig } from '../config/admin.js';
import type { Logger } from '../log/logger.js';
import { createAdminTokenCheck, parseTokenHashes } from './auth.js';
import { adminErrorHandler } from './errors.js';

export interface MetricsSnapshot {
  sessions: Array<{ transport: string; count: number }>;
  backends: Array<{ backend: string; state: string; sessions: number; inFlight: number }>;
  decisions: Array<{ method: string; result: string; count: number; micros: number }>;
  policyVersion?: string;
  /** The audit recorder's counters; absent with auditing off. */
  audit?: AuditCounters;
  /** Admin audit reads past their time limit (admin/index.ts readTimeouts); absent without the admin audit routes. */
  adminReadTimeouts?: { running: number; queued: number };
  /** Admin verifies answered 429 while another ran (admin/index.ts verifiesRefused); absent without the admin audit routes. */
  adminVerifiesRefused?: number;
}

const CHALLENGE = 'Bearer realm="mcp-warden-admin"';
const started = Date.now();

/** A label value as the exposition format wants it: backslash, quote and newline escaped. */
function label(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

function family(lines: string[], name: string, type: 'gauge' | 'counter', help: string): void {
  lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
}

export function formatMetrics(s: MetricsSnapshot): string {
  const lines: string[] = [];
  family(lines, 'mcp_warden_sessions_open', 'gauge', 'Client sessions open, by frontend transport.');
  for (const x of s.sessions) lines.push(`mcp_warden_sessions_open{transport="${label(x.transport)}"} ${x.count}`);
  family(lines, 'mcp_warden_backend_sessions', 'gauge', 'Backend sessions (one per client session and backend), by state.');
  for (const b of s.backends) lines.push(`mcp_warden_backend_sessions{backend="${label(b.backend)}",state="${label(b.state)}"} ${b.sessions}`);
  family(lines, 'mcp_warden_backend_requests_in_flight', 'gauge', 'Requests forwarded to a backend and not yet answered.');
  const inFlight = new Map<string, number>();
  for (const b of s.backends) inFlight.set(b.backend, (inFlight.get(b.backend) ?? 0) + b.inFlight);
  for (const [backend, n] of inFlight) lines.push(`mcp_warden_backend_requests_in_flight{backend="${label(backend)}"} ${n}`);
  family(lines, 'mcp_warden_decisions_total', 'counter', 'Requests decided by the policy, by method and result (allow, deny, shadow-deny, error).');
  for (const d of s.decisions) lines.push(`mcp_warden_decisions_total{method="${label(d.method)}",result="${d.result}"} ${d.count}`);
  family(lines, 'mcp_warden_decision_seconds_total', 'counter', "Time spent deciding (the decisions' own time), by method and result.");
  for (const d of s.decisions) lines.push(`mcp_warden_decision_seconds_total{method="${label(d.method)}",result="${d.result}"} ${d.micros / 1e6}`);
  if (s.policyVersion !== undefined) {
    family(lines, 'mcp_warden_policy_info', 'gauge', 'The policy bundle in force (content hash).');
    lines.push(`mcp_warden_policy_info{version="${label(s.policyVersion)}"} 1`);
  }
  if (s.audit !== undefined) auditFamilies(lines, s.audit);
  if (s.adminReadTimeouts !== undefined) {
    family(lines, 'mcp_warden_admin_reads_timed_out_total', 'counter', 'Admin audit reads answered 503 past admin.queryTimeoutMs or admin.verifyTimeoutMs: stopped while running, or never started (waiting behind others).');
    lines.push(`mcp_warden_admin_reads_timed_out_total{stage="running"} ${s.adminReadTimeouts.running}`);
    lines.push(`mcp_warden_admin_reads_timed_out_total{stage="queued"} ${s.adminReadTimeouts.queued}`);
  }
  if (s.adminVerifiesRefused !== undefined) {
    family(lines, 'mcp_warden_admin_verifies_refused_total', 'counter', 'Admin audit verifies answered 429 because another verify was running (one runs at a time).');
    lines.push(`mcp_warden_admin_verifies_refused_total ${s.adminVerifiesRefused}`);
  }
  const mem = process.memoryUsage();
  family(lines, 'mcp_warden_process_resident_memory_bytes', 'gauge', 'Resident memory of the mcp-warden process.');
  lines.push(`mcp_warden_process_resident_memory_bytes ${mem.rss}`);
  family(lines, 'mcp_warden_process_heap_used_bytes', 'gauge', 'JavaScript heap in use.');
  lines.push(`mcp_warden_process_heap_used_bytes ${mem.heapUsed}`);
  family(lines, 'mcp_warden_process_uptime_seconds', 'gauge', 'Seconds since mcp-warden started.');
  lines.push(`mcp_warden_process_uptime_seconds ${(Date.now() - started) / 1000}`);
  return `${lines.join('\n')}\n`;
}

function auditFamilies(lines: string[], a: AuditCounters): void {
  family(lines, 'mcp_warden_audit_rows_recorded_total', 'counter', "Audit rows this process put in its journal (each request's row, durable from then on).");
  lines.push(`mcp_warden_audit_rows_recorded_total ${a.recorded}`);
  family(lines, 'mcp_warden_audit_rows_committed_total', 'counter', 'Of those, rows committed to the audit database.');
  lines.push(`mcp_warden_audit_rows_committed_total ${a.committed}`);
  family(lines, 'mcp_warden_audit_rows_queued', 'gauge', 'Rows in the journal not yet committed to the database (back-pressure applies at audit.maxQueue).');
  lines.push(`mcp_warden_audit_rows_queued ${a.recorded - a.committed}`);
  family(lines, 'mcp_warden_audit_journal_lines_skipped_total', 'counter', 'Journal lines skipped as damaged (not in the database; each logged at error level).');
  lines.push(`mcp_warden_audit_journal_lines_skipped_total ${a.skippedLines}`);
  family(lines, 'mcp_warden_audit_write_errors_total', 'counter', 'Audit batch writes that failed (each retried until it commits).');
  lines.push(`mcp_warden_audit_write_errors_total ${a.writeErrors}`);
  family(lines, 'mcp_warden_audit_failed', 'gauge', '1 when audit rows can no longer reach the database and every request is refused (fail closed).');
  lines.push(`mcp_warden_audit_failed ${a.failed ? 1 : 0}`);
}

/** Registers `GET <prefix>/metrics`; a 500 (snapshot failed) is logged on `logger`, answered without detail. */
export function registerMetricsRoute(app: FastifyInstance, admin: AdminConfig, snapshot: () => MetricsSnapshot, logger: Logger): void {
  if (!admin.enabled) return;
  const check = createAdminTokenCheck(parseTokenHashes(admin.tokenHashes));
  const path = `${admin.pathPrefix.replace(/\/+$/, '')}/metrics`;
  // Encapsulated so that the error handler applies to this route only.
  void app.register(async (scope) => {
    scope.setErrorHandler(adminErrorHandler(logger.child({ component: 'admin' })));
    scope.get(path, { exposeHeadRoute: false }, async (request: FastifyRequest, reply: FastifyReply) => {
      if (!check(request.headers.authorization)) {
        const error = admin.tokenHashes.length === 0 ? 'admin API has no credentials configured (admin.tokenHashes)' : 'admin token required';
        return reply.code(401).header('www-authenticate', CHALLENGE).send({ error });
      }
      return reply.header('content-type', 'text/plain; version=0.0.4; charset=utf-8').send(formatMetrics(snapshot()));
    });
  });
}
