import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { MALLOC_ENV, spawnNodeChild } from "../../infra/local/child-process.js";

// glibc's malloc settings are written in three places that cannot import one another: the
// `tessera` command's shebang, spawnNodeChild (the processes Tessera starts itself), and the
// VMs' systemd units. They must say the same thing.

const read = (path: string) => readFileSync(fileURLToPath(new URL(`../../${path}`, import.meta.url)), "utf8");

/** NAME=value pairs of a line of space-separated assignments. */
const assignments = (text: string): Record<string, string> =>
  Object.fromEntries(
    text
      .trim()
      .split(/\s+/)
      .map((pair) => [pair.slice(0, pair.indexOf("=")), pair.slice(pair.indexOf("=") + 1)]),
  );

describe("glibc's malloc settings", () => {
  it("the tessera command's shebang sets them before node starts", () => {
    const shebang = read("bin/tessera.js").split("\n")[0] ?? "";
    const match = /^#!\/usr\/bin\/env -S (.*) node$/.exec(shebang);
    expect(match, shebang).not.toBeNull();
    expect(assignments(match?.[1] ?? "")).toEqual(MALLOC_ENV);
    // Linux reads at most 255 bytes of a shebang line (127 before 5.1).
    expect(shebang.length).toBeLessThan(256);
  });

  it("the VMs' worker and gateway units set them", () => {
    const units = read("infra/azure/cloud-init.yaml")
      .split("\n")
      .filter((line) => /^\s*Environment=MALLOC/.test(line))
      .map((line) => assignments(line.trim().slice("Environment=".length)));
    expect(units).toHaveLength(2);
    for (const unit of units) expect(unit).toEqual(MALLOC_ENV);
  });

  it("the processes Tessera starts get them, unless the caller sets its own", async () => {
    const envOf = async (env?: Record<string, string>) => {
      const child = spawnNodeChild("-e", ["process.stdout.write(JSON.stringify(process.env))"], {
        preloadWatch: false,
        ...(env && { env }),
      });
      let out = "";
      child.stdout?.on("data", (chunk: Buffer) => {
        out += chunk.toString();
      });
      await new Promise((resolve) => child.once("close", resolve));
      return JSON.parse(out) as Record<string, string>;
    };
    expect(await envOf()).toMatchObject(MALLOC_ENV);
    expect(await envOf({ GLIBC_TUNABLES: "glibc.malloc.hugetlb=0" })).toMatchObject({
      ...MALLOC_ENV,
      GLIBC_TUNABLES: "glibc.malloc.hugetlb=0",
    });
  });
});
