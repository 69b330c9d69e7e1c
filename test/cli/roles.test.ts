// The cluster roles' command lines: help, and clear usage errors (exit 2) before anything
// connects anywhere.

import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { tesseraBin } from "../../infra/local/tessera-process.js";

const exec = promisify(execFile);

async function tessera(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  // No connection settings leak in from the developer's shell.
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("TESSERA_")));
  try {
    const { stdout, stderr } = await exec(process.execPath, [tesseraBin(), ...args], { env, timeout: 30_000 });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

describe("tessera worker, gateway and cluster on the command line", () => {
  it.each(["worker", "gateway", "cluster"])("%s --help explains every option", async (role) => {
    const { code, stdout } = await tessera(role, "--help");
    expect(code).toBe(0);
    expect(stdout).toContain(`Usage: tessera ${role}`);
    if (role !== "cluster") {
      for (const flag of ["--servicebus", "--servicebus-namespace", "--storage", "--storage-account", "--lock-ms"])
        expect(stdout).toContain(flag);
    } else {
      expect(stdout).toContain("--workers");
    }
  });

  it("lists the roles in tessera help", async () => {
    const { stdout } = await tessera("help");
    for (const role of ["tessera cluster", "tessera gateway", "tessera worker"]) expect(stdout).toContain(role);
  });

  it.each([
    [["worker"], /no Service Bus: pass --servicebus CONN or --servicebus-namespace NS/],
    [["gateway", "--servicebus", "Endpoint=sb://localhost:1"], /no Blob Storage: pass --storage CONN or --storage-account NAME/],
    [["worker", "--servicebus", "x", "--storage", "y", "--threads", "0"], /--threads must be an integer of at least 1, got "0"/],
    [["gateway", "--servicebus", "x", "--storage", "y", "--lock-ms", "soon"], /--lock-ms must be an integer of at least 1/],
    [["cluster", "--workers", "0"], /--workers must be an integer of at least 1, got "0"/],
    [["worker", "--bogus"], /Unknown option '--bogus'.*tessera worker --help/],
  ])("refuses %j with exit 2 and a one-line reason", async (args, message) => {
    const { code, stderr } = await tessera(...args);
    expect(code).toBe(2);
    expect(stderr).toMatch(message);
    expect(stderr.trim().split("\n")).toHaveLength(1);
  });
});
