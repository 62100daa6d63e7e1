// Names the host platform the way native/prebuilt/ folders are named. Pure; no I/O beyond reading process fields.

/** e.g. "linux-x64-gnu", "linux-arm64-musl", "darwin-arm64". */
export function hostTarget(): string {
  const os = process.platform;
  const arch = process.arch;
  if (os !== "linux") return `${os}-${arch}`;
  return `linux-${arch}-${isMusl() ? "musl" : "gnu"}`;
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
