// argv-utf8.ts against made-up command lines: which arguments holding U+FFFD were invalid UTF-8 bytes.
import { expect, test } from "bun:test";
import { checkArgvUtf8 } from "./argv-utf8.ts";

const cmdline = (...args: Array<string | number[]>) =>
  new Uint8Array(args.flatMap((a) => [...(typeof a === "string" ? new TextEncoder().encode(a) : a), 0]));

test("U+FFFD decoded from an invalid byte is refused, naming the argument; typed U+FFFD passes", () => {
  const typed = cmdline("bun", "main.ts", "poke", "p", '{"a":"\uFFFD"}');
  expect(() => checkArgvUtf8(["poke", "p", '{"a":"\uFFFD"}'], typed)).not.toThrow();
  const invalid = cmdline("bun", "main.ts", "poke", "p", [0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xff, 0x22, 0x7d]);
  expect(() => checkArgvUtf8(["poke", "p", '{"a":"\uFFFD"}'], invalid)).toThrow("argument 3 is not valid UTF-8");
  // a compiled binary's command line has one word before the arguments, not two
  const compiled = cmdline("./pls", "poke", [0x70, 0xc3]);
  expect(() => checkArgvUtf8(["poke", "p\uFFFD"], compiled)).toThrow("argument 2 is not valid UTF-8");
});

test("without the command line's bytes (not Linux), an argument holding U+FFFD is refused", () => {
  expect(() => checkArgvUtf8(["poke", "p", '{"a":"\uFFFD"}'], null)).toThrow("argument 3 is not valid UTF-8");
  expect(() => checkArgvUtf8(["poke", "p", "{}"], null)).not.toThrow();
});
