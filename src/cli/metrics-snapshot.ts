/** What `serve`'s metrics endpoint reports (admin/metrics.ts), read from the proxy and the decision counter. */
import type { MetricsSnapshot } from '../admin/metrics.js';
import type { AuditCounters } from '../audit/index.js';
import type { DecisionCounter } from '../policy/decision-counter.js';
import type { WardenProxy } from '../proxy/proxy.js';

export function metricsSnapshot(proxy: WardenProxy, counter: DecisionCounter, policyVersion: string | undefined, audit?: () => AuditCounters): MetricsSnapshot {
  const sessions = new Map<string, number>();
  const backends = new Map<string, MetricsSnapshot['backends'][number]>();
  for (const s of proxy.sessions) {
    sessions.set(s.info.transport, (sessions.get(s.info.transport) ?? 0) + 1);
    for (const b of s.backends) {
      const key = `${b.name}\n${b.state}`;
      let entry = backends.get(key);
      if (entry === undefined) {
        entry = { backend: b.name, state: b.state, sessions: 0, inFlight: 0 };
        backends.set(key, entry);
      }
      entry.sessions++;
      entry.inFlight += b.inFlight;
    }
  }
  return {
    sessions: [...sessions].map(([transport, count]) => ({ transport, count })),
    backends: [...backends.values()],
    decisions: counter.snapshot(),
    policyVersion,
    audit: audit?.(),
  };
}
