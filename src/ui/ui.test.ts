// Browser tests of the web UI (src/ui/index.html): a real `pls serve` app on 127.0.0.1 over a temp pool
// directory, driven by the system Chromium through playwright-core (no downloaded browsers). Messages come
// from the HTTP API, from the page's own form and from the real CLI in a separate process, so the live
// follow path (JSONL /tail over fetch, reconnecting with since_seq) is exercised end to end.
// Also takes the screenshot used in the docs: written to docs/ui.png with PLASMITE_UPDATE_SCREENSHOT=1 (so a
// test run leaves the checkout unchanged), else to the test's temp directory.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium, type Browser, type Page } from "playwright-core";
import { startServer, type RunningServer } from "../serve/app.ts";
import type { ServeOptions } from "../serve/options.ts";

const CHROMIUM = "/usr/bin/chromium";
const CHROMIUM_ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"];
const MAIN = join(import.meta.dir, "..", "cli", "main.ts");

/** Per-test budget: bun's default (5 s) is too tight for browser steps, and a timed-out test takes the browser down with it. */
const STEP_MS = 20_000;

const row = (seq: number) => `[data-testid="message-row"][data-seq="${seq}"]`;
const tid = (id: string) => `[data-testid="${id}"]`;

function serveOptions(dir: string, token?: string, maxTailTimeoutMs = 30_000): ServeOptions {
  return { dir, bind: "127.0.0.1:0", allowNonLoopback: false, insecureNoTls: false, access: "read-write", maxBodyBytes: 1 << 20, maxTailTimeoutMs, maxTailConcurrency: 64, corsOrigins: [], token };
}

async function post(url: string, body: unknown, token?: string): Promise<Response> {
  return fetch(url, { method: "POST", headers: { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) }, body: JSON.stringify(body) });
}

async function createPool(base: string, pool: string, sizeBytes: number, token?: string): Promise<void> {
  const r = await post(`${base}/v0/pools`, { pool, size_bytes: sizeBytes }, token);
  expect(r.status).toBe(200);
}

async function append(base: string, pool: string, data: Record<string, unknown>, tags: string[] = [], token?: string): Promise<number> {
  const r = await post(`${base}/v0/pools/${pool}/append`, { data, tags }, token);
  expect(r.status).toBe(200);
  return ((await r.json()) as { message: { seq: number } }).message.seq;
}

/** Seqs of the rendered message rows, top to bottom. */
async function shownSeqs(page: Page): Promise<number[]> {
  return page.$$eval(tid("message-row"), (els) => els.map((e) => Number(e.getAttribute("data-seq"))));
}

/** Waits until the rendered rows are exactly `want` (the page filters on a short debounce). */
async function expectSeqs(page: Page, want: number[], timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let got: number[] = [];
  while (Date.now() < deadline) {
    got = await shownSeqs(page);
    if (JSON.stringify(got) === JSON.stringify(want)) return;
    await Bun.sleep(40);
  }
  expect(got).toEqual(want);
}

