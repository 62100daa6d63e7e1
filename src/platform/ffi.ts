// Bun's FFI as the start-up path uses it: the runtime's native `Bun.FFI` object, not the `bun:ffi` module.
// That module is a thin JS layer over the same object, but it is compiled from source on every start
// (~0.35 ms, a quarter of what a one-shot `pls poke` spends beyond a bare Bun program) and its dlopen builds a
// `new Function` argument converter per symbol (~0.1 ms for the shim's). Native symbols take their arguments
// as the runtime encodes them, so callers follow two rules the module's converters would otherwise apply:
//   - an i32/u32 argument must be an int32 value: pass `x | 0`;
//   - a pointer argument is a typed array or an address above 2^31 (addresses from mmap always are).
// Where the native object is missing or changed shape (another Bun version), `bun:ffi` is loaded instead: its
// symbols accept the same calls.
import type { Pointer } from "bun:ffi"; // types only: erased from the bundle
import { PlasmiteError } from "../errors.ts";

/** bun:ffi's FFIType codes for the types the shim and libc bindings use. */
export const T = { i32: 5, u32: 6, i64: 7, u64: 8, ptr: 12, i64_fast: 15 } as const;

type Signature = { args: readonly number[]; returns: number };
type Library<S> = { symbols: { [K in keyof S]: (...args: any[]) => any }; close(): void };

interface FfiLayer {
  /** "native" (Bun.FFI) or "module" (bun:ffi). */
  readonly layer: "native" | "module";
  dlopen<S extends Record<string, Signature>>(path: string, symbols: S): Library<S>;
  toArrayBuffer(addr: number, offset: number, length: number): ArrayBuffer;
  /** The i32 at addr + offset. */
  readI32(addr: number, offset: number): number;
}

let cached: FfiLayer | null = null;

export function ffi(): FfiLayer {
  return (cached ??= load());
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
