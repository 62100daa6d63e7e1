// Bun's FFI as the start-up path uses it: the runtime's native `Bun.FFI` object, not the `bun:ffi` module.
// That module is a thin JS layer over the same object, but every process that loads it compiles it from source
// and has its dlopen build a `new Function` argument converter per symbol, work a one-shot command would repeat
// on every run. Native symbols take their arguments as the runtime encodes them, so callers follow two rules the
// module's converters would otherwise apply:
//   - an i32/u32 argument must be an int32 value: pass `x | 0`;
//   - a pointer argument is a typed array or an address above 2^31 (addresses from mmap always are).
// Where the native object is missing or changed shape (another Bun version), `bun:ffi` is loaded instead: its
// symbols accept the same calls.
// Every native function is declared once (`native(args, returns, fits?)`) and called only through bind()'s typed
// wrapper for it: its argument types come from the declaration, and under `bun test` (NODE_ENV=test) each call's
// arguments are checked against the two rules above, the declared kinds and `fits` (ffi-checks.ts); otherwise
// the wrapper is the native function itself. The futex watcher's worker, which cannot import this module
// (futex-worker.ts says why), links the same declarations by address (addressesOf).
// State: the FFI layer, chosen on first use, and every library bound (held open for the life of the process).
import type { Pointer } from "bun:ffi"; // types only: erased from the bundle
import { PlasmiteError } from "../errors.ts";
import { T } from "./c-interop.ts";

export type FfiType = (typeof T)[keyof typeof T];

/** A pointer argument: a typed array (C reads its bytes), null, or an address from mmap typed by asPtr (c-interop.ts). */
export type PtrArg = ArrayBufferView | Pointer | null;

/** The JavaScript type a native function takes for an argument of FFI type K. */
type Arg<K> = K extends typeof T.i32 | typeof T.u32 ? number : K extends typeof T.i64 | typeof T.u64 ? number | bigint : K extends typeof T.ptr ? PtrArg : never;
/** The JavaScript type a native function returns for FFI type K. */
type Ret<K> = K extends typeof T.i32 | typeof T.u32
  ? number
  : K extends typeof T.i64_fast
    ? number | bigint
    : K extends typeof T.i64 | typeof T.u64
      ? bigint
      : K extends typeof T.ptr
        ? Pointer | null
        : never;
export type Args<A extends readonly FfiType[]> = { -readonly [I in keyof A]: Arg<A[I]> };

/** One native function: its argument and return types, and what its arguments must satisfy together. */
export interface NativeDecl<A extends readonly FfiType[] = readonly FfiType[], R extends FfiType = FfiType> {
  readonly args: A;
  readonly returns: R;
  /** Checked under test after the kinds: null when the arguments fit together (a buffer as long as its count), else why not. */
  readonly fits?: (...args: Args<A>) => string | null;
}

/** Declares a native function (the FFI layers ignore `fits`; only the checks under test read it). */
export function native<const A extends readonly FfiType[], const R extends FfiType>(args: A, returns: R, fits?: (...args: Args<A>) => string | null): NativeDecl<A, R> {
  return fits ? { args, returns, fits } : { args, returns };
}

/** Any declaration, whatever its argument types (what bind() accepts). */
export type AnyNativeDecl = { readonly args: readonly FfiType[]; readonly returns: FfiType; readonly fits?: (...args: any[]) => string | null };

/** The typed wrapper of a declared native function. */
export type NativeFn<D> = D extends { readonly args: infer A extends readonly FfiType[]; readonly returns: infer R } ? (...args: Args<A>) => Ret<R> : never;
export type Bound<S> = { readonly [K in keyof S]: NativeFn<S[K]> };

type Signature = { args: readonly number[]; returns: number };
type Library<S> = { symbols: { [K in keyof S]: (...args: any[]) => any }; close(): void };

/**
 * Opens a library and returns one typed wrapper per declared function. Under test (NODE_ENV=test, which
 * `bun test` sets) each wrapper checks its arguments and throws a TypeError naming the function, the argument
 * and the rule; otherwise the wrappers are the native functions themselves. The library stays open for the
 * life of the process: nothing may unload code its functions call into.
 */
