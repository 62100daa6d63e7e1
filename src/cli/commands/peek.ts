// `pls peek POOL`: print messages and follow the pool live; history with --tail/--since, filters with
// --tag/--where (jq, evaluated a batch at a time), --one, --timeout (exit 124), --replay.
import { PlasmiteError } from "../../errors.ts";
import { envelopeDataText, envelopeJson, retentionGapError } from "../../wire/index.ts";
import { PAST_DEADLINE, beforeDeadline } from "../../api/follow.ts";
import { StopRules } from "../../api/stop-rules.ts";
import { memberSource } from "../../api/message-text.ts";
import type { CursorStart, StoredMessage } from "../../api/client.ts";
import { collectRepeated, defineCommand } from "../args.ts";
import { openPool } from "../pools.ts";
import { isRemote, rejectForRemote, rejectRemoteFlags, remoteFlags, remotePool } from "../remote.ts";
import type { RemotePoolHandle, RemoteLine } from "../../remote/client.ts";
import type { WhereFilter } from "../../filter/where.ts";
import { colorForced, colorOn, notice, printErrLine, stdoutIsTTY, stderrIsTTY } from "../output.ts";
import { LineWriter } from "../line-writer.ts";
import { WAIT_SLICE_MAX_US, outputClosed } from "../../platform/files.ts";
import { parseCount, parseDuration, parseSince, parseSpeed } from "../values.ts";
import { ExitCode } from "../exit.ts";

/** The command as typed (peek or follow): hints and notices name it. Set once per run. */
let command = "peek";

/** Most received lines filtered (by --where) at once, remotely; bounds memory and keeps output flowing. */
const READ_BATCH = 4096;
/** Drop notices are coalesced to at most one per this interval (the count held back is reported after it). */
const DROP_NOTICE_INTERVAL_MS = 1000;

