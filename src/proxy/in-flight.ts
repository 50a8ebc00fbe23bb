/**
 * The requests in flight to one backend session, by the id the backend sees. A client's request
 * keeps its own integer id when no other request in flight to this backend holds it (the backend
 * then reads the client's bytes unchanged, and its answer goes back unchanged); otherwise, and for
 * the proxy's own requests and anything not written with such an id, the id is a fresh one. One
 * backend session serves one client session, so the only ids that can collide are the client's and
 * the proxy's own, and a fresh id is one nobody holds. An id whose request was given up (cancelled,
 * timed out) stays retired until its late answer comes (or until many later ones are retired): it is
 * not handed out again, so such an answer is dropped and never taken for another request's.
 */

/** Retired ids kept at most (the backend may never answer a cancelled request). */
const RETIRED_MAX = 1024;

export class InFlight<P> {
  private readonly byId = new Map<number, P>();
  private readonly retired = new Set<number>();
  /** The last fresh id handed out. */
  private last = 0;

  get size(): number {
    return this.byId.size;
  }

  /** A fresh id: neither in flight nor retired. */
  freshId(): number {
    let id = ++this.last;
    while (this.byId.has(id) || this.retired.has(id)) id = ++this.last;
    return id;
  }

  /** The id to forward a client's request written with the integer id `clientId` under. */
  idFor(clientId: number): number {
    return this.byId.has(clientId) || (this.retired.size > 0 && this.retired.has(clientId)) ? this.freshId() : clientId;
  }

  set(id: number, p: P): void {
    this.byId.set(id, p);
  }

  get(id: number): P | undefined {
    return this.byId.get(id);
  }

  delete(id: number): void {
    this.byId.delete(id);
  }

  /** Gives up the request under `id`: an answer that still comes for it is dropped (lateAnswer). */
  retire(id: number): void {
    this.byId.delete(id);
    if (this.retired.size >= RETIRED_MAX) this.retired.delete(this.retired.values().next().value!);
    this.retired.add(id);
  }

  /** An answer under an id nothing waits for (dropped): a retired id is free again. */
  lateAnswer(id: number): void {
    if (this.retired.size > 0) this.retired.delete(id);
  }

  entries(): IterableIterator<[number, P]> {
    return this.byId.entries();
  }

  values(): IterableIterator<P> {
    return this.byId.values();
  }

  /** Forgets everything (the backend session is gone; a new one starts with no ids in use). */
  clear(): void {
    this.byId.clear();
    this.retired.clear();
  }
}
