// Watches a u32 word of a shared mapping from a worker thread (futex-worker.ts) and calls back on each change,
// so an event loop can wait for writers without blocking. Only the platform layer sees the mapping's address.
// State: the worker source's Blob URL, made on first use and shared by every watch.
import { WAIT_SLICE_MAX_US, futexWake, type MappedFile } from "./files.ts";
import { watcherCalls } from "./libc.ts";
import { watcherMain, type WatchRequest, type WatchStart } from "./futex-worker.ts";

let workerUrl: string | null = null;

export interface WordWatch {
  /** Stops the worker; resolves once it has exited (after that the mapping may be unmapped). */
  stop(): Promise<void>;
}

/** Calls `onChange` (at most ~1000 times a second) whenever the u32 at `offset` changes (within WAIT_SLICE_MAX_US on a read-only mapping). */
export function watchWord(file: MappedFile, offset: number, waitersOffset: number, onChange: () => void): WordWatch {
  // a Blob of the function's source, not a worker module: a compiled program finds a worker module only when it
  // is one of its build's entry points, so every program compiled with plasmite in it would have to name ours
  workerUrl ??= URL.createObjectURL(new Blob([`(${watcherMain.toString()})()`], { type: "application/javascript" }));
  const worker = new Worker(workerUrl);
  const exited = new Promise<void>((resolve) => worker.addEventListener("close", () => resolve(), { once: true }));
  worker.onmessage = () => onChange();
  const start: WatchStart = {
    addr: file.addr,
    fd: file.fd,
    mappedBytes: file.size,
    genOffset: offset,
    waitersOffset,
    writable: file.writable,
    pollMs: WAIT_SLICE_MAX_US / 1000,
    ...watcherCalls(),
  };
  worker.postMessage(start);
  return {
    async stop() {
      // Let the worker leave its futex wait by itself, so it takes itself off the waiter count; terminating it
      // inside the wait would leave the count one too high (and every append would then pay for a wake-up).
      worker.postMessage("stop" satisfies WatchRequest);
      futexWake(file, offset);
      await Promise.race([exited, Bun.sleep(500)]);
      worker.terminate();
      await exited;
    },
  };
}
