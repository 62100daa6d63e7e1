// `pls pool create|list|info|delete`: manage pool files. JSON when piped or with --json (script-stable);
// short human text on a terminal.
import { defineCommand } from "../args.ts";
import { PlasmiteError, asPlasmiteError } from "../../errors.ts";
import type { PoolInfo } from "../../api/client.ts";
import { client, openPool } from "../pools.ts";
import { ExitCode } from "../exit.ts";
import { printJson, printLine, stdoutIsTTY } from "../output.ts";
import { presentError } from "../present.ts";
import { isRemote, rejectRemoteFlags, remoteClient, remoteFlags } from "../remote.ts";
import { parseCount, parseSize } from "../values.ts";
import { fs } from "../../platform/lazy-node.ts";
import { removeStaleCreateTemps, staleTempReport } from "../../api/checks.ts";

const jsonFlag = { json: { type: "boolean", description: "Print JSON even on a terminal" } } as const;
const wantJson = (args: { json?: unknown }) => Boolean(args.json) || !stdoutIsTTY();

const create = defineCommand({
  meta: { name: "create", description: "Create pools (fixed-size ring files). Refuses to overwrite an existing pool (exit 4).\n\nExamples:\n  pls pool create chat\n  pls pool create big --size 8M\n  pls pool create a b c --size 64K" },
  args: {
    name: { type: "positional", description: "Pool names (one or more)", required: true, valueHint: "NAME..." },
    size: { type: "string", description: "Pool file size: bytes or 64K, 1M (default), 256M, 1G (max 4G)" },
    "index-capacity": { type: "string", description: "Seq index slots (default automatic; 0 disables the index)" },
    ...jsonFlag,
    ...remoteFlags,
  },
  async run({ args }) {
    const sizeBytes = args.size === undefined ? undefined : parseSize(String(args.size));
    const indexCapacity = args["index-capacity"] === undefined ? undefined : parseCount(String(args["index-capacity"]), "--index-capacity");
    const created: Array<Omit<PoolInfo, "path"> & { name: string; path?: string }> = [];
    for (const name of args._ as string[]) if (!isRemote(name)) rejectRemoteFlags(args, name);
    for (const name of args._ as string[]) {
      if (isRemote(name)) {
        if (indexCapacity !== undefined) throw new PlasmiteError("Usage", "--index-capacity is not supported for remote pools");
        const remote = await remoteClient(name, args);
        const info = await (await remote.client.createPool(remote.pool, { sizeBytes })).info();
        created.push(info);
        if (!wantJson(args)) printLine(`created ${name} (${formatBytes(info.file_size)})`);
        continue;
      }
      const pool = client().createPool(name, { sizeBytes, indexCapacity });
      created.push(pool.info());
      pool.close();
      if (!wantJson(args)) printLine(`created ${name} (${formatBytes(created.at(-1)!.file_size)}) at ${pool.path}`);
    }
    if (wantJson(args)) printJson({ created });
  },
});

const list = defineCommand({
  meta: { name: "list", description: "List pools in the pool directory.\n\nExamples:\n  pls pool list\n  pls --dir /srv/pools pool list --json" },
  args: { ...jsonFlag },
  run({ args }) {
    const c = client();
    const pools = c.listPools().map((entry) => {
      const mtime = safeMtime(entry.path);
      try {
        const pool = c.openPool(entry.path);
        const info = pool.info();
        pool.close();
        return { name: entry.name, path: entry.path, file_size: info.file_size, bounds: info.bounds, message_count: info.metrics.message_count, mtime };
      } catch (err) {
        return { name: entry.name, path: entry.path, mtime, error: asPlasmiteError(err).toJSON() };
      }
    });
    // leftovers of interrupted creates: removed when stale, reported either way
    const { removed, failed } = removeStaleCreateTemps(c.dir);
    const staleTemps = [...removed.map((t) => staleTempReport(t, true)), ...failed.map((t) => staleTempReport(t, false))];
    if (wantJson(args)) return printJson(staleTemps.length > 0 ? { pools, stale_temps: staleTemps } : { pools });
    if (pools.length === 0) printLine(`no pools in ${c.dir}`);
    else {
      const rows = pools.map((p) => ["error" in p ? `${p.name} (${(p.error as { kind: string }).kind})` : p.name, "file_size" in p ? formatBytes(p.file_size!) : "-", "message_count" in p ? String(p.message_count) : "-", p.mtime ?? "-", p.path]);
      printTable(["NAME", "SIZE", "MSGS", "MODIFIED", "PATH"], rows);
    }
    for (const t of staleTemps) {
      const what = `left by an interrupted create (${formatBytes(t.size_bytes)}, process ${t.pid} is gone)`;
      printLine(t.removed ? `removed ${t.path}: ${what}` : `stale ${t.path}: ${what}; remove it: ${t.remove_with}`);
    }
  },
});

