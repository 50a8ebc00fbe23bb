// Records large audit rows under concurrent load with the real (built) store, so that its journal
// rotates every few dozen calls (a segment rotates at three quarters of 4 MiB): prints
// "answered <id>" only after record() has returned (as the proxy answers a client only then).
// The rotation durability test kills this process with SIGKILL at random moments.
import { openAuditStore } from '../../dist/audit/index.js';
import { auditSchema } from '../../dist/config/audit.js';

const [dbPath, concurrencyArg = '16', run = 'r', payloadArg = '60000'] = process.argv.slice(2);
const store = openAuditStore(auditSchema.parse({ path: dbPath, flushIntervalMs: 20, maxPayloadBytes: 1_000_000 }));
const concurrency = Number(concurrencyArg);
const payload = Number(payloadArg);
let next = 0;

const head = { clientId: 'client-raw', clientName: 'Client raw', authMethod: 'local', sessionId: 'session-raw', transport: 'stdio', backend: 'big', decision: 'allow', reasons: [], policyVersion: 'v1', decisionMicros: 2 };

async function caller(lane) {
  for (;;) {
    const n = next++;
    const id = `${run}-${n}`;
    // Sizes vary so that batches end at every offset of a segment.
    const text = `${id}:` + 'x'.repeat((payload / 2) + ((n * 7919) % payload));
    await new Promise((r) => setImmediate(r)); // the backend call
    let pending;
    if (lane % 2 === 0) {
      const request = JSON.stringify({ jsonrpc: '2.0', id, method: 'tools/call', params: { name: 'echo', arguments: { text } } });
      const answer = JSON.stringify({ jsonrpc: '2.0', id, result: { content: [{ type: 'text', text: 'ok' }] } });
      pending = store.rawSafe(request) && store.rawSafe(answer)
        ? store.recordRaw(head, Date.now(), 900, request, request.length, answer, answer.length)
        : store.record({ ...head, time: Date.now(), method: 'tools/call', requestId: id, tool: 'echo', arguments: { text }, outcome: 'ok', result: { content: [] }, isError: false, backendMicros: 900 });
    } else {
      pending = store.record({ ...head, time: Date.now(), method: 'tools/call', requestId: id, tool: 'echo', arguments: { text }, outcome: 'ok', result: { content: [{ type: 'text', text: 'ok' }] }, isError: false, backendMicros: 900 });
    }
    if (pending) await pending;
    process.stdout.write(`answered ${id}\n`);
  }
}

process.stdout.write('ready\n');
for (let lane = 0; lane < concurrency; lane++) void caller(lane);