export default defineCommand({
  meta: {
    name: "peek",
    description: [
      "Watch messages: read and follow a pool (also: follow). Starts at the live edge; Ctrl-C stops (exit 130).",
      "",
      "Output is pretty, coloured JSON on a terminal and one compact JSON line per message when piped",
      "(force either with --format pretty|jsonl). Filters: every --tag must be present, every --where jq",
      "expression must yield true for the envelope {seq,time,meta,data}.",
      "",
      "Examples:",
      "  pls peek chat",
      `  pls peek ci --where '.data.status == "green"' --one`,
      "  pls peek incidents --tag sev1 --tail 20",
      "  pls peek incidents --since 1h --replay 10",
      "  pls peek logs --where '.data.msg | test(\"timeout\")' --jsonl > timeouts.jsonl",
      "  pls peek http://host:9700/chat --tail 20 --token-file plasmite-auth-token.txt",
    ].join("\n"),
  },
  args: {
    pool: { type: "positional", description: "Pool name or path", required: true },
    tail: { type: "string", alias: "n", description: "Start with the last N matching messages, then follow" },
    since: { type: "string", description: "Start at a time: 5m, 2h, 1d or RFC 3339" },
    one: { type: "boolean", description: "Exit 0 after the first matching message" },
    timeout: { type: "string", description: "Exit 124 if no message arrives within DUR (resets per message)" },
    "data-only": { type: "boolean", description: "Print only .data" },
    format: { type: "string", description: "pretty or jsonl (default: pretty on a terminal, jsonl when piped)" },
    jsonl: { type: "boolean", description: "Same as --format jsonl" },
    tag: { type: "string", alias: "t", description: "Only messages with this tag (repeatable; all must match)" },
    where: { type: "string", alias: "w", description: "jq expression that must be true (repeatable; all must match)" },
    replay: { type: "string", description: "Replay history at SPEED x original pace, then exit (needs --tail or --since)" },
    "quiet-drops": { type: "boolean", description: "Do not report overwritten (dropped) messages" },
    "gap-policy": { type: "string", description: "On overwritten messages: continue (default, with a drop notice) or error (exit 9, RetentionGap)" },
    "no-notify": { type: "boolean", description: "Poll instead of sleeping on the pool's wake-up word" },
    create: { type: "boolean", description: "Create the pool if missing (to wait before the first writer)" },
    ...remoteFlags,
  },
  async run({ args, rawArgs, cmd }) {
    const ref = String(args.pool);
    // `follow` is this command under its v0.3 name: messages name the command as typed
    command = (cmd?.meta as { name?: string } | undefined)?.name ?? "peek";
    const tags = collectRepeated(rawArgs, "tag", "t");
    const wheres = collectRepeated(rawArgs, "where", "w");
    const tail = args.tail === undefined ? undefined : parseCount(String(args.tail), "--tail");
    const sinceNs = args.since === undefined ? undefined : parseSince(String(args.since));
    if (tail !== undefined && sinceNs !== undefined) throw new PlasmiteError("Usage", "--tail and --since cannot be combined", { hint: "Use one of them." });
    const replay = args.replay === undefined ? undefined : parseSpeed(String(args.replay), "--replay");
    if (replay !== undefined && tail === undefined && sinceNs === undefined) throw new PlasmiteError("Usage", "--replay requires --tail or --since", { hint: `Example: pls ${command} POOL --since 1h --replay 10` });
    if (args.format !== undefined && args.format !== "pretty" && args.format !== "jsonl") throw new PlasmiteError("Usage", `invalid value for --format: '${args.format}'`, { hint: "Use pretty or jsonl." });
    if (args.jsonl && args.format === "pretty") throw new PlasmiteError("Usage", "conflicting output options: --jsonl and --format pretty", { hint: "Use --format jsonl (or --jsonl), but not both." });
    const timeoutMs = args.timeout === undefined ? undefined : parseDuration(String(args.timeout), "--timeout");
    const gapPolicy = args["gap-policy"] === undefined ? "continue" : String(args["gap-policy"]);
    if (gapPolicy !== "continue" && gapPolicy !== "error") throw new PlasmiteError("Usage", `invalid value for --gap-policy: '${gapPolicy}'`, { hint: "Use continue or error." });
    const failOnGap = gapPolicy === "error";
    const pretty = args.jsonl ? false : args.format === "pretty" ? true : args.format === "jsonl" ? false : stdoutIsTTY();
    // the filter module loads only when a --where is given, and jq only for an expression that needs it
    const where = wheres.length > 0 ? await (await import("../../filter/where.ts")).compileWhere(wheres) : null;

    if (isRemote(ref)) {
      rejectForRemote(args, ["replay", "create", "no-notify"]);
      const remote = await remotePool(ref, args);
      return peekRemote(remote, { tags, where, tail, sinceNs, one: Boolean(args.one), timeoutMs, render: renderer(pretty, Boolean(args["data-only"]), false), quietDrops: Boolean(args["quiet-drops"]), ref, failOnGap });
    }
    rejectRemoteFlags(args, ref);
    const pool = openPool(ref, args.create ? {} : undefined);
    const out = new LineWriter();
    const stop = async (code: number) => {
      await out.flush();
      pool.close();
      process.exit(code);
    };
    process.on("SIGINT", () => void stop(130));
    process.on("SIGTERM", () => void stop(143));

    const render = renderer(pretty, Boolean(args["data-only"]));
    // Unfiltered JSON Lines: splice envelope bytes straight from the stored payload (no decode, no re-encode).
    const rawLines = !pretty && !args["data-only"] && !colorForced();
    const emit = (m: StoredMessage) => (rawLines ? out.pushEnvelope(m) : out.push(render(envelopeJson(m))));
    const drops = new DropReporter(ref, pool.path, Boolean(args["quiet-drops"]));
    // A reader that may not write the pool file is not counted among its waiters, so no writer wakes it: say so
    // once, before the first wait.
    let pollingSaid = Boolean(args["no-notify"]) || pool.writable;
    let followingSaid = false;
    const start: CursorStart = sinceNs !== undefined ? { timeNs: sinceNs } : tail !== undefined ? { last: tail } : { newest: true };
    const events = pool.follow({
      start,
      tags,
      where,
      one: Boolean(args.one),
      idleTimeoutMs: timeoutMs,
      gapPolicy,
      onDrop: (d) => drops.add(d.fromSeq, d.toSeq, d.count),
      historyOnly: replay !== undefined,
      notify: !args["no-notify"],
      tickMs: READER_CHECK_MS,
      unlinkedHint: `Start ${command} again to follow the new pool.`,
      reusePayloads: true, // each batch is printed (copied into the output buffer) before the next is read
    });
    let prev: bigint | null = null; // --replay: the time of the message printed last
    for await (const e of events) {
      if (e.kind === "batch") {
        if (!e.history && !followingSaid) sayFollowing();
        for (const m of e.messages) {
          if (replay !== undefined && replay > 0) {
            // the original gap between messages, divided by the speed (0: as fast as possible)
            const gapMs = prev === null ? 0 : Number(m.timeNs - prev) / 1e6 / replay;
            if (gapMs > 0) {
              await out.flush();
              await Bun.sleep(gapMs);
            }
            prev = m.timeNs;
          }
          emit(m);
        }
        await out.flush();
        if (out.closed) return stop(0);
        continue;
      }
      if (e.kind === "idle") {
        await out.flush();
        drops.flush();
        if (!followingSaid) sayFollowing();
        if (readerGone(out)) return stop(0);
        if (!pollingSaid) {
          pollingSaid = true;
          notice("polling", command, ref, `this user may not write the pool file: following by polling (new messages can take up to ${WAIT_SLICE_MAX_US / 1000} ms to show)`);
        }
        continue;
      }
      if (e.reason === "timeout") {
        await out.flush();
        exitTimedOut(out, timeoutMs);
      }
      return stop(0);
    }
    return stop(0);

    function sayFollowing() {
      followingSaid = true;
      if (stderrIsTTY()) printErrLine(followingText(ref, pool.info()));
    }
  },
});

