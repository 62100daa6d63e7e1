// The CLI as users run it (real `bun src/cli/main.ts` processes): pool admin, get, poke (single and streams),
// doctor, completion, version, exit codes, byte-for-byte safety of rejected writes.
import { afterAll, describe, expect, test } from "bun:test";
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { BUN, MAIN, errorOf, lines, pls, tempRoot } from "./test-harness.ts";

const root = tempRoot("cli-test");
afterAll(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
const freshDir = () => join(root, `d${n++}`);

describe("poke and get", () => {
  test("poke --create then get, with --dir before or after the subcommand", () => {
    const dir = freshDir();
    const poke = pls(["--dir", dir, "poke", "chat", "--create", '{"from": "alice", "msg": "hello bob"}', "--tag", "a", "-t", "b", "--tag=c"]);
    expect(poke.code).toBe(0);
    const receipt = JSON.parse(poke.out);
    expect(receipt.seq).toBe(1);
    expect(receipt.meta).toEqual({ tags: ["a", "b", "c"] });
    expect(receipt.time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,9})?Z$/);
    expect(pls(["poke", "chat", '{"from": "alice", "msg": "you there?"}', "--dir", dir]).code).toBe(0);
    const get = pls(["--dir", dir, "get", "chat", "1"]);
    expect(get.code).toBe(0);
    expect(JSON.parse(get.out)).toEqual({ seq: 1, time: receipt.time, meta: { tags: ["a", "b", "c"] }, data: { from: "alice", msg: "hello bob" } });
    expect(Object.keys(JSON.parse(get.out))).toEqual(["seq", "time", "meta", "data"]);
    expect(JSON.parse(pls(["get", "chat", "2", "--dir", dir]).out).data.msg).toBe("you there?");
  });

  test("PLASMITE_DIR sets the pool directory; a ref with / is a path", () => {
    const dir = freshDir();
    expect(pls(["poke", "envpool", "--create", "{}"], { env: { PLASMITE_DIR: dir } }).code).toBe(0);
    expect(JSON.parse(pls(["get", join(dir, "envpool.plasmite"), "1"]).out).seq).toBe(1);
    expect(JSON.parse(pls(["--dir", dir, "get", "envpool.plasmite", "1"]).out).seq).toBe(1);
  });

  test("--file, --file -, --durability flush, --create-size", () => {
    const dir = freshDir();
    const file = join(dir + "-in.jsonl");
    writeFileSync(file, '{"n":1}\n{"n":2}\n');
    const r = pls(["--dir", dir, "poke", "f", "--create", "--create-size", "64K", "--file", file, "--durability", "flush"]);
    expect(r.code).toBe(0);
    expect(lines(r.out).map((x) => (x as { seq: number }).seq)).toEqual([1, 2]);
    expect(pls(["--dir", dir, "poke", "f", "--file", "-"], { stdin: '{"n":3}' }).code).toBe(0);
    const info = JSON.parse(pls(["--dir", dir, "pool", "info", "f", "--json"]).out);
    expect(info.file_size).toBe(65536);
    expect(info.bounds).toEqual({ oldest: 1, newest: 3 });
  });

  test("stream ingest: JSON Lines with pretty-printed values, JSON-seq, SSE data lines, jq-style, one document", () => {
    const dir = freshDir();
    const cases: Array<[string[], string, unknown[]]> = [
      [[], '{"a":1}\n\n{\n  "pretty": [1,\n 2]\n}\n{"b":2}\n', [{ a: 1 }, { pretty: [1, 2] }, { b: 2 }]],
      [[], '\x1e{"s":1}\n\x1e{"s":2}\n', [{ s: 1 }, { s: 2 }]],
      [[], 'data: {"e":1}\n\n: keepalive\nevent: x\ndata: {"e":\ndata: 2}\n\n', [{ e: 1 }, { e: 2 }]],
      [["--in", "jq"], '{"j":1}{"j":2} {"j":"a}b"}\n', [{ j: 1 }, { j: 2 }, { j: "a}b" }]],
      [["--in", "json"], '{\n"whole": true\n}', [{ whole: true }]],
      [["--in", "jsonl"], '{"l":1}\r\n{"l":2}\r\n', [{ l: 1 }, { l: 2 }]],
    ];
    for (const [flags, input, expected] of cases) {
      const pool = `p${n++}`;
      const r = pls(["--dir", dir, "poke", pool, "--create", ...flags], { stdin: input });
      expect(r.err).toBe("");
      expect(r.code).toBe(0);
      const got = expected.map((_, i) => JSON.parse(pls(["--dir", dir, "get", pool, String(i + 1)]).out).data);
      expect(got).toEqual(expected);
      expect(pls(["--dir", dir, "get", pool, String(expected.length + 1)]).code).toBe(3);
    }
  });

  test("a one-line record is stored as written (64-bit ids keep their digits); a multi-line one compactly", () => {
    const dir = freshDir();
    const exact = '{"id": 12345678901234567890, "price": 1.50, "s": "é 日本"}';
    expect(pls(["--dir", dir, "poke", "x", "--create", exact]).code).toBe(0);
    expect(pls(["--dir", dir, "poke", "x", '{\n  "pretty": "\\u00e9"\n}']).code).toBe(0);
    // a stream of 3000 records crosses several reads; the second half is not ASCII
    const input = Array.from({ length: 3000 }, (_, i) => (i < 1500 ? `{"i": ${i}, "big": 9007199254740993${i}}` : `{"i": ${i}, "s": "ü${i}"}`)).join("\n") + "\n";
    const r = pls(["--dir", dir, "poke", "x"], { stdin: input });
    expect(r.code).toBe(0);
    expect(lines(r.out).length).toBe(3000);
    const out = pls(["--dir", dir, "peek", "x", "--tail", "3002", "--jsonl", "--data-only", "--timeout", "1ms"]).out.trimEnd().split("\n");
    expect(out).toEqual([exact, '{"pretty":"\\u00e9"}', ...input.trimEnd().split("\n")]);
    const doctor = JSON.parse(pls(["--dir", dir, "doctor", "x"]).out).reports[0];
    expect([doctor.status, doctor.messages_checked]).toEqual(["ok", 3002]);
  });

  test("--errors skip appends every good record and reports every bad one (exit 1)", () => {
    const dir = freshDir();
    const r = pls(["--dir", dir, "poke", "s", "--create", "--errors", "skip"], { stdin: '{"ok":1}\nnope\n[1,2]\n{"ok":2}\n"str"\n{"ok":3}\n' });
    expect(r.code).toBe(1);
    expect(lines(r.out).length).toBe(3);
    const notices = lines(r.err) as Array<{ notice: { kind: string; details: Record<string, unknown> } }>;
    expect(notices.map((x) => x.notice.kind)).toEqual(["ingest_skip", "ingest_skip", "ingest_skip", "ingest_summary"]);
    expect(notices.slice(0, 3).map((x) => x.notice.details.line)).toEqual([2, 3, 5]);
    expect(notices[3].notice.details).toMatchObject({ total: 6, ok: 3, failed: 3 });
  });

  test("--errors stop (default) appends records before the bad one, then exits 2 naming it", () => {
    const dir = freshDir();
    const r = pls(["--dir", dir, "poke", "s", "--create"], { stdin: '{"ok":1}\n{"bad"\n{"ok":2}\n' });
    expect(r.code).toBe(2);
    expect(errorOf(r).message).toContain("line 2");
    expect(JSON.parse(pls(["--dir", dir, "pool", "info", "s"]).out).bounds).toEqual({ oldest: 1, newest: 1 });
  });

  test("a record too big for the pool: stop appends the records before it; skip keeps going (review regression)", () => {
    const dir = freshDir();
    pls(["--dir", dir, "pool", "create", "small", "--size", "8K"]);
    const input = `{"a":1}\n{"big":"${"x".repeat(5000)}"}\n{"c":3}\n`;
    const stop = pls(["--dir", dir, "poke", "small"], { stdin: input });
    expect(stop.code).toBe(2);
    expect(errorOf(stop).message).toContain("record 2");
    expect(JSON.parse(pls(["--dir", dir, "pool", "info", "small"]).out).bounds).toEqual({ oldest: 1, newest: 1 });
    const skip = pls(["--dir", dir, "poke", "small", "--errors", "skip"], { stdin: input });
    expect(skip.code).toBe(1);
    expect(lines(skip.out).length).toBe(2);
    expect(skip.err).toContain('"error_kind":"Oversize"');
  });

  test("auto mode: a truncated line does not swallow the valid lines after it (review regression)", () => {
    const dir = freshDir();
    const r = pls(["--dir", dir, "poke", "b", "--create", "--errors", "skip"], { stdin: '{"a":1\n{"b":2}\n{"c":3}\n' });
    expect(r.code).toBe(1);
    expect(lines(r.out).length).toBe(2);
    expect(JSON.parse(pls(["--dir", dir, "get", "b", "1"]).out).data).toEqual({ b: 2 });
    // pretty-printed values still work
    const pretty = pls(["--dir", dir, "poke", "b"], { stdin: '{\n  "p": {\n    "q": [1, 2]\n  }\n}\n' });
    expect(pretty.code).toBe(0);
  });

  test("per-record size limit", () => {
    const dir = freshDir();
    const r = pls(["--dir", dir, "poke", "s", "--create", "--max-record-bytes", "100", "--errors", "skip"], { stdin: `{"small":1}\n{"big":"${"x".repeat(200)}"}\n` });
    expect(r.code).toBe(1);
    expect(r.err).toContain('"error_kind":"Oversize"');
    expect(lines(r.out).length).toBe(1);
  });

  test("a rejected poke leaves the pool byte-for-byte unchanged", () => {
    const dir = freshDir();
    pls(["--dir", dir, "poke", "p", "--create", "--create-size", "64K", '{"ok": true}']);
    const before = readFileSync(join(dir, "p.plasmite"));
    for (const bad of ["{not json", "[1,2]", '"text"', "42", "null", "", JSON.stringify({ big: "x".repeat(100_000) })]) {
      const r = pls(["--dir", dir, "poke", "p", bad]);
      expect(r.code).toBe(2);
      expect(errorOf(r).kind).toBe("Usage");
      expect(r.out).toBe("");
    }
    // invalid UTF-8 is refused, not stored as replacement characters (found by the fault campaign)
    const badUtf8 = pls(["--dir", dir, "poke", "p"], { stdin: new Uint8Array([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xff, 0x22, 0x7d, 0x0a]) });
    expect(badUtf8.code).toBe(2);
    expect(errorOf(badUtf8).message).toContain("not valid UTF-8");
    // a boolean flag given a value is a Usage error, not silently ignored
    expect(pls(["--dir", dir, "peek", "p", "--jsonl=maybe", "--timeout", "10ms"]).code).toBe(2);
    const stream = pls(["--dir", dir, "poke", "p", "--in", "json"], { stdin: "[1]" });
    expect(stream.code).toBe(2);
    expect(pls(["--dir", dir, "poke", "p"], { stdin: "" }).code).toBe(2);
    expect(readFileSync(join(dir, "p.plasmite"))).toEqual(before);
  });

  test("an argument that is not valid UTF-8 is refused (exit 2, Usage); a typed U+FFFD is kept", () => {
    const dir = freshDir();
    pls(["--dir", dir, "poke", "p", "--create", "--create-size", "64K", '{"ok": true}']);
    const before = readFileSync(join(dir, "p.plasmite"));
    // Bun hands argv over with U+FFFD in place of invalid bytes; bash's $'\xff' puts the raw bytes in argv
    const raw = (words: string) => {
      const r = Bun.spawnSync(["bash", "-c", `exec "$0" "$1" --dir "$2" ${words}`, BUN, MAIN, dir], { env: { ...process.env, NO_COLOR: "1" } });
      return { code: r.exitCode, out: r.stdout.toString(), err: r.stderr.toString() };
    };
    for (const words of [`poke p $'{"a":"\\xff"}'`, `poke p $'{"a":"ok\\xc3"}'`, `poke p --tag $'t\\xe2\\x82' '{}'`, `poke $'p\\xff' '{}'`]) {
      const r = raw(words);
      expect([words, r.code]).toEqual([words, 2]);
      expect(errorOf(r)).toMatchObject({ kind: "Usage" });
      expect(errorOf(r).message).toContain("is not valid UTF-8");
      expect(r.out).toBe("");
    }
    expect(readFileSync(join(dir, "p.plasmite"))).toEqual(before);
    // the same character typed (valid UTF-8 bytes, here through bash as well) is stored
    expect(raw(`poke p $'{"a":"\\xef\\xbf\\xbd"}'`).code).toBe(0);
    expect(JSON.parse(pls(["--dir", dir, "peek", "p", "--tail", "1", "--jsonl", "--timeout", "1ms"]).out).data).toEqual({ a: "\uFFFD" });
  }, 20_000);

  test("--retry and --retry-delay validation; --create-size needs --create", () => {
    const dir = freshDir();
    expect(errorOf(pls(["--dir", dir, "poke", "p", "--create", "--retry-delay", "10ms", "{}"])).message).toContain("--retry-delay requires --retry");
    expect(pls(["--dir", dir, "poke", "p", "--create", "--retry", "2", "--retry-delay", "10ms", "{}"]).code).toBe(0);
    expect(errorOf(pls(["--dir", dir, "poke", "q", "--create-size", "64K", "{}"])).message).toContain("--create-size requires --create");
    expect(pls(["--dir", dir, "poke", "p", "--durability", "slow", "{}"]).code).toBe(2);
    expect(pls(["--dir", dir, "poke", "p", "--in", "xml", "{}"]).code).toBe(2);
  });

  test("--retry repeats a failed open (Io) and says so; a plain failure names the errno", () => {
    const dir = freshDir();
    mkdirSync(join(dir, "p.plasmite"), { recursive: true }); // a directory where the pool file should be
    const t0 = performance.now();
    const retried = pls(["--dir", dir, "poke", "p", "--retry", "2", "--retry-delay", "30ms", "{}"]);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(60);
    expect(retried.code).toBe(8);
    expect(errorOf(retried)).toMatchObject({ kind: "Io", message: `open failed for ${join(dir, "p.plasmite")}: is a directory (EISDIR)` });
    expect(errorOf(retried).hint).toMatch(/^A pool is a file; this path names a directory\. Retry attempts: 2 \(waited \d+ms\)\.$/);
    const once = pls(["--dir", dir, "poke", "p", "{}"]);
    expect(once.code).toBe(8);
    expect(errorOf(once).hint).toBe("A pool is a file; this path names a directory.");
    // NotFound is not retried: it fails at once
    const t1 = performance.now();
    expect(pls(["--dir", dir, "poke", "missing", "--retry", "3", "--retry-delay", "500ms", "{}"]).code).toBe(3);
    expect(performance.now() - t1).toBeLessThan(1500);
  });
});

