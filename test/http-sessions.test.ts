/**
 * The HTTP frontends' session table: per-client, per-address and global caps, idle sweep,
 * keep-alives, and the credential sweep (streams and answers of a credential no longer valid).
 * FakeSession implements HttpSession in full: tests are not type-checked by the build, so a member
 * the interface gains must be added here too (check: npx tsc --noEmit -p test/tsconfig.sessions.json).
 */
import { describe, expect, it } from 'vitest';
import { MAX_SESSIONS_PER_CLIENT, SessionRegistry, type CredentialCheck, type HttpSession } from '../src/transport/http/sessions.js';
import type { ClientIdentity } from '../src/types.js';

const identity = (id: string, credentialId = `k_${id}`): ClientIdentity => ({ id, name: id, auth: 'api_key', roles: [], claims: {}, credentialId });

class FakeSession implements HttpSession {
  readonly kind = 'streamable-http' as const;
  readonly ownerId: string;
  proven: ClientIdentity;
  lastActivity = Date.now();
  closed = false;
  keepAlives = 0;
  /** A stream open to the client (a GET stream); credentialGone() ends it. */
  stream = false;
  /** Identities of the requests awaiting answers; endAnswersOfGoneCredentials() ends those no longer valid. */
  inFlight: ClientIdentity[] = [];
  constructor(
    readonly sessionId: string,
    owner: string | ClientIdentity,
    private readonly registry: SessionRegistry,
    public isBusy = false,
    readonly address = `10.0.0.${sessionId.length}`,
  ) {
    this.proven = typeof owner === 'string' ? identity(owner) : owner;
    this.ownerId = this.proven.id;
  }
  busy(): boolean {
    return this.isBusy || this.stream || this.inFlight.length > 0;
  }
  keepAlive(): void {
    this.keepAlives++;
  }
  streaming(): boolean {
    return this.stream;
  }
  credentialGone(): void {
    this.stream = false;
  }
  endAnswersOfGoneCredentials(stillValid: (client: ClientIdentity) => boolean): number {
    const before = this.inFlight.length;
    this.inFlight = this.inFlight.filter(stillValid);
    return before - this.inFlight.length;
  }
  async close(): Promise<void> {
    this.closed = true;
    this.registry.remove(this);
  }
}

describe('SessionRegistry', () => {
  it(`refuses a client's session number ${MAX_SESSIONS_PER_CLIENT + 1} while other clients still get theirs`, async () => {
    const registry = new SessionRegistry(60_000);
    const mine: FakeSession[] = [];
    for (let i = 0; i < MAX_SESSIONS_PER_CLIENT; i++) {
      expect(registry.refusal('alice', '10.0.1.1')).toBeUndefined();
      const s = new FakeSession(`a${i}`, 'alice', registry);
      registry.add(s);
      mine.push(s);
    }
    expect(registry.refusal('alice', '10.0.1.1')).toMatch(/already holds 100 open sessions/);
    expect(registry.refusal('bob', '10.0.1.1')).toBeUndefined();
    await mine[0]!.close();
    expect(registry.refusal('alice', '10.0.1.1')).toBeUndefined();
    await registry.closeAll();
    expect(registry.size).toBe(0);
  });

  it('the sweep closes idle sessions, keeps busy ones, and sends keep-alives', async () => {
    const registry = new SessionRegistry(1_000);
    const idle = new FakeSession('idle', 'c', registry);
    const busy = new FakeSession('busy', 'c', registry, true);
    const fresh = new FakeSession('fresh', 'c', registry);
    for (const s of [idle, busy, fresh]) registry.add(s);
    const now = Date.now();
    idle.lastActivity = now - 5_000;
    busy.lastActivity = now - 5_000;
    registry.sweep(now);
    expect(idle.closed).toBe(true);
    expect(busy.closed).toBe(false);
    expect(fresh.closed).toBe(false);
    expect(busy.keepAlives).toBe(1);
    expect(registry.get('idle')).toBeUndefined();
    expect(registry.get('busy')).toBe(busy);
    await registry.closeAll();
  });

  it('the credential sweep ends the stream of a session whose last credential is gone, and the answers of requests made with one, with or without a stream', async () => {
    const revoked = new Set<string | undefined>(['k_old']);
    const told: string[] = [];
    const check: CredentialCheck = {
      stillValid: (client) => !revoked.has(client.credentialId),
      ended: (session) => void told.push(`stream ${session.sessionId}`),
      answersEnded: (session, count) => void told.push(`answers ${session.sessionId} ${count}`),
    };
    const registry = new SessionRegistry(60_000, undefined, undefined, check);
    // A stream opened with the revoked key, and a request of it in flight.
    const streamed = new FakeSession('streamed', identity('alice', 'k_old'), registry);
    streamed.stream = true;
    streamed.inFlight = [identity('alice', 'k_old')];
    // No stream: the session last proved a valid key, but one request in flight was made with the revoked one.
    const posting = new FakeSession('posting', identity('bob', 'k_new'), registry);
    posting.inFlight = [identity('bob', 'k_old'), identity('bob', 'k_new')];
    // Nothing of the revoked key: untouched.
    const other = new FakeSession('other', identity('carol'), registry);
    other.stream = true;
    other.inFlight = [identity('carol')];
    for (const s of [streamed, posting, other]) registry.add(s);

    registry.sweep();
    expect(told).toEqual(['answers streamed 1', 'stream streamed', 'answers posting 1']);
    expect(streamed.stream).toBe(false);
    expect(streamed.inFlight).toEqual([]);
    expect(posting.inFlight.map((c) => c.credentialId)).toEqual(['k_new']);
    expect(other.stream).toBe(true);
    expect(other.inFlight).toHaveLength(1);
    expect(other.keepAlives).toBe(1);
    // A later sweep finds nothing more to end.
    registry.sweep();
    expect(told).toHaveLength(3);
    await registry.closeAll();
  });

  it('refuses a session beyond server.maxSessionsPerAddress at that address only', async () => {
    const registry = new SessionRegistry(60_000, { maxSessions: 100, maxSessionsPerClient: 100, maxSessionsPerAddress: 2, maxInFlightPerSession: 1, maxUnreadBytesPerSession: 1, replayBytes: 1 });
    registry.add(new FakeSession('x1', 'a', registry, false, '10.9.9.9'));
    registry.add(new FakeSession('x2', 'b', registry, false, '10.9.9.9'));
    expect(registry.refusal('c', '10.9.9.9')).toBe('clients at this address already hold 2 open sessions (server.maxSessionsPerAddress)');
    expect(registry.refusal('c', '10.9.9.8')).toBeUndefined();
    await registry.get('x1')!.close();
    expect(registry.refusal('c', '10.9.9.9')).toBeUndefined();
    await registry.closeAll();
  });
});
