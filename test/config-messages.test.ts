/**
 * `config check` (and serve, wrap --config) on the mistakes an operator makes first: a file that is
 * not there said 'cannot read file: ENOENT'; an empty file or a backend without its command said
 * 'Invalid input: expected array, received undefined', which reads as if a value of the wrong type
 * were written. Now: 'no such file', and a key left out is 'missing (expected …)'. Built CLI.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from './helpers/audit.js';

describe('config check: messages an operator can act on', { timeout: 60_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'warden-config-messages-'));

  it('a file that does not exist: no such file (serve and wrap alike)', async () => {
    const missing = join(dir, 'nothere.yaml');
    for (const args of [['config', 'check', missing], ['serve', '--config', missing], ['wrap', '--config', missing, '--', 'true']]) {
      const r = await runCli(args);
      expect(r.code).toBe(3);
      expect(r.stderr).toBe(`mcp-warden: invalid configuration:\n${missing}: cannot read file: no such file\n`);
    }
  });

  it('keys left out are said to be missing', async () => {
    const empty = join(dir, 'empty.yaml');
    writeFileSync(empty, '\n');
    const r = await runCli(['config', 'check', empty]);
    expect(r).toMatchObject({ code: 3, stderr: `mcp-warden: invalid configuration:\n${empty}: backends: missing (expected array)\n` });
    const noCommand = join(dir, 'no-command.yaml');
    writeFileSync(noCommand, 'backends:\n  - { name: a, transport: stdio }\n');
    const r2 = await runCli(['config', 'check', noCommand]);
    expect(r2).toMatchObject({ code: 3, stderr: `mcp-warden: invalid configuration:\n${noCommand}: backends[0].command: missing (expected string)\n` });
  });
});
