/** Starts test/servers/credential-recorder.mjs in HTTP mode and reads back what it recorded. */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';

export const RECORDER = resolve('test/servers/credential-recorder.mjs');

export interface Recorded {
  kind: 'env' | 'http' | 'tool';
  env?: Record<string, string>;
  method?: string;
  headers?: Record<string, string | string[]>;
  name?: string;
  arguments?: Record<string, unknown>;
}

export function readRecords(file: string): Recorded[] {
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.length > 0)
    .map((l) => JSON.parse(l) as Recorded);
}

/** Spawns the recorder with --http; resolves with its URL once it prints MCP_URL=. */
export async function startHttpRecorder(recordFile: string): Promise<{ url: string; child: ChildProcess; stop(): Promise<void> }> {
  const child = spawn(process.execPath, [RECORDER, '--http'], { env: { ...process.env, MCP_RECORD_FILE: recordFile }, stdio: ['ignore', 'pipe', 'inherit'] });
  const url = await new Promise<string>((resolveUrl, reject) => {
    let out = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const match = /MCP_URL=(\S+)/.exec(out);
      if (match) resolveUrl(match[1]!);
    });
    child.once('exit', (code) => reject(new Error(`credential recorder exited with ${String(code)}`)));
  });
  return {
    url,
    child,
    stop: () =>
      new Promise<void>((done) => {
        if (child.exitCode !== null) return done();
        child.once('exit', () => done());
        child.kill('SIGTERM');
      }),
  };
}
