// `bridge out`: a pool's messages, in seq order, published to a JetStream stream, each once.
// Each publish carries Nats-Msg-Id plasmite:POOL_ID:SEQ (JetStream drops a re-send) and Plasmite-Resume
// "A Q" (every seq <= A is stored; every later one is at a stream seq > Q). A start, and every failed publish,
// runs one resync: read the subject's last message, scan (Q, last] for this pool's seqs, re-send exactly the
// missing ones, continue after the highest stored. No local state file decides what was sent.
// Invariants: at most MAX_IN_FLIGHT unacknowledged publishes (their seqs within one window); nothing new is
// sent while a resync is due; a seq overwritten before it was stored is a gap, reported with its exact range.
import { createInbox, headers } from "@nats-io/transport-node";
import { jetstream, type JetStreamClient, type JetStreamManager, type StoredMsg } from "@nats-io/jetstream";
import { PlasmiteError } from "../errors.ts";
import type { Cursor, PoolHandle, PoolWatch, StoredMessage } from "../api/client.ts";
import { formatTime, formatTimeParts, retentionGapError } from "../wire/index.ts";
import { connectWithRetry, jetStreamOf, natsError, retryWithBackoff, sleep, type NatsOptions } from "./nats.ts";
import { RESUME_HEADER, messageId, originJson, originPrefix, outboundBody, parseMessageId, parseResumeHeader, poolIdOf, resumeHeader } from "./wire.ts";
import { BridgeRun, checkSubject, subjectMatches, type Bridge, type BridgeCommonOptions } from "./common.ts";
import type { BridgeStatus, Gap } from "./status.ts";

/** Most publishes awaiting their acknowledgement at once. */
export const MAX_IN_FLIGHT = 1024;
/** How long a publish waits for its acknowledgement before it counts as failed (and a resync follows). */
export const PUBLISH_TIMEOUT_MS = 5_000;
/** The longest sleep between looks at the pool when no wake-up comes (correctness never depends on one). */
const POLL_MS = 100;
/** How long stop() waits for in-flight acknowledgements. */
const DRAIN_TIMEOUT_MS = PUBLISH_TIMEOUT_MS + 1_000;
const MSG_ID_HEADER = "Nats-Msg-Id";
const replyDecoder = new TextDecoder();

export interface BridgeOutOptions extends NatsOptions, BridgeCommonOptions {
  /** The pool to publish (a local PoolHandle). */
  pool: PoolHandle;
  /** The JetStream stream; created (taking `subject`) when missing. */
  stream: string;
  /** The subject to publish on (default `plasmite.POOL`). */
  subject?: string;
  /** "continue" (default): report a retention gap and go on; "error": fail with RetentionGap. */
  gapPolicy?: "continue" | "error";
  /** Publishes awaiting acknowledgement at most (default MAX_IN_FLIGHT). */
  maxInFlight?: number;
  /** Replicas of the stream when out creates it (1..5, default 1; a cluster needs 3 to survive a node). */
  replicas?: number;
}

const EMPTY = 0;
const PENDING = 1;
const STORED = 2;

/** Starts mirroring a pool into a stream; see Bridge. */
export function bridgeOut(options: BridgeOutOptions): Bridge {
  return new OutBridge(options);
}

class OutBridge extends BridgeRun {
  private readonly subject: string;
  private readonly window: number;
  private readonly poolId: string;
  private readonly origin: string;
  private js: JetStreamClient | null = null;
  private jsm: JetStreamManager | null = null;
  private cursor: Cursor | null = null;
  private watch: PoolWatch | null = null;
  /** The run's one timer (see work). */
  private poll: ReturnType<typeof setInterval> | undefined;

  /** Every seq <= storedThrough is in the stream or was a gap. */
  private storedThrough = 0;
  /** The next seq to send for the first time. */
  private next = 1;
  /** Publishes not yet settled. */
  private unsettled = 0;
  /** A publish failed: resync before sending anything new. */
  private failed = false;
  /** The highest stream seq of an acknowledgement (of this pool's messages) seen so far. */
  private maxStreamSeq = 0;
  // per in-flight seq (index seq % window): its state and the stream seq floor when it was first sent
  private readonly slotState: Uint8Array;
  private readonly slotSeq: Float64Array;
  private readonly slotFloor: Float64Array;
  private readonly slotSentAt: Float64Array;
  /** Reply subjects of send(): REPLY_PREFIX + EPOCH + "." + SEQ; a resync starts a new epoch. */
  private readonly replyPrefix = `${createInbox()}.`;
  private epoch = 0;
  private readonly headers = headers();
  private published = 0;
  private duplicates = 0;
  private readonly gaps: Gap[] = [];

