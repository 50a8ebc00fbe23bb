/**
 * pipe-io.ts on real pipes (a child process's stdio): reads come straight from the pipe handle to
 * the consumer (no 'data' events) and the end of the input still ends the stream; writes go to the
 * descriptor, and what a full pipe does not take goes through the stream, every byte in order; a
 * stream that is not on a pipe is declined; after release, reads come as 'data' events again.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { PassThrough } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { pipeFdOf, readPipeDirectly, writeToPipe } from '../src/transport/pipe-io.js';

const children: ChildProcess[] = [];
afterEach(() => {
  for (const c of children.splice(0)) c.kill('SIGKILL');
});

function node(script: string): ChildProcess {
  const child = spawn(process.execPath, ['-e', script], { stdio: ['pipe', 'pipe', 'inherit'] });
  children.push(child);
  return child;
}

/** Resolves with the stream's 'end' (or rejects after `ms`). */
function ended(stream: NodeJS.ReadableStream, ms = 30_000): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('no end')), ms);
    stream.once('end', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

/** Resolves once `done()` holds (checked every 10 ms; rejects after 30 s). */
async function until(done: () => boolean): Promise<void> {
  for (let waited = 0; !done(); waited += 10) {
    if (waited > 30_000) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('pipe-io: reading a pipe directly', () => {
  it('delivers every byte the child writes to the consumer, in order, none as data events, then the stream ends', async () => {
    // 1 MiB of a pattern in writes of varying sizes (reads of every size, over several slabs), then a line, then exit.
    const child = node(`
      const all = Buffer.alloc(1024 * 1024);
      for (let k = 0; k < all.length; k++) all[k] = k % 251;
      let at = 0;
      for (let size = 1; at < all.length; size = 1 + ((size * 7 + 13) % 70000)) {
        process.stdout.write(all.subarray(at, at + size));
        at += size;
      }
      process.stdout.write('last line\\n');`);
    const direct: Buffer[] = [];
    const viaEvents: Buffer[] = [];
    child.stdout!.on('data', (c: Buffer) => viaEvents.push(c));
    const release = readPipeDirectly(child.stdout!, (c) => direct.push(c));
    expect(release).toBeTypeOf('function');
    await ended(child.stdout!);
    const all = Buffer.concat(direct);
    const expected = Buffer.alloc(1024 * 1024);
    for (let k = 0; k < expected.length; k++) expected[k] = k % 251;
    expect(viaEvents).toHaveLength(0);
    expect(direct.length).toBeGreaterThan(4);
    expect(all.length).toBe(expected.length + 10);
    expect(all.subarray(0, expected.length).equals(expected)).toBe(true);
    expect(all.subarray(expected.length).toString()).toBe('last line\n');
  });

  it('after release, the chunks come as data events again', async () => {
    // The child writes a line each time it reads one, and ends when its input ends.
    const child = node(`process.stdin.on('data', (c) => process.stdout.write(c)); process.stdin.on('end', () => process.exit(0));`);
    const direct: string[] = [];
    const viaEvents: string[] = [];
    child.stdout!.on('data', (c: Buffer) => viaEvents.push(c.toString()));
    const release = readPipeDirectly(child.stdout!, (c) => direct.push(c.toString()))!;
    child.stdin!.write('one\n');
    await until(() => direct.join('') === 'one\n');
    release();
    child.stdin!.write('two\n');
    await until(() => viaEvents.join('') === 'two\n');
    child.stdin!.end();
    await ended(child.stdout!);
    expect(direct.join('')).toBe('one\n');
    expect(viaEvents.join('')).toBe('two\n');
  });

  it('declines a stream that is not on a pipe', () => {
    const s = new PassThrough();
    expect(readPipeDirectly(s, () => undefined)).toBeUndefined();
    expect(pipeFdOf(s)).toBe(-1);
  });
});

describe('pipe-io: writing a pipe directly', () => {
  it('a pipe that fills up takes the rest through the stream, every byte in order', async () => {
    // The child reads nothing for 300 ms (the pipe fills), then hashes all it reads.
    const child = node(`
      const { createHash } = require('node:crypto');
      setTimeout(() => {
        const h = createHash('sha256'); let n = 0;
        process.stdin.on('data', (c) => { h.update(c); n += c.length; });
        process.stdin.on('end', () => process.stdout.write(n + ' ' + h.digest('hex')));
      }, 300);`);
    const fd = pipeFdOf(child.stdin!);
    expect(fd).toBeGreaterThanOrEqual(0);
    const expected = createHash('sha256');
    const errors: Error[] = [];
    let whole = 0;
    let total = 0;
    for (let i = 0; i < 64; i++) {
      const part = Buffer.alloc(16 * 1024, i);
      expected.update(part);
      total += part.length;
      if (writeToPipe(child.stdin!, fd, part, (e) => errors.push(e))) whole++;
    }
    // The first writes fit in the pipe (written whole, directly); 1 MiB does not.
    expect(whole).toBeGreaterThan(0);
    expect(whole).toBeLessThan(64);
    expect(child.stdin!.writableLength).toBeGreaterThan(0);
    child.stdin!.end();
    let out = '';
    child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
    await ended(child.stdout!);
    expect(errors).toEqual([]);
    expect(out).toBe(`${total} ${expected.digest('hex')}`);
  });

  it('a write to a pipe whose reader is gone reports EPIPE on the next tick', async () => {
    // The child closes its stdin and lives on (a child that exits has its stdin stream destroyed).
    const child = node(`require('node:fs').closeSync(0); setTimeout(() => {}, 5000); process.stdout.write('closed');`);
    await new Promise((r) => child.stdout!.once('data', r));
    const fd = pipeFdOf(child.stdin!);
    const errors: Error[] = [];
    expect(writeToPipe(child.stdin!, fd, Buffer.from('x\n'), (e) => errors.push(e))).toBe(true);
    expect(errors).toEqual([]);
    await new Promise((r) => process.nextTick(r));
    expect(errors.map((e) => (e as NodeJS.ErrnoException).code)).toEqual(['EPIPE']);
  });

  it('a stream that was ended is not written behind its back: the write goes to the stream, which refuses it', async () => {
    const child = node(`process.stdin.resume(); setTimeout(() => {}, 5000);`);
    const stdin = child.stdin!;
    const fd = pipeFdOf(stdin);
    stdin.end();
    const refused = new Promise<Error>((r) => stdin.once('error', r));
    const errors: Error[] = [];
    expect(writeToPipe(stdin, fd, Buffer.from('x\n'), (e) => errors.push(e))).toBe(false);
    expect(((await refused) as NodeJS.ErrnoException).code).toBe('ERR_STREAM_WRITE_AFTER_END');
    expect(errors).toEqual([]);
  });
});
