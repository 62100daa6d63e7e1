// The library users import: a Client for a pool directory and PoolHandles with append/get/tail/info.
// Thin over src/pool: names become paths here, messages become payloads; no storage rules.
// Invariant: a PoolHandle never hands out its Pool: the interfaces (CLI, server, MCP, bridge) reach the engine
// only through the handle's methods; those on hot paths (seqBounds, getStored, generation, stillLinked) are one
// engine call each and allocate nothing of their own.
import { fs, path } from "../platform/lazy-node.ts";
import { PlasmiteError } from "../errors.ts";
import { checkMessage, encodePayload, payloadPrefix, type CheckedTags, type DataText } from "../format/payload.ts";
import type { Cursor, CursorStart, Drop } from "../pool/cursor.ts";
import { maxPayloadBytes } from "../format/frame.ts";
import { Pool, type CreateOptions, type Durability, type PoolWatch, type TextPayloads } from "../pool/pool.ts";
import type { StoredMessage } from "../pool/reader.ts";
import { nowNs } from "../pool/clock.ts";
import { DEFAULT_LOCK_TIMEOUT_MS, checkLockTimeout } from "../pool/write-lock.ts";
import { envelopeJson, receiptOf, toMessage, type Message, type Receipt } from "../wire/index.ts";
import type { FollowEvent, FollowOptions } from "./follow.ts";
import { shapeInfo, type PoolInfo } from "./info.ts";
import { POOL_EXTENSION, defaultPoolDir, poolNameOf, resolvePoolRef } from "./refs.ts";
import type { RemoteClient, RemoteOptions } from "../remote/client.ts";

/** Throws Usage unless `data` is a JSON object and `tags` are non-empty strings. */
export const validateMessage: (data: unknown, tags: readonly unknown[]) => asserts data is Record<string, unknown> = checkMessage;

export type { PoolInfo } from "./info.ts";
export type { Durability, PoolWatch } from "../pool/pool.ts";
export type { StoredMessage } from "../pool/reader.ts";
export type { Cursor, CursorStart } from "../pool/cursor.ts";

/** The retained seqs: oldestSeq..newestSeq, or none when oldestSeq > newestSeq (an empty pool). */
export interface SeqBounds {
  readonly oldestSeq: number;
  readonly newestSeq: number;
}

export interface AppendOptions {
  tags?: string[];
  durability?: Durability;
}

export interface TailOptions {
  /** Start at this seq (inclusive). Default: the live edge (only new messages). */
  since?: number;
  /** Start with the last N retained messages. */
  last?: number;
  /** Start at the first message at or after this time (Date, or Unix ms). */
  sinceTime?: Date | number;
  /** Stop after this many ms without a new message (default: follow forever). */
  timeout?: number;
  /** Stop after this many messages. */
  max?: number;
  signal?: AbortSignal;
  /** Only messages carrying every one of these tags. */
  tags?: string[];
  /** Called when messages were overwritten before the tail read them. */
  onDrop?: (drop: Drop) => void;
  /**
   * "continue" (default) skips past overwritten messages (reporting them to onDrop); "error" fails closed:
   * the tail throws RetentionGap (seq = first missing) before yielding anything after the gap.
   */
  gapPolicy?: "continue" | "error";
}

export interface PoolEntry {
  name: string;
  path: string;
}

export interface ClientOptions {
  /** How long an append waits for another writer's lock before failing Busy (default 5000 ms, at most 1 h). */
  lockTimeoutMs?: number;
}

/** A pool directory. */
export class Client {
  readonly dir: string;
  readonly lockTimeoutMs: number;

  /** A local pool directory; for a server use Client.connect(url). */
  constructor(dir: string = defaultPoolDir(), options: ClientOptions = {}) {
    if (dir.includes("://") && /^https?:\/\//i.test(dir)) {
      throw new PlasmiteError("Usage", `Client(dir) takes a directory; for ${dir} use Client.connect(url)`, { hint: 'const remote = Client.connect("http://host:9700", { token })' });
    }
    this.dir = dir;
    this.lockTimeoutMs = options.lockTimeoutMs === undefined ? DEFAULT_LOCK_TIMEOUT_MS : checkLockTimeout(options.lockTimeoutMs);
  }