/** The terminal's line before peek waits: what it follows, so a quiet pool does not look like a hung command. */
function followingText(ref: string, info: { bounds: { newest: number | null }; metrics: { message_count: number } }): string {
  const count = info.metrics.message_count;
  const held = count === 0 ? "empty" : `${count} message${count === 1 ? "" : "s"}, newest seq ${info.bounds.newest}`;
  return `following ${ref} (${held}) — Ctrl-C to stop`;
}

/** The terminal's line for exit 124: --timeout counts from the last printed message, if any. */
function timedOutText(out: LineWriter, timeoutMs: number): string {
  return out.lines > 0 ? `no new messages (timed out after ${formatMs(timeoutMs)})` : `no messages received (timed out after ${formatMs(timeoutMs)})`;
}

/** Ends peek with exit 124 (--timeout passed), saying so on a terminal. */
function exitTimedOut(out: LineWriter, timeoutMs: number | undefined): never {
  if (stderrIsTTY()) printErrLine(timedOutText(out, timeoutMs ?? 0));
  throw new ExitCode(124);
}

// How often a quiet follower checks that someone still reads its output (`pls peek chat | head -1` ends within
// this long of head exiting, without waiting for the next message, as tail -f does).
const READER_CHECK_MS = 250;

/** Whether stdout's reader went away: a failed write, or (when nothing is being written) the pipe says so. */
function readerGone(out: LineWriter): boolean {
  return out.closed || outputClosed(1);
}

/**
 * How a message's envelope text is printed. Pretty output lays the stored text out token by token (numbers as
 * written); --data-only cuts .data from the text. `local`: envelopes this program built from a stored payload
 * (see envelopeDataText); a server's may order their members otherwise.
 */
function renderer(pretty: boolean, dataOnly: boolean, local = true): (envelope: string) => string {
  // JSON Lines are coloured only when asked for (--color always): still one line each
  const color = pretty ? colorOn("stdout") : colorForced();
  const data = (json: string): string => (local ? envelopeDataText(json) : null) ?? memberSource(json, "data") ?? "null";
  if (!pretty && !color) return dataOnly ? (json) => data(json) + "\n" : (json) => json + "\n";
  const { prettyText } = require("../pretty.ts") as typeof import("../pretty.ts");
  return (json) => prettyText(dataOnly ? data(json) : json, color, !pretty) + "\n";
}

