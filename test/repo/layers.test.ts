// The layout holds: each folder imports only the folders below it (docs/architecture.md has the
// table), adapters do not reach into each other, and no source file outgrows 300 lines. Read
// from the import statements of every source file, so a wrong import fails here, named.

import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const SOURCE_DIRS = ["engine", "workers", "edge", "infra", "roles", "cli", "kernels/src", "kernels/assembly", "bin"];
const MAX_LINES = 300;

/** Folders (as path prefixes from the root) a folder's files must not import. */
const FORBIDDEN: Record<string, string[]> = {
  "engine/": ["infra/", "workers/", "edge/", "cli/", "roles/"],
  "edge/": ["infra/", "workers/", "cli/", "roles/"],
  "workers/": ["infra/", "edge/", "cli/", "roles/"],
  "infra/": ["workers/", "edge/", "cli/", "roles/"],
  // An adapter folder does not reach into another's (infra/local runs the others as processes).
  "infra/azure/": ["infra/memory/", "infra/adapters/", "infra/local/"],
  "infra/memory/": ["infra/azure/", "infra/adapters/", "infra/local/"],
  "infra/adapters/": ["infra/azure/", "infra/memory/", "infra/local/"],
  "roles/": ["cli/"],
};

function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const entry of readdirSync(join(ROOT, d), { withFileTypes: true })) {
      const path = join(d, entry.name);
      if (entry.isDirectory()) {
        if (entry.name !== "node_modules" && entry.name !== "dist") walk(path);
      } else if (/\.(ts|js)$/.test(entry.name) && !entry.name.endsWith(".d.ts")) out.push(path);
    }
  };
  walk(dir);
  return out;
}

const files = SOURCE_DIRS.flatMap(sourceFiles);

/** Relative import specifiers of a file, resolved to paths from the root. */
function importsOf(file: string): string[] {
  const text = readFileSync(join(ROOT, file), "utf8");
  const specifiers = [...text.matchAll(/(?:^|\n)\s*(?:import|export)\s[^;]*?from\s+"(\.[^"]+)"/g)].map((m) => m[1] as string);
  const dynamic = [...text.matchAll(/import\(\s*"(\.[^"]+)"\s*\)/g)].map((m) => m[1] as string);
  return [...specifiers, ...dynamic].map((s) => relative(ROOT, resolve(ROOT, dirname(file), s)));
}

describe("the layout", () => {
  it("keeps the engine free of Node's I/O: files, sockets and processes are the adapters' (ports in engine)", () => {
    const io = /(?:^|\n)\s*import\s[^;]*?from\s+"node:(fs|fs\/promises|net|http|https|child_process|dgram)"/;
    expect(files.filter((file) => file.startsWith("engine/") && io.test(readFileSync(join(ROOT, file), "utf8")))).toEqual([]);
  });

  it("finds the source files", () => {
    expect(files.length).toBeGreaterThan(100);
    expect(files).toContain("engine/coordinator.ts");
  });

  it("has no import that runs against the layering", () => {
    const wrong: string[] = [];
    for (const file of files) {
      const rules = Object.entries(FORBIDDEN)
        .filter(([folder]) => file.startsWith(folder))
        .flatMap(([, banned]) => banned);
      for (const target of importsOf(file)) {
        const hit = rules.find((banned) => target.startsWith(banned));
        if (hit) wrong.push(`${file} imports ${target} (${hit} is off limits there)`);
      }
    }
    expect(wrong).toEqual([]);
  });

  it(`has no source file over ${MAX_LINES} lines`, () => {
    const long = files
      .map((file) => ({ file, lines: readFileSync(join(ROOT, file), "utf8").split("\n").length - 1 }))
      .filter(({ lines }) => lines > MAX_LINES)
      .map(({ file, lines }) => `${file}: ${lines} lines`);
    expect(long).toEqual([]);
  });
});
