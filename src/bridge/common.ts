// What both bridge directions share: the Bridge handle a caller holds, events, names NATS accepts, and the
// status file's periodic writer. No NATS code here.
import { hostname } from "node:os";
import { PlasmiteError, asPlasmiteError } from "../errors.ts";
import { STATUS_INTERVAL_MS, removeStatus, writeStatus, type BridgeStatus } from "./status.ts";

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
