// A pool: create/open/delete a pool file, append under the writer lock, get by seq, report info.
// The only code that writes pool files (through src/format); the CLI, library and server all call this.
// Invariant: an append waits for the writer lock at most lockTimeoutMs, never in a blocking flock (write-lock.ts).
import { fs, path as nodePath } from "../platform/lazy-node.ts";
import { PlasmiteError } from "../errors.ts";
import { beginFrame, commitFrame, payloadStart, writeFrameParts, writeWrapMarker, maxPayloadBytes } from "../format/frame.ts";
import {
  PUBLISH_GEN_OFFSET,
  WAITERS_OFFSET,
  WAITERS_WORD,
  copyState,
  loadPublishGen,
  decodeGeometry,
  encodeHeader,
  isEmpty,
  planGeometry,
  publishState,
  usedBytes,
  type Geometry,
  type PoolState,
} from "../format/header.ts";
import { crc32, crc32Extend, crc32Text } from "../format/crc32.ts";
import { DEFAULT_POOL_SIZE_BYTES, HEADER_SIZE_BYTES, PAGE_SIZE_BYTES, frameLength } from "../format/limits.ts";
import { planAppend } from "../format/plan.ts";
import { makeRingView, utf8Length, type RingView } from "../format/ring.ts";
import { indexSlotRange, writeIndexSlot } from "../format/seq-index.ts";
import {
  closeFd,
  createExclusive,
  unmapAndClose,
  futexWake,
  mapFile,
  syncRange,
  unlock,
  type MappedFile,
} from "../platform/files.ts";
import { nowNs } from "./clock.ts";
import { acquireMapping, adoptMapping, checkNotShrunk, releaseMapping, retainMapping, stillLinked } from "./open-files.ts";
import { RingReader, type StoredMessage } from "./reader.ts";
import { createTempPath, removeStaleCreateTemps } from "./create-temps.ts";
import { DEFAULT_LOCK_TIMEOUT_MS, lockWithin, withWriteLock } from "./write-lock.ts";

export type Durability = "fast" | "flush";

const timeSplit64 = new BigUint64Array(1);
const timeSplit32 = new Uint32Array(timeSplit64.buffer); // [low, high] on little-endian hosts (the only ones)

/**
 * Payloads given as text around a shared envelope: payload i is `prefix + bodies[i] + suffix`, written as UTF-8
 * straight into the ring (a stream's records are never encoded into intermediate byte arrays).
 */
export interface TextPayloads {
  prefix: string;
  bodies: readonly string[];
  suffix: string;
  /** Every body is known to be ASCII: its UTF-8 length is its length. */
  ascii?: boolean;
}

/** A running Pool.watch; stop() resolves once nothing reads the mapping any more. */
export interface PoolWatch {
  stop(): Promise<void>;
}

export interface CreateOptions {
  sizeBytes?: number;
  /** Index slots; omit for automatic sizing, 0 disables the index. */
  indexCapacity?: number;
}

/** `pool info` JSON: the shape the Rust plasmite's `pool info --json` prints. */
export interface PoolInfo {
  path: string;
  file_size: number;
  index_offset: number;
  index_capacity: number;
  /** Seqs per index slot: a lookup reads one slot and walks fewer than this many frames (spec/format/v2.md §3). */
  index_stride: number;
  index_size_bytes: number;
  ring_offset: number;
  ring_size: number;
  bounds: { oldest: number | null; newest: number | null };
  metrics: {
    message_count: number;
    seq_span: number;
    utilization: { used_bytes: number; free_bytes: number; used_percent: number };
    age: { oldest_time: string | null; newest_time: string | null; oldest_age_ms: number | null; newest_age_ms: number | null };
  };
}

