/**
 * The requests in flight to one backend session, by the id the backend sees. A client's request
 * keeps its own integer id when no other request in flight to this backend holds it (the backend
 * then reads the client's bytes unchanged, and its answer goes back unchanged); otherwise, and for
 * the proxy's own requests and anything not written with such an id, the id is a fresh one. One
 * backend session serves one client session, so the only ids that can collide are the client's and
 * the proxy's own, and a fresh id is one nobody holds. An id whose request was given up (cancelled,
 * timed out) stays retired until its late answer comes (or until many later ones are retired): it is
 * not handed out again, so such an answer is dropped and never taken for another request's.
 *
 * The table is open addressing over two arrays (ids are integers >= 0; consecutive ids fill
 * consecutive slots), with deletion by shifting back, so that taking a request out leaves no
 * tombstone: a Map holding one request at a time (concurrency 1) is rehashed or shrunk and grown
 * again every few calls.
 */

/** Retired ids kept at most (the backend may never answer a cancelled request). */
const RETIRED_MAX = 1024;
/** An empty slot (no request id is negative). */
const EMPTY = -1;
const INITIAL_SLOTS = 16;

export class InFlight<P> {
  private ids: number[] = [];
  private items: (P | undefined)[] = [];
  private mask = 0;
  private count = 0;
  private readonly retired = new Set<number>();
  /** The last fresh id handed out. */
  private last = 0;

  constructor() {
    this.allocate(INITIAL_SLOTS);
  }

  get size(): number {
    return this.count;
  }

  /** A fresh id: neither in flight nor retired. */
  freshId(): number {
    let id = ++this.last;
    while (this.slotOf(id) >= 0 || this.retired.has(id)) id = ++this.last;
    return id;
  }

  /** The id to forward a client's request written with the integer id `clientId` under. */
  idFor(clientId: number): number {
    return this.slotOf(clientId) >= 0 || (this.retired.size > 0 && this.retired.has(clientId)) ? this.freshId() : clientId;
  }

  /** Puts `p` in flight under `id` (an integer >= 0), in place of what was under it. */
  set(id: number, p: P): void {
    if (2 * (this.count + 1) > this.ids.length) this.grow();
    const ids = this.ids;
    const mask = this.mask;
    let h = id & mask;
    for (let k = ids[h]!; k !== EMPTY && k !== id; k = ids[h]!) h = (h + 1) & mask;
    if (ids[h] === EMPTY) this.count++;
    ids[h] = id;
    this.items[h] = p;
  }

  get(id: number): P | undefined {
    const h = this.slotOf(id);
    return h < 0 ? undefined : this.items[h];
  }

  delete(id: number): void {
    const h = this.slotOf(id);
    if (h >= 0) this.removeAt(h);
  }

  /** Gives up the request under `id`: an answer that still comes for it is dropped (lateAnswer). */
  retire(id: number): void {
    this.delete(id);
    if (this.retired.size >= RETIRED_MAX) this.retired.delete(this.retired.values().next().value!);
    this.retired.add(id);
  }

  /** An answer under an id nothing waits for (dropped): a retired id is free again. */
  lateAnswer(id: number): void {
    if (this.retired.size > 0) this.retired.delete(id);
  }

  /** The requests in flight with their ids (a copy: the table may change while it is read). */
  entries(): Array<[number, P]> {
    const out: Array<[number, P]> = [];
    for (let h = 0; h < this.ids.length; h++) if (this.ids[h] !== EMPTY) out.push([this.ids[h]!, this.items[h]!]);
    return out;
  }

  values(): P[] {
    const out: P[] = [];
    for (let h = 0; h < this.ids.length; h++) if (this.ids[h] !== EMPTY) out.push(this.items[h]!);
    return out;
  }

  /** Forgets everything (the backend session is gone; a new one starts with no ids in use). */
  clear(): void {
    this.allocate(INITIAL_SLOTS);
    this.retired.clear();
  }

  /** The slot holding `id`, or -1. */
  private slotOf(id: number): number {
    const ids = this.ids;
    const mask = this.mask;
    let h = id & mask;
    for (;;) {
      const k = ids[h]!;
      if (k === id) return id < 0 ? -1 : h;
      if (k === EMPTY) return -1;
      h = (h + 1) & mask;
    }
  }

  /** Empties slot `h`, moving back the entries after it that would no longer be found past the gap. */
  private removeAt(h: number): void {
    const ids = this.ids;
    const items = this.items;
    const mask = this.mask;
    let gap = h;
    let j = h;
    for (;;) {
      j = (j + 1) & mask;
      const k = ids[j]!;
      if (k === EMPTY) break;
      const home = k & mask;
      // The entry at j stays when its home slot lies cyclically in (gap, j]; else it moves into the gap.
      const stays = gap <= j ? gap < home && home <= j : gap < home || home <= j;
      if (stays) continue;
      ids[gap] = k;
      items[gap] = items[j];
      gap = j;
    }
    ids[gap] = EMPTY;
    items[gap] = undefined;
    this.count--;
  }

  private grow(): void {
    const ids = this.ids;
    const items = this.items;
    this.allocate(ids.length * 2);
    for (let h = 0; h < ids.length; h++) if (ids[h] !== EMPTY) this.set(ids[h]!, items[h]!);
  }

  private allocate(slots: number): void {
    this.ids = new Array<number>(slots).fill(EMPTY);
    this.items = new Array<P | undefined>(slots).fill(undefined);
    this.mask = slots - 1;
    this.count = 0;
  }
}
