// A running bridge's status: the JSON file it rewrites every STATUS_INTERVAL_MS beside its pool
// (`.POOL.bridge-out.STREAM.json`), and reading those files back for `pls bridge status`.
// Never loads NATS: `bridge status` reads files and the local pool only.
// Invariant: a status file is replaced whole (write to a temporary name, then rename): readers never see half.
import { readFileSync, readdirSync, renameSync, writeFileSync, unlinkSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { hostname } from "node:os";
import { PlasmiteError } from "../errors.ts";
import { poolNameOf } from "../api/refs.ts";

/** How often a running bridge rewrites its status file. */
export const STATUS_INTERVAL_MS = 1_000;

export type BridgeDirection = "out" | "in";

/** A retention gap: pool messages `from..to` were overwritten before the bridge published them. */
export interface Gap {
  from: number;
  to: number;
  count: number;
}

/** What a bridge reports about itself (the status file's content, spec/v0/SPEC.md `pls bridge status`). */
export interface BridgeStatus {
  direction: BridgeDirection;
  pool: string;
  pool_path: string;
  stream: string;
  /** out: the subject published to; in: the consumer's filter (null: every subject of the stream). */
  subject: string | null;
  /** in: the durable consumer's name. */
  durable?: string;
  servers: string;
  host: string;
  pid: number;
  started: string;
  updated: string;
  /** connecting, running, resyncing (out, after a failed publish), stopping, stopped, failed. */
  state: "connecting" | "running" | "resyncing" | "stopping" | "stopped" | "failed";
  connected: boolean;
  /** Messages not yet mirrored: out, pool messages after published_through; in, the consumer's pending count. */
  lag_messages: number;
  /** How far behind in time: out, the age of the oldest unpublished message; in, see spec. 0 when caught up. */
  lag_ms: number;
  /** out: every pool seq <= this is in the stream (or was a gap). */
  published_through?: number;
  /** out: the pool's newest seq when the status was written. */
  pool_newest?: number | null;
  /** out: messages this process published (acknowledged by the stream). */
  published?: number;
  /** out: publishes the stream reported as duplicates (dropped by its de-duplication). */
  duplicates?: number;
  /** in: the stream seq of the newest message held in the pool. */
  stream_seq?: number;
  /** in: messages this process appended / skipped as already held / refused (not a JSON object). */
  appended?: number;
  skipped?: number;
  refused?: number;
  /** out: every retention gap this process met, exactly. */
  gaps: Gap[];
  error: { kind: string; message: string } | null;
}

/** The status file of a bridge on `poolPath` for `stream`: hidden, beside the pool (pool list ignores it). */
export function statusPath(poolPath: string, direction: BridgeDirection, stream: string): string {
  return join(dirname(poolPath), `.${poolNameOf(poolPath)}.bridge-${direction}.${stream}.json`);
}

/** Writes the status file whole (temporary file, then rename). */
export function writeStatus(path: string, status: BridgeStatus): void {
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(status) + "\n");
  renameSync(tmp, path);
}

export function removeStatus(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // already gone
  }
}

/** A status as `pls bridge status` shows it: `alive` says whether its process still runs on this host. */
export type ShownStatus = BridgeStatus & { alive: boolean; file: string };

/**
 * Status files in `dir`, or of one pool (`poolPath`), oldest first by name. A file whose process is gone while
 * it says running shows alive: false.
 */
export function readStatuses(dir: string, poolPath?: string): ShownStatus[] {
  const where = poolPath ? dirname(poolPath) : dir;
  const prefix = poolPath ? `.${poolNameOf(poolPath)}.bridge-` : ".";
  let names: string[];
  try {
    names = readdirSync(where);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw new PlasmiteError("Io", `cannot list ${where}: ${(err as Error).message}`, { path: where });
  }
  const out: ShownStatus[] = [];
  for (const name of names.sort()) {
    if (!name.startsWith(prefix) || !name.endsWith(".json") || !/\.bridge-(in|out)\./.test(name)) continue;
    const file = join(where, name);
    let status: BridgeStatus;
    try {
      status = JSON.parse(readFileSync(file, "utf8")) as BridgeStatus;
    } catch {
      continue; // removed meanwhile, or not ours
    }
    out.push({ ...status, alive: isAlive(status), file: basename(file) });
  }
  return out;
}

function isAlive(s: BridgeStatus): boolean {
  if (s.state === "stopped" || s.state === "failed") return false;
  if (s.host !== hostname()) return true; // another host's process (a shared directory): trust the file
  try {
    process.kill(s.pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}