  constructor(private readonly options: BridgeOutOptions) {
    super("out", options, natsError);
    this.subject = checkSubject(options.subject ?? `plasmite.${this.pool.name}`, false);
    if (options.gapPolicy !== undefined && options.gapPolicy !== "continue" && options.gapPolicy !== "error") {
      throw new PlasmiteError("Usage", `invalid gap policy '${options.gapPolicy}'`, { hint: "Use continue or error." });
    }
    if (options.replicas !== undefined && (!Number.isSafeInteger(options.replicas) || options.replicas < 1 || options.replicas > 5)) {
      throw new PlasmiteError("Usage", `replicas must be 1..5, got ${options.replicas}`);
    }
    this.window = options.maxInFlight ?? MAX_IN_FLIGHT;
    if (!Number.isSafeInteger(this.window) || this.window < 1 || this.window > 65_536) throw new PlasmiteError("Usage", "maxInFlight must be 1..65536");
    this.slotState = new Uint8Array(this.window);
    this.slotSeq = new Float64Array(this.window);
    this.slotFloor = new Float64Array(this.window);
    this.slotSentAt = new Float64Array(this.window);
    this.poolId = poolIdOf(this.pool.createdNs);
    this.origin = originPrefix(this.host, this.pool.name);
    this.start();
  }

  override status(): BridgeStatus {
    const s = this.pool.seqBounds();
    const newest = s.newestSeq;
    const lag = Math.max(0, newest - this.storedThrough);
    let lagMs = 0;
    if (lag > 0) {
      const seq = Math.max(this.storedThrough + 1, s.oldestSeq);
      try {
        lagMs = Math.max(0, Date.now() - Number(this.pool.getStored(seq).timeNs / 1_000_000n));
      } catch {
        lagMs = 0; // overwritten meanwhile: the next status has it
      }
    }
    return this.statusWith(
      { subject: this.subject },
      {
        lag_messages: lag,
        lag_ms: lagMs,
        published_through: this.storedThrough,
        pool_newest: newest > 0 ? newest : null,
        published: this.published,
        duplicates: this.duplicates,
      },
      this.gaps,
    );
  }

  protected override async work(): Promise<void> {
    this.nc = await connectWithRetry(this.options, (line) => this.emit({ kind: "bridge", message: line }), this.abort.signal);
    if (!this.nc) return;
    this.js = jetstream(this.nc, { timeout: PUBLISH_TIMEOUT_MS });
    const jsm = await this.retrying(() => jetStreamOf(this.nc!, PUBLISH_TIMEOUT_MS), "JetStream");
    if (!jsm) return;
    this.jsm = jsm;
    if (!(await this.retrying(() => this.ensureStream(), "stream"))) return;
    this.watch = this.pool.watch(this.wakeup.wake);
    this.nc.subscribe(`${this.replyPrefix}>`, {
      callback: (err, msg) => {
        // a refused subscription (no permission for _INBOX.>) leaves every publish unacknowledged: say why
        if (err) this.emit({ kind: "bridge", message: `acknowledgements cannot be received: ${err.message}` });
        else this.onReply(msg.subject, msg.data, msg.headers?.code);
      },
    });
    if (!(await this.retrying(() => this.resync(true), "resync"))) return;
    this.markRunning();
    // one timer for the whole run: waits below need none of their own (acks wake the loop thousands of times a second)
    this.poll = setInterval(() => {
      this.failOverdue();
      this.wakeup.wake();
    }, POLL_MS);
    while (!this.stopping) {
      if (this.failed) {
        this.state = "resyncing";
        await this.settleAll(Infinity);
        if (this.stopping) break;
        if (!(await this.retrying(() => this.resync(false), "resync"))) break;
        this.state = "running";
        continue;
      }
      if (!this.pump()) await this.wakeup.next();
    }
    await this.settleAll(DRAIN_TIMEOUT_MS);
  }

  protected override async beforeFailing(): Promise<void> {
    await this.settleAll(DRAIN_TIMEOUT_MS).catch(() => {});
  }

  protected override async release(): Promise<void> {
    clearInterval(this.poll);
    await this.watch?.stop();
  }