/**
 * Coalesces drops into at most one notice per DROP_NOTICE_INTERVAL_MS, and reports every dropped message: a count
 * held back is reported when the interval ends (on a timer, since the follower may be idle by then) or at exit.
 */
class DropReporter {
  private pending = 0;
  private lastSeen = 0;
  private nextSeen = 0;
  private lastNoticeMs = 0;
  private timer: ReturnType<typeof setTimeout> | null = null;

  /** With --gap-policy error: the gap that ends peek once what came before it is printed. */
  gap: PlasmiteError | null = null;

  constructor(
    private readonly ref: string,
    private readonly path: string,
    private readonly quiet: boolean,
    private readonly failOnGap = false,
  ) {
    // process.exit runs "exit" listeners: Ctrl-C, --one, --timeout (124) and errors all end that way
    process.once("exit", () => this.flush(true));
  }

  throwGap(): void {
    if (this.gap) throw this.gap;
  }

  add(fromSeq: number, toSeq: number, count: number): void {
    if (this.failOnGap) {
      this.gap ??= retentionGapError(fromSeq, toSeq, { path: this.path });
      return;
    }
    if (this.pending === 0) this.lastSeen = fromSeq - 1;
    this.pending += count;
    this.nextSeen = toSeq + 1;
    this.flush();
  }

  /** Reports the pending count now if the interval allows (or `force`, at exit), else once it does. */
  flush(force = false): void {
    if (this.pending === 0 || this.quiet) {
      this.pending = 0;
      return;
    }
    const waitMs = this.lastNoticeMs + DROP_NOTICE_INTERVAL_MS - Date.now();
    if (!force && waitMs > 0) {
      if (this.timer === null) {
        this.timer = setTimeout(() => {
          this.timer = null;
          this.flush();
        }, waitMs);
        this.timer.unref?.(); // never what keeps peek running
      }
      return;
    }
    if (this.timer !== null) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    notice("drop", command, this.ref, `dropped ${this.pending} messages`, {
      last_seen_seq: this.lastSeen,
      next_seen_seq: this.nextSeen,
      dropped_count: this.pending,
      pool_path: this.path,
    });
    this.lastNoticeMs = Date.now();
    this.pending = 0;
  }
}

