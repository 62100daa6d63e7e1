// The one table from an OS error to what a user sees: its PlasmiteError kind, its words and a hint. Both ways an
// OS failure arrives use it: a -errno from the bindings (files.ts osError) and a node:fs error's `code`
// (fsError, for the directory and link calls made through node:fs).
// Invariant: an errno not in the table is Io, with its number or node's message; never a guess at another kind.
import { PlasmiteError, type ErrorKind } from "../errors.ts";

interface ErrnoFacts {
  kind: ErrorKind;
  /** What it means, in the words of strerror. */
  text: string;
  hint?: string;
}

const PERMISSION_HINT = "Check the file's owner and mode, or use a pool directory you can write.";
const DISK_FULL_HINT = "The disk is full: free space or create a smaller pool.";

/** Keyed by the errno's name (node's `code`; the bindings' numbers are named through OsConstants, native.ts). */
export const ERRNO_TABLE: Readonly<Record<string, ErrnoFacts>> = {
  ENOENT: { kind: "NotFound", text: "no such file" },
  EEXIST: { kind: "AlreadyExists", text: "file exists" },
  EACCES: { kind: "Permission", text: "permission denied", hint: PERMISSION_HINT },
  EPERM: { kind: "Permission", text: "operation not permitted", hint: PERMISSION_HINT },
  EROFS: { kind: "Permission", text: "read-only file system", hint: PERMISSION_HINT },
  EAGAIN: { kind: "Busy", text: "resource temporarily unavailable" },
  ENOSPC: { kind: "Io", text: "no space left on device", hint: DISK_FULL_HINT },
  EDQUOT: { kind: "Io", text: "disk quota exceeded", hint: DISK_FULL_HINT },
  ENOTDIR: { kind: "Io", text: "not a directory", hint: "A part of this path is a file, not a directory." },
  EISDIR: { kind: "Io", text: "is a directory", hint: "A pool is a file; this path names a directory." },
  EMFILE: { kind: "Io", text: "too many open files", hint: "This process has too many files open (ulimit -n)." },
  ENAMETOOLONG: { kind: "Io", text: "file name too long" },
  ELOOP: { kind: "Io", text: "too many symbolic links" },
};

/** The kind of an OS error by its name (Io for a name not in the table, or none). */
export function errnoKind(name: string | undefined): ErrorKind {
  return (name !== undefined && ERRNO_TABLE[name]?.kind) || "Io";
}

/** "permission denied (EACCES)", or the fallback for an errno not in the table. */
export function errnoText(name: string | undefined, fallback: string): string {
  const facts = name === undefined ? undefined : ERRNO_TABLE[name];
  return facts ? `${facts.text} (${name})` : fallback;
}

/** The PlasmiteError for an OS error: "`what` failed for `path`: `reason`", its kind and hint from the table. */
export function errnoError(name: string | undefined, what: string, path: string, reason: string): PlasmiteError {
  const facts = name === undefined ? undefined : ERRNO_TABLE[name];
  return new PlasmiteError(facts?.kind ?? "Io", `${what} failed for ${path}: ${reason}`, { path, hint: facts?.hint });
}

/** A node:fs failure (an error with an errno `code`) as a PlasmiteError; message node's own. */
export function fsError(err: unknown, path: string, what: string): PlasmiteError {
  return errnoError((err as NodeJS.ErrnoException).code, what, path, (err as Error).message);
}
