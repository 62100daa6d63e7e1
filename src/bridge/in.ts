// `bridge in`: a JetStream stream's messages appended to a pool through a durable pull consumer, each once.
// Every appended payload records its stream position in meta.stream; a message is acknowledged only after its
// append, and one whose stream seq the pool already holds is acknowledged without appending (a redelivery).
// Invariants: messages are appended in delivery order, never one after a delivery that went missing (a gap
// in the consumer's delivery sequence resets the consumer to just after what the pool holds); at start a
// consumer with unacknowledged deliveries is reset the same way, so a redelivery never arrives after newer ones.
import { AckPolicy, DeliverPolicy, jetstream, type ConsumerConfig, type ConsumerInfo, type ConsumerMessages, type JetStreamClient, type JetStreamManager, type JsMsg } from "@nats-io/jetstream";
import { PlasmiteError } from "../errors.ts";
import type { Durability, PoolHandle } from "../api/client.ts";
import { payloadString, utf8Length } from "../api/message-text.ts";
import { RECONNECT_MIN_MS, connectWithRetry, jetStreamOf, natsError, retryWithBackoff, type NatsOptions } from "./nats.ts";
import { inboundPayload, streamSeqOf } from "./wire.ts";
import { BridgeRun, checkName, checkSubject, type Bridge, type BridgeCommonOptions } from "./common.ts";
import type { BridgeStatus } from "./status.ts";

/** Messages the consumer may have delivered and not yet had acknowledged. */
export const MAX_ACK_PENDING = 10_000;
/** Messages asked for per pull (the client keeps pulls outstanding). */
const PULL_BATCH = 1_000;
/** How long the server waits for an acknowledgement before redelivering. */
const ACK_WAIT_MS = 30_000;

export interface BridgeInOptions extends NatsOptions, BridgeCommonOptions {
  /** The pool to append to (a local PoolHandle). */
  pool: PoolHandle;
  stream: string;
  /** The durable consumer's name (default `plasmite-POOL`). */
  durable?: string;
  /** Only this subject (wildcards allowed) when the consumer is created; default every subject. */
  subject?: string;
  /** "flush" syncs each appended batch to disk before acknowledging it (default "fast"). */
  durability?: Durability;
}

/** Starts mirroring a stream into a pool; see Bridge. */
export function bridgeIn(options: BridgeInOptions): Bridge {
  return new InBridge(options);
}

/** The durable name for a pool: `plasmite-NAME`, with characters NATS refuses replaced by "_". */
export function defaultDurable(poolName: string): string {
  return `plasmite-${poolName.replace(/[.*>\s/\\]/g, "_")}`;
}

class InBridge extends BridgeRun {
  private readonly durable: string;
  private readonly maxPayload: number;
  private js: JetStreamClient | null = null;
  private jsm: JetStreamManager | null = null;
  private messages: ConsumerMessages | null = null;
  private ackAll = false;
  private ackNone = false;

  /** The highest stream seq the pool holds from this stream. */
  private heldThrough = 0;
  /** The consumer's delivery seq of the last message taken (0: none since the consumer was (re)started). */
  private lastDelivery = 0;
  /** Bumped whenever consumption restarts: deliveries to an older generation are ignored. */
  private generation = 0;
  private batch: JsMsg[] = [];
  private flushing = false;
  private resetDue = false;
  private appended = 0;
  private skipped = 0;
  private refused = 0;
  private pending = 0;
  private lastStreamTimeMs = 0;
  private fatal: unknown = null;

  constructor(private readonly options: BridgeInOptions) {
    super("in", options, natsError);
    this.durable = checkName(options.durable ?? defaultDurable(this.pool.name), "durable name");
    if (options.subject !== undefined) checkSubject(options.subject, true);
    this.maxPayload = this.pool.maxPayloadBytes;
    this.start();
  }

  override status(): BridgeStatus {
    const lag = this.pending + this.batch.length;
    return this.statusWith(
      { subject: this.options.subject ?? null, durable: this.durable },
      {
        lag_messages: lag,
        lag_ms: lag > 0 && this.lastStreamTimeMs > 0 ? Math.max(0, Date.now() - this.lastStreamTimeMs) : 0,
        stream_seq: this.heldThrough,
        appended: this.appended,
        skipped: this.skipped,
        refused: this.refused,
      },
      [],
    );
  }

