/**
 * The nomad pack end to end over the legacy HTTP+SSE transport on both sides, as the Nomad guide
 * serves it: clients connect to `mcp-warden serve`'s SSE frontend with API keys (roles from the key),
 * and mcp-warden reaches our Nomad test server (real tool names and arguments, recording every
 * call) over SSE too.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { SSEClientTransport } from '@modelcontextprotocol/sdk/client/sse.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashApiKey } from '../src/identity/api-keys.js';
import { startServe, type ServeProcess } from './helpers/proxy.js';
import { resultText, scratch, SERVERS, type Scratch } from './helpers/policy-e2e.js';

const DEV_KEY = 'mcpw_dev_0123456789abcdef0123456789abcdef01234';
const OPS_KEY = 'mcpw_ops_0123456789abcdef0123456789abcdef01234';
const TEAM_OPS_KEY = 'mcpw_tops_0123456789abcdef0123456789abcdef0123';

async function startNomad(recordFile: string): Promise<{ proc: ChildProcess; url: string }> {
  const proc = spawn(process.execPath, [`${SERVERS}/nomad-server.mjs`, '--sse'], { env: { ...process.env, MCP_RECORD_FILE: recordFile }, stdio: ['ignore', 'pipe', 'inherit'] });
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    proc.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /MCP_URL=(\S+)/.exec(out);
      if (m) resolve(m[1]!);
    });
    proc.once('exit', (code) => reject(new Error(`nomad test server exited with ${code}`)));
  });
  return { proc, url };
}

async function connectSse(url: string, key: string): Promise<Client> {
  const headers = { authorization: `Bearer ${key}` };
  const transport = new SSEClientTransport(new URL(url), {
    requestInit: { headers },
    eventSourceInit: { fetch: (u, init) => fetch(u, { ...init, headers: { ...(init?.headers as Record<string, string>), ...headers } }) },
  });
  const client = new Client({ name: 'nomad-policy-test', version: '1.0.0' });
  await client.connect(transport);
  return client;
}

describe('nomad pack: Nomad test server, legacy SSE on both sides', () => {
  let s: Scratch;
  let nomad: { proc: ChildProcess; url: string };
  let serve: ServeProcess;
  let developer: Client;
  let operator: Client;
  let teamOperator: Client;

  beforeAll(async () => {
    s = await scratch();
    nomad = await startNomad(s.recordFile);
    serve = await startServe(`
backends:
  - { name: nomad, transport: sse, url: "${nomad.url}" }
auth:
  apiKeys:
    - { id: dev-key, hash: "${hashApiKey(DEV_KEY)}", client: team-a, roles: [developer] }
    - { id: ops-key, hash: "${hashApiKey(OPS_KEY)}", client: ops, roles: [operator] }
    - { id: team-ops-key, hash: "${hashApiKey(TEAM_OPS_KEY)}", client: team-a-ops, roles: [operator] }
policy:
  paths: [nomad]
  data:
    warden:
      nomad:
        clients:
          team-a: { namespaces: [team-a] }
          ops: { namespaces: ["*"] }
          team-a-ops: { namespaces: [team-a] }
audit: { enabled: false }
`);
    developer = await connectSse(serve.sseUrl, DEV_KEY);
    operator = await connectSse(serve.sseUrl, OPS_KEY);
    teamOperator = await connectSse(serve.sseUrl, TEAM_OPS_KEY);
  });
  afterAll(async () => {
    await developer?.close();
    await operator?.close();
    await teamOperator?.close();
    await serve?.stop();
    nomad?.proc.kill();
    await s?.remove();
  });

  it('read tools are open; job changes are listed only for the operator', async () => {
    const dev = (await developer.listTools()).tools.map((t) => t.name);
    expect(dev.sort()).toEqual(['get_allocation_status', 'get_job_evaluations', 'get_job_logs', 'get_job_status', 'list_nomad_jobs']);
    expect((await operator.listTools()).tools.map((t) => t.name)).toEqual(expect.arrayContaining(['stop_job', 'submit_job_file']));
  });

  it("a developer reads its own namespace; another namespace and job changes are refused before reaching Nomad", async () => {
    const jobs = await developer.callTool({ name: 'list_nomad_jobs', arguments: { namespace: 'team-a' } });
    expect(resultText(jobs)).toContain('"Namespace":"team-a"');
    const other = await developer.callTool({ name: 'get_job_status', arguments: { job_id: 'billing', namespace: 'team-b' } });
    expect(resultText(other)).toBe("Denied by policy: Namespace 'team-b' is not allowed for client 'team-a' (allowed: team-a)");
    const implicit = await developer.callTool({ name: 'get_job_logs', arguments: { job_id: 'web' } });
    expect(resultText(implicit)).toBe("Denied by policy: Namespace 'default' is not allowed for client 'team-a' (allowed: team-a)");
    const stop = await developer.callTool({ name: 'stop_job', arguments: { job_id: 'web', namespace: 'team-a' } });
    expect(stop.isError).toBe(true);
    expect(resultText(stop)).toBe("Denied by policy: Operation 'stop_job' requires the 'operator' role");
    expect(s.received().map((r) => [r.name, r.arguments])).toEqual([['list_nomad_jobs', { namespace: 'team-a' }]]);
  });

  it('the operator changes jobs in any namespace', async () => {
    await operator.callTool({ name: 'restart_job', arguments: { job_id: 'web', namespace: 'team-b' } });
    await operator.callTool({ name: 'submit_job_file', arguments: { file_content: 'job "web" {}', namespace: 'prod' } });
    expect(s.toolsReceived().slice(-2)).toEqual(['restart_job', 'submit_job_file']);
  });

  it('identifiers that would change the HTTP path or query the server builds are refused before reaching Nomad', async () => {
    const before = s.received().length;
    const reason = (name: string, problem: string) => `Denied by policy: Argument '${name}' ${problem} (it would change the HTTP path or query the server builds): denied`;
    // /v1/job/web?namespace=prod?namespace=team-a: Nomad would read the first namespace
    expect(resultText(await developer.callTool({ name: 'get_job_status', arguments: { job_id: 'web?namespace=prod', namespace: 'team-a' } }))).toBe(reason('job_id', "contains '?'"));
    expect(resultText(await operator.callTool({ name: 'stop_job', arguments: { job_id: '../../v1/namespace/prod', namespace: 'team-b' } }))).toBe(reason('job_id', "contains '..'"));
    expect(resultText(await operator.callTool({ name: 'get_allocation_status', arguments: { allocation_id: 'a1%2Fjob', namespace: 'team-b' } }))).toBe(reason('allocation_id', "contains '%'"));
    expect(s.received().length).toBe(before);
    await operator.callTool({ name: 'get_job_status', arguments: { job_id: 'web-2.1', namespace: 'team-b' } });
    expect(s.toolsReceived().slice(-1)).toEqual(['get_job_status']);
  });

  it("a job file whose namespace key is written with a JSON escape is refused before reaching Nomad (an operator limited to team-a)", async () => {
    const before = s.received().length;
    // every JSON reader (the server's, Nomad's) decodes "Namesp\u0061ce" to Namespace: the job would land in prod
    const escaped = '{"Job": {"ID": "web", "Namesp\\u0061ce": "prod"}}';
    expect(JSON.parse(escaped)).toEqual({ Job: { ID: 'web', Namespace: 'prod' } });
    const call = await teamOperator.callTool({ name: 'submit_job_file', arguments: { file_content: escaped, namespace: 'team-a' } });
    expect(call.isError).toBe(true);
    expect(resultText(call)).toBe("Denied by policy: Tool 'submit_job_file': the job writes a quoted key with an escape (\\), which the pack cannot read: write keys without escapes: denied");
    expect(s.received().length).toBe(before);
    // the same job naming its namespace plainly goes through
    await teamOperator.callTool({ name: 'submit_job_file', arguments: { file_content: '{"Job": {"ID": "web", "Namespace": "team-a"}}', namespace: 'team-a' } });
    expect(s.toolsReceived().slice(-1)).toEqual(['submit_job_file']);
  });
});
