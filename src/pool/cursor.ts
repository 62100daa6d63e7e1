// A lock-free cursor over one pool: start anywhere, read in seq order, report drops instead of skipping, and
// wait for new messages (futex wake-up plus bounded polling: correctness never depends on the wake-up).
import { PlasmiteError } from "../errors.ts";
import { PUBLISH_GEN_OFFSET, WAITERS_WORD, loadPublishGen, type PoolState } from "../format/header.ts";
import { WAIT_SLICE_MAX_US, futexAvailable, futexWait } from "../platform/files.ts";
import type { Pool } from "./pool.ts";
import { noteMessages } from "./gc-pacer.ts";
import { PayloadArena, type RingReader, type StoredMessage } from "./reader.ts";

/** Where a cursor starts. */
export type CursorStart =
  | { oldest: true }
  /** The live edge: only messages appended after the cursor was made. */
  | { newest: true }
  | { seq: number }
  /** The first message with time >= this (Unix nanoseconds). */
  | { timeNs: bigint }
  /** The last N retained messages, then live. */
  | { last: number };

/** Messages `fromSeq..toSeq` were overwritten before this cursor read them. */
export interface Drop {
  fromSeq: number;
  toSeq: number;
  count: number;
}

export type CursorItem = { message: StoredMessage; drop?: undefined } | { drop: Drop; message?: undefined };

// Polling backoff while waiting: starts short, doubles, capped (used with and without futex).
const POLL_MIN_US = 50;
const POLL_MAX_US = WAIT_SLICE_MAX_US;
/**
 * Reads between two checks that the file was not truncated (Pool.checkSize) within one synchronous run; a read
 * after an await, a wait or an empty read checks anyway.
 */
const SIZE_CHECK_EVERY_MESSAGES = 4096;

export class Cursor {
  private readonly pool: Pool;
  private readonly reader: RingReader;
  /** Next seq this cursor will return. */
  nextSeq: number;
  /** Ring offset where nextSeq is expected, or -1 when it must be located. */
  private nextOff: number;
  private readonly out = { nextOff: 0 };
  /** Reads left before the next Pool.checkSize; 0 after the cursor found nothing (the next read follows a wait). */
  private readsBeforeSizeCheck = 0;

  constructor(pool: Pool, start: CursorStart = { newest: true }) {
    this.pool = pool;
    this.reader = pool.reader;
    const s = pool.state();
    this.nextOff = -1;
    if ("oldest" in start) this.nextSeq = s.oldestSeq;
    else if ("newest" in start) {
      this.nextSeq = s.newestSeq + 1;
      this.nextOff = s.headOff;
    } else if ("seq" in start) this.nextSeq = Math.max(1, Math.floor(start.seq));
    else if ("last" in start) this.nextSeq = Math.max(s.oldestSeq, s.newestSeq - Math.max(0, Math.floor(start.last)) + 1);
    else this.nextSeq = this.firstAtOrAfter(start.timeNs);
    if (this.nextSeq === s.oldestSeq && this.nextSeq <= s.newestSeq) this.nextOff = s.tailOff;
  }

  /** Payloads are carved from shared blocks (see PayloadArena) once `sharePayloadBlocks` was called. */
  private arena: PayloadArena | null = null;

  /**
   * Copies payloads into shared blocks instead of one buffer each: for readers that copy every message out
   * batch by batch (peek, server streams), whose memory then stays flat over millions of messages. With
   * `reuse`, releasePayloads() hands the blocks back for the next reads (see PayloadArena).
   */
  sharePayloadBlocks(reuse = false): this {
    this.arena = new PayloadArena(reuse);
    return this;
  }

  /**
   * The caller is done with every message read so far: with sharePayloadBlocks(true), their payloads are
   * overwritten by the next reads. Otherwise nothing happens.
   */
  releasePayloads(): void {
    this.arena?.release();
  }

  private pacing = false;

  /**
   * Adds full collections to the young ones every cursor's reads pace (see gc-pacer.ts): for a process that
   * streams millions of messages for hours (peek, a server's tails), whose memory then stays bounded by a batch.
   */
  paceCollection(): this {
    this.pacing = true;
    return this;
  }

