// What both bridge directions share: the Bridge handle a caller holds and its lifecycle (BridgeRun: stop(), the
// status every bridge reports, how a run ends), events, names NATS accepts, and the status file's periodic writer.
// No NATS code here (types only; a direction passes in how a NATS failure becomes a PlasmiteError).
import { hostname } from "node:os";
import type { NatsConnection } from "@nats-io/transport-node"; // types only: erased
import { PlasmiteError, asPlasmiteError } from "../errors.ts";
import type { PoolHandle } from "../api/client.ts";
import type { NatsOptions } from "./nats.ts";
import { STATUS_INTERVAL_MS, removeStatus, statusPath, writeStatus, type BridgeDirection, type BridgeStatus, type Gap } from "./status.ts";

/** Something a running bridge tells its caller (the CLI prints these on stderr). */
export interface BridgeEvent {
  /** bridge (connection and progress), drop (a retention gap), refused (a message `bridge in` cannot append). */
  kind: "bridge" | "drop" | "refused";
  message: string;
  details?: Record<string, unknown>;
}

/** A running bridge. */
export interface Bridge {
  /** Settles when the bridge ends: resolves after stop(), rejects with a PlasmiteError when it fails. */
  readonly done: Promise<void>;
  /** The bridge's status now (what it writes to its status file). */
  status(): BridgeStatus;
  /** Drains (in-flight publishes acknowledged, or appended messages acknowledged), closes, then resolves. */
  stop(): Promise<void>;
}

/** Options both directions take besides the NATS ones. */
export interface BridgeCommonOptions {
  /** Called for connection changes, gaps and refused messages (default: nothing). */
  onEvent?: (event: BridgeEvent) => void;
  /** The status file to keep up to date: a path, or false for none (default: beside the pool, see statusPath). */
  statusFile?: string | false;
  /** The host name recorded in status and origins (default os.hostname()). */
  host?: string;
}

/** What every bridge is given: a pool, a stream and a way to NATS. */
export interface BridgeRunOptions extends BridgeCommonOptions {
  pool: PoolHandle;
  stream: string;
  servers: NatsOptions["servers"];
}

/**
 * The lifecycle both directions share. A direction's constructor checks its options, then calls start() last;
 * it supplies work() (connect, then mirror until stopped), its own status fields (through statusWith) and
 * release(). Invariant: however work() ends (returns once stopped, or throws), the run ends the same way: a
 * failure recorded in the status as a PlasmiteError, the state settled (stopped unless failed), the direction's
 * resources released, the status file written one last time, the connection closed.
 */
export abstract class BridgeRun implements Bridge {
  protected readonly pool: PoolHandle;
  protected readonly stream: string;
  protected readonly host: string;
  protected readonly emit: (e: BridgeEvent) => void;
  protected readonly abort = new AbortController();
  protected readonly wakeup = new Wakeup();
  protected readonly started = new Date().toISOString();
  protected nc: NatsConnection | null = null;
  protected state: BridgeStatus["state"] = "connecting";
  protected error: BridgeStatus["error"] = null;
  private statusWriter: StatusWriter | null = null;
  private runPromise: Promise<void> | null = null;

  constructor(
    private readonly direction: BridgeDirection,
    private readonly common: BridgeRunOptions,
    /** A failure that is not a PlasmiteError yet, as one (the direction's NATS error mapping). */
    private readonly asError: (err: unknown, what: string) => PlasmiteError,
  ) {
    this.pool = common.pool;
    this.stream = checkName(common.stream, "stream name");
    this.host = common.host ?? defaultHost();
    this.emit = common.onEvent ?? (() => {});
  }

  get done(): Promise<void> {
    return this.runPromise!;
  }

  abstract status(): BridgeStatus;

  async stop(): Promise<void> {
    if (!this.abort.signal.aborted) {
      if (this.state !== "failed" && this.state !== "stopped") this.state = "stopping";
      this.abort.abort();
      this.wakeup.wake();
    }
    await this.done.catch(() => {});
  }

  protected get stopping(): boolean {
    return this.abort.signal.aborted;
  }

  /** Connects and mirrors until stopped (then returns) or failed (then throws). */
  protected abstract work(): Promise<void>;

  /** Runs before a failure is recorded (out waits here for in-flight acknowledgements). */
  protected async beforeFailing(): Promise<void> {}

  /** Releases what work() holds besides the connection (a consumer, a pool watch, timers); runs on every end. */
  protected abstract release(): Promise<void>;

  /** Begins the run: called last by the direction's constructor, once every field status() reads is set. */
  protected start(): void {
    const file = this.common.statusFile === false ? null : this.common.statusFile ?? statusPath(this.pool.path, this.direction, this.stream);
    this.statusWriter = new StatusWriter(file, () => this.status());
    this.runPromise = this.run();
    this.runPromise.catch(() => {}); // the caller sees the failure through done; never an unhandled rejection
  }

  /** Running: said in the status file at once, not at its next rewrite. */
  protected markRunning(): void {
    this.state = "running";
    this.statusWriter!.write();
  }

