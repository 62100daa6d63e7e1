// The one error type every layer throws, and the one table mapping its kind to a CLI exit code and an HTTP status.
// Errors are created where the fact is known (the pool knows path and seq); edges (CLI, server) only present them.

export type ErrorKind =
  | "Usage"
  | "NotFound"
  | "AlreadyExists"
  | "Busy"
  | "Permission"
  | "Corrupt"
  | "Io"
  | "Internal"
  /** A reader asked to fail closed found messages it had not read already overwritten. */
  | "RetentionGap";

/** Exit code and HTTP status for each kind: the only place this mapping lives. */
export const ERROR_KINDS: Record<ErrorKind, { exitCode: number; httpStatus: number }> = {
  Internal: { exitCode: 1, httpStatus: 500 },
  Usage: { exitCode: 2, httpStatus: 400 },
  NotFound: { exitCode: 3, httpStatus: 404 },
  AlreadyExists: { exitCode: 4, httpStatus: 409 },
  Busy: { exitCode: 5, httpStatus: 423 },
  Permission: { exitCode: 6, httpStatus: 403 },
  Corrupt: { exitCode: 7, httpStatus: 500 },
  Io: { exitCode: 8, httpStatus: 500 },
  RetentionGap: { exitCode: 9, httpStatus: 410 },
};

/** True for a kind this table knows (an error read from a server or a file is checked against it). */
export function isErrorKind(kind: unknown): kind is ErrorKind {
  return typeof kind === "string" && Object.hasOwn(ERROR_KINDS, kind);
}

export interface ErrorDetails {
  hint?: string;
  path?: string;
  seq?: number;
  offset?: number;
  cause?: unknown;
}

/** Every failure plasmite reports: a stable kind plus what is known about where it happened. */
export class PlasmiteError extends Error {
  readonly kind: ErrorKind;
  readonly hint?: string;
  readonly path?: string;
  readonly seq?: number;
  readonly offset?: number;

  constructor(kind: ErrorKind, message: string, details: ErrorDetails = {}) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.name = "PlasmiteError";
    this.kind = kind;
    if (details.hint !== undefined) this.hint = details.hint;
    if (details.path !== undefined) this.path = details.path;
    if (details.seq !== undefined) this.seq = details.seq;
    if (details.offset !== undefined) this.offset = details.offset;
  }

  get exitCode(): number {
    return ERROR_KINDS[this.kind].exitCode;
  }

  get httpStatus(): number {
    return ERROR_KINDS[this.kind].httpStatus;
  }

  /** The wire/CLI shape: {"kind","message","hint?","path?","seq?","offset?"}. */
  toJSON(): Record<string, unknown> {
    const out: Record<string, unknown> = { kind: this.kind, message: this.message };
    if (this.hint !== undefined) out.hint = this.hint;
    if (this.path !== undefined) out.path = this.path;
    if (this.seq !== undefined) out.seq = this.seq;
    if (this.offset !== undefined) out.offset = this.offset;
    return out;
  }
}

/** Wraps anything thrown into a PlasmiteError (unknown failures are Internal). */
export function asPlasmiteError(err: unknown): PlasmiteError {
  if (err instanceof PlasmiteError) return err;
  const message = err instanceof Error ? err.message : String(err);
  return new PlasmiteError("Internal", message, { cause: err });
}

/** The error with `path` added when it is a PlasmiteError without one (the pool knows the path, format code does not). */
export function withPath(err: unknown, path: string): unknown {
  if (err instanceof PlasmiteError && err.path === undefined) {
    return new PlasmiteError(err.kind, err.message, { hint: err.hint, path, seq: err.seq, offset: err.offset, cause: err.cause });
  }
  return err;
}

