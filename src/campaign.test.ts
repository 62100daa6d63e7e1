// The short fault campaign (scripts/campaign.ts --quick) passes: SIGKILLed writers/readers/servers, concurrent
// writers with followers, ~100 bad-input cases, a few seconds of server load, permissions and a full disk.
// Bounded: past CAMPAIGN_LIMIT_MS it is killed and the test shows what it printed so far (each finished part
// prints "== NAME (N s)"), so a slow part is named rather than hidden behind the runner's timeout.
import { expect, test } from "bun:test";
import { join } from "node:path";

/** About 30 s alone on 2 idle cores; this leaves room for a machine loaded by the rest of the suite. */
const CAMPAIGN_LIMIT_MS = 300_000;

test("fault campaign (quick)", async () => {
  const t0 = performance.now();
  const proc = Bun.spawn([process.execPath, join(import.meta.dir, "..", "scripts", "campaign.ts"), "--quick"], { stdout: "pipe", stderr: "pipe" });
  let out = "";
  let err = "";
  const reading = Promise.all([
    (async () => {
      for await (const chunk of proc.stdout.pipeThrough(new TextDecoderStream())) out += chunk;
    })(),
    (async () => {
      for await (const chunk of proc.stderr.pipeThrough(new TextDecoderStream())) err += chunk;
    })(),
  ]);
  let timer: ReturnType<typeof setTimeout> | undefined;
  const overrun = new Promise<"overrun">((resolve) => (timer = setTimeout(() => resolve("overrun"), CAMPAIGN_LIMIT_MS)));
  const code = await Promise.race([proc.exited, overrun]);
  clearTimeout(timer);
  if (code === "overrun") {
    proc.kill("SIGKILL");
    await proc.exited;
  }
  await reading;
  const seconds = ((performance.now() - t0) / 1000).toFixed(1);
  if (code !== 0) console.log(`campaign ${code === "overrun" ? "killed, still running" : `exited ${code}`} after ${seconds} s; its output:\n${out}${err}`);
  expect(code).not.toBe("overrun");
  expect(out.trim().split("\n").at(-1)).toBe("campaign: ok");
  expect(code).toBe(0);
}, CAMPAIGN_LIMIT_MS + 30_000);
