/**
 * input.session as policies see it, end to end through `mcp-warden wrap`: `protocol_version` is the
 * version the session negotiated in its initialize handshake (docs/policy-contract.md), present on
 * every request after it. A policy that allows tools/call only for the negotiated version lets the
 * call through, and one that names another version denies it with its own reason.
 */
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { StdioConnection } from './helpers/proxy.js';
import { resultText, scratch, SERVERS, wrapWithPolicy, type Scratch } from './helpers/policy-e2e.js';

const BACKEND = join(SERVERS, 'proxy-backend.mjs');

function policyFor(version: string): string {
  return `package mcp.authz
import rego.v1

default allow := false

allow if input.method != "tools/call"

allow if {
  input.method == "tools/call"
  input.session.protocol_version == "${version}"
}

deny contains msg if {
  input.method == "tools/call"
  input.session.protocol_version != "${version}"
  msg := sprintf("session protocol_version is %v", [input.session.protocol_version])
}

deny contains "session protocol_version is missing" if {
  input.method == "tools/call"
  not input.session.protocol_version
}
`;
}

describe('input.session.protocol_version', () => {
  let s: Scratch | undefined;
  let conn: StdioConnection | undefined;
  afterEach(async () => {
    await conn?.close();
    await s?.remove();
  });

  it('is the negotiated version on every request after initialize', async () => {
    s = await scratch();
    const negotiated = '2025-11-25';
    const policy = await s.write('session.rego', policyFor(negotiated));
    conn = await wrapWithPolicy(s, [process.execPath, BACKEND], { policy });
    const result = await conn.client.callTool({ name: 'echo', arguments: { text: 'hi' } });
    expect(result.isError, resultText(result)).not.toBe(true);
    expect(resultText(result)).toContain('hi');
  });

  it('denies with the reason naming the version the session really has', async () => {
    s = await scratch();
    const policy = await s.write('session.rego', policyFor('1999-01-01'));
    conn = await wrapWithPolicy(s, [process.execPath, BACKEND], { policy });
    const result = await conn.client.callTool({ name: 'echo', arguments: { text: 'hi' } });
    expect(result.isError).toBe(true);
    expect(resultText(result)).toContain('session protocol_version is 2025-11-25');
  });
});