export class Pool {
  readonly path: string;
  readonly geometry: Geometry;
  readonly ring: RingView;
  readonly reader: RingReader;
  private file: MappedFile | null;
  /** How long an append waits for another writer's lock before failing Busy (see write-lock.ts). */
  lockTimeoutMs = DEFAULT_LOCK_TIMEOUT_MS;
  // Scratch for appends, reused so the critical section allocates nothing per message.
  private crcs = new Uint32Array(64);
  private lens = new Uint32Array(64);
  /** The envelope of the text payloads being appended, as bytes. */
  private prefixBytes = new Uint8Array(0);
  private suffixBytes = new Uint8Array(0);
  private readonly pending: number[] = [];
  private readonly planState: PoolState = { gen: 0, headOff: 0, tailOff: 0, oldestSeq: 1, newestSeq: 0, newestTimeNs: 0n };
  private readonly dropState: PoolState = { gen: 0, headOff: 0, tailOff: 0, oldestSeq: 1, newestSeq: 0, newestTimeNs: 0n };

  private constructor(path: string, file: MappedFile, geometry: Geometry) {
    this.path = path;
    this.file = file;
    this.geometry = geometry;
    this.ring = makeRingView(file.bytes, geometry.ringOffset, geometry.ringSize, file.writable);
    this.reader = this.withPath(() => new RingReader(this.ring, geometry.indexCapacity));
  }

