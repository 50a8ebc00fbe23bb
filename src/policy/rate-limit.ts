/**
 * Rate limits on tools/call, per client identity, as a decision: a PolicyDecider wrapped around the
 * policy's, which denies a tools/call (in enforce mode, whatever the policy's mode) once the
 * client's token bucket is empty, with a reason naming the limit and when to retry; every other
 * request, and every call within the limit, is the policy's decision. Each tools/call takes a token,
 * whatever the policy decides. A limit makes decisions depend on time, so the wrapper offers none of
 * the policy's shortcuts (no unconditional allow, no decision reused between calls).
 */
import type { Decision, InterceptContext, PolicyDecider } from '../types.js';

export interface BucketSettings {
  toolCallsPerMinute: number;
  burst?: number;
}

export interface RateLimitSettings extends BucketSettings {
  clients?: Record<string, BucketSettings>;
}

interface Bucket {
  tokens: number;
  /** Milliseconds (the clock's) when tokens was last brought up to date. */
  at: number;
  readonly capacity: number;
  /** Tokens per millisecond. */
  readonly rate: number;
  readonly settings: BucketSettings;
}

/** Buckets kept at most; beyond, full ones (their clients have been quiet) are forgotten. */
const MAX_BUCKETS = 10_000;

export function burstOf(s: BucketSettings): number {
  return s.burst ?? Math.max(1, Math.ceil(s.toolCallsPerMinute / 10));
}

export class RateLimitedDecider implements PolicyDecider {
  private readonly buckets = new Map<string, Bucket>();
  /** Size at which full buckets are next looked for (a quarter more than what a sweep left: amortized). */
  private sweepAt = MAX_BUCKETS;

  constructor(
    private readonly inner: PolicyDecider & { close?: () => void },
    private readonly settings: RateLimitSettings,
    private readonly now: () => number = () => performance.now(),
  ) {}

  get wantsResponsePhase(): boolean | undefined {
    return this.inner.wantsResponsePhase;
  }

  /** The policy's version (serve's metrics report it), when the policy has one. */
  get version(): string | undefined {
    return (this.inner as { readonly version?: string }).version;
  }

  // No unconditionalAllow, pureDecisionEpoch or pureDecisionFootprint: every call must reach decide().

  /** What the policy reads of arguments (the limit reads none of them). */
  get argumentsRead(): readonly string[] | undefined {
    return this.inner.argumentsRead;
  }

  close(): void {
    this.inner.close?.();
  }

  decide(context: InterceptContext): Decision {
    const decision = this.inner.decide(context);
    // A backend's request to the client is not the client's call, whatever its method.
    if (context.phase !== 'request' || context.method !== 'tools/call' || context.direction === 'server_to_client') return decision;
    const clientId = context.client.id;
    const bucket = this.bucketOf(clientId);
    const now = this.now();
    bucket.tokens = Math.min(bucket.capacity, bucket.tokens + (now - bucket.at) * bucket.rate);
    bucket.at = now;
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return decision;
    }
    const wait = Math.ceil((1 - bucket.tokens) / bucket.rate / 1000);
    const retry = Number.isFinite(wait) ? `${Math.max(1, wait)} s` : 'a while';
    const { toolCallsPerMinute } = bucket.settings;
    const reason =
      `Rate limit: client '${clientId}' may make ${toolCallsPerMinute} tools/call per minute ` +
      `(burst ${bucket.capacity}); retry in ${retry} (rateLimit)`;
    return { ...decision, allowed: false, mode: 'enforce', reasons: [reason, ...decision.reasons] };
  }

  private bucketOf(clientId: string): Bucket {
    let bucket = this.buckets.get(clientId);
    if (bucket !== undefined) return bucket;
    if (this.buckets.size >= this.sweepAt) this.forgetFull();
    // Own keys only: a client named "constructor" or "__proto__" must not read Object.prototype's members.
    const clients = this.settings.clients;
    const settings = clients !== undefined && Object.hasOwn(clients, clientId) ? clients[clientId]! : this.settings;
    const capacity = burstOf(settings);
    bucket = { tokens: capacity, at: this.now(), capacity, rate: settings.toolCallsPerMinute / 60_000, settings };
    this.buckets.set(clientId, bucket);
    return bucket;
  }

  private forgetFull(): void {
    const now = this.now();
    for (const [id, b] of this.buckets) {
      if (b.tokens + (now - b.at) * b.rate >= b.capacity) this.buckets.delete(id);
    }
    this.sweepAt = Math.max(MAX_BUCKETS, Math.ceil(this.buckets.size * 1.25));
  }
}
