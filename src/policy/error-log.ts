/**
 * Logs policy evaluation errors (each one already denied the request) without flooding the log
 * under load: the first occurrence of a message per policy version is logged with its location and
 * the request it happened on, then every 10th, 100th, 1000th... with the count.
 */
import type { Logger } from '../log/logger.js';
import type { InterceptContext } from '../types.js';

const MAX_TRACKED = 1000;

export class ErrorLog {
  private readonly counts = new Map<string, number>();

  constructor(private readonly logger: Logger | undefined) {}

  report(version: string, message: string, context: InterceptContext, location: string | undefined): void {
    const key = `${version}\0${message}`;
    const count = (this.counts.get(key) ?? 0) + 1;
    if (this.counts.size >= MAX_TRACKED && count === 1) this.counts.clear();
    this.counts.set(key, count);
    if (!this.logger || !isLogPoint(count)) return;
    this.logger.error(
      {
        policyVersion: version,
        location,
        count,
        method: context.method,
        phase: context.phase,
        tool: context.tool?.name,
        backend: context.backend?.name,
        client: context.client.id,
      },
      `policy evaluation error (request denied): ${message}`,
    );
  }
}

function isLogPoint(count: number): boolean {
  if (count === 1) return true;
  let n = count;
  while (n % 10 === 0) n /= 10;
  return n === 1;
}