  /** Moves the cursor to `seq` (located on the next read through the index: no scan at any pool size). */
  seek(seq: number): void {
    this.nextSeq = Math.max(1, Math.floor(seq));
    this.nextOff = -1;
  }

  /** The next message or drop, or null when nothing newer is published yet. Never blocks. */
  next(): CursorItem | null {
    return this.pool.withPath(() => {
      if (--this.readsBeforeSizeCheck < 0) {
        this.pool.checkSize();
        this.readsBeforeSizeCheck = SIZE_CHECK_EVERY_MESSAGES;
      } else this.pool.checkSizeOncePerJob();
      const item = this.nextUnchecked();
      if (item === null) this.readsBeforeSizeCheck = 0;
      else noteMessages(1, this.pacing);
      return item;
    });
  }

  /**
   * Appends up to `max` messages with seqs up to `untilSeq` to `into`, in order: what next() would return one by
   * one, read in runs of frames where payloads go to shared blocks (RingReader.readRun). Stops early at a drop
   * (returned; the cursor is then past it) or when nothing newer is published (null). Throws what next() throws
   * (Corrupt), after `into` got every message read before it.
   */
  nextBatch(into: StoredMessage[], max: number, untilSeq = Infinity): Drop | null {
    return this.pool.withPath(() => {
      this.pool.checkSize(); // once per batch: a batch is at most SIZE_CHECK_EVERY_MESSAGES-sized in practice
      this.readsBeforeSizeCheck = SIZE_CHECK_EVERY_MESSAGES;
      const r = this.reader;
      const arena = this.arena;
      let n = 0;
      let drop: Drop | null = null;
      try {
        while (n < max && this.nextSeq <= untilSeq) {
          if (arena !== null && this.nextOff >= 0) {
            const s = r.state();
            const want = Math.min(max - n, untilSeq - this.nextSeq + 1, s.newestSeq - this.nextSeq + 1);
            if (want > 0 && this.nextSeq >= s.oldestSeq) {
              const got = r.readRun(this.nextOff, this.nextSeq, want, s, into, arena, this.out);
              if (got > 0) {
                n += got;
                this.nextSeq += got;
                this.nextOff = this.out.nextOff;
                continue;
              }
            }
          }
          const item = this.nextUnchecked(); // a start, a wrap, a drop, damage: one message at a time
          if (item === null) break;
          if (item.drop) {
            drop = item.drop;
            break;
          }
          into.push(item.message);
          n++;
        }
      } finally {
        noteMessages(n, this.pacing);
      }
      return drop;
    });
  }

  private nextUnchecked(): CursorItem | null {
    const r = this.reader;
    for (let attempt = 0; attempt < 10_000; attempt++) {
      const s = r.state();
      if (this.nextSeq < s.oldestSeq) {
        const drop = { fromSeq: this.nextSeq, toSeq: s.oldestSeq - 1, count: s.oldestSeq - this.nextSeq };
        this.nextSeq = s.oldestSeq;
        this.nextOff = s.tailOff;
        return { drop };
      }
      if (this.nextSeq > s.newestSeq) return null;
      if (this.nextOff >= 0) {
        const msg = r.readAt(this.nextOff, this.nextSeq, s, this.out, this.arena ?? undefined);
        if (msg) {
          this.nextSeq++;
          this.nextOff = this.out.nextOff;
          return { message: msg };
        }
        if (!r.stillRetained(this.nextSeq, s)) continue;
      }
      // The expected offset did not hold nextSeq (a fresh start, or the ring was reset): locate it.
      const off = r.locate(this.nextSeq, s);
      if (off === -2) {
        throw new PlasmiteError("Corrupt", `frame for retained seq ${this.nextSeq} is missing or damaged`, {
          seq: this.nextSeq,
          offset: r.corruptOffset,
          hint: "Run `pls doctor POOL` for details.",
        });
      }
      this.nextOff = off;
      if (off === -1) r.refresh();
    }
    throw new PlasmiteError("Busy", "cursor could not keep up with concurrent writers", { path: this.pool.path });
  }

