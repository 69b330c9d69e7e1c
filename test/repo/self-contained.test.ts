// A clone must test itself: no source, test, benchmark or script may read a path outside the
// checkout (the team's machines have a shared/ folder beside it; a user's clone does not).

import { readdirSync, readFileSync } from "node:fs";
import { dirname, extname, join, relative, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));

/** Build outputs, installs and run-time data: not ours to check. */
const SKIP_DIRS = new Set([".git", "node_modules", "dist", "coverage", "test-artifacts", ".cache", ".device", ".tessera-data"]);
/** Files whose relative paths are resolved and must stay inside the checkout. */
const CODE = new Set([".ts", ".js", ".mjs", ".cjs", ".json", ".html"]);
/** Files only checked for names of the outside folders. */
const TEXT = new Set([...CODE, ".sh", ".yaml", ".yml", ".bicep", ".toml"]);
/** Folders whose extension-less files are scripts (CI, the bin shim). */
const SCRIPT_DIRS = new Set([".ci", "bin"]);

function* files(dir: string): Generator<string> {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      if (!SKIP_DIRS.has(entry.name)) yield* files(path);
    } else if (entry.isFile()) {
      const ext = extname(entry.name);
      const inScriptDir = SCRIPT_DIRS.has(relative(ROOT, dir).split(sep)[0] ?? "");
      if (TEXT.has(ext) || (ext === "" && inScriptDir)) yield path;
    }
  }
}

// Built with join() so this file does not name them itself.
const OUTSIDE_NAMES = [["..", "shared"].join("/"), ["shared", "images"].join("/"), ["", "work", ""].join("/")];

/** The static part of every quoted string that starts with ./ or ../ (a template stops at `${`). */
function relativeLiterals(text: string): string[] {
  const found: string[] = [];
  for (const m of text.matchAll(/(["'`])(\.\.?\/[^"'`\n]*?)(?:\1|\$\{)/g)) found.push(m[2] ?? "");
  return found;
}

/**
 * Where a relative path written in `file` can point: from the file's own folder, and for
 * sources tsc compiles into dist/ (same tree under dist/), from there too, since the compiled
 * copy is what runs. A path is inside if any of those places is.
 */
function bases(file: string): string[] {
  const dir = dirname(file);
  const rel = relative(ROOT, dir);
  const compiled = /^(engine|workers|edge|infra|cli)(\/|$)/.test(rel) && !rel.startsWith("edge/web");
  return compiled ? [dir, join(ROOT, "dist", rel)] : [dir];
}

function inside(path: string): boolean {
  const rel = relative(ROOT, path);
  return rel === "" || (!rel.startsWith("..") && !rel.startsWith(sep));
}

describe("the repository is self-contained", () => {
  const all = [...files(ROOT)];

  it("scans the sources, tests, benchmarks and scripts", () => {
    const names = all.map((f) => relative(ROOT, f));
    for (const expected of ["test/helpers/images.ts", "bench/kernels.bench.js", ".ci/run", "cli/main.ts", "package.json"]) {
      expect(names).toContain(expected);
    }
  });

  it("names no folder outside the checkout", () => {
    const offenders: string[] = [];
    for (const file of all) {
      const lines = readFileSync(file, "utf8").split("\n");
      lines.forEach((line, i) => {
        for (const name of OUTSIDE_NAMES) {
          if (line.includes(name)) offenders.push(`${relative(ROOT, file)}:${i + 1} names ${name}`);
        }
      });
    }
    expect(offenders, "copy what is needed into the repository (photographs: test/fixtures/images)").toEqual([]);
  });

  it("resolves every relative path inside the checkout", () => {
    const offenders: string[] = [];
    for (const file of all.filter((f) => CODE.has(extname(f)))) {
      for (const literal of relativeLiterals(readFileSync(file, "utf8"))) {
        if (!bases(file).some((base) => inside(resolve(base, literal)))) {
          offenders.push(`${relative(ROOT, file)}: "${literal}" leaves the checkout`);
        }
      }
    }
    expect(offenders).toEqual([]);
  });

  it("ships the test photographs with their sources", () => {
    const dir = join(ROOT, "test", "fixtures", "images");
    const photos = readdirSync(dir).filter((f) => /\.(png|jpe?g)$/.test(f));
    expect(photos.length).toBeGreaterThanOrEqual(9);
    const sources = readFileSync(join(dir, "SOURCES.md"), "utf8");
    for (const photo of photos) expect(sources, `SOURCES.md lists ${photo}`).toContain(photo);
    expect(sources).toContain("BSD-3-Clause");
  });
});
