/**
 * One `initialize` answer for several backends. With one backend its answer passes through
 * unchanged. With several: capabilities are the union of what the backends offer (a capability is
 * advertised only when some backend has it; boolean flags are OR-ed, unknown keys kept), the
 * protocol version is the oldest any backend answered (every backend speaks it), serverInfo names
 * mcp-warden and instructions are concatenated under each backend's name.
 */
import { errorResponse, resultResponse, RPC, type RequestId, type RpcMessage } from './jsonrpc.js';

export interface BackendInitResult {
  name: string;
  result: Record<string, unknown>;
}

/** Deep union of capability objects: objects merged key by key, `true` wins over `false`. */
export function mergeCapabilities(list: ReadonlyArray<Record<string, unknown> | undefined>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const caps of list) if (caps) mergeInto(out, caps);
  return out;
}

function mergeInto(target: Record<string, unknown>, source: Record<string, unknown>): void {
  for (const [key, value] of Object.entries(source)) {
    const existing = target[key];
    if (isPlainObject(value)) {
      const into = isPlainObject(existing) ? existing : {};
      mergeInto(into, value);
      target[key] = into;
    } else if (typeof value === 'boolean') {
      target[key] = existing === true || value;
    } else if (existing === undefined) {
      target[key] = value;
    }
  }
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function mergeInitializeResults(results: ReadonlyArray<BackendInitResult>, wardenVersion: string): Record<string, unknown> {
  if (results.length === 1) return results[0]!.result;
  let protocolVersion: string | undefined;
  for (const r of results) {
    const v = r.result.protocolVersion;
    if (typeof v === 'string' && (protocolVersion === undefined || v < protocolVersion)) protocolVersion = v;
  }
  const instructions = results
    .filter((r) => typeof r.result.instructions === 'string' && r.result.instructions.length > 0)
    .map((r) => `## ${r.name}\n\n${r.result.instructions as string}`)
    .join('\n\n');
  const merged: Record<string, unknown> = {
    protocolVersion,
    capabilities: mergeCapabilities(results.map((r) => r.result.capabilities as Record<string, unknown> | undefined)),
    serverInfo: { name: 'mcp-warden', version: wardenVersion, title: `mcp-warden (${results.map((r) => r.name).join(', ')})` },
  };
  if (instructions) merged.instructions = instructions;
  return merged;
}

/** Whether a backend's initialize answer offers a capability (e.g. "tools", "resources"). */
export function offers(initResult: Record<string, unknown> | undefined, capability: string): boolean {
  const caps = initResult?.capabilities as Record<string, unknown> | undefined;
  return caps !== undefined && caps[capability] !== undefined && caps[capability] !== null;
}

/** The error a client sees when no backend could be initialized. */
export function describeInitFailures(failures: ReadonlyArray<{ name: string; response: RpcMessage }>): string {
  return failures.map((f) => `${f.name}: ${f.response.error?.message ?? 'no answer'}`).join('; ');
}

/**
 * The client's answer to `initialize` (id `id`) from each backend's answer, in the order of
 * `backends`: one backend's passes through; several are merged over those that succeeded, and when
 * none did the error names each failure.
 */
export function initializeAnswer(id: RequestId, answers: RpcMessage[], backends: ReadonlyArray<{ name: string }>, wardenVersion: string): RpcMessage {
  if (answers.length === 1) {
    const answer = answers[0]!;
    answer.id = id;
    return answer;
  }
  const ok = answers.flatMap((a, i) => (a.result ? [{ name: backends[i]!.name, result: a.result }] : []));
  const failed = answers.flatMap((a, i) => (a.result ? [] : [{ name: backends[i]!.name, response: a }]));
  return ok.length === 0
    ? errorResponse(id, RPC.BACKEND_UNAVAILABLE, `no backend could be initialized: ${describeInitFailures(failed)}`)
    : resultResponse(id, mergeInitializeResults(ok, wardenVersion));
}
