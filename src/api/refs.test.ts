import { describe, expect, test } from "bun:test";
import { join, resolve } from "node:path";
import { defaultPoolDir, resolveIn, resolvePoolRef } from "./refs.ts";

describe("pool refs", () => {
  test("resolveIn is path.resolve for every shape of directory and name", () => {
    const dirs = ["/tmp/pools", "/", "/a/.", "/a/..", "/.", "/..", "/a/b/", "/tmp/pools/", "/tmp//pools", "/tmp/./pools", "/tmp/../pools", "/a/.hidden/b", "/a/..b/c", "/a/b.", "rel/dir", "rel", "rel/", "rel/./d", "rel/../d", "rel//d", "./rel", "../up", ".hidden", "a..b/c", ".", "..", ""];
    const names = ["chat.plasmite", ".x.plasmite", "..", ".", "a/b", "/abs/x", "../up.plasmite", "a..b"];
    for (const d of dirs) for (const n of names) expect({ d, n, r: resolveIn(d, n) }).toEqual({ d, n, r: resolve(d, n) });
  });

  test("a ref names DIR/NAME.plasmite, DIR/REF, or a path", () => {
    expect(resolvePoolRef("/p", "chat")).toBe("/p/chat.plasmite");
    expect(resolvePoolRef("/p", "chat.plasmite")).toBe("/p/chat.plasmite");
    expect(resolvePoolRef("/p", "./x/chat.plasmite")).toBe(resolve("x/chat.plasmite"));
    expect(resolvePoolRef("rel", "chat")).toBe(resolve("rel", "chat.plasmite"));
  });

  test("the default directory is ~/.plasmite/pools, as path.join would build it", () => {
    const saved = process.env.HOME;
    try {
      for (const home of ["/home/u", "/home/u/", "/home//u", "rel", "/"]) {
        process.env.HOME = home;
        expect(defaultPoolDir()).toBe(join(home, ".plasmite", "pools"));
      }
      process.env.HOME = "";
      expect(defaultPoolDir()).toBe(".plasmite/pools");
    } finally {
      process.env.HOME = saved;
    }
  });
});
