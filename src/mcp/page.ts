// Pages of a pool for the MCP read and wait tools: messages after a seq, since a time, from the last N or the newest
// ones, filtered by tags and a `where` jq expression, at most `count`, with the position to continue from and whether
// the reader fell behind. Reads go through the library's Cursor; a wait sleeps on the pool's watcher (a worker
// sleeping on the pool's futex word, see src/serve/watcher.ts), never in a polling loop of its own.
// Invariant: next_after_seq only moves past messages this page looked at (returned, or filtered out), so paging
// with after_seq = next_after_seq sees every retained message exactly once.
import type { CursorStart, PoolHandle } from "../api/client.ts";
import { envelopeJson } from "../wire/index.ts";
import { payloadHasTags, wantedTags } from "../api/message-text.ts";
import type { WhereFilter } from "../filter/where.ts";
import type { WatchLease } from "../serve/watcher.ts";

/** Most messages one read or one round of a wait looks at (filters can skip many); the page says where it stopped. */
export const MAX_SCAN_MESSAGES = 50_000;
/** Messages handed to the `where` filter at once. */
const BATCH_MESSAGES = 256;

export interface MessageFilter {
  /** Every tag must be on the message. */
  tags: readonly string[];
  where: WhereFilter | null;
}

export interface Page {
  messages: unknown[];
  next_after_seq: number;
  last_returned_seq: number | null;
  oldest_available_seq: number | null;
  newest_available_seq: number | null;
  fell_behind: boolean;
}

interface Scan {
  envelopes: string[];
  /** Every seq up to this one was looked at. */
  lastSeq: number;
  fellBehind: boolean;
  scanned: number;
  /** Nothing more to look at now (as opposed to stopping at `count` or the scan budget). */
  exhausted: boolean;
}

type Looked = { seq: number; json: string | null };

/**
 * Looks at messages from `start` in seq order. `keepLast`: up to `untilSeq`, keeping the last `count` matches;
 * otherwise stops at the `count`th match. Stops early after `budget` messages.
 */
async function scan(handle: PoolHandle, start: CursorStart, count: number, filter: MessageFilter, keepLast: boolean, untilSeq: number, budget: number): Promise<Scan> {
  const cursor = handle.cursor(start);
  const tags = wantedTags(filter.tags);
  const out: Scan = { envelopes: [], lastSeq: cursor.nextSeq - 1, fellBehind: false, scanned: 0, exhausted: false };
  const batch: Looked[] = [];
  for (;;) {
    batch.length = 0;
    const candidates: string[] = [];
    while (batch.length < BATCH_MESSAGES && out.scanned < budget) {
      const item = cursor.next();
      if (item === null) {
        out.exhausted = true;
        break;
      }
      if (item.drop) {
        // a gap: the messages up to toSeq were overwritten before this reader got to them
        batch.push({ seq: -item.drop.toSeq, json: null });
        continue;
      }
      if (item.message.seq > untilSeq) {
        out.exhausted = true;
        break;
      }
      out.scanned++;
      const json = payloadHasTags(item.message.payload, tags) ? envelopeJson(item.message) : null;
      batch.push({ seq: item.message.seq, json });
      if (json !== null) candidates.push(json);
    }
    const matches = filter.where && candidates.length > 0 ? await filter.where.matchBatch(candidates) : null;
    let c = 0;
    for (const looked of batch) {
      if (looked.seq < 0) {
        out.fellBehind = true;
        out.lastSeq = -looked.seq;
        continue;
      }
      out.lastSeq = looked.seq;
      if (looked.json === null || (matches !== null && !matches[c++])) continue;
      out.envelopes.push(looked.json);
      if (keepLast && out.envelopes.length > count) out.envelopes.shift();
      if (!keepLast && out.envelopes.length === count) return out;
    }
    if (out.exhausted || out.scanned >= budget) return out;
  }
}

/** The page's fields around a scan (bounds read after it, so they include what it saw). */
function pageOf(handle: PoolHandle, s: Scan, fellBehind: boolean): Page {
  const bounds = handle.info().bounds;
  const messages = s.envelopes.map((e) => JSON.parse(e) as unknown);
  const last = messages.length > 0 ? (messages[messages.length - 1] as { seq: number }).seq : null;
  return {
    messages,
    next_after_seq: Math.max(0, s.lastSeq),
    last_returned_seq: last,
    oldest_available_seq: bounds.oldest,
    newest_available_seq: bounds.newest,
    fell_behind: fellBehind,
  };
}

