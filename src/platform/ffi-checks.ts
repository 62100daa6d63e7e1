// The argument checks of native calls, loaded only under `bun test` (ffi.ts bind and ffi): a wrong argument fails
// the call before it reaches C, where it would be misread without a word (a u32 at or above 2^31 not passed as
// `x | 0`, an address below 2^31, a fraction, a buffer shorter than the count passed with it).
// Pure: no state, no I/O; every failure is a TypeError naming the function, the argument, the rule and the value.
import { T } from "./c-interop.ts";
import type { AnyNativeDecl, FfiLayer } from "./ffi.ts";

const KIND_NAMES: Record<number, string> = { [T.i32]: "i32", [T.u32]: "u32", [T.i64]: "i64", [T.u64]: "u64", [T.ptr]: "pointer", [T.i64_fast]: "i64" };

const TWO_POW_31 = 2 ** 31;
const I64_MIN = -(2n ** 63n);
const I64_MAX = 2n ** 63n - 1n;
const U64_MAX = 2n ** 64n - 1n;

/** Why `value` is not a valid argument of FFI type `kind`, or null when it is. */
export function argProblem(kind: number, value: unknown): string | null {
  switch (kind) {
    case T.i32:
      return isInt32(value) ? null : "an i32 must be an int32 value: pass `x | 0`";
    case T.u32:
      return isInt32(value) ? null : "a u32 is passed as an int32 value: pass `x | 0` (a value at or above 2^31 becomes negative)";
    case T.i64:
    case T.i64_fast:
      if (typeof value === "bigint") return value >= I64_MIN && value <= I64_MAX ? null : "an i64 must fit in 64 signed bits";
      return Number.isSafeInteger(value) ? null : "an i64 must be a safe integer or a bigint";
    case T.u64:
      if (typeof value === "bigint") return value >= 0n && value <= U64_MAX ? null : "a u64 must fit in 64 unsigned bits";
      return Number.isSafeInteger(value) && (value as number) >= 0 ? null : "a u64 must be a non-negative safe integer or a bigint";
    case T.ptr:
      if (value === null || ArrayBuffer.isView(value)) return null;
      if (Number.isSafeInteger(value) && (value as number) >= TWO_POW_31) return null;
      return "a pointer must be a typed array, null, or an address at or above 2^31 (from mmap, through asPtr)";
    default:
      return `FFI type ${kind} has no check`;
  }
}

function isInt32(value: unknown): boolean {
  return typeof value === "number" && (value | 0) === value;
}

function show(value: unknown): string {
  if (typeof value === "bigint") return `${value}n`;
  if (ArrayBuffer.isView(value)) return `${value.constructor.name}(${value.byteLength} bytes)`;
  if (typeof value === "string") return JSON.stringify(value);
  return String(value);
}

/** `fn` (the native function `name`, declared by `decl`) behind a check of every call's arguments. */
export function checkedCall(name: string, decl: AnyNativeDecl, fn: (...args: unknown[]) => unknown): (...args: unknown[]) => unknown {
  const kinds = decl.args;
  const fits = decl.fits;
  return (...args: unknown[]) => {
    if (args.length !== kinds.length) throw new TypeError(`native ${name}: takes ${kinds.length} argument(s), got ${args.length}`);
    for (let i = 0; i < kinds.length; i++) {
      const why = argProblem(kinds[i], args[i]);
      if (why !== null) throw new TypeError(`native ${name}: argument ${i + 1} (${KIND_NAMES[kinds[i]] ?? kinds[i]}) is ${show(args[i])}; ${why}`);
    }
    const why = fits?.(...args);
    if (why) throw new TypeError(`native ${name}: ${why}`);
    return fn(...args);
  };
}

/** The layer's memory functions behind the same checks: an address as a pointer, offsets and lengths as sizes. */
export function checkedLayer(layer: FfiLayer): FfiLayer {
  const check = (name: string, addr: number, offset: number, length: number) => {
    const why = argProblem(T.ptr, addr);
    if (why !== null || addr === null) throw new TypeError(`${name}: address is ${show(addr)}; ${why ?? "it may not be null"}`);
    if (!Number.isSafeInteger(offset) || offset < 0) throw new TypeError(`${name}: offset is ${show(offset)}; it must be a non-negative integer`);
    if (!Number.isSafeInteger(length) || length < 0) throw new TypeError(`${name}: length is ${show(length)}; it must be a non-negative integer`);
  };
  return {
    layer: layer.layer,
    dlopen: (path, symbols) => layer.dlopen(path, symbols),
    toArrayBuffer: (addr, offset, length) => {
      check("toArrayBuffer", addr, offset, length);
      return layer.toArrayBuffer(addr, offset, length);
    },
    readI32: (addr, offset) => {
      check("read.i32", addr, offset, 4);
      return layer.readI32(addr, offset);
    },
  };
}
