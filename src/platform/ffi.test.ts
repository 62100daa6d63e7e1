import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ffi } from "./ffi.ts";
import { sys } from "./native.ts";

const dir = mkdtempSync(join(tmpdir(), "plasmite-ffi-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// Runs `body` in a fresh Bun process with native.ts and files.ts imported as N and F; prints what it logs.
function inProcess(body: string, prelude = ""): unknown {
  const script = `${prelude}
    const N = await import(${JSON.stringify(join(import.meta.dir, "native.ts"))});
    const F = await import(${JSON.stringify(join(import.meta.dir, "files.ts"))});
    const L = await import(${JSON.stringify(join(import.meta.dir, "ffi.ts"))});
    ${body}`;
  const out = Bun.spawnSync([process.execPath, "-e", script], { env: { ...process.env, PLASMITE_NATIVE: "" } });
  if (out.exitCode !== 0) throw new Error(out.stderr.toString());
  return JSON.parse(out.stdout.toString());
}

// What a pool needs from the OS, done on one file: open, size, map, write through the mapping, lock, identity,
// and a futex wait on a word whose high bit is set (a u32 argument the native layer must not mangle).
const exercise = (path: string) => `
  const s = N.sys();
  const { fd } = F.openExisting(${JSON.stringify(path)});
  const m = F.mapFile(${JSON.stringify(path)}, fd, F.fileSize(fd, "f"), true);
  m.bytes[5] = 0x41;
  new DataView(m.bytes.buffer).setUint32(8, 0x80000001, true);
  const locked = F.tryLockExclusive(m);
  F.unlock(m);
  const t0 = performance.now();
  const same = s.futexWait(m.addr, 8, 0x80000001, 20000);
  const waitedMs = performance.now() - t0;
  const differs = s.futexWait(m.addr, 8, 0x80000002, 2000000);
  const id = F.fileIdentity(fd, "f");
  F.unmapAndClose(m);
  console.log(JSON.stringify({ layer: L.ffi().layer, backend: s.backend, locked, same, waited: waitedMs >= 15, differs, id, tty: s.isatty(99) }));`;

describe("FFI layer", () => {
  test("the start-up path binds through Bun's native FFI object, not the bun:ffi module", () => {
    // If a Bun upgrade removes or reshapes Bun.FFI this fails: the fallback still works, but every command
    // then starts slower, which the start-up budget (scripts/bench-startup.ts) needs to know.
    expect(ffi().layer).toBe("native");
    expect(sys().backend).toBe(process.platform === "linux" && process.arch === "x64" ? "shim" : "libc");
  });

  test("native and bun:ffi layers do the same OS work on the same file, u32 arguments with the high bit intact", () => {
    const results = ["native", "module"].map((layer) => {
      const path = join(dir, `file-${layer}`);
      writeFileSync(path, Buffer.alloc(4096));
      // the module path: bun:ffi loaded first (it keeps its own reference), then the native object hidden
      const prelude = layer === "module" ? `await import("bun:ffi"); Bun.FFI.dlopen = undefined;` : "";
      const r = inProcess(exercise(path), prelude) as Record<string, unknown>;
      const bytes = readFileSync(path);
      return { r, bytes };
    });
    for (const [i, layer] of ["native", "module"].entries()) {
      const { r } = results[i];
      expect(r.layer).toBe(layer);
      expect(r.locked).toBe(true);
      // equal word: the wait slept until its timeout; a different word: returned at once
      expect({ same: r.same, waited: r.waited, differs: r.differs }).toEqual({ same: -110, waited: true, differs: 0 });
      expect(r.tty).toBe(0);
      // written through the shared mapping: the file holds it
      expect([...results[i].bytes.subarray(5, 6), ...results[i].bytes.subarray(8, 12)]).toEqual([0x41, 0x01, 0, 0, 0x80]);
      expect(String(r.id)).toMatch(/^\d+:\d+$/);
    }
    expect(results[0].r.backend).toBe(results[1].r.backend);
  });
});