  /** Creates a new pool file; AlreadyExists if one is there. The file appears complete or not at all. */
  static create(path: string, options: CreateOptions = {}): Pool {
    const geometry = planGeometry(options.sizeBytes ?? DEFAULT_POOL_SIZE_BYTES, options.indexCapacity);
    geometry.createdNs = nowNs();
    const { dirname } = nodePath();
    const dir = dirname(path);
    try {
      fs().mkdirSync(dir, { recursive: true });
    } catch (err) {
      throw fsError(err, dir, "create directory");
    }
    // What interrupted creates left here holds disk space this pool may need.
    removeStaleCreateTemps(dir);
    // Build it under a temporary name, then link(2) it into place: link fails if the name exists, so a
    // concurrent creator or an existing pool is never clobbered, and nobody sees a half-written header.
    const tmp = createTempPath(path);
    let fd: number;
    try {
      fd = createExclusive(tmp, geometry.fileSize);
    } catch (err) {
      // a failed allocation (ENOSPC) leaves the opened file behind; the name is this process's own
      if (!(err instanceof PlasmiteError && err.kind === "AlreadyExists")) safeUnlink(tmp);
      throw err;
    }
    let file: MappedFile | null = null;
    try {
      file = mapFile(tmp, fd, geometry.fileSize, true);
      encodeHeader(file.bytes, geometry);
      syncRange(file, 0, HEADER_SIZE_BYTES);
      try {
        fs().linkSync(tmp, path);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === "EEXIST") {
          throw new PlasmiteError("AlreadyExists", `pool already exists: ${path}`, {
            path,
            hint: "Use the existing pool, or delete it first (pls pool delete NAME).",
          });
        }
        throw fsError(err, path, "create");
      }
    } catch (err) {
      if (file) unmapAndClose(file);
      else closeFd(fd);
      safeUnlink(tmp);
      throw err;
    }
    safeUnlink(tmp);
    const registered = adoptMapping({ ...file, path });
    return new Pool(path, registered, geometry);
  }

  /** Opens an existing pool; NotFound, Permission or Corrupt (with path) otherwise. */
  static open(path: string): Pool {
    const file = acquireMapping(path);
    try {
      const geometry = decodeGeometry(file.bytes, file.size);
      return new Pool(path, file, geometry);
    } catch (err) {
      releaseMapping(file);
      throw addPath(err, path);
    }
  }

  /** Deletes a pool file (other processes keep their mapping until they close it). */
  static delete(path: string): void {
    try {
      fs().unlinkSync(path);
    } catch (err) {
      throw fsError(err, path, "delete");
    }
  }

  get writable(): boolean {
    return this.mapped().writable;
  }

  /** The published state right now. */
  state(): PoolState {
    return this.withPath(() => {
      this.checkSizeOncePerJob();
      return this.reader.state();
    });
  }

  /**
   * Throws Corrupt (with the path) once the pool file is shorter than this process's mapping of it, i.e. it was
   * truncated while open: reading or writing past its new end would kill the process (SIGBUS). One lseek: made
   * under the writer lock before each append, after every wait and every few thousand reads of a cursor.
   */
  checkSize(): void {
    checkNotShrunk(this.mapped());
  }

  /**
   * checkSize, at most once per job (the synchronous run between two awaits): reads in a row (get, state, a
   * cursor's next) share one check, and any read after an await checks again. Code that blocks the thread
   * between reads (a lock wait, a sleep) calls checkSize itself.
   */
  checkSizeOncePerJob(): void {
    if (this.sizeCheckedThisJob) return;
    this.checkSize();
    this.sizeCheckedThisJob = true;
    queueMicrotask(this.endOfJob);
  }

  private sizeCheckedThisJob = false;
  private readonly endOfJob = () => {
    this.sizeCheckedThisJob = false;
  };

  /** Appends one message (already-checked payload bytes); returns its seq. */
  appendPayload(payload: Uint8Array, durability: Durability = "fast"): number {
    return this.appendPayloads([payload], durability);
  }

  /**
   * Appends payloads under one lock acquisition, each with its own seq and timestamp. Returns the first seq.
   * `times`, if given, receives each message's timestamp as two numbers (high and low 32 bits, see formatTimeParts).
   * Every payload is checked before the lock is taken: a rejected batch changes nothing.
   */
  appendPayloads(payloads: readonly Uint8Array[] | TextPayloads, durability: Durability = "fast", times?: number[]): number {
    return this.appendWith(payloads, durability, times, false);
  }

  /**
   * appendPayloads for a process whose event loop must never block (the server): waits for the writer lock on
   * timers, not in a system call, and appends in call order (see withWriteLock). Busy after lockTimeoutMs.
   */
  appendPayloadsAsync(payloads: readonly Uint8Array[] | TextPayloads, durability: Durability = "fast", times?: number[]): Promise<number> {
    const file = this.mapped();
    return withWriteLock(file, this.lockTimeoutMs, () => this.appendWith(payloads, durability, times, true));
  }

  private appendWith(payloads: readonly Uint8Array[] | TextPayloads, durability: Durability, times: number[] | undefined, lockHeld: boolean): number {
    const file = this.mapped();
    if (!file.writable) {
      throw new PlasmiteError("Permission", `pool is read-only for this user: ${this.path}`, {
        path: this.path,
        hint: "Check the pool file's owner and mode.",
      });
    }
    const maxPayload = maxPayloadBytes(this.geometry.ringSize);
    // A few text payloads (a one-shot poke) are encoded instead: the first use of Buffer and of Bun's native
    // crc32 costs more start-up than the text path saves on one message.
    if (isTextPayloads(payloads) && payloads.bodies.length <= SMALL_TEXT_BATCH) payloads = encodeTexts(payloads);
    const text = isTextPayloads(payloads) ? payloads : null;
    const n = text ? text.bodies.length : (payloads as readonly Uint8Array[]).length;
    if (this.crcs.length < n) {
      this.crcs = new Uint32Array(Math.max(n, this.crcs.length * 2));
      this.lens = new Uint32Array(this.crcs.length);
    }
    // Lengths and checksums are computed before the lock so the critical section stays short.
    if (text) {
      // the envelope around each body is copied from bytes, its crc extended in JS (a native call per piece
      // would cost more than the few bytes do)
      textEncoder ??= new TextEncoder();
      this.prefixBytes = textEncoder.encode(text.prefix);
      this.suffixBytes = textEncoder.encode(text.suffix);
      const around = this.prefixBytes.length + this.suffixBytes.length;
      const prefixCrc = crc32(this.prefixBytes);
      for (let i = 0; i < n; i++) {
        const body = text.bodies[i];
        this.lens[i] = around + (text.ascii ? body.length : utf8Length(body));
        this.crcs[i] = crc32Extend(crc32Text(body, prefixCrc), this.suffixBytes);
      }
    } else {
      for (let i = 0; i < n; i++) {
        const p = (payloads as readonly Uint8Array[])[i];
        this.lens[i] = p.length;
        this.crcs[i] = crc32(p);
      }
    }
    for (let i = 0; i < n; i++) {
      if (this.lens[i] > maxPayload) {
        throw new PlasmiteError("Usage", `message is ${this.lens[i]} bytes; this pool takes at most ${maxPayload}`, {
          path: this.path,
          hint: "Create a larger pool (pool create --size) or send a smaller message.",
        });
      }
    }
    if (n === 0) return this.state().newestSeq + 1;
    if (!lockHeld) lockWithin(file, this.lockTimeoutMs);
    try {
      return this.appendLocked(payloads, durability, times);
    } catch (err) {
      throw addPath(err, this.path);
    } finally {
      if (!lockHeld) unlock(file);
    }
  }

  private appendLocked(payloads: readonly Uint8Array[] | TextPayloads, durability: Durability, times?: number[]): number {
    this.checkSize();
    const ring = this.ring;
    const indexCapacity = this.geometry.indexCapacity;
    const indexStride = this.geometry.indexStride;
    // The reader's cached state is exact while publish_gen is unchanged (spec §2.3); copy it to plan on.
    const s = this.planState;
    copyState(s, this.reader.state());
    const firstSeq = s.newestSeq + 1;
    const pending = this.pending;
    const text = isTextPayloads(payloads) ? payloads : null;
    const total = text ? text.bodies.length : (payloads as readonly Uint8Array[]).length;
    const prefixBytes = this.prefixBytes.length;
    const suffixBytes = this.suffixBytes.length;
    const dirtyPages = durability === "flush" ? new Set<number>() : null;
    let i = 0;
    while (i < total) {
      // Plan a chunk: every message until one would drop a frame of this chunk (not yet in the ring).
      const baseGen = s.gen;
      const baseHead = s.headOff;
      const baseOldest = s.oldestSeq;
      const baseNewest = s.newestSeq;
      const baseTime = s.newestTimeNs;
      let count = 0;
      for (; i < total; i++) {
        const head = s.headOff, tail = s.tailOff, oldest = s.oldestSeq, newest = s.newestSeq;
        const placement = planAppend(ring, s, frameLength(this.lens[i]), baseNewest + 1, count > 0 ? pending[0] : -1);
        if (!placement) {
          s.headOff = head;
          s.tailOff = tail;
          s.oldestSeq = oldest;
          s.newestSeq = newest;
          break;
        }
        pending[count * 2] = placement.offset;
        pending[count * 2 + 1] = placement.wrapAt;
        count++;
      }
      if (count === 0) throw new PlasmiteError("Internal", "planner made no progress");
      let timeNs = nowNs();
      if (timeNs <= baseTime) timeNs = baseTime + 1n;
      // Drops are published before any dropped byte is overwritten (spec §7 step 3).
      let gen = baseGen;
      if (s.oldestSeq > baseOldest) {
        gen = (gen + 1) >>> 0;
        const allDropped = s.oldestSeq > baseNewest;
        const drop = this.dropState;
        drop.gen = gen;
        drop.headOff = baseHead;
        drop.tailOff = allDropped ? baseHead : s.tailOff;
        drop.oldestSeq = s.oldestSeq;
        drop.newestSeq = baseNewest;
        drop.newestTimeNs = baseTime;
        publishState(ring, drop);
      }
      const firstIndex = i - count;
      // split through a typed array: the shift and mask would each allocate a BigInt
      timeSplit64[0] = timeNs;
      const timeHi = timeSplit32[1];
      const timeLo = timeSplit32[0];
      for (let k = 0; k < count; k++) {
        const offset = pending[k * 2];
        const wrapAt = pending[k * 2 + 1];
        const seq = baseNewest + 1 + k;
        if (wrapAt >= 0) writeWrapMarker(ring, wrapAt);
        const lo = timeLo + k; // timestamps of a chunk are consecutive nanoseconds
        const hi = lo > 0xffffffff ? timeHi + 1 : timeHi;
        const payloadLen = this.lens[firstIndex + k];
        let len: number;
        if (text) {
          writeTextFrame(ring, offset, this.prefixBytes, text.bodies[firstIndex + k], payloadLen - prefixBytes - suffixBytes, this.suffixBytes);
          len = commitFrame(ring, offset, seq, hi, lo >>> 0, payloadLen, this.crcs[firstIndex + k]);
        } else {
          len = writeFrameParts(ring, offset, seq, hi, lo >>> 0, (payloads as readonly Uint8Array[])[firstIndex + k], this.crcs[firstIndex + k]);
        }
        if (times) times.push(hi, lo >>> 0);
        const indexed = indexStride > 0 && seq % indexStride === 0;
        if (indexed) writeIndexSlot(ring, indexCapacity, indexStride, seq, offset);
        if (dirtyPages) {
          markPages(dirtyPages, ring.ringOffset + offset, len);
          if (wrapAt >= 0) markPages(dirtyPages, ring.ringOffset + wrapAt, 4);
          if (indexed) markPages(dirtyPages, ...indexSlotRange(indexCapacity, indexStride, seq));
        }
      }
      s.newestTimeNs = count === 1 ? timeNs : timeNs + BigInt(count - 1);
      s.gen = (gen + 1) >>> 0;
      publishState(ring, s);
      this.reader.adopt(s);
      if (Atomics.load(ring.words, WAITERS_WORD) !== 0) futexWake(this.mapped(), PUBLISH_GEN_OFFSET);
    }
    if (dirtyPages) {
      dirtyPages.add(0);
      for (const [start, len] of pageRuns(dirtyPages)) syncRange(this.mapped(), start, len);
    }
    return firstSeq;
  }

  /** The message with `seq`; NotFound (carrying the seq) when it is not retained. */
  get(seq: number): StoredMessage {
    return this.withPath(() => {
      this.checkSizeOncePerJob();
      const r = this.reader;
      const out = { nextOff: 0 };
      for (let attempt = 0; attempt < 1000; attempt++) {
        const s = r.state();
        if (!Number.isSafeInteger(seq) || seq < s.oldestSeq || seq > s.newestSeq) throw notRetained(seq, s, this.path);
        const off = r.locate(seq, s);
        if (off === -2) throw corruptAt(r.corruptOffset, seq, `frame for retained seq ${seq} is missing or damaged`);
        if (off === -1) {
          r.refresh();
          continue;
        }
        const msg = r.readAt(off, seq, s, out);
        if (msg) return msg;
        r.refresh();
      }
      throw new PlasmiteError("Busy", `seq ${seq} kept moving while being read`, { seq });
    });
  }

  info(): PoolInfo {
    const s = this.state();
    const g = this.geometry;
    const empty = isEmpty(s);
    const used = usedBytes(s, g.ringSize);
    const now = nowNs();
    const oldestTime = empty ? null : this.timeOf(s.oldestSeq);
    const newestTime = empty ? null : s.newestTimeNs;
    const count = empty ? 0 : s.newestSeq - s.oldestSeq + 1;
    return {
      path: this.path,
      file_size: g.fileSize,
      index_offset: g.indexOffset,
      index_capacity: g.indexCapacity,
      index_stride: g.indexStride,
      index_size_bytes: g.indexCapacity * 8,
      ring_offset: g.ringOffset,
      ring_size: g.ringSize,
      bounds: { oldest: empty ? null : s.oldestSeq, newest: empty ? null : s.newestSeq },
      metrics: {
        message_count: count,
        seq_span: count,
        utilization: { used_bytes: used, free_bytes: g.ringSize - used, used_percent: Math.floor((used * 10000) / g.ringSize) / 100 },
        age: {
          oldest_time: oldestTime === null ? null : formatTime(oldestTime),
          newest_time: newestTime === null ? null : formatTime(newestTime),
          oldest_age_ms: oldestTime === null ? null : Math.max(0, Number((now - oldestTime) / 1_000_000n)),
          newest_age_ms: newestTime === null ? null : Math.max(0, Number((now - newestTime) / 1_000_000n)),
        },
      },
    };
  }

  private timeOf(seq: number): bigint | null {
    try {
      return this.get(seq).timeNs;
    } catch (err) {
      if (err instanceof PlasmiteError && err.kind === "NotFound") return null;
      throw err;
    }
  }

  /** The publish generation: it changes whenever a writer publishes (see spec/format/v1.md §2.2). */
  generation(): number {
    this.withPath(() => this.checkSizeOncePerJob());
    return loadPublishGen(this.ring);
  }

  /**
   * Calls `onChange` whenever a writer publishes, from a worker sleeping on the publish word (the event loop never
   * blocks). The watch holds its own share of the mapping until stopped, so the pool may be closed meanwhile.
   */
  watch(onChange: () => void): PoolWatch {
    const file = retainMapping(this.mapped());
    // required here: only followers and the server watch, and the worker's source is a chunk of its own
    const { watchWord } = require("../platform/futex-watcher.ts") as typeof import("../platform/futex-watcher.ts");
    const word = watchWord(file, PUBLISH_GEN_OFFSET, WAITERS_OFFSET, onChange);
    return {
      async stop() {
        await word.stop();
        releaseMapping(file);
      },
    };
  }

  /**
   * Keeps this pool's mapping alive until the returned release runs, even if every handle is closed meanwhile
   * (a long-lived reader such as a server stream must never read an unmapped file).
   */
  retain(): () => void {
    const file = retainMapping(this.mapped());
    let released = false;
    return () => {
      if (released) return;
      released = true;
      releaseMapping(file);
    };
  }

  /** Identity of the mapped file (two handles on one file share it). */
  get mappingKey(): object {
    return this.mapped();
  }

  /** False once the pool file was deleted or replaced since this process opened it. */
  stillLinked(): boolean {
    return this.file !== null && stillLinked(this.file, this.path);
  }

  /** Releases this handle's share of the process-wide mapping. */
  close(): void {
    if (this.file) releaseMapping(this.file);
    this.file = null;
  }

  /** @internal the mapping, for the cursor's waits. */
  mapped(): MappedFile {
    if (!this.file) throw new PlasmiteError("Usage", `pool handle is closed: ${this.path}`, { path: this.path });
    return this.file;
  }

  /** Runs `fn`, adding this pool's path to any PlasmiteError that lacks one. */
  withPath<T>(fn: () => T): T {
    try {
      return fn();
    } catch (err) {
      throw addPath(err, this.path);
    }
  }
}