  /**
   * A `pls serve` server (http:// or https://): the same pool operations, asynchronous, with tails that resume
   * across reconnects. Loads the HTTP client only when called.
   */
  static connect(url: string, options: RemoteOptions = {}): RemoteClient {
    // required here, not imported above: local commands never load the HTTP client (a chunk of its own)
    const { RemoteClient } = require("../remote/client.ts") as typeof import("../remote/client.ts");
    return new RemoteClient(url, options);
  }

  /** The file a pool reference names (see resolvePoolRef). */
  pathOf(ref: string): string {
    return resolvePoolRef(this.dir, ref);
  }

  createPool(ref: string, options: CreateOptions = {}): PoolHandle {
    return this.handle(ref, Pool.create(this.pathOf(ref), options));
  }

  openPool(ref: string): PoolHandle {
    return this.handle(ref, Pool.open(this.pathOf(ref)));
  }

  private handle(ref: string, pool: Pool): PoolHandle {
    pool.lockTimeoutMs = this.lockTimeoutMs;
    return new PoolHandle(ref, pool);
  }

  /** Pool files in the directory, sorted by name (an absent directory has none). */
  listPools(): PoolEntry[] {
    let names: string[];
    try {
      names = fs().readdirSync(this.dir);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") return [];
      throw new PlasmiteError("Io", `cannot list ${this.dir}: ${(err as Error).message}`, { path: this.dir });
    }
    return names
      .filter((n) => n.endsWith(POOL_EXTENSION) && !n.startsWith("."))
      .filter((n) => {
        try {
          return fs().statSync(path().join(this.dir, n)).isFile();
        } catch {
          return false;
        }
      })
      .sort()
      .map((n) => ({ name: poolNameOf(n), path: path().join(this.dir, n) }));
  }

  deletePool(ref: string): void {
    Pool.delete(this.pathOf(ref));
  }
}

/** An open pool. Handles share one mapping per pool file per process; close() releases this one's share. */
export class PoolHandle {
  readonly name: string;
  // private: interfaces use the methods below, never the engine (docs/architecture.md). Tests that damage bytes
  // or inspect the ring reach it with handle["pool"], saying why.
  private readonly pool: Pool;

  constructor(ref: string, pool: Pool) {
    this.name = poolNameOf(ref);
    this.pool = pool;
  }

  get path(): string {
    return this.pool.path;
  }

  /** Appends one message; returns its receipt (seq, time, tags), as `pls poke` prints it. `data` must be a JSON object. */
  append(data: Record<string, unknown>, options: AppendOptions = {}): Receipt {
    const tags = options.tags ?? [];
    checkMessage(data, tags);
    const times: number[] = [];
    const seq = this.pool.appendPayloads([encodePayload(data, tags)], options.durability, times);
    return receiptOf(seq, times[0], times[1], tags);
  }

  /** Appends many messages under one lock; returns the first seq (the rest follow in order). */
  appendBatch(messages: ReadonlyArray<{ data: Record<string, unknown>; tags?: string[] }>, options: { durability?: Durability } = {}): number {
    return this.pool.appendPayloads(encodeAll(messages), options.durability);
  }

  /** appendBatch that also returns each message's seq and time (for receipts). */
  appendBatchReceipts(messages: ReadonlyArray<{ data: Record<string, unknown>; tags?: string[] }>, options: { durability?: Durability } = {}): Receipt[] {
    const times: number[] = [];
    const first = this.pool.appendPayloads(encodeAll(messages), options.durability, times);
    const receipts = new Array<Receipt>(messages.length);
    for (let i = 0; i < messages.length; i++) {
      receipts[i] = receiptOf(first + i, times[2 * i], times[2 * i + 1], messages[i].tags ?? []);
    }
    return receipts;
  }