export function bind<S extends Record<string, AnyNativeDecl>>(path: string, decls: S): Bound<S> {
  const lib = ffi().dlopen(path, decls as Record<string, Signature>);
  openLibraries.push(lib);
  const symbols = lib.symbols as Record<string, (...args: unknown[]) => unknown>;
  if (!checksOn()) return symbols as Bound<S>;
  const { checkedCall } = require("./ffi-checks.ts") as typeof import("./ffi-checks.ts");
  const out: Record<string, unknown> = {};
  for (const name of Object.keys(decls)) out[name] = checkedCall(name, decls[name], symbols[name]);
  return out as Bound<S>;
}

/** Each declared function's address with its types, for a worker to link with linkSymbols (futex-worker.ts). */
export function addressesOf<S extends Record<string, AnyNativeDecl>>(path: string, decls: S): { [K in keyof S]: { ptr: number; args: readonly number[]; returns: number } } {
  const lib = ffi().dlopen(path, decls as Record<string, Signature>);
  openLibraries.push(lib);
  const symbols = lib.symbols as Record<string, { ptr?: unknown }>;
  const out: Record<string, { ptr: number; args: readonly number[]; returns: number }> = {};
  for (const name of Object.keys(decls)) {
    const ptr = symbols[name].ptr;
    if (typeof ptr !== "number" || ptr === 0) throw new Error(`no address for ${name} in ${path}`);
    out[name] = { ptr, args: decls[name].args, returns: decls[name].returns };
  }
  return out as never;
}

/** Whether native calls check their arguments: under `bun test` only. */
export function checksOn(): boolean {
  return process.env.NODE_ENV === "test";
}

/** Every bound library, held so none is ever closed by collection while its functions may run. */
const openLibraries: unknown[] = [];

export interface FfiLayer {
  /** "native" (Bun.FFI) or "module" (bun:ffi). */
  readonly layer: "native" | "module";
  dlopen<S extends Record<string, Signature>>(path: string, symbols: S): Library<S>;
  toArrayBuffer(addr: number, offset: number, length: number): ArrayBuffer;
  /** The i32 at addr + offset. */
  readI32(addr: number, offset: number): number;
}

let cached: FfiLayer | null = null;

/** The process's FFI layer; under test its two memory functions check their arguments like bind()'s wrappers. */
export function ffi(): FfiLayer {
  if (cached) return cached;
  cached = load();
  if (checksOn()) cached = (require("./ffi-checks.ts") as typeof import("./ffi-checks.ts")).checkedLayer(cached);
  return cached;
}

function load(): FfiLayer {
  // The package also loads under Node.js (remote pools only): say what to do instead of "Cannot find module".
  if (typeof (globalThis as { Bun?: unknown }).Bun === "undefined") {
    throw new PlasmiteError("Usage", "local pools need Bun: this program runs on Node.js, which cannot map pool files", {
      hint: "Run it with Bun (`bun app.js`; Node.js users get it with `npm install bun`), or reach the pool through `pls serve` with Client.connect(url).",
    });
  }
  const native = (globalThis as { Bun?: { FFI?: Record<string, unknown> } }).Bun?.FFI;
  const read = native?.read as { i32?: unknown } | undefined;
  if (native && typeof native.dlopen === "function" && typeof native.toArrayBuffer === "function" && typeof read?.i32 === "function") {
    const open = native.dlopen as (path: string, symbols: object) => unknown;
    const toArrayBuffer = native.toArrayBuffer as (addr: number, offset: number, length: number) => ArrayBuffer;
    const i32 = read.i32 as (addr: number, offset: number) => number;
    return {
      layer: "native",
      dlopen: (path, symbols) => {
        // the native call returns its failure instead of throwing it
        const lib = open(path, symbols);
        if (lib instanceof Error) throw lib;
        return lib as never;
      },
      toArrayBuffer: (addr, offset, length) => toArrayBuffer(addr, offset, length),
      readI32: (addr, offset) => i32(addr, offset),
    };
  }
  const m = require("bun:ffi") as typeof import("bun:ffi");
  return {
    layer: "module",
    dlopen: (path, symbols) => m.dlopen(path, symbols as never) as never,
    toArrayBuffer: (addr, offset, length) => m.toArrayBuffer(addr as unknown as Pointer, offset, length),
    readI32: (addr, offset) => m.read.i32(addr as unknown as Pointer, offset),
  };
}