/** Writes a text payload into a new frame (kept out of appendLocked: JSC compiles the smaller loops better). */
function writeTextFrame(ring: RingView, offset: number, prefix: Uint8Array, body: string, bodyBytes: number, suffix: Uint8Array): void {
  beginFrame(ring, offset);
  const bytes = ring.bytes;
  const at = payloadStart(ring, offset);
  for (let k = 0; k < prefix.length; k++) bytes[at + k] = prefix[k];
  ring.writeText(body, at + prefix.length, bodyBytes);
  const end = at + prefix.length + bodyBytes;
  for (let k = 0; k < suffix.length; k++) bytes[end + k] = suffix[k];
}

const SMALL_TEXT_BATCH = 4;
let textEncoder: TextEncoder | null = null;

function encodeTexts(t: TextPayloads): Uint8Array[] {
  textEncoder ??= new TextEncoder();
  const out = new Array<Uint8Array>(t.bodies.length);
  for (let i = 0; i < out.length; i++) out[i] = textEncoder.encode(t.prefix + t.bodies[i] + t.suffix);
  return out;
}

function isTextPayloads(p: readonly Uint8Array[] | TextPayloads): p is TextPayloads {
  return !Array.isArray(p);
}

/** RFC 3339 UTC with nanoseconds, trailing zeros trimmed: 2026-11-27T16:31:43.123456789Z. */
export function formatTime(ns: bigint): string {
  return formatTimeParts(Number(ns >> 32n), Number(ns & 0xffffffffn));
}

