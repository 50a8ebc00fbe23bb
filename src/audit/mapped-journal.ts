/**
 * The mapped journal segment: a preallocated file mapped shared into memory through our native
 * addon (native/journal_map.c), so that appending a record is a copy into memory, with no system
 * call on the call path. A store into a MAP_SHARED mapping is in the kernel's page cache at once and
 * survives SIGKILL of the process just as a completed write() does.
 *
 * Segment layout: a 64-byte header, then the lines. The header holds MAGIC and, at byte 16, the
 * number of line bytes written (uint32, little-endian), stored after a batch's bytes are copied.
 * A reader takes exactly those bytes: a batch torn by the process dying while copying it is beyond
 * that count, and dropped; its callers had not answered (append() had not returned). A line never
 * straddles segments: a batch that does not fit starts a new segment, sized for it if need be.
 *
 * When the addon is missing or cannot load, or the platform is not Linux (little-endian), the
 * journal falls back to one write() per batch (spool.ts), and says so once in the log.
 */
import { createRequire } from 'node:module';
import { endianness } from 'node:os';

/** The native addon's interface (native/journal_map.c). */
export interface JournalAddon {
  /** Creates `path` (exclusive, 0600), allocates `bytes` for it and maps it shared, read-write. */
  map(path: string, bytes: number): ArrayBuffer;
  /**
   * Faults pages of [offset, offset + length) in for writing, on a thread of Node's pool (the
   * mapping stays mapped until that is done); false when the kernel cannot.
   */
  prefault(buffer: ArrayBuffer, offset: number, length: number): boolean;
  /**
   * Creates `path` as map() does, the size of `buffer`'s mapping, and puts it in place of the file
   * mapped in `buffer`'s memory (atomic: on a failure, thrown, the previous file stays mapped). The
   * buffer is not detached. Absent from addons built before it (then segments are unmapped and mapped anew).
   */
  remap?(buffer: ArrayBuffer, path: string): void;
  /** Detaches the buffer (every view becomes empty) and unmaps it. */
  unmap(buffer: ArrayBuffer): void;
  /**
   * Opens `path` (created 0600 if missing, unless `create` is false: then a missing file throws
   * ENOENT; addons built before probe() ignore it and create) and takes an exclusive flock on it
   * without waiting: a handle, or null when another open file (another process) holds it. Absent
   * in addons built before it existed.
   */
  lock?(path: string, create?: boolean): JournalLock | null;
  /**
   * Whether `path`'s flock is held, without creating the file or holding it past the call:
   * "held" (exclusively: a writer, an importer), "free" (not held, or only by other probes) or
   * "missing". Absent in addons built before it existed.
   */
  probe?(path: string): 'missing' | 'held' | 'free';
  /** Releases a lock (closes its file). */
  unlock?(handle: JournalLock): void;
  /**
   * The raw path's request check (native/raw_check.c): distinctKeysToolCallRawSafe of a compact
   * tools/call line with the names compiled by RawNameScan.nativeTable. Absent in addons built
   * before it (the scan in JavaScript then runs).
   */
  rawRequest?(names: Uint8Array, b: Uint8Array, start: number, end: number, from: number, seen: number): number;
  /**
   * The raw path's answer check and journal copy in one call (native/raw_check.c): the end of the
   * line written into `segment` at `at`, or a code (RAW_VERDICT). Absent in addons built before it.
   */
  rawAnswer?(
    names: Uint8Array,
    answer: Uint8Array,
    answerStart: number,
    answerEnd: number,
    segment: Uint8Array,
    at: number,
    request: Uint8Array,
    requestStart: number,
    requestEnd: number,
    head: Uint8Array,
    seq: number,
    time: number,
    backendMicros: number,
  ): number;
  readonly pageBytes: number;
}

/** A held journal lock (an opaque handle of the addon). */
export type JournalLock = object & { readonly __journalLock?: never };

/** The first 16 bytes of a mapped segment. Lines written with write() start with a digit. */
export const MAGIC = Buffer.from('warden-journal1\n', 'latin1');
/** Byte offset of the uint32 count of line bytes. */
const USED_AT = 16;
/** Where the lines start. */
export const DATA_AT = 64;

/** Where `npm ci` / `npm run build:native` puts the addon, from src/audit/ and dist/audit/ alike. */
const ADDON_PATH = '../../native/build/Release/warden_journal.node';

let loaded: { addon?: JournalAddon; reason?: string } | undefined;
/** False once the kernel refused MADV_POPULATE_WRITE: pages are then faulted in by a store each. */
let prefaultByKernel = true;

