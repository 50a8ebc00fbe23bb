/**
 * `npm run conformance:rego` (dist/policy/rego/conformance/cli.js) without the OPA case files says
 * where it looked and how to give the folder: it printed only "ENOENT: no such file or directory,
 * scandir '.../shared/opa-cases'" (a worktree or a clone without ../shared has none). Real CLI.
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT, tempDir } from './helpers/proxy.js';

const CLI = path.join(ROOT, 'dist/policy/rego/conformance/cli.js');

describe('conformance:rego without its case files', () => {
  it('names the folder and the way to give it, exit 2', async () => {
    const missing = path.join(await tempDir(), 'no-cases');
    const run = spawnSync(process.execPath, [CLI, missing], { encoding: 'utf8', timeout: 60_000 });
    expect(run.status).toBe(2);
    expect(run.stderr).toBe(
      `OPA conformance cases not found: ${missing} does not exist (the folder given); give the folder of case files: npm run conformance:rego -- /path/to/opa-cases\n`,
    );
  });
});