/**
 * formatTime for a timestamp given as its high and low 32 bits, in exact double arithmetic (no BigInt): peek and
 * tail streams format one per message. hi·2^32 + lo = hi·4·10^9 + h1·(19330·10^9 + 976710656) + h0·294967296 + lo
 * where hi = h1·2^16 + h0; every term stays below 2^53.
 */
export function formatTimeParts(hi: number, lo: number): string {
  const h1 = Math.floor(hi / 65536);
  const h0 = hi % 65536;
  const rest = h1 * 976710656 + h0 * 294967296 + lo;
  const secs = hi * 4 + h1 * 19330 + Math.floor(rest / 1e9);
  const nanos = rest % 1e9;
  // Messages arrive in bursts within one second: cache that second's prefix (toISOString is the slow part).
  if (secs !== cachedSecond) {
    cachedSecond = secs;
    cachedPrefix = new Date(secs * 1000).toISOString().slice(0, 19);
  }
  if (nanos === 0) return `${cachedPrefix}Z`;
  const digits = String(nanos);
  let frac = "000000000".slice(digits.length) + digits; // padStart is a JS builtin: ~10 µs on first use
  while (frac.endsWith("0")) frac = frac.slice(0, -1);
  return `${cachedPrefix}.${frac}Z`;
}

