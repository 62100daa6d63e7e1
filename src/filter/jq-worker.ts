// The Worker that runs jq (jq-web's wasm build) for jq.ts, so that jq never runs on the main thread: there, Ctrl-C
// and --timeout stay live and end the process while an expression is still running here.
// jqWorkerMain runs from its own source text (jq.ts makes the Worker from a Blob of it), so a compiled `pls` needs
// no worker file: the function must use nothing outside its body (no imports, no module-level names); types only.
// Invariants: requests are answered one at a time, in order; jq's wasm memory never grows past memoryLimitBytes
// (a refused grow makes jq's malloc fail and jq abort: the answer is "memory"); after an abort or a trap this
// instance answers nothing but "crashed" (jq.ts then ends the worker).

/** The first message: what to run and within how much memory. */
export interface JqWorkerStart {
  jqSource: string;
  wasmBinary: Uint8Array;
  memoryLimitBytes: number;
}

/** Every later message: `jq -c PROGRAM` over the input text (a stream of JSON texts). */
export interface JqWorkerRequest {
  input: string;
  program: string;
}

export type JqWorkerReply =
  /** jq is loaded (the answer to JqWorkerStart). */
  | { kind: "ready" }
  /** jq's stdout, its final newline dropped. */
  | { kind: "output"; stdout: string }
  /** jq exited non-zero and can be used again: 3 the program does not compile, 2 or 5 an input it cannot read. */
  | { kind: "failed"; exitCode: number; stderr: string }
  /** The program needed more memory than memoryLimitBytes (jq aborted). */
  | { kind: "memory" }
  /** jq could not be loaded, aborted or trapped: this worker is done. */
  | { kind: "crashed"; message: string };

/** The worker's body (see the file header: self-contained). */
export function jqWorkerMain(): void {
  type JqInstance = { raw(input: string, program: string, flags: string[]): string | undefined };
  const scope = globalThis as unknown as { onmessage: ((e: MessageEvent) => void) | null; postMessage(reply: JqWorkerReply): void };
  const reply = (r: JqWorkerReply) => scope.postMessage(r);
  const textOf = (err: unknown) => (err instanceof Error ? err.message : String(err));
  let jq: JqInstance | null = null;
  let crashed: string | null = null;
  let memoryRefused = false;

  /**
   * jq-web's jq.js is an Emscripten factory behind a UMD wrapper that calls the factory at once (reading jq.wasm
   * from its own folder). With no `module`/`exports`, the wrapper takes its AMD branch, where our `define`
   * receives the factory and throws to stop the script before that call. `process` is hidden so the glue takes
   * its plain (non-Node) paths: no fs, no require, and no writes to process.exitCode.
   */
  async function load(start: JqWorkerStart): Promise<JqInstance> {
    const STOP = { stop: true };
    let factory: unknown;
    const define = Object.assign(
      (_deps: unknown, get: () => unknown) => {
        factory = get();
        throw STOP;
      },
      { amd: true },
    );
    try {
      new Function("require", "__dirname", "__filename", "define", "exports", "module", "process", start.jqSource)(
        undefined, "/", undefined, define, undefined, undefined, undefined,
      );
    } catch (err) {
      if (err !== STOP) throw err;
    }
    if (typeof factory !== "function") throw new Error("jq-web's jq.js does not have the expected layout (the code expects jq-web 0.6.2)");
    const limit = start.memoryLimitBytes;
    return await (factory as (options: object) => Promise<JqInstance>)({
      // Emscripten's hook for instantiating the wasm ourselves: its memory is handed to the glue behind a grow()
      // that refuses to pass the limit. The glue catches the refusal and reports failure to malloc.
      instantiateWasm(imports: Parameters<typeof WebAssembly.instantiate>[1], done: (instance: { exports: object }, module: WebAssembly.Module) => void) {
        WebAssembly.instantiate(start.wasmBinary, imports).then(({ instance, module }) => {
          const real = instance.exports.memory as WebAssembly.Memory;
          const memory = {
            get buffer() {
              return real.buffer;
            },
            grow(pages: number) {
              if (real.buffer.byteLength + pages * 65536 > limit) {
                memoryRefused = true;
                throw new RangeError(`jq's memory limit (${limit} bytes) reached`);
              }
              return real.grow(pages);
            },
          };
          done({ exports: { ...instance.exports, memory } }, module);
        }, (err: unknown) => {
          crashed = textOf(err);
          reply({ kind: "crashed", message: crashed });
        });
        return {};
      },
      // the runtime's own messages ("Aborted()") would go to our stderr; jq's output goes to jq-web's buffers
      print: () => {},
      printErr: () => {},
    });
  }

  scope.onmessage = (e: MessageEvent) => {
    if (crashed !== null) return reply({ kind: "crashed", message: crashed });
    if (jq === null) {
      load(e.data as JqWorkerStart).then(
        (instance) => {
          jq = instance;
          reply({ kind: "ready" });
        },
        (err: unknown) => {
          crashed = textOf(err);
          reply({ kind: "crashed", message: crashed });
        },
      );
      return;
    }
    const { input, program } = e.data as JqWorkerRequest;
    memoryRefused = false;
    try {
      // jq-web drops stdout's final newline and gives undefined for no output
      reply({ kind: "output", stdout: jq.raw(input, program, ["-c"]) ?? "" });
    } catch (err) {
      const exitCode = (err as { exitCode?: unknown }).exitCode;
      if (memoryRefused) {
        crashed = "jq ran out of memory";
        reply({ kind: "memory" });
      } else if (typeof exitCode === "number") {
        reply({ kind: "failed", exitCode, stderr: String((err as { stderr?: unknown }).stderr ?? textOf(err)) });
      } else {
        crashed = textOf(err);
        reply({ kind: "crashed", message: crashed });
      }
    }
  };
}
