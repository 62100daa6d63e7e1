// pls bridge against a real nats-server (started here on a free loopback port, stopped at the end): two pool
// directories stand for two hosts. Proves: 100k messages out of A and into B once, in order, with origin meta,
// seen live by a follower on B; bridges SIGKILLed at random points; nats-server restarted mid-stream; a
// lapped bridge's exact gap; status; auth errors. The 50-kill and cluster runs are scripts/campaign-bridge.ts.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { readFileSync, rmSync } from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";
import { Client, type Message } from "../api/index.ts";
import { tempRoot, pls } from "../cli/test-harness.ts";
import { decodePayload, tagsOfText } from "../format/payload.ts";
import { inboundPayload, messageId, originJson, originPrefix, outboundBody, parseMessageId, parseResumeHeader, resumeHeader, streamSeqOf } from "./wire.ts";
import { eventually, killBridges, natsServerAvailable, startBridge, startNats, type NatsServer } from "./test-harness.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();

describe("wire", () => {
  test("message ids and resume headers round-trip", () => {
    expect(parseMessageId(messageId("1733328000123456789", 42))).toEqual({ poolId: "1733328000123456789", seq: 42 });
    expect(parseMessageId("other-id")).toBeNull();
    expect(parseMessageId("plasmite:x:0")).toBeNull();
    expect(parseResumeHeader(resumeHeader(41, 1041))).toEqual({ storedThrough: 41, floor: 1041 });
    expect(parseResumeHeader("garbage")).toBeNull();
  });

  test("out adds meta.origin after the tags and keeps the data's bytes", () => {
    const origin = originJson(originPrefix("host-a", "ev"), 7, "2026-01-02T03:04:05.000000006Z");
    const body = dec.decode(outboundBody(enc.encode('{"meta":{"tags":["t"]},"data":{"id":12345678901234567890}}'), origin));
    expect(body).toBe('{"meta":{"tags":["t"],"origin":{"host":"host-a","pool":"ev","seq":7,"time":"2026-01-02T03:04:05.000000006Z"}},"data":{"id":12345678901234567890}}');
    // a message that came through another bridge keeps its first origin; its stream position is not passed on
    const relayed = '{"meta":{"tags":[],"origin":{"host":"h0","pool":"p0","seq":3,"time":"t0"},"stream":{"name":"S0","seq":9}},"data":{"a":1}}';
    expect(dec.decode(outboundBody(enc.encode(relayed), origin))).toBe('{"meta":{"tags":[],"origin":{"host":"h0","pool":"p0","seq":3,"time":"t0"}},"data":{"a":1}}');
  });

  test("in records the stream position and keeps tags, origin and data text", () => {
    const body = '{"meta":{"tags":["t"],"origin":{"host":"h","pool":"p","seq":7,"time":"t"}},"data":{"id":12345678901234567890}}';
    const r = inboundPayload(enc.encode(body), { name: "EV", seq: 99 });
    expect(r).toEqual({
      payload: '{"meta":{"tags":["t"],"origin":{"host":"h","pool":"p","seq":7,"time":"t"},"stream":{"name":"EV","seq":99}},"data":{"id":12345678901234567890}}',
      origin: { host: "h", pool: "p", seq: 7, time: "t" },
    });
    expect(streamSeqOf((r as { payload: string }).payload, "EV")).toBe(99);
    expect(streamSeqOf((r as { payload: string }).payload, "OTHER")).toBeNull();
    // tag filters (peek --tag) and the library's Message read past the new meta keys
    expect(tagsOfText((r as { payload: string }).payload)).toEqual(["t"]);
    expect(decodePayload(enc.encode((r as { payload: string }).payload))).toEqual({
      tags: ["t"],
      data: { id: 12345678901234567000 },
      metaExtra: { origin: { host: "h", pool: "p", seq: 7, time: "t" }, stream: { name: "EV", seq: 99 } },
    });
    // any JSON object from another publisher becomes the data; pretty-printed text is compacted
    expect(inboundPayload(enc.encode('{\n  "temp": 21.5\n}'), { name: "EV", seq: 1 })).toEqual({ payload: '{"meta":{"tags":[],"stream":{"name":"EV","seq":1}},"data":{"temp":21.5}}', origin: null });
    expect(inboundPayload(enc.encode("[1,2]"), { name: "EV", seq: 1 })).toEqual({ refused: "the message is not a JSON object" });
    expect(inboundPayload(enc.encode("not json"), { name: "EV", seq: 1 })).toEqual({ refused: "the message is not UTF-8 JSON" });
  });
});

