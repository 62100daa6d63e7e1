// What a hostile web page can do to a default `pls serve` from a real browser (the system Chromium through
// playwright-core, as src/ui/ui.test.ts): a page from another origin (a second tiny server on another port)
// sends the requests no CORS preflight guards (a text/plain fetch, text/plain and urlencoded form posts) and a
// preflighted JSON one; a page reached through a DNS name that resolves to the server (rebinding, simulated
// with Chromium's host resolver rules) asks for the pool list. Nothing may be written or read; the server's
// own /ui page, reached as localhost, still writes.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium, type Browser } from "playwright-core";
import { Client } from "../api/client.ts";
import { startServer, type RunningServer } from "./app.ts";

const CHROMIUM = "/usr/bin/chromium";
const REBIND_NAME = "pools.rebind.test";
const CHROMIUM_ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync", `--host-resolver-rules=MAP ${REBIND_NAME} 127.0.0.1`];
const STEP_MS = 20_000;

let root = "";
let server: RunningServer;
let attacker: ReturnType<typeof Bun.serve>;
let browser: Browser;
const serverStatuses: number[] = [];

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} not found: these tests need Debian's Chromium. Install it with: apt-get install -y chromium`);
  root = mkdtempSync(join(tmpdir(), "plasmite-browser-safety-"));
  server = await startServer({ dir: root, bind: "127.0.0.1:0", allowNonLoopback: false, insecureNoTls: false, access: "read-write", maxBodyBytes: 1 << 20, maxTailTimeoutMs: 30_000, maxTailConcurrency: 64, corsOrigins: [] });
  new Client(root).createPool("p", { sizeBytes: 1 << 20 }).close();
  // the attacker's site: another origin (other host name and port) on the same machine
  attacker = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: () => new Response("<!doctype html><title>elsewhere</title><iframe name=sink></iframe>", { headers: { "content-type": "text/html" } }) });
  browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
}, STEP_MS);

afterAll(async () => {
  await browser?.close();
  attacker?.stop(true);
  await server?.stop();
  if (root) rmSync(root, { recursive: true, force: true });
}, STEP_MS);

const newest = () => {
  const pool = new Client(root).openPool("p");
  try {
    return pool.info().bounds.newest;
  } finally {
    pool.close();
  }
};

test("a page from another origin cannot append or create through fetch or form posts", async () => {
  const page = await browser.newPage();
  page.on("response", (r) => {
    if (r.url().startsWith(server.url)) serverStatuses.push(r.status());
  });
  await page.goto(`http://localhost:${attacker.port}/`);
  const target = server.url;
  const results = await page.evaluate(async (base) => {
    const body = JSON.stringify({ data: { csrf: "fetch" } });
    const out: string[] = [];
    // simple requests: no preflight, the browser sends them and hides the answer
    for (const [path, text] of [["/v0/pools/p/append", body], ["/v0/pools", JSON.stringify({ pool: "huge", size_bytes: 4 * 1024 ** 3 })]]) {
      try {
        const r = await fetch(base + path, { method: "POST", mode: "no-cors", headers: { "content-type": "text/plain" }, body: text });
        out.push(`no-cors ${r.type}`);
      } catch (err) {
        out.push(`no-cors failed ${String(err)}`);
      }
    }
    // a JSON request is preflighted: the preflight is refused, so it is never sent
    try {
      await fetch(base + "/v0/pools/p/append", { method: "POST", headers: { "content-type": "application/json" }, body });
      out.push("cors sent");
    } catch {
      out.push("cors blocked");
    }
    // forms: text/plain with the JSON-in-a-field-name trick, and urlencoded
    // the page's DOM (this project compiles without the DOM library)
    const document = (globalThis as unknown as { document: any }).document;
    const submit = (enctype: string, name: string, value: string) =>
      new Promise<void>((resolve) => {
        const frame = document.querySelector("iframe")!;
        frame.onload = () => resolve();
        const form = document.createElement("form");
        Object.assign(form, { method: "POST", action: base + "/v0/pools/p/append", enctype, target: "sink" });
        const input = document.createElement("input");
        Object.assign(input, { type: "hidden", name, value });
        form.append(input);
        document.body.append(form);
        form.submit();
      });
    await submit("text/plain", '{"data":{"csrf":"form","pad":"', '"}}');
    await submit("application/x-www-form-urlencoded", '{"data":{"csrf":"urlencoded"}}', "");
    return out;
  }, target);
  expect(results).toEqual(["no-cors opaque", "no-cors opaque", "cors blocked"]);
  // the requests did reach the server (2 fetches, the preflight, 2 forms) and were all refused
  expect(serverStatuses.length).toBeGreaterThanOrEqual(4);
  expect(serverStatuses.every((s) => s === 403)).toBe(true);
  expect(newest()).toBeNull();
  expect(new Client(root).listPools().map((p) => p.name)).toEqual(["p"]);
  await page.close();
}, STEP_MS);

test("DNS rebinding: a page whose name resolves to the server reads nothing (421); through localhost the /ui page still writes", async () => {
  const port = new URL(server.url).port;
  const page = await browser.newPage();
  const nav = await page.goto(`http://${REBIND_NAME}:${port}/ui`);
  expect(nav!.status()).toBe(421);
  const read = await page.evaluate(async () => {
    const r = await fetch("/v0/pools");
    return { status: r.status, text: await r.text() };
  });
  expect(read.status).toBe(421);
  expect(read.text).not.toContain('"pools"');
  // the same server through a loopback name: the page loads and its own (same-origin) writes work
  const ui = await page.goto(`http://localhost:${port}/ui`);
  expect(ui!.status()).toBe(200);
  const wrote = await page.evaluate(async () => {
    const r = await fetch("/v0/pools/p/append", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ data: { from: "ui" } }) });
    return r.status;
  });
  expect(wrote).toBe(200);
  expect(newest()).toBe(1);
  await page.close();
}, STEP_MS);