describe("pool admin", () => {
  test("pool create big --size 8M ; pool list ; pool info big ; pool delete a b c", () => {
    const dir = freshDir();
    const created = pls(["--dir", dir, "pool", "create", "big", "--size", "8M"]);
    expect(created.code).toBe(0);
    expect(JSON.parse(created.out).created[0]).toMatchObject({ name: "big", file_size: 8 * 1024 * 1024, bounds: { oldest: null, newest: null } });
    expect(pls(["--dir", dir, "pool", "create", "a", "b", "--size", "64K", "--index-capacity", "0"]).code).toBe(0);
    const list = JSON.parse(pls(["--dir", dir, "pool", "list"]).out);
    expect(list.pools.map((p: { name: string }) => p.name)).toEqual(["a", "b", "big"]);
    expect(list.pools[0]).toMatchObject({ file_size: 65536, message_count: 0 });
    const info = JSON.parse(pls(["--dir", dir, "pool", "info", "big"]).out);
    expect(info).toMatchObject({ name: "big", file_size: 8388608, index_offset: 4096, bounds: { oldest: null, newest: null } });
    expect(info.metrics).toMatchObject({ message_count: 0, seq_span: 0, utilization: { used_bytes: 0 }, age: { oldest_time: null } });
    const del = pls(["--dir", dir, "pool", "delete", "a", "b", "c"]);
    expect(del.code).toBe(3);
    const body = JSON.parse(del.out);
    expect(body.deleted.map((d: { pool: string }) => d.pool)).toEqual(["a", "b"]);
    expect(body.failed[0]).toMatchObject({ pool: "c", error: { kind: "NotFound" } });
    expect(JSON.parse(pls(["--dir", dir, "pool", "list"]).out).pools.map((p: { name: string }) => p.name)).toEqual(["big"]);
  });

  test("create refuses to clobber (exit 4) and bad sizes are Usage (exit 2)", () => {
    const dir = freshDir();
    expect(pls(["--dir", dir, "pool", "create", "p"]).code).toBe(0);
    const again = pls(["--dir", dir, "pool", "create", "p"]);
    expect(again.code).toBe(4);
    expect(errorOf(again)).toMatchObject({ kind: "AlreadyExists", path: join(dir, "p.plasmite") });
    for (const size of ["lots", "10", "5G", "-1M", "1.5X"]) {
      const r = pls(["--dir", dir, "pool", "create", "q", "--size", size]);
      expect(r.code).toBe(2);
      expect(errorOf(r).kind).toBe("Usage");
    }
    expect(pls(["--dir", dir, "pool", "create", "q", "--size", "64K", "--index-capacity", "100000"]).code).toBe(2);
  });

  test("list shows an unreadable pool with its error instead of failing", async () => {
    const dir = freshDir();
    pls(["--dir", dir, "pool", "create", "good", "bad"]);
    await Bun.write(join(dir, "bad.plasmite"), "NOPE");
    const list = JSON.parse(pls(["--dir", dir, "pool", "list"]).out);
    expect(list.pools[0]).toMatchObject({ name: "bad", error: { kind: "Corrupt" } });
    expect(list.pools[1]).toMatchObject({ name: "good", file_size: 1048576 });
    expect(JSON.parse(pls(["--dir", join(root, "none"), "pool", "list"]).out)).toEqual({ pools: [] });
  });
});

