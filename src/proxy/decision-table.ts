/**
 * The decisions a session keeps for reuse (judged-calls.ts), keyed on the exact bytes of a request's
 * params: a hash table over byte ranges of the chunk a line came in, so that a lookup needs neither a
 * string nor a copy (FNV-1a over the bytes, then a byte comparison with the kept copy: equal bytes,
 * never just an equal hash). Bounded: at most `capacity` entries, the oldest forgotten first.
 */
import type { Decision, ToolInfo } from '../types.js';

export interface KeptDecision {
  decision: Decision;
  toolName: string;
  /** the tool's definition object it was decided with: a changed definition is a different input */
  tool: ToolInfo;
  /** the tool cache's generation when `tool` was last seen to be its definition (ToolCache.generation) */
  toolsGeneration: number;
}

interface Entry extends KeptDecision {
  hash: number;
  /** the key's bytes: bytes[at, at + length) (a place in the table's arena, or a copy of their own) */
  bytes: Uint8Array;
  at: number;
  length: number;
  /** its bucket */
  slot: number;
  /** next entry of the same bucket */
  next: Entry | undefined;
}

/** Keys up to this many bytes are kept in the table's arena (one place per entry of the ring); longer ones get a copy of their own. */
export const ARENA_KEY_BYTES = 96;

/**
 * A hash of b[from, to): FNV-1a over its length, its last 32 bytes and every 8th byte before them
 * (cheap for long params; equal bytes are still checked byte by byte, so a collision costs only a
 * comparison).
 */
export function bytesHash(b: Uint8Array, from: number, to: number): number {
  let h = Math.imul(0x811c9dc5 ^ (to - from), 0x01000193);
  const tail = to - 32 > from ? to - 32 : from;
  for (let i = from; i < tail; i += 8) h = Math.imul(h ^ b[i]!, 0x01000193);
  for (let i = tail; i < to; i++) h = Math.imul(h ^ b[i]!, 0x01000193);
  return h | 0;
}

/** Whether kept[at, at + len) equals b[from, from + len) (a loop: cheaper than Buffer.compare's native call for short keys). */
function sameBytes(kept: Uint8Array, at: number, b: Uint8Array, from: number, len: number): boolean {
  for (let i = 0; i < len; i++) if (kept[at + i] !== b[from + i]) return false;
  return true;
}

export class DecisionTable {
  private readonly buckets: Array<Entry | undefined>;
  private readonly mask: number;
  /** entries in the order they came (a ring): the oldest is at `oldest` once the ring is full */
  private readonly order: Array<Entry | undefined>;
  private oldest = 0;
  private count = 0;
  /** the keys of short entries: the entry at order[i] has its key at i * ARENA_KEY_BYTES */
  private readonly arena: Uint8Array;

  constructor(readonly capacity: number) {
    let size = 1;
    while (size < capacity * 2) size <<= 1;
    this.buckets = new Array<Entry | undefined>(size).fill(undefined);
    this.mask = size - 1;
    this.order = new Array<Entry | undefined>(capacity).fill(undefined);
    this.arena = new Uint8Array(capacity * ARENA_KEY_BYTES);
  }

  get size(): number {
    return this.count;
  }

  /** The entry kept for the bytes b[from, to) whose bytesHash is `hash`, or undefined. */
  get(b: Buffer, from: number, to: number, hash: number): KeptDecision | undefined {
    const len = to - from;
    for (let e = this.buckets[hash & this.mask]; e !== undefined; e = e.next) {
      if (e.hash === hash && e.length === len && sameBytes(e.bytes, e.at, b, from, len)) return e;
    }
    return undefined;
  }

  /**
   * Keeps a decision for the bytes b[from, to) (copied), forgetting the oldest entry when full. The
   * bytes must not be kept already. The oldest entry's object is taken for the new one (no allocation
   * once the ring is full): what get() returned is valid until the next set().
   */
  set(b: Buffer, from: number, to: number, hash: number, decision: Decision, toolName: string, tool: ToolInfo, toolsGeneration: number): void {
    const place = this.oldest;
    let entry = this.order[place];
    if (this.count === this.capacity) this.unlink(entry!);
    else this.count++;
    const len = to - from;
    let bytes: Uint8Array = this.arena;
    let at = place * ARENA_KEY_BYTES;
    if (len <= ARENA_KEY_BYTES) for (let i = 0; i < len; i++) bytes[at + i] = b[from + i]!;
    else {
      bytes = new Uint8Array(len);
      bytes.set(b.subarray(from, to));
      at = 0;
    }
    const slot = hash & this.mask;
    if (entry === undefined) {
      entry = { decision, toolName, tool, toolsGeneration, hash, bytes, at, length: len, slot, next: this.buckets[slot] };
      this.order[place] = entry;
    } else {
      entry.decision = decision;
      entry.toolName = toolName;
      entry.tool = tool;
      entry.toolsGeneration = toolsGeneration;
      entry.hash = hash;
      entry.bytes = bytes;
      entry.at = at;
      entry.length = len;
      entry.slot = slot;
      entry.next = this.buckets[slot];
    }
    this.buckets[slot] = entry;
    this.oldest = place + 1 === this.capacity ? 0 : place + 1;
  }

  /** Forgets the entry kept for these bytes, if any (its place in the ring is taken again in its turn). */
  delete(b: Buffer, from: number, to: number, hash: number): void {
    const e = this.get(b, from, to, hash);
    if (e !== undefined) this.unlink(e as Entry);
  }

  clear(): void {
    this.buckets.fill(undefined);
    this.order.fill(undefined);
    this.oldest = 0;
    this.count = 0;
  }

  /** Takes an entry out of its bucket's chain (nothing when it is no longer there). */
  private unlink(entry: Entry): void {
    let e = this.buckets[entry.slot];
    if (e === entry) {
      this.buckets[entry.slot] = entry.next;
      return;
    }
    while (e !== undefined && e.next !== entry) e = e.next;
    if (e !== undefined) e.next = entry.next;
  }
}
