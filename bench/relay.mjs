#!/usr/bin/env node
/**
 * The bare byte relay: the floor cost of one extra stdio hop. Spawns `argv` and pipes our stdin
 * to its stdin and its stdout to our stdout, bytes untouched; its stderr is ours; its exit code
 * is ours; SIGTERM/SIGINT are passed on.
 *   node bench/relay.mjs <command> [args...]
 */
import { spawn } from 'node:child_process';

const [command, ...args] = process.argv.slice(2);
if (!command) {
  process.stderr.write('usage: relay.mjs <command> [args...]\n');
  process.exit(2);
}
const child = spawn(command, args, { stdio: ['pipe', 'pipe', 'inherit'] });
process.stdin.pipe(child.stdin);
child.stdout.pipe(process.stdout);
child.stdin.on('error', () => {});
process.stdout.on('error', () => {});
for (const sig of ['SIGTERM', 'SIGINT']) process.on(sig, () => child.kill(sig));
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
