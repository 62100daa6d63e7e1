// Test process: appends messages to a pool as fast as it can. argv: path writerId count [mode]
// mode "mixed": random sizes, batches and durabilities (for crash tests); default one small message at a time.
import { Pool } from "../pool.ts";
import { encodePayload } from "../../format/payload.ts";

const [path, idText, countText, mode = "simple"] = process.argv.slice(2);
const id = Number(idText);
const count = Number(countText);
const pool = Pool.open(path);
let seed = id * 7919 + Number(process.env.SEED ?? 1);
const rand = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
let i = 0;
while (i < count) {
  if (mode === "mixed") {
    const batch = rand() < 0.3 ? 1 + Math.floor(rand() * 20) : 1;
    const payloads = [];
    const bodies: string[] = [];
    for (let k = 0; k < batch && i < count; k++, i++) {
      const data = { w: id, i, pad: "x".repeat(Math.floor(rand() * (rand() < 0.1 ? 3000 : 200))) };
      payloads.push(encodePayload(data, ["crash"]));
      bodies.push(JSON.stringify(data));
    }
    // half the batches as text (the path `pls poke` streams take), written straight into the ring
    const asText = rand() < 0.5;
    const durability = rand() < 0.2 ? "flush" : "fast";
    pool.appendPayloads(asText ? { prefix: '{"meta":{"tags":["crash"]},"data":', bodies, suffix: "}", ascii: true } : payloads, durability);
  } else {
    pool.appendPayload(encodePayload({ w: id, i }, [`w${id}`]));
    i++;
  }
}
pool.close();
