// Test process: opens pool A (and B), lets a cursor and a watch start on A, truncates A to `size` bytes itself,
// then calls every entry point of A and reports what each did; B must keep working. A SIGBUS kills this process
// instead of the test runner. argv: pathA pathB size. Prints one JSON object.
import { truncateSync } from "node:fs";
import { PlasmiteError } from "../../errors.ts";
import { Cursor } from "../cursor.ts";
import { Pool } from "../pool.ts";

const [pathA, pathB, sizeText] = process.argv.slice(2);
const a = Pool.open(pathA);
const b = Pool.open(pathB);
const payload = new TextEncoder().encode('{"meta":{"tags":[]},"data":{"n":1}}');
a.appendPayload(payload);
const cursor = new Cursor(a, { oldest: true });
cursor.next();
let changes = 0;
const watch = a.watch(() => changes++);
await Bun.sleep(100);

truncateSync(pathA, Number(sizeText));
await Bun.sleep(150); // the watch's worker looks at the file at least this often

const outcome = (fn: () => unknown): string => {
  try {
    fn();
    return "ok";
  } catch (err) {
    if (!(err instanceof PlasmiteError)) return `thrown ${String(err)}`;
    return err.kind === "Corrupt" && err.path === pathA && err.message.includes("shrank") ? "Corrupt" : `${err.kind}: ${err.message}`;
  }
};
const result = {
  watchWoke: changes > 0,
  next: outcome(() => cursor.next()),
  waitSync: outcome(() => cursor.waitSync(10)),
  state: outcome(() => a.state()),
  stats: outcome(() => a.stats()),
  get: outcome(() => a.get(1)),
  generation: outcome(() => a.generation()),
  append: outcome(() => a.appendPayload(payload)),
  reopen: outcome(() => Pool.open(pathA)),
  // the other pool works as before
  other: outcome(() => {
    const seq = b.appendPayload(payload);
    if (b.get(seq).seq !== seq) throw new Error("B broke");
  }),
};
await watch.stop();
a.close();
b.close();
process.stdout.write(JSON.stringify(result) + "\n");