export type ReadFrom = { afterSeq: number } | { sinceNs: bigint } | { last: number } | { newest: true };

/**
 * One page: forward from `after_seq`, a time or the last N (the first `count` matches), or the newest `count`
 * matches (looked for in growing windows back from the newest message, at most MAX_SCAN_MESSAGES).
 */
export async function readPage(handle: PoolHandle, from: ReadFrom, count: number, filter: MessageFilter): Promise<Page> {
  if ("afterSeq" in from) return pageOfScan(handle, await scan(handle, { seq: from.afterSeq + 1 }, count, filter, false, Infinity, MAX_SCAN_MESSAGES));
  if ("sinceNs" in from) return pageOfScan(handle, await scan(handle, { timeNs: from.sinceNs }, count, filter, false, Infinity, MAX_SCAN_MESSAGES));
  const { oldest, newest } = handle.info().bounds;
  if (oldest === null || newest === null) return pageOf(handle, { envelopes: [], lastSeq: newest ?? 0, fellBehind: false, scanned: 0, exhausted: true }, false);
  if ("last" in from) return pageOfScan(handle, await scan(handle, { seq: Math.max(oldest, newest - from.last + 1) }, count, filter, false, newest, MAX_SCAN_MESSAGES));
  const filtered = filter.tags.length > 0 || filter.where !== null;
  let window = count;
  let scanned = 0;
  for (;;) {
    const first = Math.max(oldest, newest - window + 1);
    const s = await scan(handle, { seq: first }, count, filter, true, newest, MAX_SCAN_MESSAGES - scanned);
    scanned += s.scanned;
    if (!filtered || s.envelopes.length >= count || first <= oldest || scanned >= MAX_SCAN_MESSAGES) {
      // the newest messages: the next page starts after the newest one looked at; a window start overwritten
      // meanwhile is not this reader falling behind
      return pageOf(handle, s, false);
    }
    window *= 4;
  }
}

function pageOfScan(handle: PoolHandle, s: Scan): Page {
  return pageOf(handle, s, s.fellBehind);
}

export interface WaitOptions {
  /** Wait for messages after this seq; default: after the newest one when the wait starts (the live edge). */
  afterSeq?: number;
  count: number;
  filter: MessageFilter;
  timeoutMs: number;
  signal?: AbortSignal;
}

/**
 * Returns as soon as at least one matching message is there (with any others already there, up to `count`), or
 * after `timeoutMs` with none (timed_out). Reads through the library's follow engine, sleeping on `lease` (the
 * pool's watcher) between looks.
 */
export async function waitPage(handle: PoolHandle, lease: WatchLease, o: WaitOptions): Promise<Page & { timed_out: boolean }> {
  const afterSeq = o.afterSeq ?? handle.cursor({ newest: true }).nextSeq - 1;
  let fellBehind = false;
  const events = handle.follow({
    start: { seq: afterSeq + 1 },
    tags: o.filter.tags,
    where: o.filter.where,
    max: o.count,
    deadline: performance.now() + o.timeoutMs,
    signal: o.signal,
    onDrop: () => (fellBehind = true),
    waiter: { mark: () => lease.generation(), wait: (ms, signal, gen) => lease.wait(ms, signal, gen) },
    unlinkedHint: "Create it again (plasmite_pool_create) or wait on another pool.",
  });
  let lastSeq = afterSeq;
  try {
    for await (const e of events) {
      lastSeq = Math.max(lastSeq, e.scannedSeq);
      if (e.kind === "end") break;
      if (e.kind === "batch") {
        if (e.messages.length > 0) {
          const s: Scan = { envelopes: e.messages.map((m) => envelopeJson(m)), lastSeq, fellBehind, scanned: 0, exhausted: true };
          return { ...pageOf(handle, s, fellBehind), timed_out: false };
        }
        // a batch the filter emptied: let other requests run before the next one
        await new Promise<void>((resolve) => setImmediate(resolve));
      }
    }
  } finally {
    await events.return(undefined);
  }
  return { ...pageOf(handle, { envelopes: [], lastSeq, fellBehind, scanned: 0, exhausted: true }, fellBehind), timed_out: true };
}
