// Wake-ups for tail streams: one watcher per pool per server process, shared by every stream on that pool.
// A worker thread sleeps on the pool's publish word (futex) so the event loop never blocks; streams also
// re-check on a timer, so a missed wake-up only delays, never loses, a message.
import { PUBLISH_GEN_OFFSET, WAITERS_OFFSET, loadPublishGen } from "../format/header.ts";
import type { PoolHandle } from "../api/client.ts";
import { Pool } from "../pool/pool.ts";

/** Longest a stream waits without re-checking the pool itself (correctness never depends on a wake-up). */
export const RECHECK_MS = 250;

// The worker is self-contained (a Blob URL) so it also runs inside `bun build --compile` binaries without a
// separate entry point. It maps nothing itself: it views the server's existing mapping by address.
const WORKER_SOURCE = `
import { dlopen, FFIType as T, toArrayBuffer } from "bun:ffi";
let stop = false;
self.onmessage = (e) => {
  if (e.data === "stop") { stop = true; return; }
  const { addr, genOffset, waitersOffset, linux, arch } = e.data;
  const words = new Int32Array(toArrayBuffer(addr, 0, 4096));
  const genIdx = genOffset >> 2, waitIdx = waitersOffset >> 2;
  let futex = null;
  if (linux) {
    try {
      const libc = dlopen("libc.so.6", { syscall: { args: [T.i64, T.ptr, T.i32, T.u32, T.ptr, T.ptr, T.i32], returns: T.i64 } });
      const ts = new BigInt64Array([0n, 100000000n]); // 100 ms: bounds how long a stop request waits
      const nr = arch === "arm64" ? 98 : 202;
      futex = (expected) => libc.symbols.syscall(nr, addr + genOffset, 0, expected >>> 0, ts, null, 0);
    } catch { futex = null; }
  }
  let last = Atomics.load(words, genIdx);
  const loop = async () => {
    while (!stop) {
      const gen = Atomics.load(words, genIdx);
      if (gen !== last) {
        last = gen;
        postMessage(gen);
        // at most ~1000 posts a second under heavy writes: woken streams read everything available anyway
        await new Promise((r) => setTimeout(r, 0));
        continue;
      }
      if (futex) {
        Atomics.add(words, waitIdx, 1);
        try { futex(gen); } finally { Atomics.sub(words, waitIdx, 1); }
      } else {
        await new Promise((r) => setTimeout(r, 2));
      }
      // let "stop" messages in
      if (futex) await new Promise((r) => setTimeout(r, 0));
    }
    self.close?.();
  };
  loop();
};
`;

let workerUrl: string | null = null;

class PoolWatcher {
  private readonly worker: Worker;
  private waiters = new Set<() => void>();
  private readonly handle: PoolHandle;
  /** Our own reference to the mapping: it must outlive the worker reading it (unmapping first would crash). */
  private readonly mappingRef: Pool;
  private readonly exited: Promise<void>;
  subscribers = 0;

  constructor(handle: PoolHandle) {
    this.handle = handle;
    this.mappingRef = Pool.open(handle.path);
    workerUrl ??= URL.createObjectURL(new Blob([WORKER_SOURCE], { type: "application/javascript" }));
    this.worker = new Worker(workerUrl);
    this.exited = new Promise((resolve) => this.worker.addEventListener("close", () => resolve(), { once: true }));
    this.worker.onmessage = () => this.wakeAll();
    this.worker.postMessage({
      addr: handle.pool.mapped().addr,
      genOffset: PUBLISH_GEN_OFFSET,
      waitersOffset: WAITERS_OFFSET,
      linux: process.platform === "linux",
      arch: process.arch,
    });
  }

  private wakeAll(): void {
    const ws = this.waiters;
    this.waiters = new Set();
    for (const w of ws) w();
  }

  /** The pool's publish generation now: read it before looking for messages, pass it to wait(). */
  generation(): number {
    return loadPublishGen(this.handle.pool.ring);
  }

  /**
   * Resolves on the next publish after generation `seenGen`, after `timeoutMs`, or when `signal` aborts.
   * A publish between the caller's read and this call resolves at once (no lost wake-up).
   */
  wait(timeoutMs: number, signal: AbortSignal | undefined, seenGen: number): Promise<void> {
    if (signal?.aborted || this.generation() !== seenGen) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        signal?.removeEventListener("abort", done);
        this.waiters.delete(done);
        resolve();
      };
      const timer = setTimeout(done, Math.max(0, Math.min(timeoutMs, RECHECK_MS)));
      signal?.addEventListener("abort", done, { once: true });
      this.waiters.add(done);
    });
  }

  /** Stops the worker, then releases the mapping (the worker may be inside a futex wait on it until then). */
  async stop(): Promise<void> {
    this.wakeAll();
    this.worker.postMessage("stop");
    this.worker.terminate();
    await this.exited;
    this.mappingRef.close();
  }
}

export interface WatchLease {
  generation(): number;
  wait(timeoutMs: number, signal: AbortSignal | undefined, seenGen: number): Promise<void>;
  release(): void;
}

/** One watcher per pool path, reference-counted by the streams using it. */
export class Watchers {
  private readonly byPath = new Map<string, PoolWatcher>();

  acquire(handle: PoolHandle): WatchLease {
    let w = this.byPath.get(handle.path);
    if (!w) {
      w = new PoolWatcher(handle);
      this.byPath.set(handle.path, w);
    }
    w.subscribers++;
    const watcher = w;
    let released = false;
    return {
      generation: () => watcher.generation(),
      wait: (timeoutMs, signal, seenGen) => watcher.wait(timeoutMs, signal, seenGen),
      release: () => {
        if (released) return;
        released = true;
        if (--watcher.subscribers === 0) {
          this.byPath.delete(handle.path);
          void watcher.stop();
        }
      },
    };
  }

  /** Number of pools currently watched (for leak checks). */
  get count(): number {
    return this.byPath.size;
  }

  async stopAll(): Promise<void> {
    const all = [...this.byPath.values()];
    this.byPath.clear();
    await Promise.all(all.map((w) => w.stop()));
  }
}