const info = defineCommand({
  meta: { name: "info", description: "Show a pool's geometry, bounds, usage and message ages.\n\nExamples:\n  pls pool info chat\n  pls pool info chat --json" },
  args: { name: { type: "positional", description: "Pool name, path or URL", required: true }, ...jsonFlag, ...remoteFlags },
  async run({ args }) {
    const ref = String(args.name);
    let i: Omit<PoolInfo, "path"> & { path?: string };
    if (isRemote(ref)) {
      const remote = await remoteClient(ref, args);
      i = await remote.client.openPool(remote.pool).info();
    } else {
      rejectRemoteFlags(args, ref);
      const pool = openPool(ref);
      i = pool.info();
      pool.close();
    }
    if (wantJson(args)) return printJson(i);
    const b = i.bounds;
    const m = i.metrics;
    printLine(
      [
        `Pool: ${args.name}`,
        `Path: ${isRemote(ref) ? ref : i.path}`,
        `Size: ${i.file_size} bytes (index: offset=${i.index_offset} slots=${i.index_capacity} stride=${i.index_stride ?? "-"} bytes=${i.index_size_bytes}, ring: offset=${i.ring_offset} size=${i.ring_size})`,
        `Bounds: oldest=${b.oldest ?? "-"} newest=${b.newest ?? "-"} count=${m.message_count}`,
        `Utilization: used=${m.utilization.used_bytes}B free=${m.utilization.free_bytes}B (${m.utilization.used_percent.toFixed(2)}%)`,
        `Oldest: ${m.age.oldest_time ?? "-"} (${formatAge(m.age.oldest_age_ms)})`,
        `Newest: ${m.age.newest_time ?? "-"} (${formatAge(m.age.newest_age_ms)})`,
      ].join("\n"),
    );
  },
});

const del = defineCommand({
  meta: { name: "delete", description: "Delete pools (best effort: reports each; exit code of the first failure).\n\nExample:\n  pls pool delete a b c" },
  args: { name: { type: "positional", description: "Pool names, paths or URLs", required: true, valueHint: "NAME..." }, ...jsonFlag, ...remoteFlags },
  async run({ args }) {
    const c = client();
    const deleted: Array<{ pool: string; path: string }> = [];
    const failed: Array<{ pool: string; error: Record<string, unknown> }> = [];
    let exitCode = 0;
    for (const name of args._ as string[]) if (!isRemote(name)) rejectRemoteFlags(args, name);
    for (const name of args._ as string[]) {
      try {
        if (isRemote(name)) {
          const remote = await remoteClient(name, args);
          await remote.client.deletePool(remote.pool);
          deleted.push({ pool: name, path: name });
        } else {
          c.deletePool(name);
          deleted.push({ pool: name, path: c.pathOf(name) });
        }
        if (!wantJson(args)) printLine(`deleted ${name}`);
      } catch (err) {
        const e = asPlasmiteError(err);
        failed.push({ pool: name, error: e.toJSON() });
        exitCode ||= e.exitCode;
        if (!wantJson(args)) presentError(e);
      }
    }
    if (wantJson(args)) printJson({ deleted, failed });
    if (exitCode) throw new ExitCode(exitCode);
  },
});

export default defineCommand({
  meta: { name: "pool", description: "Manage pools: create, list, info, delete.\n\nExamples:\n  pls pool create big --size 8M\n  pls pool list\n  pls pool info big\n  pls pool delete big" },
  subCommands: { create, list, info, delete: del },
});

function safeMtime(path: string): string | null {
  try {
    // node:fs through lazy-node: `pool info` needs no file system module (1.2 ms to load)
    return fs().statSync(path).mtime.toISOString();
  } catch {
    return null;
  }
}

export function formatBytes(n: number): string {
  if (n >= 1024 ** 3 && n % 1024 ** 3 === 0) return `${n / 1024 ** 3}G`;
  if (n >= 1024 ** 2) return n % 1024 ** 2 === 0 ? `${n / 1024 ** 2}M` : `${(n / 1024 ** 2).toFixed(1)}M`;
  if (n >= 1024) return n % 1024 === 0 ? `${n / 1024}K` : `${(n / 1024).toFixed(1)}K`;
  return `${n}B`;
}

function formatAge(ms: number | null): string {
  if (ms === null) return "-";
  if (ms < 1000) return `${ms}ms ago`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)}s ago`;
  return `${Math.round(ms / 1000)}s ago`;
}

function printTable(header: string[], rows: string[][]): void {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]))).join("  ");
  printLine([line(header), ...rows.map(line)].join("\n"));
}
