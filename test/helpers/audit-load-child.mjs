// Records audit rows under concurrent load with the real (built) recorder, printing
// "answered <id>" to stdout only after record() has returned (as the proxy answers a client only
// then). The durability test kills this process with SIGKILL mid-load.
import { openAuditStore } from '../../dist/audit/index.js';
import { auditSchema } from '../../dist/config/audit.js';

const [dbPath, concurrencyArg = '32', run = 'r'] = process.argv.slice(2);
const store = openAuditStore(auditSchema.parse({ path: dbPath, flushIntervalMs: 50 }));
const concurrency = Number(concurrencyArg);
let next = 0;

const pause = () => new Promise((r) => (Math.random() < 0.5 ? setImmediate(r) : setTimeout(r, Math.random() * 2)));

async function caller(lane) {
  for (;;) {
    const id = `${run}-${lane}-${next++}`;
    await pause(); // the backend call
    // Even lanes: the raw path, as the proxy takes it for a tools/call nothing judges (request and
    // answer lines as they came), unless a line holds a sensitive name (lanes 2 mod 4 send a
    // password): then the parsed path, redacted before it is journaled.
    const pending = lane % 2 === 0 ? recordRaw(id, lane) : store.record({
      time: Date.now(),
      clientId: `client-${lane % 4}`,
      clientName: `Client ${lane % 4}`,
      authMethod: 'api_key',
      sessionId: `session-${lane}`,
      transport: 'streamable-http',
      backend: 'qubinode',
      method: 'tools/call',
      requestId: id,
      tool: lane % 7 === 0 ? 'delete_vm' : 'list_vms',
      arguments: { lane, password: 'hunter2-durable' },
      decision: lane % 7 === 0 ? 'deny' : 'allow',
      reasons: lane % 7 === 0 ? ['destructive'] : [],
      outcome: lane % 7 === 0 ? 'denied' : 'ok',
      result: { content: [{ type: 'text', text: `done ${id}` }] },
      decisionMicros: 20,
      backendMicros: 900,
    });
    if (pending) await pending;
    process.stdout.write(`answered ${id}\n`);
  }
}

const head = { clientId: 'client-raw', clientName: 'Client raw', authMethod: 'local', sessionId: 'session-raw', transport: 'stdio', backend: 'qubinode', decision: 'allow', reasons: [], policyVersion: 'v1', decisionMicros: 2 };

function recordRaw(id, lane) {
  const args = lane % 4 === 2 ? { lane, password: 'hunter2-durable' } : { lane };
  const request = JSON.stringify({ jsonrpc: '2.0', id, method: 'tools/call', params: { name: 'list_vms', arguments: args } });
  const answer = JSON.stringify({ jsonrpc: '2.0', id: 1, result: { content: [{ type: 'text', text: `done ${id}` }] } });
  if (store.rawSafe(request) && store.rawSafe(answer)) return store.recordRaw(head, Date.now(), 900, request, request.length, answer, answer.length);
  return store.record({ ...head, time: Date.now(), method: 'tools/call', requestId: id, tool: 'list_vms', arguments: args, outcome: 'ok', result: JSON.parse(answer).result, isError: false, backendMicros: 900 });
}

process.stdout.write('ready\n');
for (let lane = 0; lane < concurrency; lane++) void caller(lane);