/**
 * Detaches a one-byte ArrayBuffer (transferred to a clone that is dropped). The first detach in a
 * process makes V8 drop every optimized function that read typed arrays assuming that no buffer is
 * ever detached, and optimize them again, with a detach check on each typed array access from then
 * on (measured: the proxy's byte scans 5-35% slower). Segments are moved to their next file in
 * place (MappedSegment.reuse: no detach ever); with an addon built before remap() existed, a
 * rotation unmaps the segment, which detaches it: this is then done when the addon loads, so that
 * the first rotation (about 10,000 calls into a session) does not send the whole call path back to
 * the interpreter while calls are being served (~30 functions at once, ~0.5 s of slower calls).
 */
function detachOneBuffer(): void {
  const buffer = new ArrayBuffer(1);
  structuredClone(buffer, { transfer: [buffer] });
}

/** The addon, or why the journal cannot be mapped on this host (loaded once per process). */
export function journalAddon(): { addon?: JournalAddon; reason?: string } {
  if (loaded !== undefined) return loaded;
  if (process.platform !== 'linux') loaded = { reason: `the mapped journal is for Linux (this is ${process.platform})` };
  else if (endianness() !== 'LE') loaded = { reason: 'the mapped journal is for little-endian hosts' };
  else {
    try {
      const addon = createRequire(import.meta.url)(ADDON_PATH) as JournalAddon;
      // Segments are unmapped (detached) at each rotation unless the addon can remap them in place.
      if (typeof addon.remap !== 'function') detachOneBuffer();
      loaded = { addon };
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      loaded = {
        reason:
          code === 'MODULE_NOT_FOUND'
            ? 'its native addon is not built (npm ci builds it; or npm run build:native)'
            : `its native addon did not load: ${(err as Error).message.split('\n')[0]}`,
      };
    }
  }
  return loaded;
}

/**
 * Filesystems (statfs f_type) on which a store into a preallocated, mapped segment may still need
 * new space and fail with SIGBUS when the disk is full (copy-on-write: zfs, btrfs, bcachefs), or
 * whose page cache is not the file's truth (network and FUSE filesystems). The journal is not
 * mapped there: one write() per batch instead, which fails with an error the proxy reports.
 */
const UNSAFE_FOR_MAPPING = new Map<number, string>([
  [0x2fc12fc1, 'zfs'],
  [0x9123683e, 'btrfs'],
  [0xca451a4e, 'bcachefs'],
  [0x6969, 'nfs'],
  [0x65735546, 'fuse'],
  [0xff534d42, 'cifs'],
  [0xfe534d42, 'smb2'],
  [0x00c36400, 'ceph'],
]);

/** Why a journal in a directory on a filesystem of this statfs type must not be mapped, or undefined. */
export function unsafeForMapping(fsType: number): string | undefined {
  const name = UNSAFE_FOR_MAPPING.get(fsType);
  return name === undefined
    ? undefined
    : `the journal's filesystem is ${name}: a store into a mapped segment could fail with SIGBUS (copy-on-write, network or FUSE)`;
}

/** The lines of a mapped segment's file contents (`data` starts with MAGIC): its counted bytes. */
export function mappedLines(data: Buffer): string {
  const used = Math.min(data.readUInt32LE(USED_AT), data.length - DATA_AT);
  // The count only ever ends a batch; cutting at its last newline is a guard, never a loss.
  const end = data.lastIndexOf(0x0a, DATA_AT + used - 1) + 1;
  return end > DATA_AT ? data.toString('utf8', DATA_AT, end) : '';
}

/** One mapped segment of this process's journal, open for appending. */
export class MappedSegment {
  lastSeq = 0;
  /** Line bytes written. */
  private used = 0;
  /** Bytes from the start already faulted in for writing (prefault()). */
  private faulted = 0;
  /**
   * How far ahead the last prefault() reached (0: never asked). Once the lines come within half of
   * it of the faulted end, commit() asks for the next stretch itself: at 16 calls in flight a
   * prefault asked only when the writer commits (under SCHED_IDLE, late when the cores are busy)
   * fell behind, and this thread took the page faults (~0.1 per call) on the call path.
   */
  private ahead = 0;
  private readonly buffer: ArrayBuffer;
  /** The whole segment, header included (lines are written at room() and counted by commit()). */
  readonly bytes: Buffer;
  /** Line bytes already handed out by take(). */
  private taken = 0;
  private readonly words: Uint32Array;
  private readonly capacity: number;

  /** Creates `file` with room for at least `minLineBytes` (throws on a full disk, as write() would). */
  constructor(
    private readonly addon: JournalAddon,
    public file: string,
    segmentBytes: number,
    minLineBytes = 0,
  ) {
    const page = addon.pageBytes;
    const size = Math.ceil(Math.max(segmentBytes, DATA_AT + minLineBytes) / page) * page;
    this.buffer = addon.map(file, size);
    this.bytes = Buffer.from(this.buffer);
    this.words = new Uint32Array(this.buffer, 0, DATA_AT / 4);
    this.capacity = size;
    MAGIC.copy(this.bytes, 0);
  }

  /** Bytes of lines in the segment. */
  get size(): number {
    return this.used;
  }

