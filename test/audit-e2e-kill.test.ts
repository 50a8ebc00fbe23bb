/**
 * Acceptance 2 through the real proxy: several HTTP clients call tools concurrently through
 * `mcp-warden serve`; serve is killed with SIGKILL mid-load. After a restart (opening the audit
 * database imports the journal the killed process left), every call whose answer reached its
 * client is in the database exactly once, and `audit verify` passes.
 */
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { describe, expect, it } from 'vitest';
import { openAuditStore } from '../src/audit/index.js';
import { listJournals } from '../src/audit/spool.js';
import { auditConfig, runCli } from './helpers/audit.js';
import { storedVmNames } from './helpers/audit-journal.js';
import { ROOT, startServe } from './helpers/proxy.js';

const QUBINODE = join(ROOT, 'test/servers/qubinode-server.mjs');

describe('audit durability through serve', () => {
  it('keeps every answered call across kill -9 of mcp-warden under concurrent load', async () => {
    const serve = await startServe(`
backends:
  - { name: qubinode, transport: stdio, command: ${JSON.stringify(process.execPath)}, args: [${JSON.stringify(QUBINODE)}] }
policy: { paths: [allow-all], watch: false }
auth: { anonymous: true }
audit: { path: ./audit.db }
`);
    const db = join(serve.dir, 'audit.db');
    try {
      const clients: Client[] = [];
      for (let i = 0; i < 4; i++) {
        const c = new Client({ name: `load-${i}`, version: '1.0.0' });
        await c.connect(new StreamableHTTPClientTransport(new URL(serve.url)));
        clients.push(c);
      }
      const tool = (await clients[0]!.listTools()).tools.find((t) => t.name.endsWith('get_vm_info'))!.name;
      const answered: string[] = [];
      let stop = false;
      let n = 0;
      const lane = async (c: Client): Promise<void> => {
        while (!stop) {
          const id = `call-${n++}`;
          try {
            await c.callTool({ name: tool, arguments: { vm_name: id } });
            if (!stop) answered.push(id);
          } catch {
            return; // the proxy is gone
          }
        }
      };
      const lanes = clients.flatMap((c) => Array.from({ length: 8 }, () => lane(c)));
      while (answered.length < 400) await new Promise((r) => setTimeout(r, 20));
      // Answers counted before this line reached their clients; kill without warning.
      const kept = answered.slice();
      stop = true;
      serve.proc.kill('SIGKILL');
      await Promise.allSettled(lanes);
      await new Promise((r) => serve.proc.exitCode !== null || serve.proc.signalCode !== null ? r(null) : serve.proc.once('exit', r));
      expect(serve.proc.signalCode).toBe('SIGKILL');
      expect(listJournals(db).length).toBe(1);

      // Restart: opening the database imports the killed process's journal.
      const store = openAuditStore(auditConfig(db));
      try {
        const stored = storedVmNames(store);
        expect(kept.filter((id) => !stored.has(id))).toEqual([]);
        expect([...stored.values()].every((count) => count === 1)).toBe(true);
        expect(store.verify().ok).toBe(true);
      } finally {
        await store.close();
      }
      const verify = await runCli(['audit', 'verify', '--db', db]);
      expect(verify.code).toBe(0);
      for (const c of clients) await c.close().catch(() => undefined);
    } finally {
      await serve.stop();
    }
  }, 120_000);
});