  /**
   * @internal The CLI's append: `dataTexts` were checked where they were parsed (dataText, so their types say),
   * stored as given; all get `tags`. `ascii`: every text is known to be ASCII. Returns the first seq; `times`
   * receives each message's time as a high/low pair.
   */
  appendDataTexts(dataTexts: readonly DataText[], tags: CheckedTags, durability: Durability = "fast", times?: number[], ascii = false): number {
    return this.pool.appendPayloads({ prefix: payloadPrefix(tags), bodies: dataTexts, suffix: "}", ascii }, durability, times);
  }

  /**
   * @internal The bridge's append: `payloadTexts` are whole payloads (envelope included) already checked, each
   * within maxPayloadBytes, stored as given under one lock. Returns the first seq.
   */
  appendPayloadTexts(payloadTexts: readonly string[], durability: Durability = "fast"): number {
    return this.pool.appendPayloads({ prefix: "", bodies: payloadTexts, suffix: "" }, durability);
  }

  /** @internal appendDataTexts for the server: waits for the writer lock without blocking the event loop. */
  appendDataTextsAsync(dataTexts: readonly DataText[], tags: CheckedTags, durability: Durability = "fast", times?: number[]): Promise<number> {
    return this.pool.appendPayloadsAsync({ prefix: payloadPrefix(tags), bodies: dataTexts, suffix: "}" }, durability, times);
  }

  get(seq: number): Message {
    return toMessage(this.pool.get(seq));
  }

  /**
   * The messages with these seqs, in order; NotFound for the first one not retained. Faster than one get() per
   * seq in a large pool: the lookups' memory loads overlap (Pool.getMany).
   */
  getMany(seqs: readonly number[]): Message[] {
    const stored = this.pool.getMany(seqs);
    const out = new Array<Message>(stored.length);
    for (let i = 0; i < stored.length; i++) out[i] = toMessage(stored[i]!);
    return out;
  }

  /** The message as its compact JSON envelope text (no parse). */
  getJson(seq: number): string {
    return envelopeJson(this.pool.get(seq));
  }

  /** The stored message as written (payload bytes, time) for splicing without a parse; NotFound when not retained. */
  getStored(seq: number): StoredMessage {
    return this.pool.get(seq);
  }

  /** The retained seqs now (the engine's published state, not a copy: read it, do not keep it). */
  seqBounds(): SeqBounds {
    return this.pool.state();
  }

  /** `pool info`: name, path, geometry, bounds and metrics (see PoolInfo). */
  info(): PoolInfo & { name: string } {
    return { name: this.name, ...shapeInfo(this.pool.path, this.pool.geometry, this.pool.stats(), nowNs()) };
  }

  /** When the pool file was created (Unix ns): the bridge's id for this pool, the same in every process. */
  get createdNs(): bigint {
    return this.pool.geometry.createdNs;
  }

  /** The largest payload (envelope included, UTF-8 bytes) this pool takes: its ring size decides. */
  get maxPayloadBytes(): number {
    return maxPayloadBytes(this.pool.geometry.ringSize);
  }

  /** False when this process may only read the file: no writer counts its waits, so its followers poll. */
  get writable(): boolean {
    return this.pool.writable;
  }

  /** The publish generation: it changes whenever a writer publishes (read it before looking, wait on a change). */
  generation(): number {
    return this.pool.generation();
  }

  /**
   * Calls `onPublish` whenever a writer publishes, from a worker (the event loop never blocks). The watch keeps
   * the mapping alive until stopped. Correctness must not depend on it: readers re-check on a timer too.
   */
  watch(onPublish: () => void): PoolWatch {
    return this.pool.watch(onPublish);
  }

  /**
   * Keeps this pool's mapping alive until the returned release runs, even if every handle is closed meanwhile
   * (a server stream or a wait reading after a delete must never read an unmapped file).
   */
  retain(): () => void {
    return this.pool.retain();
  }

  /** The identity of the mapped file: handles on one file share it; a recreated pool of the same name does not. */
  get mappingKey(): object {
    return this.pool.mappingKey;
  }

