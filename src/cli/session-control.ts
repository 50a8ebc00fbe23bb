/** The admin API's view of the live sessions (admin/sessions.ts), read from and acted on through the proxy. */
import type { SessionControl, SessionSummary } from '../admin/sessions.js';
import type { ClientSession } from '../proxy/session.js';
import type { WardenProxy } from '../proxy/proxy.js';

function summary(s: ClientSession): SessionSummary {
  const c = s.client;
  const client: SessionSummary['client'] = { id: c.id, name: c.name, auth: c.auth, roles: [...c.roles] };
  if (c.credentialId !== undefined) client.credentialId = c.credentialId;
  if (c.address !== undefined) client.address = c.address;
  return {
    id: s.info.sessionId,
    transport: s.info.transport,
    client,
    openedAt: new Date(s.openedAt).toISOString(),
    backends: s.backends.map((b) => ({ name: b.name, state: b.state, inFlight: b.inFlight })),
  };
}

export function sessionControl(proxy: WardenProxy): SessionControl {
  return {
    list: () => [...proxy.sessions].sort((a, b) => a.openedAt - b.openedAt).map(summary),
    async end(id, reason) {
      for (const s of proxy.sessions) {
        if (s.info.sessionId !== id) continue;
        const was = summary(s);
        await s.close(reason);
        return was;
      }
      return undefined;
    },
  };
}
