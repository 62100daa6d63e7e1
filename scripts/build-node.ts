// Builds the library for Node.js: dist/node/index.js (ESM), chosen by the package's "node"/"default" export
// condition. Under Node the package offers remote pools (Client.connect); local pools throw a Usage error that
// says they need Bun. Run by `npm pack` (prepack) and by the test that imports the package under Node.
// Usage: bun scripts/build-node.ts [OUTDIR]   (default dist/node)
import { join } from "node:path";

const ROOT = join(import.meta.dir, "..");
const outdir = process.argv[2] ?? join(ROOT, "dist", "node");
const result = await Bun.build({
  entrypoints: [join(ROOT, "src", "api", "index.ts")],
  target: "node",
  format: "esm",
  outdir,
  naming: "index.js",
});
if (!result.success) {
  for (const log of result.logs) console.error(log);
  process.exit(1);
}
console.log(`built ${result.outputs.map((o) => o.path).join(", ")}`);
