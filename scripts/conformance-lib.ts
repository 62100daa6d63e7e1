// The conformance manifest model and the two targets it is run against: the library (Client, in process) and
// the CLI (`pls` child processes). Targets only translate ops; every expectation is judged here, once.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { Client, PlasmiteError, type Message, type PoolHandle } from "../src/api/index.ts";

export const REPO_ROOT = resolve(import.meta.dir, "..");
export type TargetName = "library" | "cli";

/** Library tails stop after this long without a new message, so a wrong expectation never hangs the run. */
const TAIL_TIMEOUT_MS = 200;
/** CLI tails: `peek --timeout`, which exits 124 once history is printed and nothing new arrives. */
const CLI_TAIL_TIMEOUT = "300ms";
const CLI_TAIL_ALL = "100000";
/** Retention-gap filler: ~4 KiB messages, so a 64 KiB pool evicts its first message after ~14 appends. */
const PAD_CHARS = 4000;

/** The exit code each error kind must produce (the CLI contract, restated here so the check is not circular). */
const EXIT_CODES: Record<string, number> = { Internal: 1, Usage: 2, NotFound: 3, AlreadyExists: 4, Busy: 5, Permission: 6, Corrupt: 7, Io: 8, RetentionGap: 9 };

// ---- The manifest format (conformance_version 0) ----

export interface Msg {
  data: unknown;
  tags?: string[];
}
export interface ErrorExpect {
  kind: string;
  message_contains?: string;
  has_path?: boolean;
  has_seq?: boolean;
  has_offset?: boolean;
}
interface StepInput {
  size_bytes?: number;
  data?: unknown;
  tags?: string[];
  seq?: number;
  since_seq?: number;
  max?: number;
  messages?: Msg[];
}
interface StepExpect {
  created?: boolean;
  seq?: number;
  data?: unknown;
  tags?: string[];
  messages?: Msg[];
  messages_unordered?: Msg[];
  names?: string[];
  file_size?: number;
  ring_size?: number;
  bounds?: Bounds;
  error?: ErrorExpect;
}
export interface Step {
  op: string;
  id?: string;
  pool?: string;
  input?: StepInput;
  expect?: StepExpect;
}
export interface Manifest {
  conformance_version: number;
  name: string;
  workdir?: string;
  steps: Step[];
}

// ---- What targets return ----

/** An error as both targets report it: PlasmiteError.toJSON() in process, the stderr JSON line from the CLI. */
export interface WireError {
  kind: string;
  message: string;
  path?: string;
  seq?: number;
  offset?: number;
}
interface Bounds {
  oldest: number | null;
  newest: number | null;
}
interface Stored {
  seq: number;
  data: unknown;
  tags: string[];
}
interface InfoView {
  file_size: number;
  ring_size: number;
  bounds: Bounds;
}

/** An op failed the way the project reports failures (the step may expect exactly that). */
class OpError extends Error {
  constructor(readonly wire: WireError) {
    super(`${wire.kind}: ${wire.message}`);
  }
}

/** The step did not meet its expectation; ends the manifest (fail fast). */
export class StepFailure extends Error {}

interface Target {
  readonly name: TargetName;
  createPool(pool: string, sizeBytes: number): Promise<void>;
  append(pool: string, data: unknown, tags: string[]): Promise<number>;
  get(pool: string, seq: number): Promise<Stored>;
  /** Messages with seq >= sinceSeq, at most `max`, in the order the target yields them. */
  tail(pool: string, sinceSeq: number, max: number | undefined): Promise<Stored[]>;
  listPools(): Promise<string[]>;
  poolInfo(pool: string): Promise<InfoView>;
  deletePool(pool: string): Promise<void>;
  /** Checks the retention-gap contract (throws StepFailure); returns notes for the parts it cannot check. */
  retentionGap(base: string, sizeBytes: number): Promise<string[]>;
}

// ---- Known, deliberate differences from the manifests ----

interface Mismatch {
  key: string;
  expected: unknown;
  actual: unknown;
  /** Shown, but not matched against deliberate deviations (e.g. an error's message). */
  detail?: string;
}