describe("doctor", () => {
  test("doctor chat ; doctor --all (exit 7 when any pool is corrupt)", async () => {
    const dir = freshDir();
    for (let i = 0; i < 5; i++) pls(["--dir", dir, "poke", "chat", "--create", JSON.stringify({ i })]);
    const ok = pls(["--dir", dir, "doctor", "chat"]);
    expect(ok.code).toBe(0);
    expect(JSON.parse(ok.out).reports[0]).toMatchObject({ pool_ref: "chat", status: "ok", last_good_seq: 5, issue_count: 0 });
    pls(["--dir", dir, "pool", "create", "other"]);
    expect(pls(["--dir", dir, "doctor", "--all"]).code).toBe(0);
    // damage the payload of seq 3
    const path = join(dir, "chat.plasmite");
    const bytes = readFileSync(path);
    const at = bytes.indexOf(Buffer.from('"i":2'));
    bytes[at + 4] = "7".charCodeAt(0);
    writeFileSync(path, bytes);
    const bad = pls(["--dir", dir, "doctor", "--all"]);
    expect(bad.code).toBe(7);
    const reports = JSON.parse(bad.out).reports;
    const chat = reports.find((r: { path: string }) => r.path === path);
    expect(chat).toMatchObject({ status: "corrupt", last_good_seq: 2, issues: [{ code: "payload_checksum", seq: 3 }] });
    expect(reports.find((r: { path: string }) => r.path !== path).status).toBe("ok");
    // readers refuse the damaged frame instead of returning it
    expect(pls(["--dir", dir, "get", "chat", "3"]).code).toBe(7);
    expect(JSON.parse(pls(["--dir", dir, "get", "chat", "4"]).out).data).toEqual({ i: 3 });
  });

  test("doctor needs exactly one of POOL and --all", () => {
    expect(pls(["doctor"]).code).toBe(2);
    expect(pls(["doctor", "x", "--all"]).code).toBe(2);
    expect(pls(["--dir", join(root, "missing"), "doctor", "--all"]).code).toBe(3);
  });
});

