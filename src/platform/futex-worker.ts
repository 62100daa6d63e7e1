// The worker thread behind futex-watcher.ts: it sleeps on the u32 generation word of a pool's mapping (futex) and
// posts each change, so the event loop that follows the pool waits for writers without blocking.
// watcherMain runs from its own source text (futex-watcher.ts makes the Worker from a Blob of it, as jq.ts does
// with jq-worker.ts), so a compiled `pls`, or a library user's compiled program, needs no worker file: the
// function must use nothing outside its body (no imports, no module-level names); types only.
// It declares no C function of its own: it links, by address, the ones libc.ts declares and has bound (lseek,
// and syscall on Linux), so every native signature is written in one place.
// Invariants: it never stores to a mapping opened read-only (there it is not counted in the waiters word and
// looks again every pollMs); it reads the mapping only after an lseek shows the file still covers it; it leaves
// a futex wait by itself (so it takes itself off the waiter count) before it exits.

/** A C function the worker links by address: its address and bun:ffi's type codes (c-interop.ts T). */
export interface LinkedCall {
  ptr: number;
  args: readonly number[];
  returns: number;
}

/** The first message: what to watch, and the C functions to watch it with. */
export interface WatchStart {
  /** The mapping's address (the worker views the existing mapping; it maps nothing itself). */
  addr: number;
  fd: number;
  mappedBytes: number;
  genOffset: number;
  waitersOffset: number;
  /** Whether the mapping may be stored to (counted in the waiters word, woken by writers). */
  writable: boolean;
  /** How often to look again when no writer will wake it (read-only mapping, or no futex). */
  pollMs: number;
  /** libc's lseek(fd, offset, whence): the file's size, looked at before every read of the mapping. */
  lseek: LinkedCall;
  /** libc's syscall, with the futex call's number on this architecture; null where there is no futex (macOS). */
  futex: (LinkedCall & { nr: number }) | null;
}

/** Later messages to the worker. */
export type WatchRequest = "stop";

/** What the worker posts: the word's new value, or "shrunk" once the file no longer covers the mapping. */
export type WatchReply = number | "shrunk";

/** The worker's body (see the header: self-contained). */
export function watcherMain(): void {
  type Ffi = {
    linkSymbols(s: Record<string, { ptr: number; args: readonly number[]; returns: number }>): { symbols: Record<string, (...a: unknown[]) => unknown> };
    toArrayBuffer(addr: number, offset: number, length: number): ArrayBuffer;
  };
  const scope = globalThis as unknown as {
    onmessage: ((e: MessageEvent) => void) | null;
    postMessage(m: unknown): void;
    close(): void;
    Bun: { FFI: Ffi };
  };
  const ffi = scope.Bun.FFI;
  let stop = false;
  const tick = () => new Promise((r) => setTimeout(r, 0));
  scope.onmessage = (e: MessageEvent) => {
    if (e.data === "stop") {
      stop = true;
      return;
    }
    const start = e.data as WatchStart;
    const words = new Int32Array(ffi.toArrayBuffer(start.addr, 0, 4096));
    const genIdx = start.genOffset >> 2;
    const waitIdx = start.waitersOffset >> 2;
    // JSC's Atomics.load stores, which a read-only mapping refuses: there the word is loaded plainly between
    // barriers on a private word (as src/format/ring.ts loadWord does)
    const fence = new Int32Array(new SharedArrayBuffer(4));
    const loadGen = start.writable
      ? () => Atomics.load(words, genIdx)
      : () => {
          Atomics.add(fence, 0, 0);
          const v = words[genIdx];
          Atomics.add(fence, 0, 0);
          return v;
        };
    const lseek = ffi.linkSymbols({ lseek: start.lseek }).symbols.lseek;
    // The file may be truncated under the mapping, and touching a page past its end is SIGBUS for the whole
    // process: its size is looked at before every read of the mapping. Once short, the worker says so (the
    // streams' own checks then report Corrupt) and stops reading.
    const intact = () => Number(lseek(start.fd, 0, 2 /* SEEK_END */)) >= start.mappedBytes;
    let futexWait: ((expected: number) => void) | null = null;
    if (start.futex) {
      const syscall = ffi.linkSymbols({ syscall: start.futex }).symbols.syscall;
      // counted in the waiters word, writers wake it: 100 ms bounds how long a stop request waits; read-only,
      // nobody counts it: it looks again every pollMs
      const waitNs = start.writable ? 100_000_000 : start.pollMs * 1_000_000;
      const timespec = new BigInt64Array([BigInt(Math.floor(waitNs / 1e9)), BigInt(waitNs % 1e9)]);
      const nr = start.futex.nr;
      const uaddr = start.addr + start.genOffset;
      futexWait = (expected) => void syscall(nr, uaddr, 0 /* FUTEX_WAIT */, expected >>> 0, timespec, null, 0);
    }
    const loop = async () => {
      let last: number | null = null;
      while (!stop) {
        if (!intact()) {
          scope.postMessage("shrunk" satisfies WatchReply);
          break;
        }
        const gen = loadGen();
        if (last !== null && gen !== last) {
          last = gen;
          scope.postMessage(gen satisfies WatchReply);
          // at most ~1000 posts a second under heavy writes: woken streams read everything available anyway
          await tick();
          continue;
        }
        last = gen;
        if (futexWait && start.writable) {
          Atomics.add(words, waitIdx, 1);
          futexWait(gen);
          // truncated during the sleep: leave the count alone rather than touch a page past the file's end
          if (!intact()) {
            scope.postMessage("shrunk" satisfies WatchReply);
            break;
          }
          Atomics.sub(words, waitIdx, 1);
          await tick(); // let "stop" in
        } else if (futexWait) {
          futexWait(gen);
          await tick();
        } else {
          await new Promise((r) => setTimeout(r, 2));
        }
      }
      // a plain call: Bun 1.4.4 ignores `self.close?.()` in a worker, which left every stop() waiting 500 ms
      scope.close();
    };
    void loop();
  };
}
