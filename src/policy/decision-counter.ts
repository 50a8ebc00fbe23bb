/**
 * Counts decisions for the metrics endpoint: a PolicyDecider wrapped around the policy's that
 * counts every request-phase decide() by method and result (allow, deny, shadow-deny, error) and
 * sums the decisions' own time. It changes nothing decided and passes the policy's shortcuts
 * through, so a decision the proxy reuses without asking (over stdio, docs/policy-contract.md) is
 * not counted; `serve` over HTTP asks for every request.
 */
import type { Decision, InterceptContext, PolicyDecider } from '../types.js';

/** Methods counted under their own name; any other is counted as "other" (labels stay bounded). */
const KNOWN_METHODS = new Set([
  'initialize', 'tools/call', 'tools/list', 'resources/read', 'resources/list', 'resources/templates/list',
  'resources/subscribe', 'resources/unsubscribe', 'prompts/get', 'prompts/list', 'completion/complete',
  'logging/setLevel', 'sampling/createMessage', 'elicitation/create', 'roots/list', 'tasks/get', 'tasks/list',
  'tasks/result', 'tasks/cancel',
]);

export type DecisionResult = 'allow' | 'deny' | 'shadow-deny' | 'error';

export interface DecisionCount {
  method: string;
  result: DecisionResult;
  count: number;
  /** Sum of Decision.micros. */
  micros: number;
}

const RESULTS: readonly DecisionResult[] = ['allow', 'deny', 'shadow-deny', 'error'];

export class DecisionCounter implements PolicyDecider {
  /** Per method, its counts by result (RESULTS' order): no key built per decision. */
  private readonly counts = new Map<string, DecisionCount[]>();

  constructor(private readonly inner: PolicyDecider & { close?: () => void }) {}

  get wantsResponsePhase(): boolean | undefined {
    return this.inner.wantsResponsePhase;
  }

  get unconditionalAllow(): Decision | undefined {
    return this.inner.unconditionalAllow;
  }

  get pureDecisionEpoch(): object | undefined {
    return this.inner.pureDecisionEpoch;
  }

  get pureDecisionFootprint(): PolicyDecider['pureDecisionFootprint'] {
    return this.inner.pureDecisionFootprint;
  }

  get argumentsRead(): readonly string[] | undefined {
    return this.inner.argumentsRead;
  }

  decidedByClass(): boolean {
    return this.inner.decidedByClass?.() ?? false;
  }

  close(): void {
    this.inner.close?.();
  }

  decide(context: InterceptContext): Decision {
    const decision = this.inner.decide(context);
    if (context.phase === 'request') {
      const method = KNOWN_METHODS.has(context.method) ? context.method : 'other';
      const result = decision.error !== undefined ? 3 : decision.allowed ? 0 : decision.mode === 'shadow' ? 2 : 1;
      let byResult = this.counts.get(method);
      if (byResult === undefined) {
        byResult = RESULTS.map((r) => ({ method, result: r, count: 0, micros: 0 }));
        this.counts.set(method, byResult);
      }
      const c = byResult[result]!;
      c.count++;
      c.micros += decision.micros;
    }
    return decision;
  }

  /** The counts so far (copies). */
  snapshot(): DecisionCount[] {
    const all: DecisionCount[] = [];
    for (const byResult of this.counts.values()) for (const c of byResult) if (c.count > 0) all.push({ ...c });
    return all;
  }
}
