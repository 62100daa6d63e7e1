// What both OS bindings (native.ts for the shim, libc.ts for libc itself) need to call C: the host libc's file
// name, NUL-terminated strings and addresses typed as pointers. No FFI is loaded here.
import type { Pointer } from "bun:ffi"; // types only
import { hostTarget } from "./target.ts";

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
