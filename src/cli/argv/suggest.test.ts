import { describe, expect, test } from "bun:test";
import { closest, editDistance } from "./suggest.ts";

const COMMANDS = ["poke", "peek", "get", "pool", "doctor", "serve", "completion", "version", "help"];

describe("did you mean", () => {
  test("edit distance counts a swap of neighbours as one edit", () => {
    expect(editDistance("kitten", "sitting")).toBe(3);
    expect(editDistance("tial", "tail")).toBe(1);
    expect(editDistance("", "abc")).toBe(3);
    expect(editDistance("same", "same")).toBe(0);
  });

  test("the nearest command or flag when it is a likely typo, nothing for an unrelated word", () => {
    expect(closest("peak", COMMANDS)).toBe("peek");
    expect(closest("poek", COMMANDS)).toBe("poke");
    expect(closest("doctr", COMMANDS)).toBe("doctor");
    expect(closest("--tial", ["--tail", "--tag", "--since"])).toBe("--tail");
    expect(closest("--creat", ["--create", "--create-size"])).toBe("--create");
    expect(closest("mcp", COMMANDS)).toBeUndefined();
    expect(closest("frobnicate", COMMANDS)).toBeUndefined();
    expect(closest("x", COMMANDS)).toBeUndefined();
  });
});
