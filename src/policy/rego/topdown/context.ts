/** Per-query builtin context: evaluation time (fixed per query), cache, print sink. */
import type { BuiltinContext } from '../builtins/registry.js';

export class QueryContext implements BuiltinContext {
  private now: bigint | undefined;
  private cacheMap: Map<string, unknown> | undefined;
  constructor(
    readonly strict: boolean,
    private readonly printSink: ((msg: string) => void) | undefined,
    fixedNowNs?: bigint,
  ) {
    this.now = fixedNowNs;
  }
  get nowNs(): bigint {
    if (this.now === undefined) this.now = BigInt(Date.now()) * 1000000n;
    return this.now;
  }
  get cache(): Map<string, unknown> {
    if (this.cacheMap === undefined) this.cacheMap = new Map();
    return this.cacheMap;
  }
  print(message: string): void {
    if (this.printSink) this.printSink(message);
  }
  /** resets time and cache for the next query */
  reset(): void {
    this.now = undefined;
    if (this.cacheMap !== undefined && this.cacheMap.size > 0) this.cacheMap = undefined;
  }
}
