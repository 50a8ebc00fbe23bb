/** The calling thread's read system calls (Linux per-thread I/O accounting), for tests that count wake-ups. */
import { existsSync, readFileSync } from 'node:fs';

const IO = '/proc/thread-self/io';

/** Why the count cannot be read here, or undefined. */
export const noThreadIo: string | undefined = existsSync(IO) ? undefined : `no ${IO} (per-thread I/O counts: Linux 2.6.20+ with task I/O accounting)`;

/** read() and similar calls this thread has made so far (syscr). */
export function threadReadCalls(): number {
  const line = readFileSync(IO, 'utf8').split('\n').find((l) => l.startsWith('syscr: '));
  return Number(line!.slice(7));
}
