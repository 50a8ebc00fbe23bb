#!/usr/bin/env node
/**
 * Test backend with the Containarium MCP server's tools (per-user LXC containers), answering with
 * canned data and recording every call (see recording.mjs).
 *   node test/servers/containarium-server.mjs [--sse]
 */
import { z } from 'zod';
import { newServer, registerRecordedTools, serve } from './recording.mjs';

const user = { username: z.string() };
const tools = {
  list_containers: { description: 'List containers', annotations: { readOnlyHint: true }, schema: {}, run: () => [{ username: 'alice', state: 'Running' }, { username: 'bob', state: 'Stopped' }] },
  get_container: { description: "A user's container", annotations: { readOnlyHint: true }, schema: user, run: (a) => ({ username: a.username, state: 'Running', ip: '10.0.3.15' }) },
  get_metrics: { description: "A user's container metrics", annotations: { readOnlyHint: true }, schema: user, run: (a) => ({ username: a.username, cpu_percent: 3.5, memory_mb: 512 }) },
  create_container: {
    description: 'Create a container for a user',
    schema: { ...user, cpus: z.number().int().optional(), memory: z.string().optional(), disk: z.string().optional(), ssh_key: z.string().optional(), image: z.string().optional() },
    run: (a) => ({ created: a.username }),
  },
  delete_container: { description: "Delete a user's container", annotations: { destructiveHint: true }, schema: { ...user, force: z.boolean().optional() }, run: (a) => ({ deleted: a.username }) },
  start_container: { description: "Start a user's container", schema: user, run: (a) => ({ started: a.username }) },
  stop_container: { description: "Stop a user's container", schema: { ...user, force: z.boolean().optional() }, run: (a) => ({ stopped: a.username }) },
};

await serve(() => {
  const server = newServer('containarium');
  registerRecordedTools(server, tools);
  return server;
});