  protected override async work(): Promise<void> {
    this.heldThrough = this.scanPool();
    this.nc = await connectWithRetry(this.options, (line) => this.emit({ kind: "bridge", message: line }), this.abort.signal);
    if (!this.nc) return;
    this.js = jetstream(this.nc);
    const jsm = await this.retrying(() => jetStreamOf(this.nc!, 5_000), "JetStream");
    if (!jsm) return;
    this.jsm = jsm;
    if (!(await this.retrying(() => this.startConsuming(true), "consumer"))) return;
    this.markRunning();
    while (!this.stopping) {
      if (this.fatal) throw this.fatal;
      if (this.resetDue && !this.flushing) {
        this.resetDue = false;
        this.emit({ kind: "bridge", message: `a delivery went missing: restarting consumer ${this.durable} after stream seq ${this.heldThrough}` });
        if (!(await this.retrying(() => this.startConsuming(false), "consumer"))) break;
        continue;
      }
      await this.wakeup.wait(1_000);
    }
    this.state = "stopping";
    this.messages?.stop();
    while (this.flushing) await this.wakeup.wait(50);
    this.flush(); // what arrived before the stop is appended and acknowledged
    await this.nc.flush().catch(() => {});
    if (this.fatal) throw this.fatal;
  }

  protected override async release(): Promise<void> {
    this.messages?.stop();
  }

  private retrying<T>(step: () => Promise<T>, what: string): Promise<T | undefined> {
    return retryWithBackoff(step, what, {
      signal: this.abort.signal,
      log: (message) => this.emit({ kind: "bridge", message }),
      // the stream may not exist yet (its `bridge out` starts later, elsewhere): wait for it, saying so
      describe: (err, e) => ((err as Error).name === "StreamNotFoundError" ? `stream ${this.stream} does not exist (yet); waiting for it` : `${what}: ${e.message}`),
    });
  }

  /** The newest stream seq from this stream the pool holds (newest message first; 0 when none). */
  private scanPool(): number {
    const s = this.pool.seqBounds();
    for (let seq = s.newestSeq; seq >= s.oldestSeq; seq--) {
      let text: string;
      try {
        text = payloadString(this.pool.getStored(seq).payload);
      } catch (err) {
        if (err instanceof PlasmiteError && err.kind === "NotFound") break; // overwritten while scanning
        throw err;
      }
      const at = streamSeqOf(text, this.stream);
      if (at !== null) return at;
    }
    return 0;
  }

  /**
   * (Re)starts consumption. The consumer is created when missing, and recreated to start right after what
   * the pool holds when it has deliveries outstanding (`initial`) or a delivery went missing (later).
   */
  private async startConsuming(initial: boolean): Promise<true> {
    const jsm = this.jsm!;
    this.messages?.stop();
    this.messages = null;
    const gen = ++this.generation;
    this.batch = [];
    this.lastDelivery = 0;
    await jsm.streams.info(this.stream); // a missing stream is waited for (see retrying)
    let info: ConsumerInfo | null = null;
    try {
      info = await jsm.consumers.info(this.stream, this.durable);
    } catch (err) {
      if ((err as Error).name !== "ConsumerNotFoundError") throw err;
    }
    const ackFloor = info?.ack_floor.stream_seq ?? 0;
    const start = Math.max(this.heldThrough, info ? ackFloor : 0) + 1;
    if (!info) {
      info = await jsm.consumers.add(this.stream, this.consumerConfig(null, start));
      this.emit({ kind: "bridge", message: `created consumer ${this.durable} on stream ${this.stream} from stream seq ${start}` });
    } else if (!initial || info.num_ack_pending > 0 || this.heldThrough > ackFloor) {
      await jsm.consumers.delete(this.stream, this.durable);
      info = await jsm.consumers.add(this.stream, this.consumerConfig(info.config, start));
      this.emit({ kind: "bridge", message: `restarted consumer ${this.durable} from stream seq ${start} (the pool holds through ${this.heldThrough})` });
    }
    const filter = info.config.filter_subject ?? info.config.filter_subjects?.join(",");
    if (initial && this.options.subject !== undefined && filter !== this.options.subject) {
      this.emit({ kind: "bridge", message: `consumer ${this.durable} exists with filter ${filter ?? "(none)"}: --subject ${this.options.subject} is not applied (use another --durable for another filter)` });
    }
    this.ackAll = info.config.ack_policy === AckPolicy.All;
    this.ackNone = info.config.ack_policy === AckPolicy.None;
    const consumer = await this.js!.consumers.get(this.stream, this.durable);
    this.messages = await consumer.consume({
      max_messages: PULL_BATCH,
      callback: (m) => {
        if (gen !== this.generation) return;
        this.batch.push(m);
        if (this.batch.length === 1) queueMicrotask(() => this.flush());
      },
    });
    return true;
  }

