/**
 * The tasks one client session's requests created (MCP tasks: a request sent with `task` is answered
 * with `{task: {taskId, ...}}` and its real result comes later, from `tasks/result`): which backend
 * holds each one (tasks/get, tasks/result, tasks/cancel go there), and for a task a `tools/call`
 * created, that call's tool and arguments. `tasks/result` returns the tool's result, so it is judged
 * with them (router.ts): a response-phase rule keyed on `input.tool` withholds or redacts it as it
 * does the call's own answer. Without them such a rule never matched, and a result it withheld
 * from the call reached the client through `tasks/result`.
 *
 * Bounded per session: at most MAX_TASKS tasks and ARGUMENT_BUDGET bytes of their requests (the
 * newest is always kept), the oldest forgotten first. Once one was forgotten, a `tasks/result` for a
 * task the session does not know could be one whose tool it forgot: `forgot` lets the router refuse
 * it (fail closed) rather than judge it with no tool.
 */
import type { ToolInfo } from '../types.js';

/** Tasks remembered per session. */
export const MAX_TASKS = 10_000;
/** Bytes of the creating requests (their arguments) remembered per session, beyond the newest. */
export const ARGUMENT_BUDGET = 4 * 1024 * 1024;

export interface TaskOrigin {
  /** The backend that created the task (its index in the session's backends). */
  index: number;
  /** For a task a tools/call created: the tool it called, and the arguments it was called with. */
  tool: ToolInfo | undefined;
  arguments: unknown;
  /** What it counts against ARGUMENT_BUDGET. */
  bytes: number;
}

export class TaskOrigins {
  private readonly byId = new Map<string, TaskOrigin>();
  private bytes = 0;
  /** A task was forgotten (the bounds above): an unknown task may be one of those. */
  forgot = false;

  get(taskId: string): TaskOrigin | undefined {
    return this.byId.get(taskId);
  }

  /**
   * Remembers the task an answer (`result`) of backend `index` created, if it carries one
   * (`task.taskId`): for a tools/call, with its tool and arguments and the request's size.
   */
  remember(result: Record<string, unknown>, index: number, tool?: ToolInfo, args?: unknown, requestBytes?: number): void {
    const task = result.task as Record<string, unknown> | null | undefined;
    const taskId = task?.taskId;
    if (typeof taskId !== 'string') return;
    const bytes = tool === undefined ? 0 : (requestBytes ?? jsonLength(args));
    const old = this.byId.get(taskId);
    if (old !== undefined) {
      this.bytes -= old.bytes;
      this.byId.delete(taskId);
    }
    this.byId.set(taskId, { index, tool, arguments: args, bytes });
    this.bytes += bytes;
    while (this.byId.size > 1 && (this.byId.size > MAX_TASKS || this.bytes > ARGUMENT_BUDGET)) {
      const [oldest, origin] = this.byId.entries().next().value!;
      this.byId.delete(oldest);
      this.bytes -= origin.bytes;
      this.forgot = true;
    }
  }
}

function jsonLength(value: unknown): number {
  try {
    return JSON.stringify(value)?.length ?? 0;
  } catch {
    return ARGUMENT_BUDGET; // (nested too deeply to write: it could not have been forwarded)
  }
}