function formatMs(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`;
}

interface RemotePeek {
  tags: string[];
  where: WhereFilter | null;
  tail?: number;
  sinceNs?: bigint;
  one: boolean;
  timeoutMs?: number;
  render: (json: string) => string;
  quietDrops: boolean;
  ref: string;
  failOnGap: boolean;
}

/**
 * Remote peek: the server filters tags and streams from the live edge (or --tail/--since); --where runs here on
 * batches of received lines. Reconnects resume at the next seq (see RemotePoolHandle.tailLines).
 */
async function peekRemote(pool: RemotePoolHandle, o: RemotePeek): Promise<void> {
  const out = new LineWriter();
  const ac = new AbortController();
  const stop = async (code: number) => {
    ac.abort();
    await out.flush();
    process.exit(code);
  };
  process.on("SIGINT", () => void stop(130));
  process.on("SIGTERM", () => void stop(143));
  const drops = new DropReporter(o.ref, pool.path, o.quietDrops, o.failOnGap);
  // --one, --one --tail N: the same rules as the local engine (src/api/stop-rules.ts); the history ends at the
  // pool's newest seq when peek started (asked only when the rules need it).
  const rules = new StopRules<RemoteLine>({ one: o.one, last: o.tail });
  let historyEnd = o.one && o.tail !== undefined ? ((await pool.info()).bounds.newest ?? 0) : 0;
  // one more request, on a terminal only; a failure shows in the stream right after
  if (stderrIsTTY()) await pool.info().then((info) => printErrLine(followingText(o.ref, info)), () => {});
  const lines = pool.tailLines({
    last: o.tail,
    sinceTimeMs: o.sinceNs === undefined ? undefined : Number(o.sinceNs / 1_000_000n),
    tags: o.tags,
    signal: ac.signal,
    onDrop: (d) => drops.add(d.fromSeq, d.toSeq, d.count),
    gapPolicy: o.failOnGap ? "error" : "continue",
  });
  // --timeout counts from the last printed message (messages that do not match do not restart it).
  let deadline = o.timeoutMs === undefined ? Infinity : performance.now() + o.timeoutMs;
  const TIMED_OUT = "timed out" as const;
  const READER_GONE = "reader gone" as const;
  // a quiet stream is checked every READER_CHECK_MS for a reader that went away (e.g. `| head -1` exited)
  let stopChecks = () => {};
  const gone = new Promise<typeof READER_GONE>((resolve) => {
    const timer = setInterval(() => readerGone(out) && resolve(READER_GONE), READER_CHECK_MS);
    stopChecks = () => clearInterval(timer);
  });
  const waitNext = (p: Promise<IteratorResult<RemoteLine>>): Promise<IteratorResult<RemoteLine> | typeof TIMED_OUT | typeof READER_GONE> =>
    Promise.race([p, gone, ...(deadline === Infinity ? [] : [Bun.sleep(Math.max(0, deadline - performance.now())).then(() => TIMED_OUT)])]);
  // Batch what has already arrived so --where costs one jq call per burst, not per message.
  const pending: RemoteLine[] = [];
  let next = lines.next();
  let failure: unknown = null;
  let timedOut = false;
  for (;;) {
    let r: IteratorResult<RemoteLine> | typeof TIMED_OUT | typeof READER_GONE;
    try {
      r = await waitNext(next);
    } catch (err) {
      failure = err;
      break;
    }
    if (r === READER_GONE) {
      stopChecks();
      return stop(0);
    }
    if (r === TIMED_OUT) {
      timedOut = true;
      break;
    }
    if (r.done) break;
    pending.push(r.value);
    next = lines.next();
    while (pending.length < READ_BATCH) {
      let more: IteratorResult<RemoteLine> | null;
      try {
        more = await Promise.race([next, Bun.sleep(0).then(() => null)]);
      } catch (err) {
        failure = err; // printed what came before, then reported below
        break;
      }
      if (more === null || more.done) break;
      pending.push(more.value);
      next = lines.next();
    }
    const batch = pending.splice(0);
    const flags = o.where ? await beforeDeadline(o.where.matchBatch(batch.map((l) => l.json)), deadline) : null;
    if (flags === PAST_DEADLINE) {
      timedOut = true;
      break;
    }
    const matches = flags ? batch.filter((_, i) => flags[i]) : batch;
    // the part of the batch up to historyEnd is history; the history has ended once a line reaches it
    const split = historyEnd > 0 ? matches.findIndex((l) => l.seq > historyEnd) : 0;
    const parts: Array<[RemoteLine[], boolean]> = split < 0 ? [[matches, true]] : [[matches.slice(0, split), true], [matches.slice(split), false]];
    for (const [part, history] of parts) {
      const { messages, stop: ruleStop } = rules.take(part, history);
      for (const m of messages) out.push(o.render(m.json));
      if (messages.length > 0 && o.timeoutMs !== undefined) deadline = performance.now() + o.timeoutMs;
      if (ruleStop) return stop(0);
      if (history && historyEnd > 0 && batch[batch.length - 1]!.seq >= historyEnd) {
        historyEnd = 0;
        const picked = rules.historyEnded();
        if (picked !== null) {
          out.push(o.render(picked.json));
          return stop(0);
        }
      }
    }
    drops.flush();
    await out.flush();
    if (out.closed) return stop(0);
    if (failure) break;
  }
  stopChecks();
  ac.abort();
  await out.flush();
  if (failure) throw failure;
  if (timedOut || o.timeoutMs !== undefined) {
    if (stderrIsTTY()) printErrLine(timedOutText(out, o.timeoutMs ?? 0));
    throw new ExitCode(124);
  }
}