  private linkCheckedAt = 0;

  /** False once the pool file was deleted or replaced (checked at most once a second: it costs a stat). */
  poolStillLinked(): boolean {
    const now = performance.now();
    if (now - this.linkCheckedAt < 1000) return true;
    this.linkCheckedAt = now;
    return this.pool.stillLinked();
  }

  /** True when a message newer than the cursor's position is published. */
  hasNewer(): boolean {
    return this.nextSeq <= this.reader.state().newestSeq || this.nextSeq < this.reader.state().oldestSeq;
  }

  /**
   * Blocks the thread until something newer is published or `timeoutMs` passes. Uses a futex on publish_gen
   * (writers wake it only when `waiters` is non-zero) in slices no longer than the polling backoff. A reader that
   * may not write the file cannot count itself in `waiters` (it never stores to a read-only mapping): it still
   * sleeps on the word, woken early only if another reader is counted, in slices of the polling backoff.
   */
  waitSync(timeoutMs: number, useFutex = true): boolean {
    const ring = this.reader.ring;
    const deadline = performance.now() + timeoutMs;
    let sliceUs = POLL_MIN_US;
    const canFutex = useFutex && futexAvailable();
    const counted = canFutex && ring.writable;
    for (;;) {
      this.pool.withPath(() => this.pool.checkSize()); // the file may have been truncated during the last sleep
      const gen = loadPublishGen(ring);
      if (this.hasNewer()) return true;
      const leftUs = (deadline - performance.now()) * 1000;
      if (leftUs <= 0) return false;
      const waitUs = Math.min(leftUs, counted ? POLL_MAX_US : sliceUs);
      if (counted) {
        const file = this.pool.mapped();
        Atomics.add(ring.words, WAITERS_WORD, 1);
        futexWait(file, PUBLISH_GEN_OFFSET, gen, waitUs);
        // truncated during the sleep: Corrupt, leaving the count alone rather than touch a page past the file's end
        this.pool.withPath(() => this.pool.checkSize());
        Atomics.sub(ring.words, WAITERS_WORD, 1);
        continue;
      }
      if (canFutex) futexWait(this.pool.mapped(), PUBLISH_GEN_OFFSET, gen, waitUs);
      else Bun.sleepSync(waitUs / 1000);
      sliceUs = Math.min(POLL_MAX_US, sliceUs * 2);
    }
  }

  /**
   * Waits without blocking the event loop for long: short futex slices between yields, so timers, signals and
   * I/O keep running. Resolves true when something newer is published.
   */
  async wait(timeoutMs: number, signal?: AbortSignal, useFutex = true): Promise<boolean> {
    const deadline = performance.now() + timeoutMs;
    let sliceMs = 0.05;
    for (;;) {
      if (signal?.aborted) return false;
      const left = deadline - performance.now();
      if (this.waitSync(Math.min(left, sliceMs), useFutex)) return true;
      if (performance.now() >= deadline) return false;
      await new Promise<void>((resolve) => setTimeout(resolve, sliceMs >= 1 ? 1 : 0));
      sliceMs = Math.min(5, sliceMs * 2);
    }
  }

  /** First retained seq whose time is >= timeNs (binary search; timestamps grow strictly with seq). */
  private firstAtOrAfter(timeNs: bigint): number {
    const r = this.reader;
    const s: PoolState = r.state();
    let lo = s.oldestSeq;
    let hi = s.newestSeq + 1;
    if (s.newestSeq >= s.oldestSeq && s.newestTimeNs < timeNs) return s.newestSeq + 1;
    while (lo < hi) {
      const mid = Math.floor((lo + hi) / 2);
      let t: bigint;
      try {
        t = this.pool.get(mid).timeNs;
      } catch (err) {
        if (err instanceof PlasmiteError && err.kind === "NotFound") {
          lo = mid + 1; // dropped meanwhile: older than anything we could return
          continue;
        }
        throw err;
      }
      if (t < timeNs) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}
