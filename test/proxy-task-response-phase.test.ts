/**
 * A tool called as a task (MCP tasks: `tools/call` with `task`, then `tasks/result`) is judged at
 * the response phase as the call it is: the `tasks/result` that returns the tool's result carries
 * the tool and arguments of the `tools/call` that created the task, so a response-phase rule keyed
 * on `input.tool` (withhold, redact) holds for it too. It used to be judged with no tool: the result
 * a rule withheld from the call itself reached the client through `tasks/result` (the task id comes
 * in the CreateTaskResult, and in notifications/tasks/status even when that is withheld). Real
 * `wrap` in front of server-everything's task tool `simulate-research-query`.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LineClient } from './helpers/line-client.js';
import { EVERYTHING } from './helpers/proxy.js';
import { scratch, type Scratch } from './helpers/policy-e2e.js';
import { ARGUMENT_BUDGET } from '../src/proxy/task-origins.js';

const POLICY = `package mcp.authz

import rego.v1

allow := true

# The topic of a research report is not for the model.
redact contains {"field": "text", "pattern": "[Ss]ecret plans", "replacement": "[topic]"} if {
	input.tool.backend_name == "simulate-research-query"
}

deny contains "research reports on withheld topics are withheld" if {
	input.phase == "response"
	input.tool.backend_name == "simulate-research-query"
	input.arguments.topic == "withheld"
	some item in input.result.content
	contains(item.text, "Research Report")
}
`;

type Msg = Record<string, unknown>;

/** The text items of a result, joined. */
function text(answer: Msg): string {
  const result = answer.result as { content?: Array<{ text?: string }> } | undefined;
  return (result?.content ?? []).map((c) => c.text ?? '').join('\n');
}

describe('tasks/result is judged with the tool call that created the task', () => {
  let s: Scratch;
  let client: LineClient;
  beforeAll(async () => {
    s = await scratch();
    const policy = await s.write('tasks.rego', POLICY);
    client = new LineClient(['wrap', '--policy', policy, '--no-audit', '--', process.execPath, EVERYTHING]);
    const init = await client.request(0, 'initialize', { protocolVersion: '2025-11-25', capabilities: { tasks: {} }, clientInfo: { name: 'tasks', version: '1' } });
    expect(init.result).toBeDefined();
    client.send({ jsonrpc: '2.0', method: 'notifications/initialized' });
  });
  afterAll(async () => {
    client?.proc.kill();
    await client?.exited;
    await s?.remove();
  });

  /** Calls simulate-research-query on `topic` as a task; the task's id. */
  async function createTask(id: number, topic: string): Promise<string> {
    const created = await client.request(id, 'tools/call', { name: 'simulate-research-query', arguments: { topic }, task: { ttl: 60_000 } });
    const taskId = (created.result as { task?: { taskId?: unknown } } | undefined)?.task?.taskId;
    expect(typeof taskId, JSON.stringify(created)).toBe('string');
    return taskId as string;
  }

  it('a result the response phase withholds from the call is withheld from tasks/result', async () => {
    const taskId = await createTask(1, 'withheld');
    const answer = await client.request(2, 'tasks/result', { taskId });
    expect(answer.result).toBeUndefined();
    const error = answer.error as { code: number; message: string; data?: { reasons?: string[] } };
    expect(error.code).toBe(-32001);
    expect(error.data?.reasons).toEqual(['research reports on withheld topics are withheld']);
    expect(JSON.stringify(answer)).not.toContain('Research Report');
  }, 30_000);

  it("a redaction keyed on the tool masks tasks/result's content", async () => {
    const taskId = await createTask(3, 'secret plans');
    const answer = await client.request(4, 'tasks/result', { taskId });
    expect(text(answer)).toContain('# Research Report: [topic]');
    expect(JSON.stringify(answer)).not.toMatch(/secret plans/i);
  }, 30_000);

  it('a task the session never saw created is judged as before (no tool)', async () => {
    // (run before any task is forgotten: see the last test)
    const answer = await client.request(5, 'tasks/result', { taskId: 'no-such-task' });
    // The backend's own answer (no such task), not a deny: the rules above need the tool.
    expect(answer.error).toBeDefined();
    expect((answer.error as { code: number }).code).not.toBe(-32001);
  }, 30_000);

  it('once a task was forgotten (the bounds), a tasks/result for a task the session does not know is refused', async () => {
    // Two tasks whose requests together pass ARGUMENT_BUDGET: the older is forgotten (its tool call with it).
    const big = 'x'.repeat(ARGUMENT_BUDGET / 2 + 1024);
    const older = await createTask(6, big);
    await createTask(7, big);
    const newer = await createTask(10, 'an ordinary topic');
    const refused = await client.request(8, 'tasks/result', { taskId: older });
    const error = refused.error as { code: number; message: string };
    expect(error.code).toBe(-32602);
    expect(error.message).toContain('is not known to this session');
    // The newer one is still known, and judged with its call.
    expect(text(await client.request(9, 'tasks/result', { taskId: newer }))).toContain('# Research Report: an ordinary topic');
  }, 60_000);
});
