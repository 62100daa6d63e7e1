// The layering, in one place: which folder of src/ may value-import which (LAYERS below), and no import cycles
// between files. It reads the imports of every non-test .ts file under src/ (Bun's transpiler: type-only imports
// are erased, so `import type` and imports used only as types are allowed anywhere; lazy `require()` and
// `import()` count like static imports) and fails on an import that goes upward or skips to a layer it may not
// use, and on a cycle. docs/architecture.md explains the table; src/cli/startup-budget.test.ts guards the other
// structural rule (what a one-shot command loads).
// Invariant: KNOWN_VIOLATIONS and KNOWN_CYCLES only shrink: an entry that no longer occurs fails the test too,
// so fixing one means deleting its line here.
import { describe, expect, test } from "bun:test";
import { Glob } from "bun";
import { readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";

const ROOT = resolve(import.meta.dir, "..");
const SRC = join(ROOT, "src");

interface Layer {
  name: string;
  /** Paths under src/ (a folder ends with "/"). */
  paths: string[];
  /** The layers this one may value-import, besides itself. */
  mayImport: string[];
}

/** Bottom to top. A layer may value-import itself and the layers it lists; nothing else. */
export const LAYERS: Layer[] = [
  // PlasmiteError and the kind → exit code / HTTP status table
  { name: "errors", paths: ["errors.ts"], mayImport: [] },
  // bun:ffi bindings, OS constants, errno → kind; the only code that sees pointers
  { name: "platform", paths: ["platform/"], mayImport: ["errors"] },
  // pure byte layout (header, frame, index, payload text): no I/O, so never platform
  { name: "format", paths: ["format/"], mayImport: ["errors"] },
  // the engine: the only code that writes pool files
  { name: "pool", paths: ["pool/"], mayImport: ["format", "platform", "errors"] },
  // --where: a JavaScript fast path and jq; scans message text (format/json-scan.ts), never a pool
  { name: "filter", paths: ["filter/"], mayImport: ["format", "errors"] },
  // what a client sees: envelopes, time text, receipts, the retention-gap error; pure, as format
  { name: "wire", paths: ["wire/"], mayImport: ["format", "errors"] },
  // the HTTP client for remote pools: the same operations, no file access
  { name: "remote", paths: ["remote/"], mayImport: ["wire", "format", "platform", "errors"] },
  // the library users import; what the interfaces use instead of the engine
  { name: "api", paths: ["api/"], mayImport: ["remote", "filter", "pool", "wire", "format", "platform", "errors"] },
  // the interfaces: no storage rules, so neither format nor pool (only `import type` from them)
  { name: "interfaces", paths: ["cli/", "serve/", "mcp/", "bridge/", "ui/"], mayImport: ["api", "remote", "filter", "wire", "platform", "errors"] },
];

/** What layers other than platform may import from it: the OS services, never the bindings (native, ffi, libc). */
export const PLATFORM_PUBLIC = [
  "platform/errno.ts",
  "platform/files.ts",
  "platform/futex-watcher.ts",
  "platform/lazy-node.ts",
  "platform/target.ts",
];

/**
 * Violations that exist and are not fixed yet, as "importer -> imported" (paths under src/). Each one is an
 * interface reaching past src/api into the engine or the byte layout; the fix is to give src/api what the
 * interface needs (or move the rule into the layer that owns it) and delete the line.
 */
export const KNOWN_VIOLATIONS: string[] = [];

/** Import cycles not broken yet, each as its files sorted and joined by " <-> ". None are left: keep it that way. */
export const KNOWN_CYCLES: string[] = [];

export type ImportGraph = Map<string, string[]>;

const transpiler = new Bun.Transpiler({ loader: "ts", trimUnusedImports: true });

/** The value imports of a source text: static, re-exports, `import()` and `require()`; type-only ones are erased. */
export function valueImports(source: string): string[] {
  const text = source.replace(/^#!.*/, "");
  const found = new Set(transpiler.scan(text).imports.map((i) => i.path));
  // scan() trims unused imports but also drops require() calls; scanImports() keeps those
  for (const i of transpiler.scanImports(text)) if (i.kind === "require-call") found.add(i.path);
  return [...found];
}

/** Every non-test .ts file under src/ (paths relative to src/) → what it value-imports: paths relative to src/, or a package name. */
export function readGraph(): ImportGraph {
  const graph: ImportGraph = new Map();
  const files = [...new Glob("**/*.ts").scanSync(SRC)].filter((f) => !f.endsWith(".test.ts") && !f.endsWith(".d.ts")).sort();
  for (const file of files) {
    const imports = valueImports(readFileSync(join(SRC, file), "utf8")).map((spec) =>
      spec.startsWith(".") ? relative(SRC, resolve(dirname(join(SRC, file)), spec)) : `package:${spec}`,
    );
    graph.set(file, imports);
  }
  return graph;
}

export function layerOf(file: string): Layer | undefined {
  return LAYERS.find((l) => l.paths.some((p) => (p.endsWith("/") ? file.startsWith(p) : file === p)));
}

/** Layering violations as "importer -> imported" (or a sentence for a file outside every layer). */
export function layerViolations(graph: ImportGraph): string[] {
  const out: string[] = [];
  for (const [file, imports] of graph) {
    const from = layerOf(file);
    if (!from) {
      out.push(`${file} belongs to no layer (add it to LAYERS)`);
      continue;
    }
    for (const target of imports) {
      if (target.startsWith("package:")) {
        const name = target.slice("package:".length);
        // pointers stay in platform; format does no I/O, so it needs no package at all
        if ((name === "bun:ffi" && from.name !== "platform") || from.name === "format") out.push(`${file} -> ${name}`);
        continue;
      }
      if (target.startsWith("..")) {
        // outside src/: only the platform layer embeds the native shim
        if (!(target.startsWith("../native/") && from.name === "platform")) out.push(`${file} -> ${target}`);
        continue;
      }
      const to = layerOf(target);
      if (!to) continue; // reported as a file outside every layer (or not a .ts file in a layer's folder)
      if (to === from) continue;
      if (!from.mayImport.includes(to.name)) out.push(`${file} -> ${target}`);
      else if (to.name === "platform" && !PLATFORM_PUBLIC.includes(target)) out.push(`${file} -> ${target}`);
    }
  }
  return out.sort();
}

/** Import cycles between files (Tarjan's strongly connected components), each as its sorted files joined by " <-> ". */
export function importCycles(graph: ImportGraph): string[] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const cycles: string[] = [];
  let next = 0;
  const visit = (v: string): void => {
    index.set(v, next);
    low.set(v, next);
    next++;
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!graph.has(w) || w === v) continue;
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) === index.get(v)) {
      const component: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        component.push(w);
      } while (w !== v);
      if (component.length > 1) cycles.push(component.sort().join(" <-> "));
    }
  };
  for (const v of graph.keys()) if (!index.has(v)) visit(v);
  return cycles.sort();
}

