/**
 * Builds the Rego input document from an InterceptContext: the same shape for every transport (see
 * docs/policy-contract.md). It runs on every request, so nothing is deep-copied: the client,
 * session and tool sub-documents are built once per object they describe (cached by identity in
 * WeakMaps: a session's ClientIdentity and a backend's ToolInfo are long-lived), and arguments,
 * params and result are the proxy's own parsed objects, passed by reference. Undefined fields are
 * left out, so a policy sees them as undefined, never as null; `direction` is always there
 * (client_to_server unless the proxy says server_to_client).
 */
import type { ClientIdentity, InterceptContext, ToolInfo } from '../types.js';

export type InputDocument = Record<string, unknown>;

const clientDocs = new WeakMap<ClientIdentity, InputDocument>();
const toolDocs = new WeakMap<ToolInfo, InputDocument>();
const sessionDocs = new WeakMap<object, InputDocument>();

// The last object of each kind and its document: consecutive requests mostly come from the same
// session and client (and often call the same tool), found by one comparison instead of a WeakMap
// lookup (a hash probe whose memory is usually cold between requests).
let lastClient: ClientIdentity | undefined;
let lastClientDoc: InputDocument | undefined;
let lastTool: ToolInfo | undefined;
let lastToolDoc: InputDocument | undefined;
let lastSession: object | undefined;
let lastSessionDoc: InputDocument | undefined;

function clientDoc(client: ClientIdentity): InputDocument {
  if (client === lastClient) return lastClientDoc!;
  let doc = clientDocs.get(client);
  if (doc === undefined) {
    doc = { id: client.id, name: client.name, auth: client.auth, roles: client.roles, claims: client.claims };
    if (client.address !== undefined) doc.address = client.address;
    if (client.credentialId !== undefined) doc.credential_id = client.credentialId;
    clientDocs.set(client, doc);
  }
  lastClient = client;
  lastClientDoc = doc;
  return doc;
}

function toolDoc(tool: ToolInfo): InputDocument {
  if (tool === lastTool) return lastToolDoc!;
  let doc = toolDocs.get(tool);
  if (doc === undefined) {
    doc = { name: tool.name, backend_name: tool.backendName };
    if (tool.title !== undefined) doc.title = tool.title;
    if (tool.description !== undefined) doc.description = tool.description;
    doc.annotations = tool.annotations ?? {};
    toolDocs.set(tool, doc);
  }
  lastTool = tool;
  lastToolDoc = doc;
  return doc;
}

function sessionDoc(session: InterceptContext['session']): InputDocument {
  if (session === lastSession) return lastSessionDoc!;
  let doc = sessionDocs.get(session);
  if (doc === undefined) {
    doc = { id: session.id, transport: session.transport };
    if (session.protocolVersion !== undefined) doc.protocol_version = session.protocolVersion;
    sessionDocs.set(session, doc);
  }
  lastSession = session;
  lastSessionDoc = doc;
  return doc;
}

export function buildInput(ctx: InterceptContext): InputDocument {
  // a tool call (the commonest request): every member in one literal (one allocation, no growth)
  if (
    ctx.tool !== undefined &&
    ctx.arguments !== undefined &&
    ctx.params !== undefined &&
    ctx.backend !== undefined &&
    ctx.resource === undefined &&
    ctx.prompt === undefined &&
    ctx.result === undefined
  ) {
    return {
      phase: ctx.phase,
      method: ctx.method,
      direction: ctx.direction ?? 'client_to_server',
      client: clientDoc(ctx.client),
      session: sessionDoc(ctx.session),
      backend: ctx.backend,
      tool: toolDoc(ctx.tool),
      arguments: ctx.arguments,
      params: ctx.params,
    };
  }
  const input: InputDocument = {
    phase: ctx.phase,
    method: ctx.method,
    direction: ctx.direction ?? 'client_to_server',
    client: clientDoc(ctx.client),
    session: sessionDoc(ctx.session),
  };
  if (ctx.backend !== undefined) input.backend = ctx.backend;
  if (ctx.tool !== undefined) input.tool = toolDoc(ctx.tool);
  if (ctx.arguments !== undefined) input.arguments = ctx.arguments;
  if (ctx.resource !== undefined) input.resource = ctx.resource;
  if (ctx.prompt !== undefined) input.prompt = ctx.prompt;
  if (ctx.params !== undefined) input.params = ctx.params;
  if (ctx.result !== undefined) input.result = ctx.result;
  return input;
}
