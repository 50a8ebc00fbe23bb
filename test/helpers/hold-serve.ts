/**
 * `serve` in front of the hold backend (test/servers/hold-backend.mjs) behind a keys file, in a
 * directory of its own: the set-up of the HTTP tests where several keys or clients share one
 * endpoint. allow-all and no audit unless `config` says more (YAML lines added at the top level).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ApiKeyEntry } from '../../src/config/auth.js';
import { writeKeysFile } from '../../src/identity/keys-file.js';
import { HOLD_BACKEND } from './keyed-http.js';
import { startServe, type ServeProcess } from './proxy.js';

export interface HoldServe {
  serve: ServeProcess;
  /** The directory holding keys.yaml (and whatever the test puts there). */
  dir: string;
  /** Stops serve and removes the directory. */
  stop(): Promise<void>;
}

export async function startHoldServe(prefix: string, entries: ApiKeyEntry[], config = 'policy: { paths: [allow-all], watch: false }\naudit: { enabled: false }'): Promise<HoldServe> {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  try {
    writeKeysFile(join(dir, 'keys.yaml'), entries);
    const serve = await startServe(`
backends:
  - { name: hold, transport: stdio, command: ${JSON.stringify(process.execPath)}, args: [${JSON.stringify(HOLD_BACKEND)}] }
auth:
  keysFile: ${JSON.stringify(join(dir, 'keys.yaml'))}
${config}
`);
    return {
      serve,
      dir,
      stop: async () => {
        await serve.stop();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
}
