/**
 * The rows the audit writer benches write (bench/audit-writer*.mjs): the wrap bench's echo call as
 * the raw path journals it, and parsed rows of a qubinode session (one in ten a deny). `m` holds one
 * build's audit modules (rawHeadJson, rawJournalBody, journalBody, Redactor, auditSchema), so that
 * two builds compared in one process write the same bytes. `roles`: the client's roles (a JWT
 * client's), in the head and the records; a build that does not store roles leaves them out.
 */
export function auditRows(m, roles = undefined) {
  const config = m.auditSchema.parse({ path: 'x.db' });
  const redactor = new m.Redactor(config.redactFields);
  const headJson = m.rawHeadJson({ clientId: 'local:root', clientName: 'root', authMethod: 'local', roles, sessionId: 'stdio-1', transport: 'stdio', backend: 'bench', decision: 'allow', reasons: [], policyVersion: 'sha256:0f3a9c5e', decisionMicros: 0 });
  /** Raw entry `i` (the wrap bench's ECHO call and its answer). */
  function rawBody(i) {
    const request = `{"jsonrpc":"2.0","id":${i},"method":"tools/call","params":{"name":"echo","arguments":{"text":"hello from mcp-warden bench"}}}`;
    const answer = `{"jsonrpc":"2.0","id":${i},"result":{"content":[{"type":"text","text":"hello from mcp-warden bench"}]}}`;
    return m.rawJournalBody(headJson, 1795000000000 + i, 850 + (i % 300), request.length, answer.length, request, answer);
  }
  /** Parsed row `i`: an API-key client's list_vms, every tenth a denied delete_vm. */
  function parsedBody(i) {
    const deny = i % 10 === 0;
    return m.journalBody(
      {
        time: 1795000000000 + i, clientId: `client-${i % 8}`, clientName: `Client ${i % 8}`, authMethod: 'api_key', roles, sessionId: `session-${i % 32}`,
        transport: 'streamable-http', backend: 'qubinode', method: 'tools/call', requestId: i, tool: deny ? 'qubinode__delete_vm' : 'qubinode__list_vms',
        arguments: { name: `vm-${i}`, filter: { state: 'running', tags: ['prod', 'eu-west'] }, token: 'tok' },
        decision: deny ? 'deny' : 'allow', reasons: deny ? ['delete_vm requires the admin role'] : [], policyVersion: 'sha256:0f3a9c',
        outcome: deny ? 'denied' : 'ok', result: deny ? undefined : { content: [{ type: 'text', text: `vm-${i} running` }], isError: false },
        isError: deny ? undefined : false, decisionMicros: 35, backendMicros: deny ? undefined : 850, requestBytes: 180, responseBytes: 260,
      },
      redactor,
      config.maxPayloadBytes,
    );
  }
  return { config, redactor, rawBody, parsedBody };
}