  private consumerConfig(previous: ConsumerConfig | null, start: number): Partial<ConsumerConfig> {
    const config: Partial<ConsumerConfig> = {
      durable_name: this.durable,
      ack_policy: previous?.ack_policy ?? AckPolicy.Explicit,
      ack_wait: previous?.ack_wait ?? ACK_WAIT_MS * 1_000_000,
      max_ack_pending: previous?.max_ack_pending ?? MAX_ACK_PENDING,
      deliver_policy: start > 1 ? DeliverPolicy.StartSequence : DeliverPolicy.All,
      description: previous?.description ?? `plasmite bridge in to pool ${this.pool.name}`,
    };
    if (start > 1) config.opt_start_seq = start;
    if (previous?.filter_subject) config.filter_subject = previous.filter_subject;
    else if (previous?.filter_subjects) config.filter_subjects = previous.filter_subjects;
    else if (!previous && this.options.subject !== undefined) config.filter_subject = this.options.subject;
    if (previous?.max_deliver !== undefined) config.max_deliver = previous.max_deliver;
    return config;
  }

  /** Appends what was delivered (in order), then acknowledges it. */
  private flush(): void {
    if (this.flushing || this.batch.length === 0 || this.fatal) return;
    this.flushing = true;
    try {
      this.flushBatch();
    } catch (err) {
      this.fatal = err;
      this.wakeup.wake();
    } finally {
      this.flushing = false;
    }
  }

  private flushBatch(): void {
    for (;;) {
      const msgs = this.batch;
      if (msgs.length === 0 || this.resetDue) return;
      this.batch = [];
      const before = { lastDelivery: this.lastDelivery, skipped: this.skipped, refused: this.refused };
      const payloads: string[] = [];
      const take: JsMsg[] = [];
      let held = this.heldThrough;
      let i = 0;
      for (; i < msgs.length; i++) {
        const m = msgs[i];
        const info = m.info;
        if (this.lastDelivery > 0 && info.deliverySequence !== this.lastDelivery + 1) {
          // a delivery between went missing (lost in transit): it would come back after newer ones
          this.resetDue = true;
          this.wakeup.wake();
          break;
        }
        this.lastDelivery = info.deliverySequence;
        this.pending = info.pending;
        take.push(m);
        if (info.streamSequence <= held) {
          this.skipped++;
          continue;
        }
        const r = inboundPayload(m.data, { name: this.stream, seq: info.streamSequence });
        if ("refused" in r || utf8Length(r.payload) > this.maxPayload) {
          const why = "refused" in r ? r.refused : `the message is larger than pool ${this.pool.name} takes (${this.maxPayload} bytes)`;
          this.refused++;
          this.emit({ kind: "refused", message: `stream seq ${info.streamSequence} not appended: ${why}`, details: { stream: this.stream, stream_seq: info.streamSequence, subject: m.subject } });
          continue;
        }
        payloads.push(r.payload);
        held = info.streamSequence;
        this.lastStreamTimeMs = info.timestampNanos / 1e6;
      }
      if (payloads.length > 0) {
        try {
          this.pool.appendPayloadTexts(payloads, this.options.durability ?? "fast");
        } catch (err) {
          if (!(err instanceof PlasmiteError) || err.kind !== "Busy") throw err;
          // another writer held the pool's lock too long: nothing was appended; take the batch again shortly
          this.batch = msgs.concat(this.batch);
          Object.assign(this, before);
          this.emit({ kind: "bridge", message: `pool ${this.pool.name} is busy: retrying the append` });
          setTimeout(() => this.flush(), RECONNECT_MIN_MS);
          return;
        }
        this.appended += payloads.length;
      }
      this.heldThrough = held;
      if (!this.ackNone) {
        if (this.ackAll) take.at(-1)?.ack();
        else for (const m of take) m.ack();
      }
      if (i < msgs.length) return; // the rest is delivered again after the reset
    }
  }
}