  /** False once the pool file was deleted or replaced since this process opened it. */
  stillLinked(): boolean {
    return this.pool.stillLinked();
  }

  /** A cursor for custom reading loops (see Cursor). */
  cursor(start?: CursorStart): Cursor {
    return new (cursorClass())(this.pool, start);
  }

  /**
   * The follow engine over this pool (see follow.ts): batches of stored messages from a start, filtered, until a
   * stop condition. What every reader (peek, the server's tails, MCP waits, tail()) is built on.
   */
  follow(options: FollowOptions): AsyncGenerator<FollowEvent> {
    return followEngine().followPool(this.pool, (start) => this.cursor(start), options);
  }

  /** Messages in seq order as an async iterator: from `since`/`last`/`sinceTime`, else only new ones. */
  tail(options: TailOptions = {}): AsyncGenerator<Message> {
    for (const [name, v] of [["since", options.since], ["last", options.last], ["max", options.max]] as const) {
      if (v !== undefined && (!Number.isSafeInteger(v) || v < 0)) throw new PlasmiteError("Usage", `tail ${name} must be a non-negative integer, got ${v}`);
    }
    if (options.sinceTime !== undefined && !Number.isFinite(Number(options.sinceTime))) {
      throw new PlasmiteError("Usage", "tail sinceTime is not a valid time");
    }
    const start: CursorStart =
      options.since !== undefined
        ? { seq: options.since }
        : options.last !== undefined
          ? { last: options.last }
          : options.sinceTime !== undefined
            ? { timeNs: BigInt(Math.floor(Number(options.sinceTime))) * 1_000_000n }
            : { newest: true };
    const follow: FollowOptions = { start, max: options.max, idleTimeoutMs: options.timeout, signal: options.signal, onDrop: options.onDrop, gapPolicy: options.gapPolicy, tags: options.tags };
    followEngine().checkFollowOptions(follow);
    return messagesOf(this.follow(follow));
  }

  close(): void {
    this.pool.close();
  }
}

/**
 * Checks and encodes every message before anything is written (a rejected batch changes nothing). Messages
 * that share their tags (the usual batch) go as text around one envelope prefix, encoded straight into the ring.
 */
function encodeAll(messages: ReadonlyArray<{ data: Record<string, unknown>; tags?: string[] }>): Uint8Array[] | TextPayloads {
  const first = messages.length > 0 ? messages[0].tags ?? [] : [];
  const firstJson = JSON.stringify(first);
  let shared = true;
  // loops rather than Array.prototype.map, whose first call costs ~0.1 ms of a one-shot `pls poke`
  for (let i = 0; i < messages.length; i++) {
    const tags = messages[i].tags ?? [];
    checkMessage(messages[i].data, tags);
    if (shared && tags !== first && JSON.stringify(tags) !== firstJson) shared = false;
  }
  if (shared) {
    const bodies = new Array<string>(messages.length);
    for (let i = 0; i < messages.length; i++) bodies[i] = JSON.stringify(messages[i].data);
    return { prefix: payloadPrefix(first), bodies, suffix: "}" };
  }
  const out = new Array<Uint8Array>(messages.length);
  for (let i = 0; i < messages.length; i++) out[i] = encodePayload(messages[i].data, messages[i].tags ?? []);
  return out;
}

async function* messagesOf(events: AsyncGenerator<FollowEvent>): AsyncGenerator<Message> {
  for await (const e of events) if (e.kind === "batch") for (const m of e.messages) yield toMessage(m);
}

/** The Cursor class, loaded when first read with: one-shot writes and gets never load it. */
function cursorClass(): typeof Cursor {
  return (require("../pool/cursor.ts") as typeof import("../pool/cursor.ts")).Cursor;
}

/** The follow engine (and the history reader, cursor and stop rules under it), loaded by the first follower. */
function followEngine(): typeof import("./follow.ts") {
  return require("./follow.ts") as typeof import("./follow.ts");
}
