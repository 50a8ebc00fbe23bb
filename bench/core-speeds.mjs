/**
 * How fast each core of this machine runs the same loop, one core at a time (util-linux taskset):
 * a virtual machine's vCPUs can differ (one sharing its host core with a busy neighbour), while the
 * guest counts a full second of CPU per second on each. CPU per call and c16 figures then depend on
 * where the scheduler placed the processes; the bench prints these speeds beside its figures.
 */
import { spawnSync } from 'node:child_process';
import { availableParallelism } from 'node:os';

const SPIN = 'const t=process.hrtime.bigint();let n=0;while(process.hrtime.bigint()-t<BigInt(process.argv[1]))n++;process.stdout.write(String(n))';

/**
 * Iterations of a timed loop on each core (`ms` each), relative to the fastest; undefined where
 * taskset is missing or more than 16 cores would make it slow.
 * @returns {{ cpu: number, relative: number }[] | undefined}
 */
export function coreSpeeds(ms = 300) {
  const cores = availableParallelism();
  if (cores > 16 || spawnSync('taskset', ['-V']).error) return undefined;
  const counts = [];
  for (let cpu = 0; cpu < cores; cpu++) {
    const r = spawnSync('taskset', ['-c', String(cpu), process.execPath, '-e', SPIN, String(ms * 1e6)], { encoding: 'utf8', timeout: ms + 10_000 });
    const n = Number(r.stdout);
    if (r.status !== 0 || !(n > 0)) return undefined;
    counts.push(n);
  }
  const best = Math.max(...counts);
  return counts.map((n, cpu) => ({ cpu, relative: n / best }));
}
