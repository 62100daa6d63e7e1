// A streaming `pls poke` whose pool file is deleted (or deleted and re-created) while it runs: it fails NotFound
// (exit 3) without a receipt for any record the pool does not hold, whether it was writing or idle.
import { afterAll, describe, expect, test } from "bun:test";
import { rmSync } from "node:fs";
import { join } from "node:path";
import { errorOf, pls, start, tempRoot } from "./test-harness.ts";

const root = tempRoot("poke-unlinked");
afterAll(() => rmSync(root, { recursive: true, force: true }));
let n = 0;

/** A pool and a running `pls poke POOL` reading records from its stdin. */
async function streamingPoke() {
  const dir = join(root, `d${n++}`);
  expect(pls(["--dir", dir, "pool", "create", "p", "--size", "64K"]).code).toBe(0);
  const writer = start(["--dir", dir, "poke", "p"]);
  const send = (line: string) => {
    try {
      writer.proc.stdin.write(line + "\n");
      writer.proc.stdin.flush();
    } catch {
      // the writer may already have ended on its once-a-second check (a slow machine): its exit is checked below
    }
  };
  send('{"i":1}');
  expect(JSON.parse((await writer.line())!).seq).toBe(1);
  return { dir, file: join(dir, "p.plasmite"), writer, send };
}

async function finished(writer: ReturnType<typeof start>) {
  const code = await writer.proc.exited;
  const rest: string[] = [];
  for (let l = await writer.line(100); l !== null; l = await writer.line(100)) rest.push(l);
  return { code, out: rest, err: await writer.stderr() };
}

const newest = (dir: string) => JSON.parse(pls(["--dir", dir, "pool", "info", "p", "--json"]).out).bounds.newest;

describe("a streaming poke whose pool goes away", () => {
  test("deleted and re-created: the next record fails NotFound with no receipt; the new pool holds nothing", async () => {
    const { dir, file, writer, send } = await streamingPoke();
    rmSync(file);
    expect(pls(["--dir", dir, "pool", "create", "p", "--size", "64K"]).code).toBe(0);
    send('{"i":2}');
    send('{"i":3}');
    const r = await finished(writer);
    expect(r.code).toBe(3);
    expect(r.out).toEqual([]);
    const e = errorOf(r);
    expect(e.kind).toBe("NotFound");
    expect(e.message).toContain("deleted or replaced");
    expect(newest(dir)).toBeNull();
  });

  test("deleted: the next record fails NotFound with no receipt", async () => {
    const { file, writer, send } = await streamingPoke();
    rmSync(file);
    send('{"i":2}');
    const r = await finished(writer);
    expect(r.code).toBe(3);
    expect(r.out).toEqual([]);
    expect(errorOf(r).kind).toBe("NotFound");
  });

  test("deleted while the input is idle: the poke ends NotFound within about a second, without more input", async () => {
    const { dir, file, writer } = await streamingPoke();
    rmSync(file);
    expect(pls(["--dir", dir, "pool", "create", "p", "--size", "64K"]).code).toBe(0);
    const t0 = performance.now();
    const r = await finished(writer);
    expect(r.code).toBe(3);
    expect(errorOf(r).kind).toBe("NotFound");
    expect(performance.now() - t0).toBeLessThan(3000);
    expect(newest(dir)).toBeNull();
  });

  test("a pool that stays: the stream keeps going and ends 0", async () => {
    const { dir, writer, send } = await streamingPoke();
    send('{"i":2}');
    expect(JSON.parse((await writer.line())!).seq).toBe(2);
    await Bun.sleep(1200); // past an idle check
    send('{"i":3}');
    writer.proc.stdin.end();
    const r = await finished(writer);
    expect(r.code).toBe(0);
    expect(r.out.map((l) => JSON.parse(l).seq)).toEqual([3]);
    expect(newest(dir)).toBe(3);
  });
});
