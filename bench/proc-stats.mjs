/**
 * CPU time of another process from /proc: the sum over its threads of /proc/<pid>/task/<tid>/schedstat
 * (nanoseconds on CPU; Node's GC and libuv threads included), falling back to utime+stime of
 * /proc/<pid>/stat (clock ticks) where schedstat is unavailable. Plus percentiles.
 */
import { readdirSync, readFileSync } from 'node:fs';

const NS_PER_TICK = 1e9 / 100; // CLK_TCK is 100 on Linux x86_64

function schedstatNs(pid) {
  let total = 0;
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      total += Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[0]);
    } catch {
      /* thread exited between readdir and read */
    }
  }
  return total;
}

function statNs(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // fields[11] = utime, fields[12] = stime (fields 14 and 15 of stat(5), counted after the comm)
  return (Number(fields[11]) + Number(fields[12])) * NS_PER_TICK;
}

let useSchedstat;
/** CPU nanoseconds consumed so far by process `pid` (all threads). */
export function cpuNs(pid) {
  if (useSchedstat === undefined) {
    try {
      useSchedstat = schedstatNs(process.pid) > 0;
    } catch {
      useSchedstat = false;
    }
  }
  return useSchedstat ? schedstatNs(pid) : statNs(pid);
}

/**
 * Busy CPU nanoseconds of the whole machine so far (/proc/stat, every core: user, nice, system, irq,
 * softirq and steal; not idle or iowait): with the measured processes' own CPU it shows what a call
 * costs outside them (the kernel's writeback of dirty pages, interrupts, other processes).
 * 0 where /proc/stat is unavailable.
 */
export function machineBusyNs() {
  try {
    const first = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0].trim().split(/\s+/);
    // cpu user nice system idle iowait irq softirq steal ...
    const [user, nice, system, , , irq, softirq, steal] = first.slice(1).map(Number);
    return (user + nice + system + irq + softirq + (steal || 0)) * NS_PER_TICK;
  } catch {
    return 0;
  }
}

/**
 * CPU nanoseconds consumed so far by the main thread of process `pid` (its JavaScript thread: no
 * worker, GC helper or libuv pool thread); 0 where schedstat is unavailable.
 */
export function mainThreadCpuNs(pid) {
  try {
    return Number(readFileSync(`/proc/${pid}/task/${pid}/schedstat`, 'utf8').split(' ')[0]);
  } catch {
    return 0;
  }
}

function ioFile(path) {
  const out = { r: 0, w: 0 };
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    if (line.startsWith('syscr: ')) out.r = Number(line.slice(7));
    else if (line.startsWith('syscw: ')) out.w = Number(line.slice(7));
  }
  return out;
}

/**
 * Read- and write-type system calls (read, pread, readv... / write, pwrite, writev...; /proc/PID/io
 * syscr, syscw) made so far by process `pid`: all its threads (`r`, `w`: the audit writer's SQLite
 * I/O included) and its main thread alone (`mainR`, `mainW`: the pipes, inotify, eventfds); zeros
 * where /proc/PID/io cannot be read.
 */
export function syscallCounts(pid) {
  try {
    const all = ioFile(`/proc/${pid}/io`);
    const main = ioFile(`/proc/${pid}/task/${pid}/io`);
    return { r: all.r, w: all.w, mainR: main.r, mainW: main.w };
  } catch {
    return { r: 0, w: 0, mainR: 0, mainW: 0 };
  }
}

/** Pids whose parent is `pid`. */
export function childPids(pid) {
  const out = [];
  try {
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      const text = readFileSync(`/proc/${pid}/task/${tid}/children`, 'utf8').trim();
      if (text) out.push(...text.split(' ').map(Number));
    }
    return out;
  } catch {
    for (const entry of readdirSync('/proc')) {
      if (!/^\d+$/.test(entry)) continue;
      try {
        const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
        if (Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === pid) out.push(Number(entry));
      } catch {
        /* gone */
      }
    }
    return out;
  }
}

/** The p-th percentile (0..100) of an ascending-sorted Float64Array. */
export function percentile(sorted, p) {
  if (sorted.length === 0) return NaN;
  const idx = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[idx];
}

export function median(values) {
  const s = [...values].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}