describe("web UI", () => {
  let root = "";
  let dir = "";
  let server: RunningServer;
  let secured: RunningServer | null = null;
  let browser: Browser;
  let page: Page;
  const pageErrors: string[] = [];
  const foreignRequests: string[] = [];

  beforeAll(async () => {
    // Fail loudly, never skip: without the browser this file would test nothing.
    if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} not found: the web UI tests need Debian's Chromium. Install it with: apt-get install -y chromium`);
    root = mkdtempSync(join(tmpdir(), "plasmite-ui-"));
    dir = join(root, "pools");
    mkdirSync(dir);
    server = await startServer(serveOptions(dir));
    const u = server.url;
    await createPool(u, "chat", 1 << 20);
    await createPool(u, "metrics", 4 << 20);
    await createPool(u, "empty", 256 << 10);
    await append(u, "chat", { from: "alice", msg: "deploy started", status: "yellow", n: 1 }, ["deploy"]);
    await append(u, "chat", { from: "bob", msg: "build is green", status: "green", n: 2 }, ["ci", "alert"]);
    await append(u, "chat", { from: "ci", msg: "tests passed", status: "green", n: 3, details: { suite: "unit", passed: 412, failed: 0 } }, ["ci"]);
    await append(u, "chat", { from: "pager", msg: "p99 latency above 250ms", status: "red", n: 4 }, ["alert", "billing"]);
    await append(u, "chat", { from: "alice", msg: "rolling back", status: "yellow", n: 5 }, ["deploy"]);
    for (let i = 0; i < 20; i++) await append(u, "metrics", { host: `web-${i % 3}`, cpu: 0.1 + (i % 7) / 10, mem_mb: 512 + i * 8 }, ["cpu"]);

    // playwright's launch() gives each browser a fresh temporary profile (user data dir), removed on close.
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
    page = await browser.newPage({ viewport: { width: 1280, height: 800 }, colorScheme: "light" });
    page.on("pageerror", (err) => pageErrors.push(String(err)));
    page.on("request", (req) => {
      if (!req.url().startsWith(u + "/") && !req.url().startsWith("data:")) foreignRequests.push(req.url());
    });
  }, STEP_MS);

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    await secured?.stop();
    if (root) rmSync(root, { recursive: true, force: true });
  }, STEP_MS);

  test("the pool list shows the pools with their message counts", async () => {
    await page.goto(`${server.url}/ui`);
    const chat = page.locator(`${tid("pool-row")}[data-pool="chat"]`);
    await chat.waitFor({ timeout: 5_000 });
    expect(await chat.locator(tid("pool-count")).textContent()).toBe("5");
    expect(await chat.locator(tid("pool-size")).textContent()).toBe("1 MiB");
    expect(await chat.locator(tid("pool-newest")).textContent()).toMatch(/ago|just now/);
    expect(await page.locator(`${tid("pool-row")}[data-pool="metrics"] ${tid("pool-count")}`).textContent()).toBe("20");
    expect(await page.locator(`${tid("pool-row")}[data-pool="empty"] ${tid("pool-count")}`).textContent()).toBe("0");
    expect(await page.locator(`${tid("pool-row")}[data-pool="empty"] ${tid("pool-newest")}`).textContent()).toBe("—");
    // The comment before the doctype must not throw the page into quirks mode.
    expect(await page.evaluate("document.compatMode")).toBe("CSS1Compat");
  }, STEP_MS);

  test("the list refreshes and a pool opens on click, with its last messages newest first", async () => {
    await append(server.url, "metrics", { host: "web-9", cpu: 0.5, mem_mb: 700 }, ["cpu"]);
    await page.locator(`${tid("pool-row")}[data-pool="metrics"] ${tid("pool-count")}`).filter({ hasText: "21" }).waitFor({ timeout: 6_000 });

    await page.locator(`${tid("pool-row")}[data-pool="chat"] ${tid("pool-link")}`).click();
    await page.waitForURL(`${server.url}/ui/pools/chat`);
    await expectSeqs(page, [5, 4, 3, 2, 1]);
    await page.locator(`${tid("conn-status")}[data-state="live"]`).waitFor({ timeout: 5_000 });
    expect(await page.locator(tid("pool-title")).textContent()).toBe("chat");
    const first = page.locator(row(4));
    expect(await first.locator(tid("tag-chip")).allTextContents()).toEqual(["alert", "billing"]);
    expect(await first.locator(tid("message-preview")).textContent()).toContain('"msg": "p99 latency above 250ms"');

    // Deep links work too, and Back returns to the list.
    const other = await browser.newPage();
    await other.goto(`${server.url}/ui/pools/metrics`);
    await other.locator(row(21)).waitFor({ timeout: 5_000 });
    expect((await shownSeqs(other)).length).toBe(21);

    // An empty pool: the stream is open (no response yet on an idle pool) and says so; a first message arrives live.
    await other.goto(`${server.url}/ui/pools/empty`);
    await other.locator(`${tid("conn-status")}[data-state="live"]`).waitFor({ timeout: 5_000 });
    await other.locator(tid("messages-empty")).filter({ hasText: "No messages yet" }).waitFor({ timeout: 2_000 });
    await append(server.url, "empty", { first: true });
    await other.locator(row(1)).waitFor({ timeout: 5_000 });
    await other.goBack();
    await other.waitForURL(`${server.url}/ui/pools/metrics`);
    await other.locator(row(21)).waitFor({ timeout: 5_000 });
    await other.close();
  }, STEP_MS);

  test("a message poked by the CLI in another process appears live", async () => {
    const t0 = Date.now();
    // the id is beyond 2^53: the page must show the stored digits, not JSON.parse's rounding (…67000)
    const data = JSON.stringify({ from: "cli", msg: "hello from another process", status: "green", n: 6 }).slice(0, -1) + ', "id": 12345678901234567890}';
    const proc = Bun.spawn([process.execPath, MAIN, "--dir", dir, "poke", "chat", "--tag", "cli", data], {
      env: { ...process.env, NO_COLOR: "1" },
      stdout: "pipe",
      stderr: "pipe",
    });
    expect(await proc.exited).toBe(0);
    expect(JSON.parse(await new Response(proc.stdout).text()).seq).toBe(6);
    await page.locator(row(6)).waitFor({ timeout: 5_000 });
    expect((await shownSeqs(page))[0]).toBe(6);
    expect(Date.now() - t0).toBeLessThan(8_000);
    expect(await page.locator(`${row(6)} ${tid("tag-chip")}`).textContent()).toBe("cli");
    expect(await page.locator(`${row(6)} ${tid("message-preview")}`).textContent()).toContain('"id": 12345678901234567890');
    await page.locator(`${row(6)} ${tid("message-toggle")}`).click();
    const json = page.locator(`${row(6)} ${tid("message-json")}`);
    await json.waitFor({ state: "visible", timeout: 2_000 });
    expect(await json.textContent()).toContain('\n    "id": 12345678901234567890\n  }\n}');
    await page.locator(`${row(6)} ${tid("message-toggle")}`).click();
  }, STEP_MS);

  test("tag and jq-style filters hide and show the right messages", async () => {
    const tags = page.locator(tid("filter-tags"));
    const jq = page.locator(tid("filter-jq"));
    await tags.fill("alert");
    await expectSeqs(page, [4, 2]);
    await tags.fill("alert, billing"); // all must match
    await expectSeqs(page, [4]);
    await tags.fill("");
    await expectSeqs(page, [6, 5, 4, 3, 2, 1]);

    await jq.fill('.data.status == "green"');
    await expectSeqs(page, [6, 3, 2]);
    await jq.fill(".data.n > 2");
    await expectSeqs(page, [6, 5, 4, 3]);
    await tags.fill("alert");
    await expectSeqs(page, [4]); // both filters apply
    await tags.fill("");
    await jq.fill('.meta.tags[] == "deploy"');
    await expectSeqs(page, [5, 1]);
    await jq.fill(".data.details");
    await expectSeqs(page, [3]);
    await jq.fill('.data.msg | test("^ROLL"; "i")');
    await expectSeqs(page, [5]);
    await jq.fill('select(.data.from == "alice") | .data.n >= 5');
    await expectSeqs(page, [5]);
    await jq.fill("(.data.n < 2) or (.data.n > 5)");
    await expectSeqs(page, [6, 1]);
    await jq.fill("latency"); // plain text search
    await expectSeqs(page, [4]);

    // A half-written filter says what is wrong and hides nothing meanwhile.
    await jq.fill(".data.n >");
    await page.locator(tid("filter-error")).filter({ hasText: "Filter not applied" }).waitFor({ timeout: 2_000 });
    await expectSeqs(page, [6, 5, 4, 3, 2, 1]);
    expect(await page.locator(tid("shown-count")).textContent()).toBe("6 loaded");

    // Filters are kept in the URL, so a filtered view can be shared.
    await jq.fill('.data.status == "red"');
    await expectSeqs(page, [4]);
    expect(new URL(page.url()).searchParams.get("q")).toBe('.data.status == "red"');
    expect(await page.locator(tid("shown-count")).textContent()).toBe("Showing 1 of 6 loaded");
    await jq.press("Escape");
    await expectSeqs(page, [6, 5, 4, 3, 2, 1]);
    expect(new URL(page.url()).search).toBe("");
    expect(await page.locator(tid("filter-help")).textContent()).toContain("text search");
  }, STEP_MS);

  test("pause holds new messages and resume shows them", async () => {
    await page.locator(tid("pause-button")).click();
    await page.locator(`${tid("conn-status")}[data-state="paused"]`).waitFor({ timeout: 2_000 });
    await append(server.url, "chat", { from: "bob", msg: "anyone seeing 502s?", status: "red", n: 7 }, ["alert"]);
    await append(server.url, "chat", { from: "alice", msg: "fixed, was the LB", status: "green", n: 8 }, ["deploy"]);
    await page.locator(tid("pause-button")).filter({ hasText: "Resume (2 new)" }).waitFor({ timeout: 5_000 });
    expect(await page.locator(tid("held-count")).textContent()).toBe("2 held ·");
    expect(await shownSeqs(page)).toEqual([6, 5, 4, 3, 2, 1]);

    await page.locator(tid("pause-button")).click();
    await expectSeqs(page, [8, 7, 6, 5, 4, 3, 2, 1]);
    await page.locator(`${tid("conn-status")}[data-state="live"]`).waitFor({ timeout: 2_000 });
    expect(await page.locator(tid("pause-button")).textContent()).toContain("Pause");
  }, STEP_MS);

  test("expanding a message shows its pretty JSON (and the docs screenshot)", async () => {
    const toggle = page.locator(`${row(3)} ${tid("message-toggle")}`);
    await toggle.click();
    const json = page.locator(`${row(3)} ${tid("message-json")}`);
    await json.waitFor({ state: "visible", timeout: 2_000 });
    expect(await toggle.getAttribute("aria-expanded")).toBe("true");
    const text = (await json.textContent()) ?? "";
    expect(JSON.parse(text)).toMatchObject({ seq: 3, meta: { tags: ["ci"] }, data: { details: { suite: "unit", passed: 412 } } });
    expect(text).toContain('\n  "data": {\n    "from": "ci",');
    expect(await json.locator(".j-key").first().textContent()).toBe('"seq"');
    expect(await json.locator(".j-num").count()).toBeGreaterThan(0);

    // A still picture for the docs: no arrival flash (reduced motion), pointer off the rows, counts up to date.
    await page.emulateMedia({ reducedMotion: "reduce" });
    await page.mouse.move(1270, 790);
    await page.locator(tid("stat-count")).filter({ hasText: "8" }).waitFor({ timeout: 3_000 });
    const screenshot = process.env.PLASMITE_UPDATE_SCREENSHOT === "1" ? join(import.meta.dir, "..", "..", "docs", "ui.png") : join(root, "ui.png");
    mkdirSync(join(screenshot, ".."), { recursive: true });
    await page.screenshot({ path: screenshot });
    expect(existsSync(screenshot)).toBe(true);

    await page.emulateMedia({ reducedMotion: "no-preference" });
    await toggle.click();
    await json.waitFor({ state: "hidden", timeout: 2_000 });
  }, STEP_MS);

  test("a message nested 20,000 levels deep expands (no RangeError), as JSON that parses back to it", async () => {
    await createPool(server.url, "deep", 1 << 20);
    const depth = 20_000;
    const nested = JSON.parse("[".repeat(depth) + "]".repeat(depth));
    await append(server.url, "deep", { top: "level", nested });
    const deep = await browser.newPage();
    const errors: string[] = [];
    deep.on("pageerror", (err) => errors.push(String(err)));
    await deep.goto(`${server.url}/ui/pools/deep`);
    await deep.locator(row(1)).waitFor({ timeout: 5_000 });
    await deep.locator(`${row(1)} ${tid("message-toggle")}`).click();
    const json = deep.locator(`${row(1)} ${tid("message-json")}`);
    await json.waitFor({ state: "visible", timeout: 5_000 });
    // the text as shown parses back to the message, checked in the page (JSON.parse there does not recurse)
    const shown = await json.evaluate((el) => {
      const text = el.textContent ?? "";
      let v = JSON.parse(text).data.nested;
      let levels = 0;
      while (Array.isArray(v) && v.length > 0) [v, levels] = [v[0], levels + 1];
      return { length: text.length, levels: levels + 1, top: JSON.parse(text).data.top, start: text.slice(0, 60) };
    });
    expect(shown.levels).toBe(depth);
    expect(shown.top).toBe("level");
    expect(shown.start).toContain('{\n  "seq": 1,');
    // the indentation stops growing past a few dozen levels: the text grows with the message, not its depth squared
    expect(shown.length).toBeLessThan(4 * 2 * depth);
    expect(errors).toEqual([]);
    await deep.close();
  }, STEP_MS);

  test("the poke form appends a message, and invalid JSON is refused without sending", async () => {
    const appends: string[] = [];
    const onRequest = (req: { url(): string; method(): string }) => {
      if (req.method() === "POST" && req.url().endsWith("/append")) appends.push(req.url());
    };
    page.on("request", onRequest);
    try {
      // Format lays the text out as typed (the id keeps its digits), and that text is what gets stored
      await page.locator(tid("poke-data")).fill('{"from": "browser", "msg": "poked from the page", "n": 9, "id": 12345678901234567890}');
      await page.locator("#poke-format").click();
      expect(await page.locator(tid("poke-data")).inputValue()).toBe('{\n  "from": "browser",\n  "msg": "poked from the page",\n  "n": 9,\n  "id": 12345678901234567890\n}');
      await page.locator(tid("poke-tags")).fill("ui, test");
      await page.locator(tid("poke-send")).click();
      const result = page.locator(`${tid("poke-result")}[data-seq]`);
      await result.waitFor({ timeout: 5_000 });
      const seq = Number(await result.getAttribute("data-seq"));
      expect(seq).toBe(9);
      expect(await result.textContent()).toContain("seq 9");
      const r = await fetch(`${server.url}/v0/pools/chat/messages/${seq}`);
      expect(r.status).toBe(200);
      const raw = await r.text();
      expect(raw).toContain('"data":{"from":"browser","msg":"poked from the page","n":9,"id":12345678901234567890}}');
      const { message } = JSON.parse(raw) as { message: { data: unknown; meta: { tags: string[] } } };
      expect(message.data).toMatchObject({ from: "browser", msg: "poked from the page", n: 9 });
      expect(message.meta.tags).toEqual(["ui", "test"]);
      await page.locator(row(9)).waitFor({ timeout: 5_000 }); // and it arrives through the live stream
      expect(appends.length).toBe(1);

      await page.locator(tid("poke-data")).fill('{"from": "browser", "msg": }');
      await page.locator(tid("poke-send")).click();
      const error = page.locator(`${tid("poke-result")}.error`);
      await error.waitFor({ timeout: 2_000 });
      expect(await error.textContent()).toContain("Invalid JSON");
      expect(await page.locator(tid("poke-data")).getAttribute("aria-invalid")).toBe("true");

      await page.locator(tid("poke-data")).fill("[1, 2, 3]");
      await page.locator(tid("poke-send")).click();
      await page.locator(`${tid("poke-result")}.error`).filter({ hasText: "JSON object" }).waitFor({ timeout: 2_000 });
      await Bun.sleep(200);
      expect(appends.length).toBe(1);
      const info = (await (await fetch(`${server.url}/v0/pools/chat/info`)).json()) as { pool: { metrics: { message_count: number } } };
      expect(info.pool.metrics.message_count).toBe(9);
    } finally {
      page.off("request", onRequest);
    }
    expect(pageErrors).toEqual([]);
    expect(foreignRequests).toEqual([]); // everything came from the server itself
  }, STEP_MS);

  test("with a token, the page asks for it, then lists pools and follows them across reconnects", async () => {
    const sdir = join(root, "secured");
    mkdirSync(sdir);
    // Tail streams end after 1 s here, so following the pool below goes through several reconnects.
    secured = await startServer(serveOptions(sdir, "s3cret", 1_000));
    expect((await fetch(`${secured.url}/v0/pools`)).status).toBe(401);
    expect((await fetch(`${secured.url}/ui`)).status).toBe(200); // the page itself needs no token
    await createPool(secured.url, "vault", 1 << 20, "s3cret");
    await append(secured.url, "vault", { secret: "hush" }, ["private"], "s3cret");

    const context = await browser.newContext(); // its own localStorage
    const p = await context.newPage();
    try {
      await p.goto(`${secured.url}/ui`);
      const dialog = p.locator(tid("token-dialog"));
      await dialog.waitFor({ state: "visible", timeout: 5_000 });
      expect(await p.locator(`${tid("token-message")}`).textContent()).toContain("needs a token");

      await p.locator(tid("token-input")).fill("wrong");
      await p.locator(tid("token-save")).click();
      await p.locator(tid("token-message")).filter({ hasText: "rejected" }).waitFor({ timeout: 5_000 });
      expect(await dialog.isVisible()).toBe(true);

      await p.locator(tid("token-input")).fill("s3cret");
      await p.locator(tid("token-save")).click();
      await dialog.waitFor({ state: "hidden", timeout: 5_000 });
      const vault = p.locator(`${tid("pool-row")}[data-pool="vault"]`);
      await vault.waitFor({ timeout: 5_000 });
      expect(await vault.locator(tid("pool-count")).textContent()).toBe("1");
      expect(await p.evaluate('localStorage.getItem("plasmite.token")')).toBe("s3cret");

      await vault.locator(tid("pool-link")).click();
      await p.locator(row(1)).waitFor({ timeout: 5_000 });
      await append(secured.url, "vault", { secret: "still hush" }, [], "s3cret");
      await p.locator(row(2)).waitFor({ timeout: 5_000 });
      await Bun.sleep(1_300); // past the stream's end: the page reconnects with since_seq (and the token)
      await append(secured.url, "vault", { secret: "hush again" }, [], "s3cret");
      await expectSeqs(p, [3, 2, 1]); // nothing twice, nothing lost
      expect(await p.locator(tid("conn-status")).getAttribute("data-state")).toBe("live");
    } finally {
      await context.close();
    }
  }, STEP_MS);
});
