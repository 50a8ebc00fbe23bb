/**
 * The standalone-stream events of a Streamable HTTP session kept for replay: numbered from 1, the
 * last RING_SIZE kept, fewer when they hold more than server.replayBytes (the oldest go first; an
 * event larger than that alone is not kept at all). A client that reconnects resumes with
 * Last-Event-ID; one that had no stream open gets what was sent meanwhile (streamable-session.ts).
 */

const RING_SIZE = 128;

export class ReplayRing {
  /** events[n % RING_SIZE] holds event n's JSON, sizes[n % RING_SIZE] its bytes. */
  private readonly events: (string | undefined)[] = new Array(RING_SIZE);
  private readonly sizes: number[] = new Array(RING_SIZE).fill(0);
  /** Bytes of the events kept. */
  private bytes = 0;
  /** The oldest event id the ring may still hold (older ones were let go for maxBytes). */
  private oldestKept = 1;
  /** The id the next event gets. */
  private next = 1;

  constructor(private readonly maxBytes: number) {}

  /** Numbers event `json` and keeps it (in the slot of the event RING_SIZE before it); its id. */
  add(json: string): number {
    const eventId = this.next++;
    const slot = eventId % RING_SIZE;
    const size = Buffer.byteLength(json);
    this.bytes += size - this.sizes[slot]!;
    this.events[slot] = json;
    this.sizes[slot] = size;
    let oldest = Math.max(this.oldestKept, eventId - RING_SIZE + 1);
    while (this.bytes > this.maxBytes && oldest <= eventId) {
      const s = oldest % RING_SIZE;
      this.bytes -= this.sizes[s]!;
      this.events[s] = undefined;
      this.sizes[s] = 0;
      oldest++;
    }
    this.oldestKept = oldest;
    return eventId;
  }

  /** Whether `eventId` names an event already numbered (a Last-Event-ID to resume after). */
  numbered(eventId: number): boolean {
    return eventId < this.next;
  }

  /** The events still kept from id `from` on, oldest first, as [id, json]. */
  *since(from: number): Generator<[number, string]> {
    for (let id = Math.max(from, this.next - RING_SIZE, this.oldestKept, 1); id < this.next; id++) {
      const json = this.events[id % RING_SIZE];
      if (json !== undefined) yield [id, json];
    }
  }

  clear(): void {
    this.events.fill(undefined);
    this.sizes.fill(0);
    this.bytes = 0;
  }
}
