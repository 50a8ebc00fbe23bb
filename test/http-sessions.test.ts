/** The HTTP frontends' session table: per-client and global caps, idle sweep, keep-alives. */
import { describe, expect, it } from 'vitest';
import { MAX_SESSIONS_PER_CLIENT, SessionRegistry, type HttpSession } from '../src/transport/http/sessions.js';

class FakeSession implements HttpSession {
  readonly kind = 'streamable-http' as const;
  lastActivity = Date.now();
  closed = false;
  keepAlives = 0;
  constructor(
    readonly sessionId: string,
    readonly ownerId: string,
    private readonly registry: SessionRegistry,
    public isBusy = false,
    readonly address = `10.0.0.${sessionId.length}`,
  ) {}
  busy(): boolean {
    return this.isBusy;
  }
  keepAlive(): void {
    this.keepAlives++;
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
});
