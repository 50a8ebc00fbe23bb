/**
 * Export in the shape of OPA decision logs (one JSON object per line: decision_id, path, input,
 * result, timestamp, labels, bundles, metrics, requested_by) so that pipelines built for OPA's
 * decision log plugin can ingest mcp-warden's audit as is.
 */
import type { AuditEntry } from './row.js';

export interface DecisionLogOptions {
  /** The policy package, e.g. "mcp.authz" (written as the OPA path "mcp/authz"). */
  policyPackage?: string;
  version?: string;
}

export interface DecisionLogEvent {
  decision_id: string;
  path: string;
  input: Record<string, unknown>;
  result: Record<string, unknown>;
  timestamp: string;
  labels: Record<string, string>;
  bundles?: Record<string, { revision: string }>;
  metrics: Record<string, number>;
  requested_by: string;
  /** mcp-warden's own row reference (sequence number and chain hash). */
  audit: { seq: number; hash: string };
}

/** A stable UUID-formatted id derived from the row's chain hash. */
function decisionId(hash: string): string {
  return `${hash.slice(0, 8)}-${hash.slice(8, 12)}-${hash.slice(12, 16)}-${hash.slice(16, 20)}-${hash.slice(20, 32)}`;
}

export function toDecisionLog(e: AuditEntry, options: DecisionLogOptions = {}): DecisionLogEvent {
  const input: Record<string, unknown> = {
    method: e.method,
    // Where a policy reads them (input.client.roles); left out when the row has none (null).
    client: e.roles === null ? { id: e.clientId, name: e.clientName, auth: e.authMethod } : { id: e.clientId, name: e.clientName, auth: e.authMethod, roles: e.roles },
    session: { id: e.sessionId, transport: e.transport },
  };
  if (e.backend !== null) input.backend = { name: e.backend };
  if (e.tool !== null) input.tool = { name: e.tool };
  if (e.resource !== null) input.resource = { uri: e.resource };
  if (e.prompt !== null) input.prompt = { name: e.prompt };
  if (e.arguments !== null) input.arguments = e.arguments;
  else if (e.argumentsSha256 !== null) input.arguments_omitted = { sha256: e.argumentsSha256, bytes: e.argumentsBytes };
  if (e.requestId !== null) input.request_id = e.requestId;

  const result: Record<string, unknown> = {
    allow: e.decision === 'allow',
    decision: e.decision,
    reasons: e.reasons,
    outcome: e.outcome,
  };
  if (e.errorCode !== null) result.error_code = e.errorCode;
  if (e.errorMessage !== null) result.error_message = e.errorMessage;
  if (e.isError !== null) result.is_error = e.isError;

  const metrics: Record<string, number> = { timer_rego_query_eval_ns: e.decisionMicros * 1000 };
  if (e.backendMicros !== null) metrics.timer_backend_ns = e.backendMicros * 1000;

  const event: DecisionLogEvent = {
    decision_id: decisionId(e.hash),
    path: (options.policyPackage ?? 'mcp.authz').replaceAll('.', '/'),
    input,
    result,
    timestamp: new Date(e.time).toISOString(),
    labels: { app: 'mcp-warden', ...(options.version ? { version: options.version } : {}) },
    metrics,
    requested_by: e.clientId,
    audit: { seq: e.seq, hash: e.hash },
  };
  if (e.policyVersion !== null) event.bundles = { policy: { revision: e.policyVersion } };
  return event;
}
