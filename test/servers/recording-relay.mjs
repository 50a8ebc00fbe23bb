#!/usr/bin/env node
/**
 * A transparent stdio relay in front of a real MCP server we did not write (server-filesystem,
 * server-everything, mcp-server-kubernetes): spawns `command args...`, passes every byte through
 * unchanged in both directions, and appends each tools/call and resources/read request it passes
 * to the backend to MCP_RECORD_FILE ({kind, name, arguments|uri}). A test then knows exactly which
 * calls reached the real server.
 *   node test/servers/recording-relay.mjs <command> [args...]
 */
import { spawn } from 'node:child_process';
import { record } from './recording.mjs';

const [command, ...args] = process.argv.slice(2);
if (!command) {
  process.stderr.write('usage: recording-relay.mjs <command> [args...]\n');
  process.exit(2);
}
const child = spawn(command, args, { stdio: ['pipe', 'pipe', 'inherit'] });
child.on('exit', (code) => process.exit(code ?? 1));
child.stdout.pipe(process.stdout);
process.stdin.on('end', () => child.stdin.end());

let pending = '';
process.stdin.on('data', (chunk) => {
  pending += chunk.toString('utf8');
  let newline;
  while ((newline = pending.indexOf('\n')) >= 0) {
    const line = pending.slice(0, newline);
    pending = pending.slice(newline + 1);
    noteRequest(line);
    child.stdin.write(`${line}\n`);
  }
});

function noteRequest(line) {
  let message;
  try {
    message = JSON.parse(line);
  } catch {
    return;
  }
  if (message?.method === 'tools/call') record({ kind: 'tool', name: message.params?.name, arguments: message.params?.arguments });
  else if (message?.method === 'resources/read') record({ kind: 'resource', uri: message.params?.uri });
}
