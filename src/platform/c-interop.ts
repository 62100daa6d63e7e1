// What both OS bindings (native.ts for the shim, libc.ts for libc itself) need to call C: FFI type codes, the
// host libc's file name, NUL-terminated strings and addresses typed as pointers. No FFI is loaded here.
import type { Pointer } from "bun:ffi"; // types only
import type { PtrArg } from "./ffi.ts";
import { hostTarget } from "./target.ts";

/** bun:ffi's FFIType codes for the types the shim and libc bindings use. */
export const T = { i32: 5, u32: 6, i64: 7, u64: 8, ptr: 12, i64_fast: 15 } as const;

const utf8 = new TextEncoder();

/** A JavaScript string as a NUL-terminated UTF-8 C string. */
export function cString(s: string): Uint8Array {
  return utf8.encode(s + "\0");
}

/** An address (from mmap) as the pointer type FFI calls take. */
export function asPtr(addr: number): Pointer {
  return addr as unknown as Pointer;
}

/** The file name dlopen finds this host's libc by (glibc, musl or macOS's libSystem). */
export function libcName(): string {
  if (process.platform === "darwin") return "libSystem.B.dylib";
  const target = hostTarget();
  if (target.endsWith("-musl")) return `libc.musl-${process.arch === "arm64" ? "aarch64" : "x86_64"}.so.1`;
  return "libc.so.6";
}

// What a declaration's `fits` (ffi.ts native) says about a pointer argument; read only by the checks under test.

/** Why `p` is not a C string made by cString (a Uint8Array ending in NUL), or null. */
export function cStringProblem(p: PtrArg, what: string): string | null {
  return p instanceof Uint8Array && p.length > 0 && p[p.length - 1] === 0 ? null : `${what} must be a NUL-terminated Uint8Array (cString)`;
}

/** Why `p` is not a typed array of at least `bytes` bytes, or null. */
export function bufferProblem(p: PtrArg, bytes: number | bigint, what: string): string | null {
  if (!ArrayBuffer.isView(p)) return `${what} must be a typed array`;
  return p.byteLength >= Number(bytes) ? null : `${what} holds ${p.byteLength} bytes, fewer than the ${bytes} passed with it`;
}

/** Why `n` is not a whole number of at least `min`, or null. */
export function sizeProblem(n: number | bigint, min: number, what: string): string | null {
  return Number.isSafeInteger(Number(n)) && Number(n) >= min ? null : `${what} must be at least ${min}, got ${n}`;
}
