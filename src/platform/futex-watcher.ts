// A worker thread that sleeps on a u32 word of a shared mapping (futex) and reports each change, so an event
// loop can wait for writers without blocking. Only the platform layer sees the mapping's address.
// Never stores to a mapping opened read-only: there it is not counted in the waiters word and looks again every
// WAIT_SLICE_MAX_US instead of waiting for a wake-up.
// State: the worker source's Blob URL, made on first use and shared by every watch.
import { WAIT_SLICE_MAX_US, futexWake, type MappedFile } from "./files.ts";
import { libcName } from "./c-interop.ts";

// The worker is self-contained (a Blob URL) so it also runs inside `bun build --compile` binaries without a
// separate entry point. It maps nothing itself: it views the server's existing mapping by address.
// Why a string with its own libc binding, not a module worker importing native.ts (checked with Bun 1.4.4):
// a compiled binary finds a worker module only when it is one of the build's entry points, at
// /$bunfs/root/<its path relative to the entry points' common folder>; Bun does not rewrite
// `new Worker(new URL("./x.ts", import.meta.url))` inside a lazily loaded chunk, whose import.meta.url is
// /$bunfs/root/<chunk>.js (ModuleNotFound). The path would have to be spelled from scripts/build.ts's layout,
// and every library user who compiles their own program with plasmite in it would have to add our worker as an
// entry point of theirs, or following a pool would fail in their binary only. A Blob needs neither.
const WORKER_SOURCE = `
import { dlopen, FFIType as T, toArrayBuffer } from "bun:ffi";
let stop = false;
self.onmessage = (e) => {
  if (e.data === "stop") { stop = true; return; }
  const { addr, fd, mappedBytes, genOffset, waitersOffset, writable, pollMs, linux, arch, libcPath } = e.data;
  const words = new Int32Array(toArrayBuffer(addr, 0, 4096));
  const genIdx = genOffset >> 2, waitIdx = waitersOffset >> 2;
  // A read-only mapping is never stored to, and JSC's Atomics.load stores: load plainly between barriers on a
  // private word (see src/format/ring.ts loadWord).
  const fence = new Int32Array(new SharedArrayBuffer(4));
  const loadGen = writable ? () => Atomics.load(words, genIdx) : () => {
    Atomics.add(fence, 0, 0);
    const v = words[genIdx];
    Atomics.add(fence, 0, 0);
    return v;
  };
  let libc = null;
  try {
    libc = dlopen(libcPath, {
      lseek: { args: [T.i32, T.i64, T.i32], returns: T.i64 },
      ...(linux ? { syscall: { args: [T.i64, T.ptr, T.i32, T.u32, T.ptr, T.ptr, T.i32], returns: T.i64 } } : {}),
    }).symbols;
  } catch { libc = null; }
  // The file may be truncated under the mapping, and touching a page past its end is SIGBUS for the whole
  // process: its size is looked at (one lseek) before every read of the mapping. Once short, the worker says so
  // (the streams' own checks then report Corrupt) and stops reading.
  const intact = () => libc === null || Number(libc.lseek(fd, 0, 2)) >= mappedBytes;
  let futex = null;
  if (linux && libc) {
    // counted in waiters, writers wake it: 100 ms bounds how long a stop request waits; read-only, nobody
    // counts it: it looks again every pollMs
    const waitNs = writable ? 100000000 : pollMs * 1000000;
    const ts = new BigInt64Array([BigInt(Math.floor(waitNs / 1e9)), BigInt(waitNs % 1e9)]);
    const nr = arch === "arm64" ? 98 : 202;
    futex = (expected) => libc.syscall(nr, addr + genOffset, 0, expected >>> 0, ts, null, 0);
  }
  const loop = async () => {
    let last = null;
    while (!stop) {
      if (!intact()) {
        postMessage("shrunk");
        break;
      }
      const gen = loadGen();
      if (last !== null && gen !== last) {
        last = gen;
        postMessage(gen);
        // at most ~1000 posts a second under heavy writes: woken streams read everything available anyway
        await new Promise((r) => setTimeout(r, 0));
        continue;
      }
      last = gen;
      if (futex && writable) {
        Atomics.add(words, waitIdx, 1);
        futex(gen);
        // truncated during the sleep: leave the count alone rather than touch a page past the file's end
        if (!intact()) {
          postMessage("shrunk");
          break;
        }
        Atomics.sub(words, waitIdx, 1);
      } else if (futex) {
        futex(gen);
      } else {
        await new Promise((r) => setTimeout(r, 2));
      }
      // let "stop" messages in
      if (futex) await new Promise((r) => setTimeout(r, 0));
    }
    // a plain call: Bun 1.4.4 ignores \`self.close?.()\` in a worker, which left every stop() waiting 500 ms
    self.close();
  };
  loop();
};
`;

let workerUrl: string | null = null;

export interface WordWatch {
  /** Stops the worker; resolves once it has exited (after that the mapping may be unmapped). */
  stop(): Promise<void>;
}

/** Calls `onChange` (at most ~1000 times a second) whenever the u32 at `offset` changes (within WAIT_SLICE_MAX_US on a read-only mapping). */
export function watchWord(file: MappedFile, offset: number, waitersOffset: number, onChange: () => void): WordWatch {
  workerUrl ??= URL.createObjectURL(new Blob([WORKER_SOURCE], { type: "application/javascript" }));
  const worker = new Worker(workerUrl);
  const exited = new Promise<void>((resolve) => worker.addEventListener("close", () => resolve(), { once: true }));
  worker.onmessage = () => onChange();
  worker.postMessage({
    addr: file.addr,
    fd: file.fd,
    mappedBytes: file.size,
    libcPath: libcName(),
    genOffset: offset,
    waitersOffset,
    writable: file.writable,
    pollMs: WAIT_SLICE_MAX_US / 1000,
    linux: process.platform === "linux",
    arch: process.arch,
  });
  return {
    async stop() {
      // Let the worker leave its futex wait by itself, so it takes itself off the waiter count; terminating it
      // inside the wait would leave the count one too high (and every append would then pay for a wake-up).
      worker.postMessage("stop");
      futexWake(file, offset);
      await Promise.race([exited, Bun.sleep(500)]);
      worker.terminate();
      await exited;
    },
  };
}