let cachedSecond = -1;
let cachedPrefix = "";

function notRetained(seq: number, s: PoolState, path: string): PlasmiteError {
  const range = isEmpty(s) ? "the pool is empty" : `retained seqs are ${s.oldestSeq}..${s.newestSeq}`;
  return new PlasmiteError("NotFound", `message ${seq} not found (${range})`, { seq, path });
}

function corruptAt(offset: number, seq: number, message: string): PlasmiteError {
  return new PlasmiteError("Corrupt", message, { offset, seq, hint: "Run `pls doctor POOL` for details." });
}

function addPath(err: unknown, path: string): unknown {
  if (err instanceof PlasmiteError && err.path === undefined) {
    return new PlasmiteError(err.kind, err.message, { hint: err.hint, path, seq: err.seq, offset: err.offset, cause: err.cause });
  }
  return err;
}

function fsError(err: unknown, path: string, what: string): PlasmiteError {
  const code = (err as NodeJS.ErrnoException).code;
  const message = `${what} failed for ${path}: ${(err as Error).message}`;
  if (code === "ENOENT") return new PlasmiteError("NotFound", `pool not found: ${path}`, { path });
  if (code === "EACCES" || code === "EPERM" || code === "EROFS") return new PlasmiteError("Permission", message, { path });
  if (code === "EEXIST") return new PlasmiteError("AlreadyExists", message, { path });
  return new PlasmiteError("Io", message, { path });
}

function safeUnlink(path: string): void {
  try {
    fs().unlinkSync(path);
  } catch {
    // already gone
  }
}

function markPages(pages: Set<number>, start: number, length: number): void {
  for (let p = Math.floor(start / PAGE_SIZE_BYTES); p * PAGE_SIZE_BYTES < start + length; p++) pages.add(p);
}

function pageRuns(pages: Set<number>): Array<[number, number]> {
  const sorted = [...pages].sort((a, b) => a - b);
  const runs: Array<[number, number]> = [];
  for (const p of sorted) {
    const last = runs[runs.length - 1];
    if (last && last[0] + last[1] === p * PAGE_SIZE_BYTES) last[1] += PAGE_SIZE_BYTES;
    else runs.push([p * PAGE_SIZE_BYTES, PAGE_SIZE_BYTES]);
  }
  return runs;
}