  /**
   * A status: the fields every bridge reports around the direction's own, in the order the file shows them
   * (`head` after the stream, `progress` after the state, starting with the lag).
   */
  protected statusWith(
    head: Pick<BridgeStatus, "subject" | "durable">,
    progress: Pick<BridgeStatus, "lag_messages" | "lag_ms"> & Partial<BridgeStatus>,
    gaps: Gap[],
  ): BridgeStatus {
    return {
      direction: this.direction,
      pool: this.pool.name,
      pool_path: this.pool.path,
      stream: this.stream,
      ...head,
      servers: String(this.common.servers),
      host: this.host,
      pid: process.pid,
      started: this.started,
      updated: new Date().toISOString(),
      state: this.state,
      connected: this.nc !== null && !this.nc.isClosed() && this.state !== "connecting",
      ...progress,
      gaps,
      error: this.error,
    };
  }

  private async run(): Promise<void> {
    const statusWriter = this.statusWriter!;
    statusWriter.start();
    try {
      await this.work();
    } catch (err) {
      await this.beforeFailing();
      const e = err instanceof PlasmiteError ? err : this.asError(err, `bridge ${this.direction}`);
      this.state = "failed";
      this.error = errorSummary(e);
      throw e;
    } finally {
      if (this.state !== "failed") this.state = "stopped"; // also when stopped before it ever connected
      await this.release();
      statusWriter.close();
      await this.nc?.close().catch(() => {});
    }
  }
}

/** Stream and durable names NATS accepts: no ".", "*", ">", path separators or whitespace. */
export function checkName(value: string, what: string): string {
  if (value.length === 0 || value.length > 255 || /[.*>\s/\\]/.test(value)) {
    throw new PlasmiteError("Usage", `invalid ${what} '${value}'`, { hint: `A ${what} may not contain '.', '*', '>', '/', '\\' or whitespace.` });
  }
  return value;
}

/** A subject NATS accepts for publishing: dot-separated tokens, no wildcards. */
export function checkSubject(value: string, wildcards: boolean): string {
  const tokens = value.split(".");
  const ok = tokens.every((t, i) => t.length > 0 && !/\s/.test(t) && (wildcards ? (t === "*" || t === ">" ? t !== ">" || i === tokens.length - 1 : !/[*>]/.test(t)) : !/[*>]/.test(t)));
  if (!ok) throw new PlasmiteError("Usage", `invalid subject '${value}'`, { hint: wildcards ? "Example: plasmite.events or plasmite.>" : "Example: plasmite.events (no wildcards)." });
  return value;
}

/** True when `subject` is matched by the stream subject `pattern` (NATS wildcards * and >). */
export function subjectMatches(pattern: string, subject: string): boolean {
  const p = pattern.split(".");
  const s = subject.split(".");
  for (let i = 0; i < p.length; i++) {
    if (p[i] === ">") return s.length > i;
    if (i >= s.length || (p[i] !== "*" && p[i] !== s[i])) return false;
  }
  return p.length === s.length;
}

export function defaultHost(): string {
  return hostname();
}

/** Rewrites a status file every STATUS_INTERVAL_MS while a bridge runs; the last write on close stays. */
export class StatusWriter {
  private timer: ReturnType<typeof setInterval> | null = null;

  constructor(
    private readonly path: string | null,
    private readonly snapshot: () => BridgeStatus,
  ) {}

  start(): void {
    if (!this.path) return;
    this.write();
    this.timer = setInterval(() => this.write(), STATUS_INTERVAL_MS);
    this.timer.unref?.();
  }

  write(): void {
    if (!this.path) return;
    try {
      writeStatus(this.path, this.snapshot());
    } catch {
      // a status file that cannot be written must not stop the bridge
    }
  }

  close(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.write();
  }

  remove(): void {
    if (this.path) removeStatus(this.path);
  }
}

/** The error a bridge ends with, as the status file shows it. */
export function errorSummary(err: unknown): { kind: string; message: string } {
  const e = asPlasmiteError(err);
  return { kind: e.kind, message: e.message };
}

/** Wakes a waiting loop; a wake with nobody waiting is kept for the next wait (none is lost). */
export class Wakeup {
  private resolve: (() => void) | null = null;
  private woken = false;

  /** Resolves the current wait, or the next one. */
  wake = (): void => {
    const r = this.resolve;
    this.resolve = null;
    if (r) r();
    else this.woken = true;
  };

  /** Waits until wake() (the caller makes sure something will call it). */
  next(): Promise<void> {
    if (this.woken) {
      this.woken = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      this.resolve = () => {
        this.woken = false;
        resolve();
      };
    });
  }

  /** Waits until wake() or `ms` passes. */
  wait(ms: number): Promise<void> {
    if (this.woken) {
      this.woken = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const timer = setTimeout(() => this.wake(), ms);
      this.resolve = () => {
        clearTimeout(timer);
        this.woken = false;
        resolve();
      };
    });
  }
}
