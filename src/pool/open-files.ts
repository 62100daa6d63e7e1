// One open file descriptor and one mapping per pool file per process. flock belongs to the open file, so a
// second descriptor for the same pool in one process would deadlock against the first; this cache prevents it.
// State: the mappings by identity and by object, and the mappings whose file was found shorter than the mapping
// (truncated while in use): those are never read again, since touching a page past a file's end is SIGBUS.
import { PlasmiteError } from "../errors.ts";
import { closeFd, fileIdentity, fileSize, mapFile, openExisting, unmapAndClose, type MappedFile } from "../platform/files.ts";
import { HEADER_SIZE_BYTES, MAX_POOL_SIZE_BYTES } from "../format/limits.ts";

interface Entry {
  file: MappedFile;
  refs: number;
  /** "device:inode", or null until a second mapping needs to be told apart from this one (keyOf). */
  key: string | null;
}

const byKey = new Map<string, Entry>();
const byFile = new Map<MappedFile, Entry>();
/** Mappings whose file shrank, with the size it was found at. */
const shrunkTo = new WeakMap<MappedFile, number>();

function openPoolFile(path: string): { fd: number; writable: boolean } {
  try {
    return openExisting(path);
  } catch (err) {
    if (err instanceof PlasmiteError && err.kind === "NotFound") throw new PlasmiteError("NotFound", `pool not found: ${path}`, { path });
    throw err;
  }
}

/**
 * Maps the pool file at `path`, sharing one mapping per file (by device and inode) within the process. The
 * identity comes from the opened descriptor, so no rename between a stat and an open can pair them wrongly.
 * It is taken only when this process already maps a pool (which could be the same file), so a process that maps
 * one pool (a one-shot command) never asks for it (on the libc backend an identity needs node:fs).
 */
export function acquireMapping(path: string): MappedFile {
  const opened = openPoolFile(path);
  const writable = opened.writable;
  let fd = opened.fd;
  let key: string | null = null;
  let size: number;
  try {
    if (byFile.size > 0) {
      for (const entry of byFile.values()) keyOf(entry);
      key = fileIdentity(fd, path);
      const cached = byKey.get(key);
      if (cached) {
        // flock belongs to the open file description: closing this second one leaves the cached one's lock alone
        closeFd(fd);
        fd = -1;
        checkNotShrunk(cached.file); // the caller reads the header next
        cached.refs++;
        return cached.file;
      }
    }
    size = fileSize(fd, path);
    if (size < HEADER_SIZE_BYTES) {
      throw new PlasmiteError("Corrupt", `file is ${size} bytes, shorter than the ${HEADER_SIZE_BYTES}-byte pool header`, { path, offset: 0 });
    }
    if (size > MAX_POOL_SIZE_BYTES) throw new PlasmiteError("Corrupt", `file is ${size} bytes, larger than any pool`, { path, offset: 0 });
  } catch (err) {
    if (fd >= 0) closeFd(fd);
    throw err;
  }
  return register(key, mapFile(path, fd, size, writable));
}

/**
 * Throws Corrupt when the file behind `file` is now shorter than the mapping (truncated while in use): touching a
 * page past the file's end would kill the process (SIGBUS). A mapping found shrunk fails every later check at
 * once. Costs one lseek: callers check before a batch of reads or an append, not per message.
 */
export function checkNotShrunk(file: MappedFile): void {
  let size = shrunkTo.get(file);
  if (size === undefined) {
    size = fileSize(file.fd, file.path);
    if (size >= file.size) return;
    shrunkTo.set(file, size);
  }
  throw new PlasmiteError("Corrupt", `pool file shrank from ${file.size} to ${size} bytes while in use (truncated); it is no longer read or written`, {
    path: file.path,
    offset: size,
    hint: "Recreate the pool (pls pool delete NAME, then pls pool create NAME); other pools are not affected.",
  });
}

/** Adopts a mapping made by pool creation (a new file: its identity is taken when another mapping needs it). */
export function adoptMapping(file: MappedFile): MappedFile {
  return register(null, file);
}

function register(key: string | null, file: MappedFile): MappedFile {
  const entry: Entry = { file, refs: 1, key };
  if (key !== null) byKey.set(key, entry);
  byFile.set(file, entry);
  return file;
}

/** The entry's identity, taken from its open descriptor the first time it is needed. */
function keyOf(entry: Entry): string {
  if (entry.key === null) {
    entry.key = fileIdentity(entry.file.fd, entry.file.path);
    byKey.set(entry.key, entry);
  }
  return entry.key;
}

/** One more reference to a mapping this process already holds (released with releaseMapping). */
export function retainMapping(file: MappedFile): MappedFile {
  const entry = byFile.get(file);
  if (!entry) throw new Error("retainMapping: not a registered mapping");
  entry.refs++;
  return file;
}

/** Drops one reference; the last one unmaps and closes the file. */
export function releaseMapping(file: MappedFile): void {
  const entry = byFile.get(file);
  if (!entry) return;
  if (--entry.refs > 0) return;
  if (entry.key !== null) byKey.delete(entry.key);
  byFile.delete(file);
  unmapAndClose(file);
}

/** Number of pool files this process has mapped (for leak tests). */
export function openMappingCount(): number {
  return byFile.size;
}

/**
 * True while `path` still names the file this mapping was opened from. A pool deleted (or replaced) while in
 * use keeps working for the processes that have it mapped, but new writers would go to the new file: long-lived
 * users (followers, the server) check this to report it instead of silently reading an orphan.
 */
export function stillLinked(file: MappedFile, path: string): boolean {
  const entry = byFile.get(file);
  if (!entry) return false;
  let fd = -1;
  try {
    fd = openExisting(path, false).fd;
    return fileIdentity(fd, path) === keyOf(entry);
  } catch {
    return false;
  } finally {
    if (fd >= 0) closeFd(fd);
  }
}