test("the NATS client loads only with bridge out/in: not with the bridge command, status, or the library's main entry", () => {
  // @nats-io's packages are CommonJS: once loaded they are in require.cache
  const script = [
    'await import("./src/cli/commands/bridge.ts"); await import("./src/api/index.ts"); await import("./src/bridge/status.ts");',
    'const before = Object.keys(require.cache).some((k) => k.includes("@nats-io"));',
    'await import("./src/bridge/index.ts");',
    'console.log(JSON.stringify([before, Object.keys(require.cache).some((k) => k.includes("@nats-io"))]));',
  ].join("\n");
  const r = Bun.spawnSync([process.execPath, "-e", script], { cwd: join(import.meta.dir, "..", "..") });
  expect(JSON.parse(r.stdout.toString())).toEqual([false, true]);
});

type Origin = { host: string; pool: string; seq: number; time: string };
type Meta = { tags: string[]; origin?: Origin; stream?: { name: string; seq: number } };

/** Every message of a pool, oldest first. */
function readAll(dir: string, name: string): Message[] {
  const pool = new Client(dir).openPool(name);
  try {
    const s = pool.seqBounds();
    const out: Message[] = [];
    for (let seq = s.oldestSeq; seq <= s.newestSeq; seq++) out.push(pool.get(seq));
    return out;
  } finally {
    pool.close();
  }
}

function newest(dir: string, name: string): number {
  try {
    const pool = new Client(dir).openPool(name);
    const n = pool.seqBounds().newestSeq;
    pool.close();
    return n;
  } catch {
    return 0;
  }
}

/** B holds exactly A's messages 1..n once, in order, each with its origin. */
function expectMirrored(b: Message[], n: number, poolName: string): void {
  expect(b.length).toBe(n);
  for (let i = 0; i < n; i++) {
    const m = b[i];
    const meta = m.meta as Meta;
    if (m.data.n !== i + 1 || meta.origin?.seq !== i + 1) throw new Error(`B message ${m.seq}: data.n ${m.data.n}, origin seq ${meta.origin?.seq}; expected ${i + 1}`);
  }
  const first = b[0].meta as Meta;
  expect(first.origin).toMatchObject({ host: hostname(), pool: poolName, seq: 1 });
  expect(first.origin!.time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/);
}

