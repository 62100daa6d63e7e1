// The generated Homebrew formula names exactly the release archives and their real SHA-256 checksums.
import { afterAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { generateFormula, parseSums } from "./homebrew.ts";

const dir = mkdtempSync(join(tmpdir(), "plasmite-brew-test-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

test("formula urls and sha256 match the archives listed in SHA256SUMS", async () => {
  const names = ["darwin_arm64", "darwin_x64", "linux_arm64", "linux_x64", "linux-musl_x64"].map((p) => `plasmite_9.8.7_${p}.tar.gz`);
  const lines: string[] = [];
  for (const name of names) {
    await Bun.write(join(dir, name), `archive ${name} ${Math.random()}`);
    const sha = Bun.spawnSync(["sha256sum", join(dir, name)]).stdout.toString().split(" ")[0];
    lines.push(`${sha}  ${name}`);
  }
  const sums = lines.join("\n") + "\n";
  const formula = generateFormula({ version: "9.8.7", baseUrl: "https://example.test/dl/v9.8.7/", sums });
  const urls = [...formula.matchAll(/url "([^"]+)"\n\s+sha256 "([0-9a-f]{64})"/g)];
  expect(urls.length).toBe(4);
  const expected = parseSums(sums);
  for (const [, url, sha] of urls) {
    const file = url.slice(url.lastIndexOf("/") + 1);
    expect(url).toBe(`https://example.test/dl/v9.8.7/${file}`);
    expect(sha).toBe(expected.get(file)!);
    // the checksum is the archive's real one
    expect(Bun.spawnSync(["sha256sum", join(dir, file)]).stdout.toString().split(" ")[0]).toBe(sha);
  }
  expect(formula).toContain('version "9.8.7"');
  expect(formula).toContain('bin.install "pls"');
  expect(formula).toContain('bin.install "plasmite"');
  expect(formula).toContain('generate_completions_from_executable(bin/"pls", "completion")');
  const openers = (formula.match(/ do$/gm) ?? []).length + (formula.match(/^class /gm) ?? []).length + (formula.match(/^\s*def /gm) ?? []).length;
  expect(openers).toBe((formula.match(/^\s*end$/gm) ?? []).length); // balanced blocks
  expect(() => generateFormula({ version: "1.0.0", baseUrl: "x", sums })).toThrow("no entry");
});
