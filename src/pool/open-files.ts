// One open file descriptor and one mapping per pool file per process. flock belongs to the open file, so a
// second descriptor for the same pool in one process would deadlock against the first; this cache prevents it.
import { statSync } from "node:fs";
import { PlasmiteError } from "../errors.ts";
import { closeFd, fileSize, mapFile, openExisting, unmapAndClose, type MappedFile } from "../platform/files.ts";
import { HEADER_SIZE_BYTES, MAX_POOL_SIZE_BYTES } from "../format/limits.ts";

interface Entry {
  file: MappedFile;
  refs: number;
  key: string;
}

const byKey = new Map<string, Entry>();
const byFile = new Map<MappedFile, Entry>();

function fileKey(path: string): string {
  try {
    const st = statSync(path, { bigint: true });
    return `${st.dev}:${st.ino}`;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "ENOENT" || code === "ENOTDIR") {
      throw new PlasmiteError("NotFound", `pool not found: ${path}`, { path });
    }
    if (code === "EACCES" || code === "EPERM") throw new PlasmiteError("Permission", `cannot access ${path}`, { path });
    throw new PlasmiteError("Io", `cannot stat ${path}: ${(err as Error).message}`, { path });
  }
}

/** Maps the pool file at `path`, sharing one mapping per file (by device and inode) within the process. */
export function acquireMapping(path: string): MappedFile {
  const key = fileKey(path);
  const cached = byKey.get(key);
  if (cached) {
    cached.refs++;
    return cached.file;
  }
  const { fd, writable } = openExisting(path);
  let size: number;
  try {
    size = fileSize(fd, path);
    if (size < HEADER_SIZE_BYTES) {
      throw new PlasmiteError("Corrupt", `file is ${size} bytes, shorter than the ${HEADER_SIZE_BYTES}-byte pool header`, { path, offset: 0 });
    }
    if (size > MAX_POOL_SIZE_BYTES) throw new PlasmiteError("Corrupt", `file is ${size} bytes, larger than any pool`, { path, offset: 0 });
  } catch (err) {
    closeFd(fd);
    throw err;
  }
  return register(key, mapFile(path, fd, size, writable));
}

/** Adopts a mapping made by pool creation. */
export function adoptMapping(path: string, file: MappedFile): MappedFile {
  return register(fileKey(path), file);
}

function register(key: string, file: MappedFile): MappedFile {
  const entry = { file, refs: 1, key };
  byKey.set(key, entry);
  byFile.set(file, entry);
  return file;
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
  byKey.delete(entry.key);
  byFile.delete(file);
  unmapAndClose(file);
}

/** Number of pool files this process has mapped (for leak tests). */
export function openMappingCount(): number {
  return byKey.size;
}

/**
 * True while `path` still names the file this mapping was opened from. A pool deleted (or replaced) while in
 * use keeps working for the processes that have it mapped, but new writers would go to the new file: long-lived
 * users (followers, the server) check this to report it instead of silently reading an orphan.
 */
export function stillLinked(file: MappedFile, path: string): boolean {
  const entry = byFile.get(file);
  if (!entry) return false;
  try {
    const st = statSync(path, { bigint: true });
    return `${st.dev}:${st.ino}` === entry.key;
  } catch {
    return false;
  }
}
