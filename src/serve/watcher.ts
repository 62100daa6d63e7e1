// Wake-ups for tail streams: one watcher per pool per server process, shared by every stream on that pool.
// The pool's watch (a worker sleeping on its publish word) keeps the event loop free; streams also re-check
// on a timer, so a missed wake-up only delays, never loses, a message.
import type { PoolHandle, PoolWatch } from "../api/client.ts";
import { WAIT_SLICE_MAX_US } from "../platform/files.ts";

/** Longest a stream waits without re-checking the pool itself (correctness never depends on a wake-up). */
export const RECHECK_MS = 250;

const pollingNoted = new Set<string>();

/** Says once per pool on stderr that its streams poll: the server's user may not write it, so no writer wakes them. */
function notePolling(pool: string): void {
  if (pollingNoted.has(pool)) return;
  pollingNoted.add(pool);
  const message = `this user may not write the pool file: tail streams poll it (new messages can take up to ${WAIT_SLICE_MAX_US / 1000} ms to go out)`;
  process.stderr.write(JSON.stringify({ notice: { kind: "polling", time: new Date().toISOString(), cmd: "serve", pool, message } }) + "\n");
}

class PoolWatcher {
  private waiters = new Set<() => void>();
  private readonly handle: PoolHandle;
  /**
   * The pool's watch (a worker thread), started by the first wait: a stream that ends before it waits (a backlog
   * read to its end, `max` reached, a one-message tail) never starts one. Starting it took ~10 ms, and a
   * one-message tail used to pay it before its first byte.
   */
  private watch: PoolWatch | null = null;
  subscribers = 0;

  constructor(handle: PoolHandle) {
    this.handle = handle;
    if (!handle.writable) notePolling(handle.name);
  }

  /** Whether the pool's watch has been started (for tests). */
  get watching(): boolean {
    return this.watch !== null;
  }
  private wakeAll(): void {
    const ws = this.waiters;
    this.waiters = new Set();
    for (const w of ws) w();
  }

  /** The pool's publish generation now: read it before looking for messages, pass it to wait(). */
  generation(): number {
    return this.handle.generation();
  }

  /**
   * Resolves on the next publish after generation `seenGen`, after `timeoutMs`, or when `signal` aborts.
   * A publish between the caller's read and this call resolves at once (no lost wake-up).
   */
  wait(timeoutMs: number, signal: AbortSignal | undefined, seenGen: number): Promise<void> {
    if (signal?.aborted) return Promise.resolve();
    // started before the generation is compared: a publish from here on wakes the watch or changes the generation
    this.watch ??= this.handle.watch(() => this.wakeAll());
    if (this.generation() !== seenGen) return Promise.resolve();
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

  async stop(): Promise<void> {
    this.wakeAll();
    await this.watch?.stop();
  }
}

export interface WatchLease {
  generation(): number;
  wait(timeoutMs: number, signal: AbortSignal | undefined, seenGen: number): Promise<void>;
  release(): void;
}

/** One watcher per pool path, reference-counted by the streams using it. */
export class Watchers {
  private readonly byFile = new Map<object, PoolWatcher>();

  acquire(handle: PoolHandle): WatchLease {
    // Keyed by the mapped file, not the path: a pool deleted and recreated under the same name is another file.
    const key = handle.mappingKey;
    let w = this.byFile.get(key);
    if (!w) {
      w = new PoolWatcher(handle);
      this.byFile.set(key, w);
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
          this.byFile.delete(key);
          void watcher.stop();
        }
      },
    };
  }

  /** Number of pools currently watched (for leak checks). */
  get count(): number {
    return this.byFile.size;
  }

  /** Number of those whose watch (a worker thread) has started: only streams that waited start one. */
  get started(): number {
    let n = 0;
    for (const w of this.byFile.values()) if (w.watching) n++;
    return n;
  }

  async stopAll(): Promise<void> {
    const all = [...this.byFile.values()];
    this.byFile.clear();
    await Promise.all(all.map((w) => w.stop()));
  }
}
