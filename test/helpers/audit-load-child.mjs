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
    const pending = store.record({
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

process.stdout.write('ready\n');
for (let lane = 0; lane < concurrency; lane++) void caller(lane);
