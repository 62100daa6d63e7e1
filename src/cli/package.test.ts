// The npm package as users get it: `npm pack`, `npm install <tarball>` into an empty project, then `npx pls …`
// with only Node on PATH, `bunx plasmite --version` and the library import.
// Hermetic: HOME and the npm cache are empty temp folders, and npm's only registry is one this test serves on
// 127.0.0.1 from the repo's own node_modules (each dependency put back into a tarball). Never: reach the network
// or read the user's npm cache — the install must not pass only because an earlier install warmed it.
import { afterAll, expect, test } from "bun:test";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";

const root = join(import.meta.dir, "..", "..");
const work = mkdtempSync(join(tmpdir(), "plasmite-package-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

type Manifest = { name: string; version: string; [field: string]: unknown };
/** One file of a package tarball: its path under `package/` and where its bytes come from. */
type TarFile = { path: string; source: string | Uint8Array; executable: boolean };

async function run(cmd: string[], cwd: string, env: Record<string, string>) {
  const proc = Bun.spawn(cmd, { cwd, env, stdout: "pipe", stderr: "pipe" });
  const [out, err, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  return { code, out, err };
}

const readManifest = (dir: string) => JSON.parse(readFileSync(join(dir, "package.json"), "utf8")) as Manifest;

/** Node's resolution from a package folder: its own node_modules, then each parent's, up to the repo root. */
function resolveFrom(fromDir: string, name: string): string | null {
  for (let dir = fromDir; ; dir = dirname(dir)) {
    const candidate = join(dir, "node_modules", name);
    if (existsSync(join(candidate, "package.json"))) return candidate;
    if (dir === root || dir === dirname(dir)) return null;
  }
}

/**
 * The installed folders of every package plasmite's dependencies reach, as npm would install them, and the names
 * of the optional ones left out (the registry answers 404 for those and npm goes on without them).
 */
function dependencyFolders(): { folders: string[]; leftOut: Set<string> } {
  const found = new Map<string, string>(); // name@version → folder
  const leftOut = new Set<string>();
  const queue: string[] = [root];
  while (queue.length > 0) {
    const dir = queue.shift()!;
    const manifest = readManifest(dir);
    const names = (field: string) => Object.keys((manifest[field] as Record<string, string> | undefined) ?? {});
    const peerMeta = (manifest.peerDependenciesMeta ?? {}) as Record<string, { optional?: boolean }>;
    const wanted = [
      ...names("dependencies").map((name) => ({ name, optional: false })),
      ...names("optionalDependencies").map((name) => ({ name, optional: true })),
      ...names("peerDependencies").map((name) => ({ name, optional: peerMeta[name]?.optional === true })),
    ];
    for (const { name, optional } of wanted) {
      // Left out: an optional dependency for another platform (not installed here), and every optional peer (npm
      // asks for its metadata but installs it only when something else needs it).
      const optionalPeer = optional && peerMeta[name]?.optional === true;
      const depDir = optionalPeer ? null : resolveFrom(dir, name);
      if (depDir === null) {
        if (!optional) throw new Error(`${name} (needed by ${manifest.name}) is not in node_modules: run npm install`);
        leftOut.add(name);
        continue;
      }
      const dep = readManifest(depDir);
      if (!found.has(`${dep.name}@${dep.version}`)) {
        found.set(`${dep.name}@${dep.version}`, depDir);
        queue.push(depDir);
      }
    }
  }
  return { folders: [...found.values()], leftOut };
}

/** The files of an installed package folder, without its nested node_modules (npm never packs those). */
function packageFiles(dir: string, sub = ""): TarFile[] {
  const files: TarFile[] = [];
  for (const entry of readdirSync(join(dir, sub), { withFileTypes: true })) {
    const path = sub ? `${sub}/${entry.name}` : entry.name;
    if (entry.name === "node_modules") continue;
    const stat = statSync(join(dir, path));
    if (stat.isDirectory()) files.push(...packageFiles(dir, path));
    else if (stat.isFile()) files.push({ path, source: join(dir, path), executable: (stat.mode & 0o111) !== 0 });
  }
  return files;
}

/**
 * bun's postinstall moves the platform binary from @oven/bun-<platform>/bin/bun into bun/bin/bun.exe (linking
 * bunx.exe to it). Put both packages back as published, so the install runs that postinstall as a user's does.
 */
function unpostinstallBun(packages: Map<string, TarFile[]>) {
  const bunDir = [...packages.keys()].find((d) => readManifest(d).name === "bun");
  const platformDir = [...packages.keys()].find((d) => /[/\\]@oven[/\\]bun-[^/\\]+$/.test(d) && !existsSync(join(d, "bin", "bun")));
  const binary = bunDir ? join(bunDir, "bin", "bun.exe") : "";
  const minBinaryBytes = 1_000_000; // bigger than the placeholder, smaller than any Bun
  if (!bunDir || !platformDir || !existsSync(binary) || statSync(binary).size < minBinaryBytes) return;
  const placeholder = new TextEncoder().encode("placeholder: bun's postinstall replaces this file\n");
  packages.set(bunDir, packages.get(bunDir)!.map((f) => (/^bin\/bunx?\.exe$/.test(f.path) ? { ...f, source: placeholder } : f)));
  packages.get(platformDir)!.push({ path: "bin/bun", source: binary, executable: true });
}

/** An uncompressed ustar archive with every file under `package/` (npm unpacks plain tar as well as gzip). */
function tarball(files: TarFile[]): Uint8Array {
  const blockBytes = 512;
  const parts: Uint8Array[] = [];
  const ascii = (header: Uint8Array, at: number, width: number, text: string) => {
    if (text.length > width) throw new Error(`tar field too long: ${text}`);
    header.set(new TextEncoder().encode(text), at);
  };
  const octal = (n: number, width: number) => n.toString(8).padStart(width - 1, "0");
  for (const file of files) {
    const body = typeof file.source === "string" ? readFileSync(file.source) : file.source;
    let name = `package/${file.path}`;
    let prefix = "";
    if (name.length > 100) {
      // ustar keeps a long path as prefix (≤ 155) + "/" + name (≤ 100)
      const cut = [...name.matchAll(/\//g)].map((m) => m.index!).find((i) => i <= 155 && name.length - i - 1 <= 100);
      if (cut === undefined) throw new Error(`path too long for ustar: ${name}`);
      prefix = name.slice(0, cut);
      name = name.slice(cut + 1);
    }
    const header = new Uint8Array(blockBytes);
    ascii(header, 0, 100, name);
    ascii(header, 100, 8, octal(file.executable ? 0o755 : 0o644, 8));
    ascii(header, 108, 8, octal(0, 8));
    ascii(header, 116, 8, octal(0, 8));
    ascii(header, 124, 12, octal(body.length, 12));
    ascii(header, 136, 12, octal(0, 12));
    ascii(header, 148, 8, "        "); // checksum field counts as spaces while summing
    ascii(header, 156, 1, "0");
    ascii(header, 257, 8, "ustar\u000000");
    ascii(header, 345, 155, prefix);
    ascii(header, 148, 8, `${octal(header.reduce((sum, b) => sum + b, 0), 7)}\u0000`);
    parts.push(header, body, new Uint8Array((blockBytes - (body.length % blockBytes)) % blockBytes));
  }
  parts.push(new Uint8Array(blockBytes * 2));
  return Buffer.concat(parts);
}

test("npm pack → install into an empty project (empty HOME and cache, local registry) → npx pls, bunx plasmite and the library work", async () => {
  const node = Bun.which("node");
  expect(node).not.toBeNull();
  const home = join(work, "home");
  const tarballs = join(work, "tarballs");
  const project = join(work, "project");
  for (const dir of [home, tarballs, project]) mkdirSync(dir);

  // The registry: a packument per dependency name, each version's tarball built from its installed folder.
  const packuments = new Map<string, { name: string; "dist-tags": { latest: string }; versions: Record<string, unknown> }>();
  const notFound: string[] = [];
  const registry = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    fetch(req) {
      const path = decodeURIComponent(new URL(req.url).pathname).slice(1);
      if (path.startsWith("-/tarballs/")) {
        const file = Bun.file(join(tarballs, path.slice("-/tarballs/".length).replace(/[/\\]/g, "")));
        return file.size > 0 ? new Response(file) : new Response("not found", { status: 404 });
      }
      const packument = packuments.get(path);
      if (packument) return Response.json(packument);
      notFound.push(`${req.method} ${path}`);
      return Response.json({ error: "Not found" }, { status: 404 });
    },
  });
  try {
    const registryUrl = `http://127.0.0.1:${registry.port}/`;
    const { folders, leftOut } = dependencyFolders();
    const packages = new Map(folders.map((dir): [string, TarFile[]] => [dir, packageFiles(dir)]));
    unpostinstallBun(packages);
    for (const [dir, files] of packages) {
      const manifest = readManifest(dir);
      const filename = `${manifest.name.replace("/", "-")}-${manifest.version}.tar`;
      const bytes = tarball(files);
      writeFileSync(join(tarballs, filename), bytes);
      const integrity = `sha512-${new Bun.CryptoHasher("sha512").update(bytes).digest("base64")}`;
      const dist = { tarball: `${registryUrl}-/tarballs/${filename}`, integrity };
      const doc = packuments.get(manifest.name) ?? { name: manifest.name, "dist-tags": { latest: manifest.version }, versions: {} };
      doc.versions[manifest.version] = { ...manifest, _id: `${manifest.name}@${manifest.version}`, dist };
      packuments.set(manifest.name, doc);
    }

    // Only Node and npm on PATH (no bun): the package brings Bun itself through its `bun` dependency.
    const env: Record<string, string> = {
      PATH: `${dirname(node!)}:/usr/bin:/bin`,
      HOME: home,
      npm_config_cache: join(work, "npm-cache"),
      npm_config_userconfig: join(home, ".npmrc"),
      npm_config_registry: registryUrl,
      npm_config_update_notifier: "false",
      npm_config_audit: "false",
      npm_config_fund: "false",
    };
    const pack = await run(["npm", "pack", "--silent", "--pack-destination", tarballs], root, env);
    expect(pack.err.replace(/npm warn.*\n?/gi, "")).toBe("");
    expect(pack.code).toBe(0);
    const plasmite = readdirSync(tarballs).find((f) => f.endsWith(".tgz")); // the dependencies are .tar
    expect(plasmite).toBe("plasmite-0.1.0.tgz");
    writeFileSync(join(project, "package.json"), JSON.stringify({ name: "uses-plasmite", private: true }));
    const install = await run(["npm", "install", join(tarballs, plasmite!)], project, env);
    expect(notFound.filter((request) => !leftOut.has(request.replace(/^GET /, "")))).toEqual([]);
    expect(install.err.replace(/npm warn.*\n?/gi, "")).toBe("");
    expect(install.code).toBe(0);
    expect((await run(["sh", "-c", "command -v bun || true"], project, env)).out.trim()).toBe("");

    const poke = await run(["npx", "--no-install", "pls", "--dir", "pools", "poke", "demo", "--create", '{"from":"npx"}'], project, env);
    expect(poke.err).toBe("");
    expect(poke.code).toBe(0);
    expect(JSON.parse(poke.out).seq).toBe(1);
    const get = await run(["npx", "--no-install", "plasmite", "--dir", "pools", "get", "demo", "1"], project, env);
    expect(JSON.parse(get.out).data).toEqual({ from: "npx" });
    const bunx = await run([join(project, "node_modules", ".bin", "bunx"), "plasmite", "--version"], project, env);
    expect(bunx.out.trim()).toBe("plasmite 0.1.0");
    // the library entry point
    const script = `import { Client } from "plasmite"; console.log(new Client("pools").openPool("demo").get(1).data.from)`;
    const lib = await run([join(project, "node_modules", ".bin", "bun"), "-e", script], project, env);
    expect(lib.out.trim()).toBe("npx");
  } finally {
    registry.stop(true);
  }
}, 240_000);
