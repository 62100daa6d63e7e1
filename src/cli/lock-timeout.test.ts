// Writers wait a bounded time for a pool locked by another process (a real util-linux `flock -x` holder):
// `pls poke` exits 5 (Busy) naming the holder, after --lock-timeout MS, $PLASMITE_LOCK_TIMEOUT_MS, or 5000 ms.
import { afterAll, describe, expect, test } from "bun:test";
import { rmSync } from "node:fs";
import { join } from "node:path";
import { errorOf, holdFlock, pls, tempRoot } from "./test-harness.ts";

const root = tempRoot("lock-timeout");
afterAll(() => rmSync(root, { recursive: true, force: true }));

function timed<T>(fn: () => T): { r: T; ms: number } {
  const t0 = performance.now();
  const r = fn();
  return { r, ms: performance.now() - t0 };
}

describe("pls poke on a pool another process has locked", () => {
  const dir = join(root, "pools");
  const file = join(dir, "p.plasmite");

  test("fails Busy (exit 5) after --lock-timeout, naming the holder; nothing is written", async () => {
    expect(pls(["--dir", dir, "pool", "create", "p", "--size", "64K"]).code).toBe(0);
    const holder = await holdFlock(file);
    try {
      const { r, ms } = timed(() => pls(["--dir", dir, "poke", "p", "--lock-timeout", "400", '{"a":1}']));
      expect(r.code).toBe(5);
      expect(r.out).toBe("");
      const e = errorOf(r);
      expect(e.kind).toBe("Busy");
      expect(e.message).toContain(`held by pid ${holder.pid} (flock)`);
      expect(e.message).toContain("400 ms");
      expect(e.hint).toContain("--lock-timeout");
      expect(ms).toBeGreaterThanOrEqual(400);
      expect(ms).toBeLessThan(4000);

      // a stream: no receipt for anything, exit 5
      const s = pls(["--dir", dir, "poke", "p", "--lock-timeout", "200"], { stdin: '{"a":1}\n{"a":2}\n' });
      expect(s.code).toBe(5);
      expect(s.out).toBe("");
      expect(errorOf(s).kind).toBe("Busy");
    } finally {
      await holder.release();
    }
    expect(JSON.parse(pls(["--dir", dir, "pool", "info", "p", "--json"]).out).bounds.newest).toBeNull();
  });

  test("PLASMITE_LOCK_TIMEOUT_MS sets the wait; the flag wins over it; the default is 5000 ms", async () => {
    const holder = await holdFlock(file);
    try {
      const env = timed(() => pls(["--dir", dir, "poke", "p", '{"a":1}'], { env: { PLASMITE_LOCK_TIMEOUT_MS: "300" } }));
      expect(env.r.code).toBe(5);
      expect(errorOf(env.r).message).toContain("gave up waiting after 300 ms");
      expect(env.ms).toBeLessThan(4000);

      const flag = timed(() => pls(["--dir", dir, "poke", "p", "--lock-timeout", "0", '{"a":1}'], { env: { PLASMITE_LOCK_TIMEOUT_MS: "60000" } }));
      expect(flag.r.code).toBe(5);
      expect(errorOf(flag.r).message).toContain("after 0 ms");
      expect(flag.ms).toBeLessThan(4000);

      const dflt = timed(() => pls(["--dir", dir, "poke", "p", '{"a":1}'], { env: { PLASMITE_LOCK_TIMEOUT_MS: "" } }));
      expect(dflt.r.code).toBe(5);
      expect(errorOf(dflt.r).message).toContain("after 5000 ms");
      expect(dflt.ms).toBeGreaterThanOrEqual(5000);
      expect(dflt.ms).toBeLessThan(9000);
    } finally {
      await holder.release();
    }
    // released: the next poke goes straight through
    const ok = timed(() => pls(["--dir", dir, "poke", "p", "--lock-timeout", "100", '{"a":1}']));
    expect(ok.r.code).toBe(0);
    expect(JSON.parse(ok.r.out).seq).toBe(1);
  }, 30_000);

  test("bad values are Usage (exit 2); the flag is for local pools", () => {
    for (const [args, env] of [
      [["--lock-timeout", "soon"], {}],
      [["--lock-timeout", "-5"], {}],
      [["--lock-timeout", "3600001"], {}],
      [[], { PLASMITE_LOCK_TIMEOUT_MS: "5s" }],
    ] as Array<[string[], Record<string, string>]>) {
      const r = pls(["--dir", dir, "poke", "p", ...args, '{"a":1}'], { env });
      expect(r.code).toBe(2);
      expect(errorOf(r).message).toMatch(/--lock-timeout|PLASMITE_LOCK_TIMEOUT_MS/);
    }
    const remote = pls(["poke", "http://127.0.0.1:1/p", "--lock-timeout", "10", '{"a":1}']);
    expect(remote.code).toBe(2);
    expect(errorOf(remote).message).toContain("--lock-timeout applies to local pools");
  });
});
