#!/usr/bin/env node
/**
 * Test backend with the Nomad MCP server's tool names and arguments, answering with canned data
 * and recording every call (see recording.mjs). The Nomad guide serves it over legacy SSE:
 *   node test/servers/nomad-server.mjs [--sse]
 */
import { z } from 'zod';
import { newServer, registerRecordedTools, serve } from './recording.mjs';

const ns = { namespace: z.string().optional().describe('Nomad namespace (default "default")') };
const job = { job_id: z.string(), ...ns };

const tools = {
  list_nomad_jobs: { description: 'List jobs', schema: { ...ns }, run: ({ namespace }) => [{ ID: 'web', Namespace: namespace ?? 'default', Status: 'running' }] },
  get_job_status: { description: 'Status of a job', schema: job, run: ({ job_id }) => ({ ID: job_id, Status: 'running' }) },
  get_job_logs: { description: 'Logs of a job', schema: { ...job, task: z.string().optional() }, run: ({ job_id }) => `${job_id}: listening on :8080` },
  get_allocation_status: { description: 'Status of an allocation', schema: { allocation_id: z.string(), ...ns }, run: ({ allocation_id }) => ({ ID: allocation_id, ClientStatus: 'running' }) },
  get_job_evaluations: { description: 'Evaluations of a job', schema: job, run: ({ job_id }) => [{ JobID: job_id, Status: 'complete' }] },
  stop_job: { description: 'Stop a job', schema: { ...job, purge: z.boolean().optional() }, run: ({ job_id }) => ({ stopped: job_id }) },
  restart_job: { description: 'Restart a job', schema: job, run: ({ job_id }) => ({ restarted: job_id }) },
  create_job: { description: 'Create a job from a JSON spec', schema: { job_spec: z.record(z.string(), z.unknown()), ...ns }, run: () => ({ EvalID: 'e-1' }) },
  submit_job_file: { description: 'Submit an HCL job file', schema: { file_content: z.string(), ...ns }, run: () => ({ EvalID: 'e-2' }) },
  force_evaluate_job: { description: 'Force a new evaluation', schema: job, run: ({ job_id }) => ({ JobID: job_id, EvalID: 'e-3' }) },
};

await serve(() => {
  const server = newServer('nomad-mcp');
  registerRecordedTools(server, tools);
  return server;
});
