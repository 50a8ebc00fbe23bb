/**
 * proxy/: the session bridge between MCP clients and backend MCP servers. One ClientSession per
 * client session, one BackendConnection per configured backend within it; messages are relayed at
 * the JSON-RPC level (unknown methods and fields pass through), names and URIs namespaced across
 * backends, ids remapped per peer, and every request taken through the interception chain (decide
 * with a PolicyDecider, record with a Recorder) defined in ../types.ts. What each backend is given
 * (child environment, request headers) arrives resolved through a BackendCredentialResolver.
 */
export { WardenProxy, backendSpecs, type ProxyOptions } from './proxy.js';
export { ClientSession } from './session.js';
export { AllowAllDecider } from './allow-all.js';
export { NoopRecorder } from './noop-recorder.js';
export { RPC } from './jsonrpc.js';
