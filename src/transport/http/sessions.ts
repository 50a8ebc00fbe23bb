/**
 * The HTTP frontends' table of live client sessions (Streamable HTTP and legacy SSE share it and
 * its id space). One timer sweeps it: it writes SSE keep-alive comments on quiet long-lived
 * streams (which also detects dead sockets) and closes sessions that have been idle (no request,
 * no open stream, nothing in flight) for longer than server.sessionIdleMs.
 */
import { isIPv6 } from 'node:net';
import type { ClientIdentity, TransportKind } from '../../types.js';
import { WriteStallWatch } from './write-stall.js';

/** What the registry needs from a session of either frontend. */
export interface HttpSession {
  readonly sessionId: string;
  readonly kind: TransportKind;
  /** ClientIdentity.id of the client that created the session; other identities never see it. */
  readonly ownerId: string;
  /** Where the request that opened it came from (addressKey): counted against server.maxSessionsPerAddress. */
  readonly address: string;
  /**
   * The identity the session's last request proved, as its credential proved it: the object
   * Authenticator.stillValid is asked about. (`client`, what messages are decided with, may be an
   * earlier object that says the same: followIdentity; an API key put in another's place under the
   * same id says the same, and only the object the new key proved says it is in force.)
   */
  readonly proven: ClientIdentity;
  /** Milliseconds timestamp of the last HTTP request on this session. */
  lastActivity: number;
  /** True while a stream is open or a request awaits its answer (never idle then). */
  busy(now: number): boolean;
  /** Writes a keep-alive on long-lived streams quiet since `quietSince`. */
  keepAlive(now: number, quietSince: number): void;
  /** True while a stream is open that brings the client messages without a new request of its (SSE). */
  streaming(): boolean;
  /** Its credential no longer holds: ends what streams to the client (legacy SSE: the session, whose stream it is). */
  credentialGone(): void;
  /**
   * Ends the answers still due to requests made with a credential that no longer holds (`stillValid`
   * false for the identity the request proved): each is answered with an error and cancelled at the
   * backend. The number ended. (Legacy SSE answers on the stream: nothing of its own to end.)
   */
  endAnswersOfGoneCredentials(stillValid: (client: ClientIdentity) => boolean): number;
  close(): Promise<void>;
}

/**
 * Checks, at each sweep, the credential of every session with a stream open (Authenticator.stillValid):
 * a revoked or expired one no longer brings its holder the session's messages.
 */
export interface CredentialCheck {
  stillValid(client: ClientIdentity): boolean;
  /** Told of each session whose stream was ended for it (logged by the frontend). */
  ended(session: HttpSession): void;
  /** Told of each session some of whose requests in flight had their answers ended for it (logged by the frontend). */
  answersEnded(session: HttpSession, count: number): void;
}

/**
 * An HTTP session's side of flow control (flow.ts): the proxy pauses taking a client's messages while
 * a backend of its session is backed up. Over stdio mcp-warden then stops reading the client; over
 * HTTP each POST is a new message that would wait in memory behind the others, so it is refused
 * (429) until every pause is resumed.
 */
export class ReadPauses {
  private count = 0;

  pause(): void {
    this.count++;
  }

  resume(): void {
    if (this.count > 0) this.count--;
  }

  /** Why a message POSTed now must be refused, or undefined. */
  refusal(): string | undefined {
    return this.count > 0 ? 'a backend of this session is not reading what it was sent (its messages wait to be written to it); retry once it has caught up' : undefined;
  }
}

const KEEPALIVE_MS = 20_000;
/**
 * Open sessions beyond this are refused (503) rather than exhausting memory and processes (each
 * session opens its own backend sessions: a child process per stdio backend). server.maxSessions.
 */
export const MAX_SESSIONS = 1_000;
/** Open sessions one client identity may hold (so one credential cannot take them all). server.maxSessionsPerClient. */
export const MAX_SESSIONS_PER_CLIENT = 100;
/**
 * Open sessions the clients of one network address may hold together, whatever credentials they
 * show (so one host cannot take them all with many keys, or as "anonymous"). server.maxSessionsPerAddress.
 */
export const MAX_SESSIONS_PER_ADDRESS = 64;

/** Requests one session may have awaiting their answers (server.maxInFlightPerSession). */
export const MAX_IN_FLIGHT_PER_SESSION = 128;
/** Answer bytes a session's client may leave unread before its new requests are refused (server.maxUnreadBytesPerSession). */
export const MAX_UNREAD_BYTES_PER_SESSION = 16 * 1024 * 1024;
/** Bytes of standalone-stream events a Streamable HTTP session keeps for replay (server.replayBytes). */
export const REPLAY_BYTES = 4 * 1024 * 1024;
/** How long an answer's socket may take none of the bytes waiting for it before it is closed (server.writeStallTimeoutMs). */
export const WRITE_STALL_TIMEOUT_MS = 60_000;

export interface SessionLimits {
  maxSessions: number;
  maxSessionsPerClient: number;
  maxSessionsPerAddress: number;
  maxInFlightPerSession: number;
  maxUnreadBytesPerSession: number;
  replayBytes: number;
}

export const DEFAULT_SESSION_LIMITS: SessionLimits = {
  maxSessions: MAX_SESSIONS,
  maxSessionsPerClient: MAX_SESSIONS_PER_CLIENT,
  maxSessionsPerAddress: MAX_SESSIONS_PER_ADDRESS,
  maxInFlightPerSession: MAX_IN_FLIGHT_PER_SESSION,
  maxUnreadBytesPerSession: MAX_UNREAD_BYTES_PER_SESSION,
  replayBytes: REPLAY_BYTES,
};