interface Deviation extends Mismatch {
  op: string;
  /** Omitted: both targets. */
  target?: TargetName;
  why: string;
}

/** Mismatches the project chose on purpose: reported as NOTE lines instead of failures. */
const DELIBERATE: Deviation[] = [
  {
    op: "get",
    key: "has_path",
    expected: false,
    actual: true,
    why: "a missing-seq NotFound carries the pool path too (plasmite errors carry every fact known where they are raised; upstream omits the path here)",
  },
  {
    op: "append",
    target: "cli",
    key: "kind",
    expected: "Corrupt",
    actual: "Usage",
    why: "`pls poke` validates DATA before opening the pool, so a non-object fails as Usage (exit 2) without touching the corrupt file; the library opens first and reports Corrupt",
  },
];

const fmt = (v: unknown): string => (typeof v === "string" ? v : JSON.stringify(v));
const describe = (m: Mismatch): string => `expected ${m.key} ${fmt(m.expected)}, got ${fmt(m.actual)}${m.detail ? ` (${m.detail})` : ""}`;

/** Key-order-independent JSON, for comparing payloads. */
function canon(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canon).join(",")}]`;
  if (v !== null && typeof v === "object") {
    const o = v as Record<string, unknown>;
    return `{${Object.keys(o).sort().map((k) => `${JSON.stringify(k)}:${canon(o[k])}`).join(",")}}`;
  }
  return JSON.stringify(v);
}

/** Deliberate mismatches become notes; the first other one fails the step. */
function settle(target: TargetName, op: string, mismatches: Mismatch[]): string[] {
  const notes: string[] = [];
  for (const m of mismatches) {
    const dev = DELIBERATE.find(
      (d) => d.op === op && (d.target ?? target) === target && d.key === m.key && canon(d.expected) === canon(m.expected) && canon(d.actual) === canon(m.actual),
    );
    if (!dev) throw new StepFailure(describe(m));
    notes.push(`${describe(m)}: deliberate: ${dev.why}`);
  }
  return notes;
}

// ---- Judging outcomes ----

type Outcome<T> = { ok: true; value: T } | { ok: false; error: WireError };

async function attempt<T>(fn: () => Promise<T>): Promise<Outcome<T>> {
  try {
    return { ok: true, value: await fn() };
  } catch (err) {
    if (err instanceof OpError) return { ok: false, error: err.wire };
    throw err; // a runner or target malfunction, not an outcome the manifest can expect
  }
}

function checkError(want: ErrorExpect, got: WireError): Mismatch[] {
  // A different kind makes the detail checks meaningless: report only that.
  if (got.kind !== want.kind) return [{ key: "kind", expected: want.kind, actual: got.kind, detail: got.message }];
  const out: Mismatch[] = [];
  if (want.message_contains !== undefined && !got.message.includes(want.message_contains)) {
    out.push({ key: "message containing", expected: want.message_contains, actual: got.message });
  }
  const fields = [["has_path", got.path], ["has_seq", got.seq], ["has_offset", got.offset]] as const;
  for (const [key, value] of fields) {
    const wanted = want[key];
    if (wanted !== undefined && wanted !== (value !== undefined)) out.push({ key, expected: wanted, actual: value !== undefined });
  }
  return out;
}

/** Judges an outcome: the expected error, or success checked by `checkValue`. */
function judge<T>(o: Outcome<T>, want: ErrorExpect | undefined, checkValue: (v: T) => Mismatch[]): Mismatch[] {
  if (want) return o.ok ? [{ key: "kind", expected: want.kind, actual: "success" }] : checkError(want, o.error);
  if (!o.ok) return [{ key: "outcome", expected: "success", actual: o.error.kind, detail: o.error.message }];
  return checkValue(o.value);
}

function same(key: string, expected: unknown, actual: unknown): Mismatch[] {
  return expected === undefined || canon(expected) === canon(actual) ? [] : [{ key, expected, actual }];
}

function checkTail(got: Stored[], want: StepExpect): Mismatch[] {
  for (let i = 1; i < got.length; i++) {
    if (got[i].seq <= got[i - 1].seq) return [{ key: "strictly increasing seqs", expected: `> ${got[i - 1].seq}`, actual: got[i].seq }];
  }
  const shape = (m: Msg) => ({ data: m.data, tags: m.tags ?? [] });
  const byCanon = (a: unknown, b: unknown) => (canon(a) < canon(b) ? -1 : 1);
  return [
    ...same("messages", want.messages?.map(shape), got.map(shape)),
    ...same("messages (any order)", want.messages_unordered?.map(shape).sort(byCanon), got.map(shape).sort(byCanon)),
  ];
}

// ---- Running steps and manifests ----

export interface ManifestResult {
  steps: number;
  notes: string[];
  failure?: string;
  /** Kept on failure, for a look at the pool files. */
  workdir?: string;
}

/** Runs one manifest against one target in a fresh workdir; stops at the first failing step. */
export async function runManifest(manifest: Manifest, target: TargetName): Promise<ManifestResult> {
  const steps = Array.isArray(manifest.steps) ? manifest.steps : [];
  if (manifest.conformance_version !== 0) {
    return { steps: steps.length, notes: [], failure: `conformance_version ${fmt(manifest.conformance_version)} is not supported (only 0)` };
  }
  const root = mkdtempSync(join(tmpdir(), `plasmite-conformance-${target}-`));
  const workdir = join(root, manifest.workdir ?? "work");
  mkdirSync(workdir, { recursive: true });
  const t: Target = target === "library" ? new LibraryTarget(workdir) : new CliTarget(workdir);
  const notes: string[] = [];
  for (const [i, step] of steps.entries()) {
    const label = `step ${i}${step.id ? ` (${step.id})` : ""} ${step.op}`;
    try {
      for (const note of await runStep(t, step, workdir)) notes.push(`${label}: ${note}`);
    } catch (err) {
      const reason =
        err instanceof StepFailure ? err.message : err instanceof OpError ? `unexpected error ${err.message}` : `runner error: ${err instanceof Error ? err.message : String(err)}`;
      return { steps: steps.length, notes, failure: `${label}: ${reason}`, workdir };
    }
  }
  rmSync(root, { recursive: true, force: true });
  return { steps: steps.length, notes };
}

async function runStep(t: Target, step: Step, workdir: string): Promise<string[]> {
  const input = step.input ?? {};
  const want = step.expect ?? {};
  const pool = step.pool ?? "";
  const check = async <T>(fn: () => Promise<T>, checkValue: (v: T) => Mismatch[] = () => []) =>
    settle(t.name, step.op, judge(await attempt(fn), want.error, checkValue));
  switch (step.op) {
    case "create_pool":
      return check(() => t.createPool(pool, input.size_bytes ?? 1048576), () => same("created", want.created, true));
    case "append":
      return check(() => t.append(pool, input.data, input.tags ?? []), (seq) => same("seq", want.seq, seq));
    case "get":
      return check(() => t.get(pool, input.seq ?? 1), (m) => [...same("data", want.data, m.data), ...same("tags", want.tags, m.tags)]);
    case "tail":
      return check(() => t.tail(pool, input.since_seq ?? 1, input.max), (got) => checkTail(got, want));
    case "list_pools":
      return check(() => t.listPools(), (names) => same("names", want.names, names));
    case "pool_info":
      return check(
        () => t.poolInfo(pool),
        (info) => [
          ...same("file_size", want.file_size, info.file_size),
          ...same("ring_size", want.ring_size, info.ring_size),
          ...same("bounds.oldest", want.bounds?.oldest, info.bounds.oldest),
          ...same("bounds.newest", want.bounds?.newest, info.bounds.newest),
        ],
      );
    case "delete_pool":
      return check(() => t.deletePool(pool));
    case "spawn_poke":
      await spawnPoke(workdir, pool, input.messages ?? []);
      return [];
    case "corrupt_pool_header":
      // As the reference runner: replace the whole file with 4 bytes, so it is also far too short.
      writeFileSync(join(workdir, `${pool}.plasmite`), "NOPE");
      return [];
    case "retention_gap":
      return t.retentionGap(pool, input.size_bytes ?? 65536);
    default:
      throw new StepFailure(`unknown op '${step.op}'`);
  }
}

// ---- Shared by both targets ----

/** The CLI to run: $PLASMITE_BIN (e.g. a compiled `pls`), else this checkout's source under the current bun. */
function plsCommand(): string[] {
  const bin = process.env.PLASMITE_BIN;
  return bin ? [bin] : [process.execPath, join(REPO_ROOT, "src/cli/main.ts")];
}

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

async function runPls(workdir: string, args: string[], stdin?: string): Promise<Run> {
  const proc = Bun.spawn([...plsCommand(), "--dir", workdir, ...args], {
    stdin: stdin === undefined ? "ignore" : new TextEncoder().encode(stdin),
    stdout: "pipe",
    stderr: "pipe",
  });
  const [stdout, stderr, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  return { code, stdout, stderr };
}

const tagArgs = (tags: readonly string[] = []): string[] => tags.flatMap((t) => ["--tag", t]);

/** One `pls poke` process per message, all at once: concurrent writers from separate processes. */
async function spawnPoke(workdir: string, pool: string, messages: Msg[]): Promise<void> {
  const runs = await Promise.all(messages.map((m) => runPls(workdir, ["poke", pool, JSON.stringify(m.data), ...tagArgs(m.tags)])));
  const bad = runs.find((r) => r.code !== 0);
  if (bad) throw new StepFailure(`pls poke exited ${bad.code}: ${bad.stderr.trim()}`);
}

const padded = (i: number) => ({ pad: "x".repeat(PAD_CHARS), i });
/** Enough padded appends to cycle a pool several times: filling must end, even against a broken pool. */
const fillLimit = (sizeBytes: number) => Math.ceil(sizeBytes / PAD_CHARS) * 4 + 8;

/** (a): the default policy yields the oldest retained messages, in order, with no error. */
function checkContinues(got: Stored[], bounds: Bounds, sinceSeq: number): void {
  if (got.length === 0 || got[0].seq !== bounds.oldest) {
    throw new StepFailure(`(a) a tail from stale seq ${sinceSeq} should start at the oldest retained seq ${bounds.oldest}, got ${got[0]?.seq ?? "nothing"}`);
  }
  for (let i = 1; i < got.length; i++) {
    if (got[i].seq !== got[i - 1].seq + 1) throw new StepFailure(`(a) seq ${got[i].seq} follows ${got[i - 1].seq}`);
  }
  if (got.at(-1)!.seq !== bounds.newest) throw new StepFailure(`(a) the tail ended at ${got.at(-1)!.seq}, before the newest seq ${bounds.newest}`);
}

// ---- Target: the library, in process ----

class LibraryTarget implements Target {
  readonly name = "library";
  private readonly client: Client;

  constructor(workdir: string) {
    this.client = new Client(workdir);
  }

  createPool(pool: string, sizeBytes: number) {
    return lib(async () => this.client.createPool(pool, { sizeBytes }).close());
  }
  append(pool: string, data: unknown, tags: string[]) {
    // Non-objects go through on purpose: the library must refuse them itself.
    return this.withPool(pool, (h) => h.append(data as Record<string, unknown>, { tags }).seq);
  }
  get(pool: string, seq: number) {
    return this.withPool(pool, (h) => {
      const m = h.get(seq);
      return { seq: m.seq, data: m.data, tags: m.meta.tags };
    });
  }
  tail(pool: string, sinceSeq: number, max: number | undefined) {
    return this.withPool(pool, async (h) => (await drain(h.tail({ since: sinceSeq, max, timeout: TAIL_TIMEOUT_MS }))).yielded);
  }
  listPools() {
    return lib(async () => this.client.listPools().map((p) => p.name));
  }
  poolInfo(pool: string) {
    return this.withPool(pool, (h) => h.info());
  }
  deletePool(pool: string) {
    return lib(async () => this.client.deletePool(pool));
  }

  async retentionGap(base: string, sizeBytes: number): Promise<string[]> {
    await lib(async () => {
      const stale = this.client.createPool(`${base}-stale`, { sizeBytes });
      try {
        await staleCursorChecks(stale, sizeBytes);
      } finally {
        stale.close();
      }
      const established = this.client.createPool(`${base}-established`, { sizeBytes });
      try {
        await laterOverwriteCheck(established, sizeBytes);
      } finally {
        established.close();
      }
    });
    return [];
  }

  private withPool<T>(pool: string, fn: (h: PoolHandle) => T | Promise<T>): Promise<T> {
    return lib(async () => {
      const h = this.client.openPool(pool);
      try {
        return await fn(h);
      } finally {
        h.close();
      }
    });
  }
}

/** Library calls: a PlasmiteError is an outcome the step may expect. */
async function lib<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof PlasmiteError) throw new OpError(err.toJSON() as unknown as WireError);
    throw err;
  }
}

/** Reads a tail to its end; a PlasmiteError ends it and is returned, not thrown. `keep` filters what it yields. */
async function drain(tail: AsyncGenerator<Message>, keep: (tags: string[]) => boolean = () => true) {
  const yielded: Stored[] = [];
  const kept: Stored[] = [];
  try {
    for (;;) {
      const r = await tail.next();
      if (r.done) break;
      const m = { seq: r.value.seq, data: r.value.data, tags: r.value.meta.tags };
      yielded.push(m);
      if (keep(m.tags)) kept.push(m);
    }
  } catch (err) {
    if (!(err instanceof PlasmiteError)) throw err;
    return { yielded, kept, error: err };
  }
  return { yielded, kept, error: undefined };
}

/** Appends padded messages until `seq` is evicted; returns the bounds then. */
function fillUntilEvicted(h: PoolHandle, seq: number, sizeBytes: number): Bounds {
  for (let i = 0; i < fillLimit(sizeBytes); i++) {
    const bounds = h.info().bounds;
    if (bounds.oldest !== null && bounds.oldest > seq) return bounds;
    h.append(padded(i), { tags: ["pad"] });
  }
  throw new StepFailure(`seq ${seq} was still retained after ${fillLimit(sizeBytes)} padded appends`);
}

/** (b)-(d) for one fail-closed tail: RetentionGap at `firstMissing`, nothing yielded past it, then the end. */
async function expectGap(part: string, tail: AsyncGenerator<Message>, firstMissing: number, keep?: (tags: string[]) => boolean) {
  const r = await drain(tail, keep);
  if (!r.error) throw new StepFailure(`${part} expected RetentionGap, the tail ended after ${r.yielded.length} messages`);
  if (r.error.kind !== "RetentionGap") throw new StepFailure(`${part} expected kind RetentionGap, got ${r.error.kind} (${r.error.message})`);
  const late = r.yielded.find((m) => m.seq >= firstMissing);
  if (late) throw new StepFailure(`${part} the tail yielded seq ${late.seq} before reporting the gap at ${firstMissing}`);
  if (r.error.seq !== firstMissing) throw new StepFailure(`(d) RetentionGap seq should be the first missing seq ${firstMissing}, got ${r.error.seq}`);
  if (!(await tail.next()).done) throw new StepFailure(`(d) the tail went on after RetentionGap`);
}

/** (a)-(d): a tail from a seq that was already evicted when it started. */
async function staleCursorChecks(h: PoolHandle, sizeBytes: number): Promise<void> {
  const seed = h.append({ phase: "seed" }, { tags: ["seed"] }).seq;
  const bounds = fillUntilEvicted(h, seed, sizeBytes);
  const a = await drain(h.tail({ since: seed, timeout: TAIL_TIMEOUT_MS }));
  if (a.error) throw new StepFailure(`(a) the default policy failed: ${a.error.kind} (${a.error.message})`);
  checkContinues(a.yielded, bounds, seed);
  await expectGap("(b)", h.tail({ since: seed, gapPolicy: "error", timeout: TAIL_TIMEOUT_MS }), seed);
  // The filter sees only what the tail yields, so it cannot hide a gap detected before yielding.
  await expectGap("(c)", h.tail({ since: seed, gapPolicy: "error", timeout: TAIL_TIMEOUT_MS }), seed, (tags) => tags.includes("never"));
}

/** (e): a fail-closed tail that already read seed and second, paused while the next messages are overwritten. */
async function laterOverwriteCheck(h: PoolHandle, sizeBytes: number): Promise<void> {
  const seed = h.append({ phase: "seed" }, { tags: ["seed"] }).seq;
  const second = h.append({ phase: "second" }, { tags: ["second"] }).seq;
  const tail = h.tail({ since: seed, gapPolicy: "error", timeout: TAIL_TIMEOUT_MS });
  for (const [seq, phase] of [[seed, "seed"], [second, "second"]] as const) {
    const r = await tail.next();
    const got = r.done ? undefined : r.value;
    if (got?.seq !== seq || (got.data as { phase?: unknown }).phase !== phase) {
      throw new StepFailure(`(e) expected ${phase} at seq ${seq} first, got ${got ? `seq ${got.seq}` : "the end"}`);
    }
  }
  const firstUnread = second + 1;
  fillUntilEvicted(h, firstUnread, sizeBytes);
  await expectGap("(e)", tail, firstUnread);
}

// ---- Target: the CLI, one process per op ----

class CliTarget implements Target {
  readonly name = "cli";

  constructor(private readonly workdir: string) {}

  async createPool(pool: string, sizeBytes: number) {
    const out = JSON.parse(await this.pls(["pool", "create", pool, "--size", String(sizeBytes)])) as { created: Array<{ name: string }> };
    if (out.created?.[0]?.name !== pool) throw new StepFailure(`pool create printed ${JSON.stringify(out)}`);
  }
  async append(pool: string, data: unknown, tags: string[]) {
    return (JSON.parse(await this.pls(["poke", pool, JSON.stringify(data), ...tagArgs(tags)])) as { seq: number }).seq;
  }
  async get(pool: string, seq: number) {
    return envelope(await this.pls(["get", pool, String(seq)]));
  }
  async tail(pool: string, sinceSeq: number, max: number | undefined) {
    // peek has no seq start: read all history (exit 124 once it goes quiet), then cut it as the op asks.
    const out = await this.pls(["peek", pool, "--tail", CLI_TAIL_ALL, "--jsonl", "--timeout", CLI_TAIL_TIMEOUT], [0, 124]);
    const all = out.split("\n").filter(Boolean).map(envelope);
    return all.filter((m) => m.seq >= sinceSeq).slice(0, max);
  }
  async listPools() {
    return (JSON.parse(await this.pls(["pool", "list"])) as { pools: Array<{ name: string }> }).pools.map((p) => p.name);
  }
  async poolInfo(pool: string) {
    return JSON.parse(await this.pls(["pool", "info", pool, "--json"])) as InfoView;
  }
  async deletePool(pool: string) {
    // Delete is best effort over many pools, so its failures are in the stdout report, not on stderr.
    const r = await runPls(this.workdir, ["pool", "delete", pool]);
    const out = JSON.parse(r.stdout) as { failed: Array<{ error: WireError }> };
    const failure = out.failed[0]?.error;
    if (failure) throw new OpError(checkExitCode(failure, r.code));
    if (r.code !== 0) throw new StepFailure(`pool delete exited ${r.code} with no failure reported`);
  }

  async retentionGap(base: string, sizeBytes: number): Promise<string[]> {
    const pool = `${base}-stale`;
    await this.createPool(pool, sizeBytes);
    const seed = await this.append(pool, { phase: "seed" }, ["seed"]);
    const bounds = await this.fillUntilEvicted(pool, seed, sizeBytes);
    checkContinues(await this.tail(pool, seed, undefined), bounds, seed);
    await this.laterOverwrite(`${base}-established`, sizeBytes);
    return ["(b)-(d) library-only: they start a fail-closed tail at a stale seq, and `peek` has no seq start (as upstream); (a) and (e) checked through the CLI"];
  }

  /** Appends padded messages until `seq` is overwritten; one streaming poke per round, not a process per message. */
  private async fillUntilEvicted(pool: string, seq: number, sizeBytes: number): Promise<Bounds> {
    const perRound = Math.ceil(sizeBytes / PAD_CHARS) + 1;
    let bounds = (await this.poolInfo(pool)).bounds;
    for (let round = 0; bounds.oldest === null || bounds.oldest <= seq; round++) {
      if (round * perRound >= fillLimit(sizeBytes)) throw new StepFailure(`seq ${seq} was still retained after ${round * perRound} padded appends`);
      const lines = Array.from({ length: perRound }, (_, i) => JSON.stringify(padded(round * perRound + i))).join("\n");
      await this.pls(["poke", pool, "--tag", "pad"], [0], lines + "\n");
      bounds = (await this.poolInfo(pool)).bounds;
    }
    return bounds;
  }

  /**
   * (e) through real processes: `peek --gap-policy error` prints seed and second, is SIGSTOPped while the
   * messages after them are overwritten, then continued: it must print nothing more and exit 9 with a
   * RetentionGap error naming the first unread seq.
   */
  private async laterOverwrite(pool: string, sizeBytes: number): Promise<void> {
    await this.createPool(pool, sizeBytes);
    const seed = await this.append(pool, { phase: "seed" }, ["seed"]);
    const second = await this.append(pool, { phase: "second" }, ["second"]);
    const proc = Bun.spawn([...plsCommand(), "--dir", this.workdir, "peek", pool, "--tail", "2", "--gap-policy", "error", "--jsonl", "--timeout", "20s"], { stdout: "pipe", stderr: "pipe" });
    const reader = proc.stdout.getReader();
    let text = "";
    const deadline = Date.now() + 10_000;
    while (text.split("\n").filter(Boolean).length < 2) {
      const r = await Promise.race([reader.read(), Bun.sleep(Math.max(0, deadline - Date.now())).then(() => null)]);
      if (!r || r.done) {
        proc.kill();
        throw new StepFailure(`(e) peek printed ${JSON.stringify(text)} instead of the first two messages`);
      }
      text += new TextDecoder().decode(r.value);
    }
    proc.kill("SIGSTOP");
    try {
      const firstUnread = second + 1;
      await this.fillUntilEvicted(pool, firstUnread, sizeBytes);
      proc.kill("SIGCONT");
      const [rest, stderr, code] = await Promise.all([
        (async () => {
          let more = "";
          for (;;) {
            const r = await reader.read();
            if (r.done) return more;
            more += new TextDecoder().decode(r.value);
          }
        })(),
        new Response(proc.stderr).text(),
        proc.exited,
      ]);
      const seqs = (text + rest).split("\n").filter(Boolean).map((l) => envelope(l).seq);
      if (seqs.join(",") !== `${seed},${second}`) throw new StepFailure(`(e) peek printed seqs ${seqs.join(",")}, expected ${seed},${second} and nothing after the gap`);
      const line = stderr.split("\n").find((l) => l.startsWith('{"error"'));
      const error = line ? checkExitCode((JSON.parse(line) as { error: WireError }).error, code) : undefined;
      if (error?.kind !== "RetentionGap" || error.seq !== firstUnread) {
        throw new StepFailure(`(e) expected exit 9 with RetentionGap at seq ${firstUnread}, got exit ${code}: ${stderr.trim()}`);
      }
    } finally {
      proc.kill("SIGCONT");
      proc.kill();
    }
  }

  /** Runs pls; returns stdout on an allowed exit code, else throws the OpError its stderr reports. */
  private async pls(args: string[], allowed: number[] = [0], stdin?: string): Promise<string> {
    const r = await runPls(this.workdir, args, stdin);
    if (allowed.includes(r.code)) return r.stdout;
    const line = r.stderr.split("\n").find((l) => l.startsWith('{"error"'));
    if (!line) throw new Error(`pls ${args[0]} exited ${r.code} without a JSON error line: ${r.stderr.trim() || "(no stderr)"}`);
    throw new OpError(checkExitCode((JSON.parse(line) as { error: WireError }).error, r.code));
  }
}

/** The exit code is part of the error contract: a mismatch is a failure whatever the step expects. */
function checkExitCode(error: WireError, code: number): WireError {
  if (EXIT_CODES[error.kind] !== code) throw new StepFailure(`exit code ${code} does not match kind ${error.kind} (expected ${EXIT_CODES[error.kind]})`);
  return error;
}

function envelope(line: string): Stored {
  const m = JSON.parse(line) as { seq: number; meta: { tags: string[] }; data: unknown };
  return { seq: m.seq, data: m.data, tags: m.meta.tags };
}
