// Load generator for the campaign (its own process): 16 keep-alive append loops and 8 live tail followers
// against `pls serve` for S seconds; prints {appends, errors, p50, p99, tailed} as JSON.
const [url, secondsText] = process.argv.slice(2);
const seconds = Number(secondsText);
const until = performance.now() + seconds * 1000;
const latencies: number[] = [];
let errors = 0;
let tailed = 0;
const followers = new AbortController();

const appenders = Array.from({ length: 16 }, async (_, w) => {
  let i = 0;
  while (performance.now() < until) {
    const t0 = performance.now();
    const r = await fetch(`${url}/v0/pools/load/append`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ data: { w, i: i++, msg: "load" }, tags: ["load"] }) });
    await r.arrayBuffer();
    latencies.push(performance.now() - t0);
    if (!r.ok) errors++;
  }
});

const tails = Array.from({ length: 8 }, async () => {
  let next = 0;
  while (!followers.signal.aborted) {
    try {
      const q = next ? `since_seq=${next}` : "from=live";
      const r = await fetch(`${url}/v0/pools/load/tail?${q}&timeout_ms=5000`, { signal: followers.signal });
      if (!r.ok) {
        errors++;
        continue;
      }
      let buf = "";
      for await (const chunk of r.body!) {
        buf += new TextDecoder().decode(chunk);
        let nl: number;
        while ((nl = buf.indexOf("\n")) >= 0) {
          const line = buf.slice(0, nl);
          buf = buf.slice(nl + 1);
          const seq = Number(/^\{"seq":(\d+)/.exec(line)?.[1]);
          if (!seq) errors++;
          else next = seq + 1;
          tailed++;
        }
      }
    } catch {
      if (!followers.signal.aborted) errors++;
    }
  }
});

await Promise.all(appenders);
followers.abort();
await Promise.all(tails);
latencies.sort((a, b) => a - b);
const pct = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * p))] ?? 0;
console.log(JSON.stringify({ appends: latencies.length, errors, p50: pct(0.5), p99: pct(0.99), tailed }));
export {};