  /**
   * Runs `step` until it succeeds (steps resolve to a value, never undefined), sleeping a growing backoff after
   * each failure that retrying may fix (NATS unreachable, no JetStream leader yet); other failures end the
   * bridge. Returns undefined when stopped meanwhile.
   */
  private retrying<T>(step: () => Promise<T>, what: string): Promise<T | undefined> {
    return retryWithBackoff(step, what, { signal: this.abort.signal, log: (message) => this.emit({ kind: "bridge", message }) });
  }

  /** Creates the stream when missing; refuses one whose subjects do not take ours. */
  private async ensureStream(): Promise<true> {
    const jsm = this.jsm!;
    let subjects: string[];
    try {
      subjects = (await jsm.streams.info(this.stream)).config.subjects ?? [];
    } catch (err) {
      if ((err as Error).name !== "StreamNotFoundError") throw err;
      await jsm.streams.add({ name: this.stream, subjects: [this.subject], num_replicas: this.options.replicas ?? 1 });
      this.emit({ kind: "bridge", message: `created stream ${this.stream} for subject ${this.subject}${this.options.replicas ? ` (${this.options.replicas} replicas)` : ""}` });
      return true;
    }
    if (!subjects.some((p) => subjectMatches(p, this.subject))) {
      throw new PlasmiteError("Usage", `stream ${this.stream} does not take subject ${this.subject} (its subjects: ${subjects.join(", ") || "none"})`, {
        hint: "Pass --subject with one of the stream's subjects, or add the subject to the stream.",
      });
    }
    return true;
  }

  /** Sends what the window allows; false when there was nothing to send. */
  private pump(): boolean {
    let sent = false;
    const cursor = this.cursor!;
    while (!this.failed && !this.stopping && this.next - this.storedThrough <= this.window) {
      const item = cursor.next();
      if (!item) break;
      if (item.drop) {
        this.gapFound(item.drop.fromSeq, item.drop.toSeq);
        sent = true;
        break; // storedThrough moves past the gap once what was sent before it is stored
      }
      this.send(item.message);
      sent = true;
    }
    return sent;
  }

  /**
   * Publishes one message with a reply subject of this bridge's own (INBOX.EPOCH.SEQ): acknowledgements arrive
   * through one subscription (onReply), and one timer fails what waited longer than PUBLISH_TIMEOUT_MS
   * (failOverdue), instead of a request, a promise and a timer per message.
   */
  private send(m: StoredMessage): void {
    const seq = m.seq;
    if (seq !== this.next) throw new PlasmiteError("Internal", `bridge out read seq ${seq}, expected ${this.next}`);
    const slot = seq % this.window;
    this.slotState[slot] = PENDING;
    this.slotSeq[slot] = seq;
    this.slotFloor[slot] = this.maxStreamSeq;
    this.slotSentAt[slot] = performance.now();
    this.next = seq + 1;
    const floor = this.slotFloor[(this.storedThrough + 1) % this.window];
    const body = outboundBody(m.payload, originJson(this.origin, seq, formatTimeParts(m.timeHi, m.timeLo)));
    // one headers object for every publish: publish() encodes it before returning
    const h = this.headers;
    h.set(MSG_ID_HEADER, messageId(this.poolId, seq));
    h.set(RESUME_HEADER, resumeHeader(this.storedThrough, floor));
    this.unsettled++;
    try {
      this.nc!.publish(this.subject, body, { reply: `${this.replyPrefix}${this.epoch}.${seq}`, headers: h });
    } catch (err) {
      this.settleFailed(slot, seq, (err as Error).message);
    }
  }

  /** An acknowledgement (or a refusal) for one of send()'s publishes. */
  private onReply(subject: string, data: Uint8Array, status: number | undefined): void {
    const dot = subject.lastIndexOf(".");
    const epoch = Number(subject.slice(this.replyPrefix.length, dot));
    const seq = Number(subject.slice(dot + 1));
    const slot = seq % this.window;
    if (epoch !== this.epoch || this.slotSeq[slot] !== seq || this.slotState[slot] !== PENDING) return; // late: already settled
    if (data.length === 0) return this.settleFailed(slot, seq, status === 503 ? "no responders (no stream leader?)" : `status ${status ?? "unknown"}`);
    let ack: { seq?: number; duplicate?: boolean; error?: { description?: string } };
    try {
      ack = JSON.parse(replyDecoder.decode(data));
    } catch {
      return this.settleFailed(slot, seq, "unreadable acknowledgement");
    }
    if (ack.error || typeof ack.seq !== "number") return this.settleFailed(slot, seq, ack.error?.description ?? "not an acknowledgement");
    this.unsettled--;
    this.slotState[slot] = STORED;
    if (ack.seq > this.maxStreamSeq) this.maxStreamSeq = ack.seq;
    if (ack.duplicate) this.duplicates++;
    else this.published++;
    this.advance();
    this.wakeup.wake();
  }