  /** True once three quarters are used: time to start the next segment (off the call path). */
  get nearlyFull(): boolean {
    return DATA_AT + this.used >= (this.capacity * 3) / 4;
  }

  /**
   * Copies `lines` (whole lines, each ending in "\n") after the last ones and counts them; false
   * (nothing counted, nothing left behind) when they do not fit.
   */
  append(lines: string): boolean {
    const at = DATA_AT + this.used;
    const room = this.capacity - at;
    if (room < lines.length) return false; // each UTF-16 unit takes at least one byte
    const written = this.bytes.write(lines, at);
    // write() stops early only when the next character does not fit (4 bytes at most).
    if (room - written < 4 && written !== Buffer.byteLength(lines)) {
      this.bytes.fill(0, at, at + written);
      return false;
    }
    this.commit(at + written);
    return true;
  }

  /**
   * Where `bytes` more bytes of lines may be written into `this.bytes` (the caller then counts them
   * with commit()), or -1 when they do not fit.
   */
  room(bytes: number): number {
    const at = DATA_AT + this.used;
    return this.capacity - at >= bytes ? at : -1;
  }

  /** Counts the lines written from room()'s offset up to `end` (whole lines, each ending in "\n"). */
  commit(end: number): void {
    this.used = end - DATA_AT;
    this.words[USED_AT / 4] = this.used;
    // Only where the kernel faults pages in on a pool thread: the fallback's page stores would
    // land on the call path (they stay with the prefaults asked from outside, between calls).
    if (end + (this.ahead >> 1) > this.faulted && this.ahead !== 0 && prefaultByKernel) {
      // The lines are counted: nothing may throw from here on. A caller that saw a throw would take
      // them for not journaled (Spool.append/appendRaw: the call is refused and its sequence number
      // used again, so the journal would hold two lines of one number). A prefault that cannot be
      // queued (no memory for it) only costs page faults later: it is asked again at the next
      // prefault() from outside (Spool: rotation, commit).
      try {
        this.prefault(this.ahead);
      } catch {
        this.ahead = 0;
      }
    }
  }

  /** The text of the lines appended since the last take(). */
  take(): string {
    const from = this.taken;
    this.taken = this.used;
    return from === this.used ? '' : this.bytes.toString('utf8', DATA_AT + from, DATA_AT + this.used);
  }

  /**
   * Where in the segment's file the lines appended since the last take() are: byte offsets
   * [from, to). Nothing is copied: the writer thread reads them from the file (the same pages of
   * the page cache this mapping writes; the file stays until its lines are committed).
   */
  takeRange(): { from: number; to: number } {
    const from = DATA_AT + this.taken;
    this.taken = this.used;
    return { from, to: DATA_AT + this.used };
  }

  /**
   * Faults in, for writing, the pages up to `ahead` bytes past the lines (those not faulted in
   * yet), so that appends copy into memory without taking a page fault on the call path. The
   * kernel does it on a pool thread (a page costs it several µs); without MADV_POPULATE_WRITE, a
   * store per page here.
   */
  prefault(ahead: number): void {
    this.ahead = ahead;
    const from = Math.max(this.faulted, DATA_AT + this.used);
    const to = Math.min(this.capacity, DATA_AT + this.used + ahead);
    if (to <= from) return;
    if (!prefaultByKernel || !this.addon.prefault(this.buffer, from, to - from)) {
      // No MADV_POPULATE_WRITE (Linux before 5.14): a store of the zero already there per page.
      prefaultByKernel = false;
      const page = this.addon.pageBytes;
      for (let at = Math.ceil(from / page) * page; at < to; at += page) this.bytes[at] = 0;
    }
    this.faulted = to;
  }

  /**
   * Whether reuse() can start the next segment in this one's memory: the addon can remap, and a
   * segment of the usual size (this one's) has room for `minLineBytes`.
   */
  canReuse(segmentBytes: number, minLineBytes: number): boolean {
    const page = this.addon.pageBytes;
    return typeof this.addon.remap === 'function' && this.capacity === Math.ceil(segmentBytes / page) * page && DATA_AT + minLineBytes <= this.capacity;
  }

  /**
   * Makes this segment the next one, `file` (created and allocated like the first), in the same
   * memory: the previous file keeps its lines, and no buffer is detached (see detachOneBuffer).
   * The caller has taken the lines not yet taken (take()). Throws, with nothing changed, when the
   * file cannot be made (disk full).
   */
  reuse(file: string): void {
    this.addon.remap!(this.buffer, file);
    this.file = file;
    this.lastSeq = 0;
    this.used = 0;
    this.taken = 0;
    this.faulted = 0;
    MAGIC.copy(this.bytes, 0);
  }

  /** Unmaps the segment (the file keeps its lines until it is deleted). */
  close(): void {
    this.addon.unmap(this.buffer);
  }
}
