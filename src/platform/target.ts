// Names the host platform the way native/prebuilt/ folders are named. Pure; no I/O beyond reading process fields.

// Set by scripts/build.ts for compiled binaries (each is built for exactly one target): they know their target
// and never build the process report below (a whole diagnostic snapshot, taken only to tell glibc from musl).
declare const PLASMITE_BUILD_TARGET: string | undefined;

/** e.g. "linux-x64-gnu", "linux-arm64-musl", "darwin-arm64". */
export function hostTarget(): string {
  if (typeof PLASMITE_BUILD_TARGET === "string") return PLASMITE_BUILD_TARGET;
  const os = process.platform;
  const arch = process.arch;
  if (os !== "linux") return `${os}-${arch}`;
  return `linux-${arch}-${isMusl() ? "musl" : "gnu"}`;
}

/** Our name for a `bun build --target` (bun-linux-x64-musl → linux-x64-musl, bun-linux-arm64 → linux-arm64-gnu). */
export function targetOfBunTarget(bunTarget: string): string {
  const [, os, arch, libc] = bunTarget.split("-");
  return os === "linux" ? `linux-${arch}-${libc === "musl" ? "musl" : "gnu"}` : `${os}-${arch}`;
}

function isMusl(): boolean {
  // glibc reports its version in the process report; musl does not.
  const report = (process as unknown as { report?: { getReport(): { header?: { glibcVersionRuntime?: string } } } }).report;
  try {
    return !report?.getReport().header?.glibcVersionRuntime;
  } catch {
    return false;
  }
}
