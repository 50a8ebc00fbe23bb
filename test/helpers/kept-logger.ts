/** A real pino logger whose JSON lines are kept, for tests that check what was logged. */
import { Writable } from 'node:stream';
import pino from 'pino';

/** A pino JSON line: its numeric level (40 warn, 50 error, 60 fatal), its message, its other fields. */
export type LogLine = { level: number; msg?: string; [field: string]: unknown };

export function keptLogger(): { logger: pino.Logger; lines: LogLine[] } {
  const lines: LogLine[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const l of chunk.toString().split('\n')) if (l) lines.push(JSON.parse(l) as LogLine);
      done();
    },
  });
  return { logger: pino({ level: 'info' }, sink), lines };
}
