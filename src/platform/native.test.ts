import { afterAll, describe, expect, test } from "bun:test";
import { linkSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import shimBase64 from "../../native/prebuilt/linux-x64-gnu/libplasmite.ts";
import { fileIdentity, openExisting, closeFd, mapFile, prefetchRanges, unmapAndClose } from "./files.ts";
import { sys } from "./native.ts";

const dir = mkdtempSync(join(tmpdir(), "plasmite-native-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("native shim", () => {
  test("the embedded module holds exactly the prebuilt library's bytes", () => {
    const embedded = Uint8Array.fromBase64(shimBase64);
    expect(Buffer.from(embedded).equals(readFileSync(join(import.meta.dir, "../../native/prebuilt/linux-x64-gnu/libplasmite.so")))).toBe(true);
  });

  test("loads here from memory and reports file identity: one file by any path, distinct files apart", () => {
    expect(sys().backend).toBe(process.platform === "linux" && process.arch === "x64" ? "shim" : "libc");
    const a = join(dir, "a");
    const b = join(dir, "b");
    writeFileSync(a, "a");
    writeFileSync(b, "b");
    linkSync(a, join(dir, "a-hard"));
    symlinkSync(a, join(dir, "a-sym"));
    const id = (p: string) => {
      const { fd } = openExisting(p, false);
      try {
        return fileIdentity(fd, p);
      } finally {
        closeFd(fd);
      }
    };
    expect(id(join(dir, "a-hard"))).toBe(id(a));
    expect(id(join(dir, "a-sym"))).toBe(id(a));
    expect(id(b)).not.toBe(id(a));
    // the libc fallback computes the same identity
    const script = `import { fileIdentity, openExisting } from ${JSON.stringify(join(import.meta.dir, "files.ts"))}; import { sys } from ${JSON.stringify(join(import.meta.dir, "native.ts"))};
      console.log(JSON.stringify([sys().backend, fileIdentity(openExisting(${JSON.stringify(a)}, false).fd, "a")]));`;
    const out = Bun.spawnSync([process.execPath, "-e", script], { env: { ...process.env, PLASMITE_NATIVE: "libc" } });
    expect(JSON.parse(out.stdout.toString())).toEqual(["libc", id(a)]);
  });

  test("outputClosed: true once the reader of a pipe has gone, false while it reads, on both backends", () => {
    const files = JSON.stringify(join(import.meta.dir, "files.ts"));
    const script = `import { outputClosed } from ${files}; await Bun.sleep(200); console.error(JSON.stringify(outputClosed(1)));`;
    for (const backend of ["shim", "libc"]) {
      const env = { ...process.env, PLASMITE_NATIVE: backend === "libc" ? "libc" : "" };
      const gone = Bun.spawnSync(["bash", "-c", `'${process.execPath}' -e '${script}' | true`], { env });
      expect({ backend, closed: gone.stderr.toString().trim() }).toEqual({ backend, closed: "true" });
      const reading = Bun.spawnSync(["bash", "-c", `'${process.execPath}' -e '${script}' | cat`], { env });
      expect({ backend, closed: reading.stderr.toString().trim() }).toEqual({ backend, closed: "false" });
    }
  });

  test("prefetch asks for every line of each range, at most 64 per range, on the shim; the libc backend has none", () => {
    const path = join(dir, "prefetched");
    writeFileSync(path, new Uint8Array(1 << 20));
    const { fd } = openExisting(path, false);
    const file = mapFile(path, fd, 1 << 20, false);
    try {
      // [0, 64): 1 line; [10, 200): the lines at 0, 64, 128, 192; [4096, 1 MiB): capped at 64; a lone last number: none
      const ranges = new Float64Array([0, 64, 10, 200, 4096, 1 << 20, 8192]);
      expect(sys().prefetch!(file.addr, ranges, 7)).toBe(1 + 4 + 64);
      expect(sys().prefetch!(file.addr, ranges, 0)).toBe(0);
      expect(prefetchRanges(file, ranges, 6)).toBe(true);
    } finally {
      unmapAndClose(file);
    }
    const script = `import { sys } from ${JSON.stringify(join(import.meta.dir, "native.ts"))}; console.log(JSON.stringify([sys().backend, typeof sys().prefetch]));`;
    const out = Bun.spawnSync([process.execPath, "-e", script], { env: { ...process.env, PLASMITE_NATIVE: "libc" } });
    expect(JSON.parse(out.stdout.toString())).toEqual(["libc", "undefined"]);
  });

  test("an unsupported OS gets a plain error with a hint, not a failed dlopen", () => {
    const script = `Object.defineProperty(process, "platform", { value: "win32" });
      const { sys } = await import(${JSON.stringify(join(import.meta.dir, "native.ts"))});
      try { sys(); } catch (e) { console.log(JSON.stringify({ kind: e.kind, message: e.message, hint: e.hint })); }`;
    const out = Bun.spawnSync([process.execPath, "-e", script]);
    expect(JSON.parse(out.stdout.toString())).toEqual({ kind: "Internal", message: "plasmite runs on Linux and macOS; this is win32", hint: "Use WSL (Windows Subsystem for Linux)." });
  });
});
