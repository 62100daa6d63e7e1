import { describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { T, asPtr, cString, libcName } from "./c-interop.ts";
import { bind, checksOn, ffi, native } from "./ffi.ts";
import { sys } from "./native.ts";

// One libc function of each argument kind, bound the way native.ts and libc.ts bind theirs.
const libc = bind(libcName(), {
  close: native([T.i32], T.i32),
  write: native([T.i32, T.ptr, T.u64], T.i64_fast, (_fd, buf, count) => (ArrayBuffer.isView(buf) && buf.byteLength >= Number(count) ? null : "the buffer is shorter than count")),
  open: native([T.ptr, T.i32, T.u32], T.i32),
});

describe("native calls check their arguments under test", () => {
  test("bun test runs with the checks on", () => {
    expect(process.env.NODE_ENV).toBe("test");
    expect(checksOn()).toBe(true);
  });

  test("a wrong integer, pointer or buffer length fails before C sees it, naming the function, argument and rule", () => {
    expect(() => libc.close(2 ** 32)).toThrow("native close: argument 1 (i32) is 4294967296; an i32 must be an int32 value: pass `x | 0`");
    expect(() => libc.close(1.5)).toThrow("native close: argument 1 (i32) is 1.5; an i32 must be an int32 value");
    // a u32 at or above 2^31 is passed as its int32 pattern: 0x80000000 | 0, not 0x80000000
    expect(() => libc.open(cString("/nonexistent"), 0, 0x80000000)).toThrow("native open: argument 3 (u32) is 2147483648; a u32 is passed as an int32 value: pass `x | 0`");
    expect(libc.open(cString("/nonexistent"), 0, 0x80000000 | 0)).toBe(-1);
    // @ts-expect-error a plain number is not a pointer: asPtr marks an address
    expect(() => libc.write(1, 4096, 0)).toThrow("native write: argument 2 (pointer) is 4096; a pointer must be a typed array, null, or an address at or above 2^31");
    expect(() => libc.write(1, asPtr(4096), 0)).toThrow("native write: argument 2 (pointer) is 4096");
    expect(() => libc.write(1, new Uint8Array(2), 3)).toThrow("native write: the buffer is shorter than count");
    // @ts-expect-error one argument too few
    expect(() => libc.close()).toThrow("native close: takes 1 argument(s), got 0");
    expect(libc.close(-1)).toBe(-1); // right arguments reach C
  });

  test("the bindings' own rules: a futex word's alignment, an identity buffer's size, a mapping's address", () => {
    const dir = mkdtempSync(join(tmpdir(), "plasmite-ffi-checks-"));
    try {
      const path = join(dir, "f");
      writeFileSync(path, Buffer.alloc(4096));
      const s = sys();
      const fd = s.open(path, s.c.O_RDWR, 0);
      expect(fd).toBeGreaterThanOrEqual(0);
      const addr = s.mmap(fd, 4096, true);
      expect(addr).toBeGreaterThan(2 ** 31);
      if (s.hasFutex) expect(() => s.futexWake(addr, 2)).toThrow(s.backend === "shim" ? "native pls_futex_wake: the futex word's offset must be a non-negative multiple of 4, got 2" : "native syscall: the futex word's address must be a multiple of 4");
      // (the libc backend takes a file's identity through node:fs, not a native call)
      if (s.backend === "shim") expect(() => s.fileId(fd, new BigUint64Array(1))).toThrow("native pls_file_id: out holds 8 bytes, fewer than the 16 passed with it");
      expect(() => s.munmap(123, 4096)).toThrow(`native ${s.backend === "shim" ? "pls_munmap" : "munmap"}: argument 1 (pointer) is 123`);
      expect(() => ffi().toArrayBuffer(123, 0, 8)).toThrow("toArrayBuffer: address is 123; a pointer must be");
      expect(s.munmap(addr, 4096)).toBe(0);
      expect(s.close(fd)).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("outside a test run the wrappers are the native functions themselves: no check, no cost", () => {
    const script = `const F = await import(${JSON.stringify(join(import.meta.dir, "ffi.ts"))});
      const C = await import(${JSON.stringify(join(import.meta.dir, "c-interop.ts"))});
      const bound = F.bind(C.libcName(), { close: F.native([C.T.i32], C.T.i32) });
      console.log(JSON.stringify({ on: F.checksOn(), native: bound.close.toString().includes("[native code]"), loaded: Object.keys(require.cache).some((p) => p.endsWith("ffi-checks.ts")) }));`;
    const run = (env: string) => {
      const out = Bun.spawnSync([process.execPath, "-e", script], { env: { ...process.env, NODE_ENV: env } });
      expect(out.stderr.toString()).toBe("");
      return JSON.parse(out.stdout.toString());
    };
    // the bound function is the runtime's own and the checks' module never loads...
    expect(run("production")).toEqual({ on: false, native: true, loaded: false });
    // ...while under test it is the checking wrapper (so the comparison above can fail)
    expect(run("test")).toEqual({ on: true, native: false, loaded: true });
  });
});