  private settleFailed(slot: number, seq: number, why: string): void {
    if (this.slotSeq[slot] !== seq || this.slotState[slot] !== PENDING) return;
    this.slotState[slot] = EMPTY;
    this.unsettled--;
    if (!this.failed && !this.stopping) this.emit({ kind: "bridge", message: `publish of seq ${seq} failed: ${why}; resyncing with the stream` });
    this.failed = true;
    this.wakeup.wake();
  }

  /** Fails every publish that has waited longer than PUBLISH_TIMEOUT_MS (run by a timer). */
  private failOverdue = (): void => {
    if (this.unsettled === 0) return;
    const now = performance.now();
    for (let seq = this.storedThrough + 1; seq < this.next; seq++) {
      const slot = seq % this.window;
      if (this.slotSeq[slot] === seq && this.slotState[slot] === PENDING && now - this.slotSentAt[slot] > PUBLISH_TIMEOUT_MS) this.settleFailed(slot, seq, "timeout");
    }
  };

  /** Moves storedThrough over every stored seq (and every gap) that follows it. */
  private advance(): void {
    for (;;) {
      const seq = this.storedThrough + 1;
      if (seq >= this.next) return;
      const gap = this.gapsPending[0];
      if (gap && gap.from === seq) {
        this.storedThrough = gap.to;
        this.gapsPending.shift();
        continue;
      }
      const slot = seq % this.window;
      if (this.slotSeq[slot] !== seq || this.slotState[slot] !== STORED) return;
      this.slotState[slot] = EMPTY;
      this.storedThrough = seq;
    }
  }

  /** Gaps met by the cursor that storedThrough has not passed yet (they follow seqs still in flight). */
  private readonly gapsPending: Gap[] = [];

  /** Seqs from..to were overwritten before being sent: report, then fail closed or move past them. */
  private gapFound(from: number, to: number): void {
    if (from !== this.next) throw new PlasmiteError("Internal", `gap starts at ${from}, expected ${this.next}`);
    this.reportGap(from, to);
    this.gapsPending.push({ from, to, count: to - from + 1 });
    this.next = to + 1;
    this.advance();
  }

  private reportGap(from: number, to: number): void {
    const gap = { from, to, count: to - from + 1 };
    const range = from === to ? `message ${from}` : `messages ${from}-${to}`;
    this.emit({ kind: "drop", message: `retention gap: ${range} of pool ${this.pool.name} overwritten before being published`, details: { ...gap, pool_path: this.pool.path } });
    if (this.options.gapPolicy === "error") {
      throw retentionGapError(from, to, {
        path: this.pool.path,
        hint: `The pool ${this.pool.name} overwrote them before bridge out published them: use a larger pool or keep the bridge running; without --gap-policy error the bridge reports the gap and goes on.`,
      });
    }
    this.addGap(gap);
  }

  private addGap(gap: Gap): void {
    const last = this.gaps.at(-1);
    if (last && last.to + 1 === gap.from) {
      last.to = gap.to;
      last.count += gap.count;
    } else this.gaps.push(gap);
  }

  /** Waits until no publish is awaiting its acknowledgement (or `timeoutMs` passes). */
  private async settleAll(timeoutMs: number): Promise<void> {
    const deadline = performance.now() + timeoutMs;
    while (this.unsettled > 0 && performance.now() < deadline) {
      await this.wakeup.wait(Math.min(POLL_MS, Math.max(1, deadline - performance.now())));
    }
  }