describe("errors, help, version, completion", () => {
  test("error kinds, exit codes and hints", async () => {
    const dir = freshDir();
    const missing = pls(["--dir", dir, "get", "nope", "1"]);
    expect(missing.code).toBe(3);
    expect(errorOf(missing)).toMatchObject({ kind: "NotFound", path: join(dir, "nope.plasmite") });
    const pokeMissing = pls(["--dir", dir, "poke", "nope", "{}"]);
    expect(pokeMissing.code).toBe(3);
    expect(errorOf(pokeMissing).hint).toContain("pls pool create nope");
    pls(["--dir", dir, "pool", "create", "p"]);
    const notFoundSeq = pls(["--dir", dir, "get", "p", "5"]);
    expect(notFoundSeq.code).toBe(3);
    expect(errorOf(notFoundSeq).seq).toBe(5);
    for (const args of [["get", "p", "zero"], ["get", "p", "0"], ["get", "p"], ["poke", "p", "--bogus", "{}"], ["peek", "p", "--tail", "x"], ["peek", "p", "--since", "yesterday"], ["peek", "p", "--timeout", "5"], ["frobnicate"], ["pool"], ["pool", "resize"]]) {
      const r = pls(["--dir", dir, ...args]);
      expect(r.code).toBe(2);
      expect(errorOf(r).kind).toBe("Usage");
      expect(r.out).toBe("");
    }
    // a word no argument takes is an error, not silently dropped; pool create/delete take any number of names
    const stray = pls(["--dir", dir, "poke", "p", '{"a":', "1}"]);
    expect(stray.code).toBe(2);
    expect(errorOf(stray)).toMatchObject({ kind: "Usage", message: "unexpected argument '1}' for `poke`" });
    expect(errorOf(stray).hint).toContain("Quote the JSON");
    expect(errorOf(pls(["--dir", dir, "get", "p", "1", "2"])).message).toBe("unexpected argument '2' for `get`");
    expect(errorOf(pls(["--dir", dir, "get", "p", "--", "1", "2"])).message).toBe("unexpected argument '2' for `get`");
    expect(errorOf(pls(["--dir", dir, "peek", "p", "q", "--timeout", "1ms"])).message).toBe("unexpected argument 'q' for `peek`");
    expect(pls(["--dir", dir, "pool", "create", "x", "y", "z", "--size", "64K"]).code).toBe(0);
    expect(pls(["--dir", dir, "pool", "delete", "x", "y", "z"]).code).toBe(0);
    expect(pls(["--dir", dir, "get", "p", "-5"]).code).toBe(2); // a negative seq is a value, not a flag
    await Bun.write(join(dir, "c.plasmite"), "NOPE");
    const corrupt = pls(["--dir", dir, "get", "c", "1"]);
    expect(corrupt.code).toBe(7);
    expect(errorOf(corrupt)).toMatchObject({ kind: "Corrupt", path: join(dir, "c.plasmite") });
  });

  test("a read-only file system gives Permission (exit 6)", () => {
    const ro = join(root, "ro");
    require("node:fs").mkdirSync(ro);
    if (Bun.spawnSync(["mount", "-t", "tmpfs", "-o", "ro,size=1m", "tmpfs", ro]).exitCode !== 0) {
      console.log("cli.test: cannot mount a read-only tmpfs here (not root); Permission exit code checked by the pool tests only");
      return;
    }
    try {
      const r = pls(["--dir", ro, "pool", "create", "p"]);
      expect(r.code).toBe(6);
      expect(errorOf(r).kind).toBe("Permission");
    } finally {
      Bun.spawnSync(["umount", ro]);
    }
  });

  test("version, help with examples on every command", () => {
    expect(pls(["--version"]).out.trim()).toBe("pls 0.1.0");
    expect(JSON.parse(pls(["version"]).out)).toEqual({ name: "pls", version: "0.1.0" });
    expect(JSON.parse(pls(["version", "--json"]).out).native).toBe("shim");
    for (const cmd of [["poke"], ["feed"], ["peek"], ["follow"], ["get"], ["fetch"], ["tap"], ["duplex"], ["pool"], ["pool", "create"], ["pool", "list"], ["pool", "info"], ["pool", "delete"], ["doctor"], ["completion"]]) {
      const help = pls([...cmd, "--help"]);
      expect(help.code).toBe(0);
      expect(help.out).toContain("Example");
      expect(help.out).toContain(`pls ${cmd.join(" ")}`);
    }
    const top = pls(["--help"]);
    expect(top.code).toBe(0);
    // every command listed on one line by its summary; no examples or padding in the listing
    const listed = top.out.split("\n").filter((l) => /^ +(poke|peek|get|pool|doctor|serve|completion|version) {4}\S/.test(l));
    expect(listed.length).toBe(8);
    expect(listed.find((l) => l.includes("poke"))).toContain("Write: append JSON objects to a pool (also: feed).");
    expect(top.out).not.toContain("Examples:");
    expect(top.out.split("\n").filter((l) => / $/.test(l))).toEqual([]);
    const poolHelp = pls(["pool", "--help"]).out;
    expect(poolHelp.split("\n").filter((l) => /^ +(create|list|info|delete) {4}\S/.test(l)).length).toBe(4);
    expect(pls([]).code).toBe(2);
  });

  test("completion bash|zsh|fish", () => {
    for (const shell of ["bash", "zsh", "fish"]) {
      const r = pls(["completion", shell]);
      expect(r.code).toBe(0);
      for (const word of ["poke", "peek", "doctor", "where", "tail"]) expect(r.out).toContain(word);
    }
    const bash = pls(["completion", "bash"]).out;
    const file = join(root, "c.bash");
    writeFileSync(file, bash);
    const probe = Bun.spawnSync(["bash", "-c", `source ${file}; COMP_WORDS=(pls pool c); COMP_CWORD=2; _plasmite_complete; echo "\${COMPREPLY[@]}"`]);
    expect(probe.stdout.toString().trim()).toBe("create");
    expect(pls(["completion", "tcsh"]).code).toBe(2);
    expect(pls(["get", "http://127.0.0.1:1/%zz", "1"]).code).toBe(2); // bad percent-encoding: Usage, not Internal
  });
});