/**
 * The key a client's address is counted under: an IPv4 address as it is (an IPv4-mapped IPv6
 * address as the IPv4 one), an IPv6 address by its /64 prefix (one host is given a whole /64 and
 * may use any address in it; ::1 as it is), "unknown" when the socket has none (already closed).
 */
export function addressKey(remote: string | undefined): string {
  if (remote === undefined || remote === '') return 'unknown';
  const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i.exec(remote);
  if (mapped) return mapped[1]!;
  if (!isIPv6(remote) || remote === '::1') return remote;
  const [head = '', tail = ''] = remote.toLowerCase().split('%')[0]!.split('::');
  const front = head === '' ? [] : head.split(':');
  const back = remote.includes('::') ? (tail === '' ? [] : tail.split(':')) : [];
  const groups = [...front, ...Array<string>(8 - front.length - back.length).fill('0'), ...back];
  return `${groups.slice(0, 4).map((g) => (Number.parseInt(g, 16) || 0).toString(16)).join(':')}::/64`;
}

export class SessionRegistry {
  private readonly sessions = new Map<string, HttpSession>();
  private readonly perClient = new Map<string, number>();
  private readonly perAddress = new Map<string, number>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly idleMs: number,
    readonly limits: SessionLimits = DEFAULT_SESSION_LIMITS,
    /** Watches every answer and stream the sessions write to (server.writeStallTimeoutMs). */
    readonly stalls: WriteStallWatch = new WriteStallWatch(WRITE_STALL_TIMEOUT_MS),
    private readonly credentials?: CredentialCheck,
  ) {}

  /**
   * Whether the credential `client` proved still holds now (Authenticator.stillValid; true without
   * one): asked as each answer or stream message goes out, so that one revoked or expired between
   * two sweeps brings nothing more.
   */
  credentialHolds(client: ClientIdentity): boolean {
    return this.credentials === undefined || this.credentials.stillValid(client);
  }

  /** Told by a session that it ended `answers` answers (CredentialCheck.answersEnded), or its stream (ended), as a message went out. */
  credentialEnded(session: HttpSession, answers: number): void {
    if (answers > 0) this.credentials?.answersEnded(session, answers);
    else this.credentials?.ended(session);
  }

  get size(): number {
    return this.sessions.size;
  }

  /** Why a new session for this client, from this address (addressKey), would be refused, or undefined when it may open one. */
  refusal(clientId: string, address: string): string | undefined {
    const { maxSessions, maxSessionsPerClient, maxSessionsPerAddress } = this.limits;
    if (this.sessions.size >= maxSessions) return `too many open sessions (server.maxSessions is ${maxSessions})`;
    if ((this.perClient.get(clientId) ?? 0) >= maxSessionsPerClient) {
      return `this client already holds ${maxSessionsPerClient} open sessions (server.maxSessionsPerClient)`;
    }
    if ((this.perAddress.get(address) ?? 0) >= maxSessionsPerAddress) {
      return `clients at this address already hold ${maxSessionsPerAddress} open sessions (server.maxSessionsPerAddress)`;
    }
    return undefined;
  }

  get(id: string): HttpSession | undefined {
    return this.sessions.get(id);
  }

  add(session: HttpSession): void {
    this.sessions.set(session.sessionId, session);
    this.perClient.set(session.ownerId, (this.perClient.get(session.ownerId) ?? 0) + 1);
    this.perAddress.set(session.address, (this.perAddress.get(session.address) ?? 0) + 1);
    if (this.timer === undefined) {
      const every = Math.max(50, Math.min(Math.floor(this.idleMs / 4), 10_000));
      this.timer = setInterval(() => this.sweep(), every);
      this.timer.unref();
    }
  }

  /** Called by a session when it closes (for any reason). */
  remove(session: HttpSession): void {
    if (this.sessions.get(session.sessionId) === session) {
      this.sessions.delete(session.sessionId);
      const held = (this.perClient.get(session.ownerId) ?? 1) - 1;
      if (held > 0) this.perClient.set(session.ownerId, held);
      else this.perClient.delete(session.ownerId);
      const fromAddress = (this.perAddress.get(session.address) ?? 1) - 1;
      if (fromAddress > 0) this.perAddress.set(session.address, fromAddress);
      else this.perAddress.delete(session.address);
    }
    if (this.sessions.size === 0 && this.timer !== undefined) {
      clearInterval(this.timer);
      this.timer = undefined;
    }
  }

  sweep(now = Date.now()): void {
    const quietSince = now - KEEPALIVE_MS;
    const idleSince = now - this.idleMs;
    for (const session of this.sessions.values()) {
      if (this.credentials !== undefined && this.credentialsGone(session)) continue;
      session.keepAlive(now, quietSince);
      if (session.lastActivity < idleSince && !session.busy(now)) void session.close();
    }
  }

  /**
   * Ends what a credential no longer valid still brings its holder: the session's stream (checked
   * with the credential the session last proved) and the answers of its requests in flight (each
   * checked with the credential its own request proved: a POST answered as SSE carries the
   * session's server requests and notifications for that request, and then the answer). True when
   * the stream was ended (a legacy SSE session is closed with it).
   */
  private credentialsGone(session: HttpSession): boolean {
    const check = this.credentials!;
    const answers = session.endAnswersOfGoneCredentials((client) => check.stillValid(client));
    if (answers > 0) check.answersEnded(session, answers);
    if (session.streaming() && !check.stillValid(session.proven)) {
      session.credentialGone();
      check.ended(session);
      return true;
    }
    return false;
  }

  async closeAll(): Promise<void> {
    const all = [...this.sessions.values()];
    await Promise.allSettled(all.map((s) => s.close()));
    this.sessions.clear();
    this.perClient.clear();
    this.perAddress.clear();
    this.stalls.stop();
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
  }
}
