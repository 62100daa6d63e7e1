// The short fault campaign (scripts/campaign.ts --quick) passes: SIGKILLed writers/readers/servers, concurrent
// writers with followers, ~100 bad-input cases, a few seconds of server load, permissions and a full disk.
import { expect, test } from "bun:test";
import { join } from "node:path";

test("fault campaign (quick)", async () => {
  const proc = Bun.spawn([process.execPath, join(import.meta.dir, "..", "scripts", "campaign.ts"), "--quick"], { stdout: "pipe", stderr: "pipe" });
  const [out, err, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  if (code !== 0) console.log(out + err);
  expect(out.trim().split("\n").at(-1)).toBe("campaign: ok");
  expect(code).toBe(0);
}, 180_000);
