// `pls doctor POOL | --all`: validate pools frame by frame; exit 7 when any is corrupt.

import { defineCommand } from "../args.ts";
import { PlasmiteError } from "../../errors.ts";
import { doctorPool, staleCreateTemps, staleTempReport, type DoctorReport } from "../../api/checks.ts";
import { client } from "../pools.ts";
import { fs } from "../../platform/lazy-node.ts";
import { ExitCode } from "../exit.ts";
import { colorOn, printJson, printLine, stdoutIsTTY } from "../output.ts";

export default defineCommand({
  meta: {
    name: "doctor",
    description: "Validate pools: header, state and every retained frame (checksums, seq order, payload JSON).\nExit 0 when all are healthy, 7 when any is corrupt.\n\nExamples:\n  pls doctor chat\n  pls doctor --all\n  pls doctor --all --json",
  },
  args: {
    pool: { type: "positional", description: "Pool name or path", required: false },
    all: { type: "boolean", description: "Check every pool in the pool directory" },
    json: { type: "boolean", description: "Print JSON even on a terminal" },
  },
  run({ args }) {
    if (args.all && args.pool !== undefined) throw new PlasmiteError("Usage", "--all cannot be combined with a pool name", { hint: "Use `pls doctor POOL` or `pls doctor --all`." });
    if (!args.all && args.pool === undefined) throw new PlasmiteError("Usage", "doctor requires a pool name or --all", { hint: "Examples: pls doctor chat, pls doctor --all" });
    const c = client();
    let targets: Array<{ ref: string; path: string }>;
    if (args.all) {
      try {
        fs().readdirSync(c.dir); // node:fs only for --all: `doctor POOL` needs no file system module (1.2 ms to load)
      } catch {
        throw new PlasmiteError("NotFound", `pool directory not found: ${c.dir}`, { path: c.dir, hint: "Pass --dir, or create a pool first." });
      }
      targets = c.listPools().map((p) => ({ ref: p.path, path: p.path }));
    } else {
      const ref = String(args.pool);
      targets = [{ ref, path: c.pathOf(ref) }];
    }
    const reports = targets.map((t) => ({ pool_ref: t.ref, ...withCounts(doctorPool(t.path)) }));
    // leftovers of interrupted creates take disk space but harm no pool: reported with how to remove them
    const staleTemps = args.all ? staleCreateTemps(c.dir).map((t) => staleTempReport(t)) : [];
    if (args.json || !stdoutIsTTY()) printJson(staleTemps.length > 0 ? { reports, stale_temps: staleTemps } : { reports });
    else {
      printHuman(reports, Boolean(args.all));
      for (const t of staleTemps) {
        printLine(`STALE: ${t.path}: left by an interrupted create of ${t.pool} (${t.size_bytes} bytes, process ${t.pid} is gone); remove it: ${t.remove_with}`);
      }
    }
    if (reports.some((r) => r.status === "corrupt")) throw new ExitCode(7);
  },
});

function withCounts(r: DoctorReport) {
  const hints = [...r.warnings];
  if (r.status === "corrupt") hints.push("Pool appears corrupt. Recreate it (pool delete, pool create); readers stop at the damaged frame.");
  return { path: r.path, status: r.status, last_good_seq: r.last_good_seq, messages_checked: r.messages_checked, issue_count: r.issues.length, issues: r.issues, remediation_hints: hints };
}

function printHuman(reports: Array<ReturnType<typeof withCounts> & { pool_ref: string }>, all: boolean): void {
  const color = colorOn("stdout");
  const ok = color ? "\x1b[32m✓\x1b[39m" : "OK:";
  const bad = color ? "\x1b[31m✗\x1b[39m" : "CORRUPT:";
  for (const r of reports) {
    if (r.status === "ok") printLine(`${ok} ${r.pool_ref}: healthy (${r.messages_checked} message${r.messages_checked === 1 ? "" : "s"} checked)`);
    else {
      const where = r.issues[0]?.offset !== undefined ? ` (offset ${r.issues[0].offset})` : "";
      printLine(`${bad} ${r.pool_ref}: corrupt, last_good_seq=${r.last_good_seq ?? "-"} issue=${r.issues[0]?.message}${where}`);
    }
    for (const w of r.remediation_hints) printLine(`  ${w}`);
  }
  if (all) {
    const unhealthy = reports.filter((r) => r.status !== "ok").length;
    const pools = (n: number) => `${n} pool${n === 1 ? "" : "s"}`;
    printLine(unhealthy === 0 ? (reports.length === 1 ? "The pool is healthy." : `All ${pools(reports.length)} healthy.`) : `${unhealthy} of ${pools(reports.length)} unhealthy.`);
  }
}


