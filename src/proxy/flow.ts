/**
 * Backpressure between a client session and its backends, so that a peer that stops reading cannot
 * make mcp-warden hold an unbounded amount of its traffic: when more than a transport's high-water
 * mark waits to be written to a peer (our stdio transports report it: NdjsonTransport.onbacklog),
 * the proxy stops reading from the other side until it has drained. The other side's own pipe then
 * fills and its writer blocks, as it would on a direct connection to a peer that does not read.
 * Client backed up: every backend of the session stops being read. A backend backed up: the client
 * stops being read (its requests to other backends wait too: one stream has one order). A gate
 * counts its pauses and carries them over to the transport that replaces a restarted backend's.
 *
 * The end of the client's input (stdio: EOF on our stdin) with requests still in flight: as a
 * server connected directly would, the session still answers them (`printf '…' | mcp-warden wrap
 * -- server` gets its answers), and ends once nothing is in flight or being initialized. Requests
 * in flight end by themselves (an answer, or the backend's timeout: BackendConnection's sweep), so
 * waiting is bounded; a hard cap guards against anything else.
 */
import type { Transport } from '../transport/types.js';
import type { BackendConnection } from './backend.js';

/** What a transport offers for flow control (NdjsonTransport, ChildProcessTransport). */
export interface FlowControlled {
  /** Called with true once more than the high-water mark waits to be written to the peer, false once it is written. */
  onbacklog?: (backedUp: boolean) => void;
  pauseReading?(): void;
  resumeReading?(): void;
}

/** Reading from one side (a transport, replaced when a backend restarts), paused while any pause holds. */
export class ReadGate {
  private pauses = 0;
  private target: FlowControlled | undefined;

  /** Reads of `transport` are now what this gate pauses (a new one starts paused if the gate is). */
  attach(transport: Transport & FlowControlled): void {
    this.target = transport;
    if (this.pauses > 0) transport.pauseReading?.();
  }

  get paused(): boolean {
    return this.pauses > 0;
  }

  pause(): void {
    if (this.pauses++ === 0) this.target?.pauseReading?.();
  }

  resume(): void {
    if (this.pauses > 0 && --this.pauses === 0) this.target?.resumeReading?.();
  }

  /** pause() when `on`, else resume(). */
  hold(on: boolean): void {
    if (on) this.pause();
    else this.resume();
  }
}

/** Pauses (or resumes) every gate: a client backed up holds its session's backends. */
export function holdAll(gates: Iterable<{ readGate: ReadGate }>, backedUp: boolean): void {
  for (const g of gates) g.readGate.hold(backedUp);
}

/** How often a draining session looks whether it has settled. */
const POLL_MS = 10;
/** Added to the longest backend timeout: the longest a draining session stays open. */
const CAP_EXTRA_MS = 30_000;

interface DrainingSession {
  readonly state: string;
  readonly backends: ReadonlyArray<BackendConnection>;
  close(): Promise<void>;
}

function settled(session: DrainingSession): boolean {
  if (session.state === 'initializing') return false;
  for (const b of session.backends) if (b.inFlight > 0) return false;
  return true;
}

/**
 * Closes `session` once it has settled (now, when it already has). `relay`: told first that the
 * client can answer nothing any more (its pending server-to-client requests fail at once).
 */
export function closeWhenSettled(session: DrainingSession, relay?: { clientInputEnded(): void }): void {
  relay?.clientInputEnded();
  if (settled(session)) {
    void session.close();
    return;
  }
  const capMs = Math.max(0, ...session.backends.map((b) => b.spec.timeoutMs)) + CAP_EXTRA_MS;
  const started = Date.now();
  const timer = setInterval(() => {
    if (session.state === 'closed' || settled(session) || Date.now() - started > capMs) {
      clearInterval(timer);
      void session.close();
    }
  }, POLL_MS);
}
