// `pls poke POOL DATA`: append one JSON object.
import { defineCommand } from "citty";
import { PlasmiteError } from "../../errors.ts";
import { validateMessage, type PoolHandle } from "../../api/client.ts";
import { collectRepeated } from "../args.ts";
import { client } from "../context.ts";
import { printJson } from "../print.ts";
import { parseSize } from "../values.ts";

export default defineCommand({
  meta: { name: "poke", description: "Append a JSON object to a pool.\n\nExamples:\n  pls poke chat --create '{\"from\": \"alice\", \"msg\": \"hi\"}'\n  pls poke incidents --tag sev1 '{\"msg\": \"timeout\"}'" },
  args: {
    pool: { type: "positional", description: "Pool name or path", required: true },
    data: { type: "positional", description: "JSON object", required: false },
    tag: { type: "string", alias: "t", description: "Tag (repeatable)" },
    create: { type: "boolean", description: "Create the pool if missing" },
    "create-size": { type: "string", description: "Size for --create (default 1M)" },
    durability: { type: "enum", options: ["fast", "flush"], description: "fast (default) or flush (msync before returning)" },
  },
  run({ args, rawArgs }) {
    const tags = collectRepeated(rawArgs, "tag", "t");
    if (args.data === undefined) throw new PlasmiteError("Usage", "missing data input", { hint: `Provide JSON as DATA, e.g. pls poke ${args.pool} '{"x":1}'.` });
    let data: unknown;
    try {
      data = JSON.parse(String(args.data));
    } catch (err) {
      throw new PlasmiteError("Usage", `invalid JSON: ${(err as Error).message}`, { hint: `Provide a single JSON object, e.g. '{"x":1}'.` });
    }
    validateMessage(data, tags);
    const pool = openOrCreate(String(args.pool), Boolean(args.create), args["create-size"]);
    const seq = pool.append(data as Record<string, unknown>, { tags, durability: (args.durability as "fast" | "flush") ?? "fast" });
    const msg = pool.get(seq);
    printJson({ seq: msg.seq, time: msg.time, meta: msg.meta });
    pool.close();
  },
});

function openOrCreate(ref: string, create: boolean, createSize: unknown): PoolHandle {
  const c = client();
  try {
    return c.openPool(ref);
  } catch (err) {
    if (!(err instanceof PlasmiteError) || err.kind !== "NotFound") throw err;
    if (!create) {
      throw new PlasmiteError("NotFound", err.message, {
        path: err.path,
        hint: `Create it first: pls pool create ${ref} (or pass --create, or --dir for another pool directory).`,
      });
    }
    try {
      return c.createPool(ref, { sizeBytes: createSize === undefined ? undefined : parseSize(String(createSize), "--create-size") });
    } catch (e) {
      if (e instanceof PlasmiteError && e.kind === "AlreadyExists") return c.openPool(ref); // lost a creation race
      throw e;
    }
  }
}
