// `pls pool create|list|info|delete`: manage pool files in the pool directory.
import { defineCommand } from "citty";
import { PlasmiteError } from "../../errors.ts";
import { client } from "../context.ts";
import { printJson } from "../print.ts";
import { parseCount, parseSize } from "../values.ts";
import { presentError } from "../present.ts";

const create = defineCommand({
  meta: { name: "create", description: "Create pools (fixed-size ring files).\n\nExample:\n  pls pool create big --size 8M" },
  args: {
    name: { type: "positional", description: "Pool names (one or more)", required: true },
    size: { type: "string", description: "Pool file size: bytes or 64K, 1M (default), 256M, 1G" },
    "index-capacity": { type: "string", description: "Seq index slots (default automatic; 0 disables)" },
  },
  run({ args }) {
    const names = args._ as string[];
    const sizeBytes = args.size === undefined ? undefined : parseSize(String(args.size));
    const indexCapacity = args["index-capacity"] === undefined ? undefined : parseCount(String(args["index-capacity"]), "--index-capacity");
    const c = client();
    for (const name of names) {
      const pool = c.createPool(name, { sizeBytes, indexCapacity });
      const info = pool.info();
      printJson({ name: info.name, path: info.path, file_size: info.file_size, ring_size: info.ring_size, index_capacity: info.index_capacity });
      pool.close();
    }
  },
});

const list = defineCommand({
  meta: { name: "list", description: "List pools in the pool directory.\n\nExample:\n  pls pool list" },
  run() {
    printJson({ pools: client().listPools() });
  },
});

const info = defineCommand({
  meta: { name: "info", description: "Show a pool's geometry, bounds and usage.\n\nExample:\n  pls pool info chat" },
  args: { name: { type: "positional", description: "Pool name", required: true } },
  run({ args }) {
    const pool = client().openPool(String(args.name));
    printJson(pool.info());
    pool.close();
  },
});

const del = defineCommand({
  meta: { name: "delete", description: "Delete pools (best effort: reports each).\n\nExample:\n  pls pool delete a b c" },
  args: { name: { type: "positional", description: "Pool names", required: true } },
  run({ args }) {
    const c = client();
    let worst = 0;
    for (const name of args._ as string[]) {
      try {
        c.deletePool(name);
        printJson({ deleted: name, path: c.pathOf(name) });
      } catch (err) {
        worst = Math.max(worst, presentError(err));
      }
    }
    if (worst) throw new ExitCode(worst);
  },
});

/** Exit with a code after output was already presented. */
export class ExitCode extends Error {
  constructor(readonly code: number) {
    super(`exit ${code}`);
    this.name = "ExitCode";
  }
}

export default defineCommand({
  meta: { name: "pool", description: "Manage pools: create, list, info, delete." },
  subCommands: { create, list, info, delete: del },
});

export { PlasmiteError };