  /**
   * Finds what the stream holds and re-sends exactly what is missing. `initial`: the resume point comes
   * from the subject's last message (its Plasmite-Resume header); later, from this process's own count.
   */
  private async resync(initial: boolean): Promise<true> {
    const jsm = this.jsm!;
    this.epoch++; // replies to earlier publishes are ignored from now on
    const last = await jsm.streams.getMessage(this.stream, { last_by_subj: this.subject });
    let through: number;
    let floor: number;
    if (initial) {
      if (!last) {
        const s = this.pool.seqBounds();
        this.storedThrough = s.oldestSeq - 1;
        this.next = s.oldestSeq;
        this.startCursor();
        this.emit({ kind: "bridge", message: `subject ${this.subject} is empty: publishing pool ${this.pool.name} from seq ${this.next}` });
        return true;
      }
      const id = this.ownId(last);
      const resume = parseResumeHeader(last.header?.get(RESUME_HEADER));
      through = resume ? resume.storedThrough : id;
      floor = resume ? resume.floor : last.seq;
      this.maxStreamSeq = last.seq;
    } else {
      this.failed = false;
      this.advance();
      through = this.storedThrough;
      if (through + 1 >= this.next) {
        this.startCursor();
        return true;
      }
      floor = this.slotFloor[(through + 1) % this.window];
    }
    // what of ours is stored above `through`
    const present = new Set<number>();
    let highest = through;
    if (last) {
      for (let at = floor + 1; at <= last.seq; ) {
        const m = await jsm.streams.getMessage(this.stream, { seq: at, next_by_subj: this.subject } as never);
        if (!m || m.seq > last.seq) break;
        const id = parseMessageId(m.header?.get("Nats-Msg-Id"));
        if (id && id.poolId === this.poolId && id.seq > through) {
          if (present.has(id.seq)) this.duplicates++;
          present.add(id.seq);
          if (id.seq > highest) highest = id.seq;
        }
        if (m.seq > this.maxStreamSeq) this.maxStreamSeq = m.seq;
        at = m.seq + 1;
      }
    }
    // live: everything below next was sent or is a gap already reported
    if (!initial) highest = Math.max(highest, this.next - 1);
    const missing: number[] = [];
    for (let seq = through + 1; seq <= highest; seq++) if (!present.has(seq) && !this.inGapPending(seq)) missing.push(seq);
    if (missing.length > 0) this.emit({ kind: "bridge", message: `re-sending ${missing.length} message(s) the stream lacks (first ${missing[0]})` });
    const oldest = () => this.pool.seqBounds().oldestSeq;
    for (let i = 0; i < missing.length; i++) {
      const seq = missing[i];
      if (seq < oldest()) {
        let to = seq;
        while (i + 1 < missing.length && missing[i + 1] === to + 1 && missing[i + 1] < oldest()) to = missing[++i];
        this.reportGap(seq, to);
        continue;
      }
      await this.sendAndWait(seq, through, floor);
    }
    this.slotState.fill(EMPTY);
    this.gapsPending.length = 0;
    this.storedThrough = highest;
    this.next = highest + 1;
    this.startCursor();
    return true;
  }

  private inGapPending(seq: number): boolean {
    return this.gapsPending.some((g) => seq >= g.from && seq <= g.to);
  }

  /** One publish, awaited (a resync's re-sends); throws on failure (the resync is retried). */
  private async sendAndWait(seq: number, through: number, floor: number): Promise<void> {
    let m: StoredMessage;
    try {
      m = this.pool.getStored(seq);
    } catch (err) {
      if (err instanceof PlasmiteError && err.kind === "NotFound") return this.reportGap(seq, seq);
      throw err;
    }
    const h = headers();
    h.set(RESUME_HEADER, resumeHeader(through, floor));
    const body = outboundBody(m.payload, originJson(this.origin, seq, formatTime(m.timeNs)));
    const ack = await this.js!.publish(this.subject, body, { msgID: messageId(this.poolId, seq), headers: h, timeout: PUBLISH_TIMEOUT_MS });
    if (ack.seq > this.maxStreamSeq) this.maxStreamSeq = ack.seq;
    if (ack.duplicate) this.duplicates++;
    else this.published++;
  }

  /** The origin seq of a stream message this pool published; refuses another publisher's message. */
  private ownId(m: StoredMsg): number {
    const raw = m.header?.get("Nats-Msg-Id");
    const id = parseMessageId(raw);
    if (!id || id.poolId !== this.poolId) {
      const whose = id ? `another pool (id ${id.poolId}; this pool's is ${this.poolId})` : `another publisher (message id ${raw ? `'${raw}'` : "none"})`;
      throw new PlasmiteError("Usage", `subject ${this.subject} of stream ${this.stream} holds messages from ${whose}`, {
        hint: "Give each pool its own subject (--subject plasmite.NAME); a pool deleted and created again is a new pool.",
      });
    }
    return id.seq;
  }

  private startCursor(): void {
    this.cursor = this.pool.cursor({ seq: this.next });
    this.wakeup.wake();
  }
}
