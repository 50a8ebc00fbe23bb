/** InterceptContext builders for policy tests: what the proxy hands the decider for one message. */
import type { ClientIdentity, InterceptContext, ToolInfo } from '../../src/types.js';

export function client(id: string, roles: string[] = [], claims: Record<string, unknown> = {}, auth: ClientIdentity['auth'] = 'api_key'): ClientIdentity {
  return { id, name: id, auth, roles, claims };
}

export function tool(name: string, annotations: Record<string, unknown> = {}, prefix = ''): ToolInfo {
  return { name: prefix + name, backendName: name, annotations };
}

export interface CallOptions {
  client?: ClientIdentity;
  backend?: string;
  annotations?: Record<string, unknown>;
  phase?: InterceptContext['phase'];
}

export function toolCall(name: string, args: Record<string, unknown> = {}, options: CallOptions = {}): InterceptContext {
  const t = tool(name, options.annotations ?? {});
  return {
    phase: options.phase ?? 'request',
    method: 'tools/call',
    client: options.client ?? client('local', [], {}, 'local'),
    session: { id: 'session-1', transport: 'stdio' },
    backend: { name: options.backend ?? 'backend', transport: 'stdio' },
    params: { name, arguments: args },
    tool: t,
    arguments: args,
  };
}

export function listItem(name: string, options: CallOptions = {}): InterceptContext {
  const t = tool(name, options.annotations ?? {});
  return {
    phase: 'list',
    method: 'tools/list',
    client: options.client ?? client('local', [], {}, 'local'),
    session: { id: 'session-1', transport: 'stdio' },
    backend: { name: options.backend ?? 'backend', transport: 'stdio' },
    tool: t,
  };
}

export function request(method: string, extra: Partial<InterceptContext> = {}): InterceptContext {
  return {
    phase: 'request',
    method,
    client: client('local', [], {}, 'local'),
    session: { id: 'session-1', transport: 'stdio' },
    ...extra,
  };
}