describe.skipIf(!natsServerAvailable())("pls bridge with nats-server", () => {
  let root: string;
  let nats: NatsServer;
  let dirA: string;
  let dirB: string;

  beforeAll(async () => {
    root = tempRoot("bridge");
    nats = await startNats(root);
    dirA = join(root, "host-a");
    dirB = join(root, "host-b");
  });

  afterAll(async () => {
    await killBridges();
    await nats?.stop();
    rmSync(root, { recursive: true, force: true });
  });

  test("100k messages out of A and into B arrive once, in order, with origin meta; a follower on B sees them live", async () => {
    const N = 100_000;
    const a = new Client(dirA).createPool("ev", { sizeBytes: 32 << 20 });
    const b = new Client(dirB).createPool("ev", { sizeBytes: 64 << 20 });
    const out = startBridge(dirA, ["out", "ev", nats.url, "--stream", "EV"]);
    const into = startBridge(dirB, ["in", nats.url, "--stream", "EV", "--into", "ev"]);
    const seen: number[] = [];
    const follower = (async () => {
      for await (const m of b.tail({ since: 1, timeout: 30_000 })) {
        seen.push(m.data.n as number);
        if (seen.length === N) return;
      }
    })();
    for (let i = 0; i < N; i += 1000) a.appendBatch(Array.from({ length: 1000 }, (_, k) => ({ data: { n: i + k + 1, text: "hello from host a" }, tags: (i + k) % 10 === 0 ? ["tenth"] : [] })));
    await follower;
    expect(seen.length).toBe(N);
    expect(seen.every((n, i) => n === i + 1)).toBe(true);
    const mirrored = readAll(dirB, "ev");
    expectMirrored(mirrored, N, "ev");
    expect(mirrored[0].meta.tags).toEqual(["tenth"]);
    expect((mirrored[N - 1].meta as Meta).stream).toEqual({ name: "EV", seq: N });
    // status while running: caught up in both directions
    await eventually(() => {
      const r = pls(["--dir", dirA, "bridge", "status", "ev", "--json"]);
      const s = JSON.parse(r.out).bridges[0];
      return s.published_through === N && s.lag_messages === 0;
    }, 10_000, "out status caught up");
    const inStatus = JSON.parse(pls(["--dir", dirB, "bridge", "status", "--json"]).out).bridges[0];
    expect(inStatus).toMatchObject({ direction: "in", pool: "ev", stream: "EV", alive: true, state: "running" });
    out.proc.kill("SIGTERM");
    into.proc.kill("SIGTERM");
    expect(await out.proc.exited).toBe(0);
    expect(await into.proc.exited).toBe(0);
    const after = JSON.parse(pls(["--dir", dirA, "bridge", "status", "ev", "--json"]).out).bridges[0];
    expect(after).toMatchObject({ state: "stopped", alive: false, published_through: N, lag_messages: 0, gaps: [] });
    a.close();
    b.close();
  }, 120_000);

  test("bridges SIGKILLed at random points (10 times, both directions) still deliver every message once, in order", async () => {
    const N = 20_000;
    const a = new Client(dirA).createPool("kill", { sizeBytes: 16 << 20 });
    new Client(dirB).createPool("kill", { sizeBytes: 16 << 20 }).close();
    let written = 0;
    const writer = setInterval(() => {
      if (written >= N) return;
      const n = Math.min(500, N - written);
      a.appendBatch(Array.from({ length: n }, (_, k) => ({ data: { n: written + k + 1 } })));
      written += n;
    }, 10);
    let out = startBridge(dirA, ["out", "kill", nats.url, "--stream", "KILL"]);
    let into = startBridge(dirB, ["in", nats.url, "--stream", "KILL", "--into", "kill"]);
    await eventually(() => newest(dirB, "kill") > 0, 10_000, "the first mirrored message");
    for (let k = 0; k < 10; k++) {
      await Bun.sleep(50 + Math.floor(Math.random() * 250));
      if (k % 2 === 0) {
        out.proc.kill("SIGKILL");
        await out.proc.exited;
        out = startBridge(dirA, ["out", "kill", nats.url, "--stream", "KILL"]);
      } else {
        into.proc.kill("SIGKILL");
        await into.proc.exited;
        into = startBridge(dirB, ["in", nats.url, "--stream", "KILL", "--into", "kill"]);
      }
    }
    await eventually(() => written >= N, 30_000, "the writer");
    clearInterval(writer);
    await eventually(() => newest(dirB, "kill") >= N, 60_000, `B to hold ${N} messages`, 100);
    await Bun.sleep(300); // anything doubled would have arrived by now
    out.proc.kill("SIGTERM");
    into.proc.kill("SIGTERM");
    await Promise.all([out.proc.exited, into.proc.exited]);
    expectMirrored(readAll(dirB, "kill"), N, "kill");
    a.close();
  }, 120_000);

  test("nats-server restarted mid-stream: both bridges reconnect and nothing is lost or doubled", async () => {
    const N = 20_000;
    const a = new Client(dirA).createPool("restart", { sizeBytes: 16 << 20 });
    new Client(dirB).createPool("restart", { sizeBytes: 16 << 20 }).close();
    const out = startBridge(dirA, ["out", "restart", nats.url, "--stream", "RESTART"]);
    const into = startBridge(dirB, ["in", nats.url, "--stream", "RESTART", "--into", "restart"]);
    let written = 0;
    const write = (n: number) => {
      a.appendBatch(Array.from({ length: n }, (_, k) => ({ data: { n: written + k + 1 } })));
      written += n;
    };
    for (let i = 0; i < 10; i++) {
      write(1000);
      await Bun.sleep(20);
    }
    await eventually(() => newest(dirB, "restart") > 0, 10_000, "the first mirrored message");
    await nats.kill();
    write(5000); // while the server is down
    await Bun.sleep(500);
    await nats.start();
    while (written < N) {
      write(1000);
      await Bun.sleep(20);
    }
    await eventually(() => newest(dirB, "restart") >= N, 60_000, `B to hold ${N} messages`, 100);
    await Bun.sleep(300);
    out.proc.kill("SIGTERM");
    into.proc.kill("SIGTERM");
    await Promise.all([out.proc.exited, into.proc.exited]);
    const notices = (await out.stderr()) + (await into.stderr());
    expect(notices).toContain("reconnected");
    const b = readAll(dirB, "restart");
    expect(b.length).toBe(N);
    // a publish lost with the server may be re-sent after later ones: every seq exactly once
    const seqs = b.map((m) => (m.meta as Meta).origin!.seq).sort((x, y) => x - y);
    expect(seqs.every((s, i) => s === i + 1)).toBe(true);
    a.close();
  }, 120_000);

  test("a lapped bridge reports the exact gap; --gap-policy error exits 9", async () => {
    const a = new Client(dirA).createPool("lap", { sizeBytes: 64 << 10 });
    const msg = (n: number) => ({ data: { n, pad: "x".repeat(200) } });
    for (let n = 1; n <= 10; n++) a.append(msg(n).data);
    let out = startBridge(dirA, ["out", "lap", nats.url, "--stream", "LAP"]);
    await eventually(() => JSON.parse(pls(["--dir", dirA, "bridge", "status", "lap", "--json"]).out).bridges[0]?.published_through === 10, 10_000, "10 published");
    out.proc.kill("SIGKILL");
    await out.proc.exited;
    for (let n = 11; n <= 2000; n++) a.append(msg(n).data); // the ring (64 KiB) keeps only the last few hundred
    const oldest = a.seqBounds().oldestSeq;
    expect(oldest).toBeGreaterThan(11);
    const failing = startBridge(dirA, ["out", "lap", nats.url, "--stream", "LAP", "--gap-policy", "error"]);
    expect(await failing.proc.exited).toBe(9);
    const error = JSON.parse((await failing.stderr()).trim().split("\n").find((l) => l.startsWith('{"error"'))!).error;
    expect(error).toMatchObject({ kind: "RetentionGap", seq: 11 });
    expect(error.message).toContain(`messages 11-${oldest - 1}`);
    out = startBridge(dirA, ["out", "lap", nats.url, "--stream", "LAP"]);
    await eventually(() => JSON.parse(pls(["--dir", dirA, "bridge", "status", "lap", "--json"]).out).bridges[0]?.published_through === 2000, 10_000, "2000 published");
    const status = JSON.parse(pls(["--dir", dirA, "bridge", "status", "lap", "--json"]).out).bridges[0];
    expect(status.gaps).toEqual([{ from: 11, to: oldest - 1, count: oldest - 11 }]);
    out.proc.kill("SIGTERM");
    await out.proc.exited;
    const drop = (await out.stderr()).split("\n").filter((l) => l.includes('"kind":"drop"')).map((l) => JSON.parse(l).notice.details);
    expect(drop).toEqual([{ from: 11, to: oldest - 1, count: oldest - 11, pool_path: a.path }]);
    a.close();
  }, 60_000);

  test("refusals: a wrong password is Permission (exit 6) at once; bad arguments are Usage", async () => {
    const authRoot = join(root, "auth");
    const secured = await startNats(authRoot, ["--user", "u", "--pass", "right"]);
    try {
      new Client(dirA).createPool("auth").close();
      const started = Date.now();
      const r = startBridge(dirA, ["out", "auth", secured.url, "--stream", "AUTH", "--user", "u", "--password", "wrong"]);
      expect(await r.proc.exited).toBe(6);
      expect(Date.now() - started).toBeLessThan(5_000);
      expect(await r.stderr()).toContain('"kind":"Permission"');
    } finally {
      await secured.stop();
    }
    expect(pls(["--dir", dirA, "bridge", "out", "auth", "nats://127.0.0.1:1"]).code).toBe(2); // no --stream
    expect(pls(["--dir", dirA, "bridge", "out", "auth", "http://x", "--stream", "S"]).code).toBe(2);
    expect(pls(["--dir", dirA, "bridge", "out", "auth", "nats://127.0.0.1:1", "--stream", "a.b"]).code).toBe(2);
    expect(pls(["--dir", dirB, "bridge", "in", "nats://127.0.0.1:1", "--stream", "S"]).code).toBe(2); // no --into
    expect(pls(["--dir", dirA, "bridge", "out", "auth", "nats://127.0.0.1:1", "--stream", "S", "--replicas", "9"]).code).toBe(2);
    expect(pls(["--dir", dirA, "bridge", "out", "auth", "nats://127.0.0.1:1", "--stream", "S", "--gap-policy", "skip"]).code).toBe(2);
    // another pool's subject: refused, not mixed
    const first = new Client(dirA).createPool("clash1");
    first.append({ n: 1 });
    const { bridgeOut } = await import("./index.ts");
    const bridge = bridgeOut({ pool: first, servers: nats.url, stream: "CLASH", subject: "plasmite.clash", statusFile: false });
    await eventually(() => bridge.status().published_through === 1, 10_000, "clash1 published");
    await bridge.stop();
    new Client(dirA).createPool("clash2").close();
    const clash = pls(["--dir", dirA, "bridge", "out", "clash2", nats.url, "--stream", "CLASH", "--subject", "plasmite.clash"]);
    expect(clash.code).toBe(2);
    expect(clash.err).toContain("another pool");
    first.close();
  }, 30_000);

  test("library: bridgeOut and bridgeIn embedded in one Bun program (plasmite/bridge)", async () => {
    const { bridgeOut, bridgeIn } = await import("plasmite/bridge");
    const a = new Client(dirA).createPool("lib");
    const b = new Client(dirB).createPool("lib");
    for (let n = 1; n <= 500; n++) a.append({ n }, { tags: ["lib"] });
    const events: string[] = [];
    const out = bridgeOut({ pool: a, servers: nats.url, stream: "LIB", statusFile: false, onEvent: (e) => events.push(e.message) });
    const into = bridgeIn({ pool: b, servers: nats.url, stream: "LIB", statusFile: false });
    await eventually(() => b.seqBounds().newestSeq >= 500, 20_000, "500 mirrored");
    expect(out.status()).toMatchObject({ direction: "out", state: "running", published_through: 500, lag_messages: 0, published: 500 });
    expect(into.status()).toMatchObject({ direction: "in", state: "running", stream_seq: 500, appended: 500, durable: "plasmite-lib" });
    await Promise.all([out.stop(), into.stop()]);
    await out.done;
    await into.done;
    expect(out.status().state).toBe("stopped");
    expect(events.some((e) => e.startsWith("connected to"))).toBe(true);
    expect(b.get(500)).toMatchObject({ meta: { tags: ["lib"], origin: { pool: "lib", seq: 500 }, stream: { name: "LIB", seq: 500 } }, data: { n: 500 } });
    a.close();
    b.close();
  }, 30_000);

  test("status files sit beside the pool, hidden from pool list", () => {
    const files = pls(["--dir", dirA, "pool", "list", "--json"]).out;
    expect(files).not.toContain("bridge-out");
    const status = JSON.parse(readFileSync(join(dirA, ".ev.bridge-out.EV.json"), "utf8"));
    expect(status).toMatchObject({ direction: "out", pool: "ev", stream: "EV", subject: "plasmite.ev" });
  });
});