describe("layers", () => {
  const graph = readGraph();

  test("no value import goes upward or past a layer (beyond the known list)", () => {
    const found = layerViolations(graph);
    expect(found.filter((v) => !KNOWN_VIOLATIONS.includes(v))).toEqual([]);
  });

  test("the known violations still occur (delete the ones you fixed)", () => {
    const found = new Set(layerViolations(graph));
    expect(KNOWN_VIOLATIONS.filter((v) => !found.has(v))).toEqual([]);
  });

  test("no import cycle between files (beyond the known list)", () => {
    expect(importCycles(graph).filter((c) => !KNOWN_CYCLES.includes(c))).toEqual([]);
  });

  test("the known cycles still occur (delete the ones you broke)", () => {
    const found = new Set(importCycles(graph));
    expect(KNOWN_CYCLES.filter((c) => !found.has(c))).toEqual([]);
  });

  test("interfaces name the engine's and the byte layout's types through the library too", () => {
    // `import type` is erased, so the graph cannot see it: read the text. A type an interface needs from the
    // engine is re-exported by src/api (StoredMessage, CursorStart, Cursor, PoolWatch, Durability).
    const interfaces = LAYERS.find((l) => l.name === "interfaces")!.paths;
    const reaching: string[] = [];
    for (const file of graph.keys()) {
      if (!interfaces.some((p) => file.startsWith(p))) continue;
      const text = readFileSync(join(SRC, file), "utf8");
      for (const m of text.matchAll(/from "((?:\.\.?\/)+)(pool|format)\/([\w.-]+)"/g)) reaching.push(`${file} -> ${m[2]}/${m[3]}`);
    }
    expect(reaching).toEqual([]);
  });

  test("the table names files and folders that exist", () => {
    for (const file of PLATFORM_PUBLIC) expect(graph.has(file)).toBe(true);
    for (const layer of LAYERS) for (const p of layer.paths) expect([...graph.keys()].some((f) => (p.endsWith("/") ? f.startsWith(p) : f === p)) || p === "ui/").toBe(true);
  });

  test("the checks catch what they are for", () => {
    const probe: ImportGraph = new Map([
      ["format/a.ts", ["platform/files.ts", "errors.ts", "package:node:fs"]], // format doing I/O
      ["pool/b.ts", ["api/client.ts", "platform/native.ts", "format/a.ts"]], // upward, and a platform internal
      ["cli/c.ts", ["pool/b.ts", "api/client.ts", "platform/files.ts", "package:bun:ffi"]], // past api, pointers
      ["api/client.ts", ["pool/b.ts"]], // with pool/b.ts: a cycle
      ["stray.ts", []],
    ]);
    expect(layerViolations(probe)).toEqual([
      "cli/c.ts -> bun:ffi",
      "cli/c.ts -> pool/b.ts",
      "format/a.ts -> node:fs",
      "format/a.ts -> platform/files.ts",
      "pool/b.ts -> api/client.ts",
      "pool/b.ts -> platform/native.ts",
      "stray.ts belongs to no layer (add it to LAYERS)",
    ]);
    expect(importCycles(probe)).toEqual(["api/client.ts <-> pool/b.ts"]);
    // a lazy require() counts, `import type` and `typeof import()` do not
    expect(valueImports(`import type { A } from "./a.ts";\nimport { B } from "./b.ts";\nlet x: B;\nconst c = require("./c.ts") as typeof import("./d.ts");\nconst e = () => import("./e.ts");`).sort()).toEqual(["./c.ts", "./e.ts"]);
  });
});
