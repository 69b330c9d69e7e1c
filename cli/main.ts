/** The `tessera` command: dispatch to subcommands, and the one place errors become exit codes. */

import { CliError, EXIT, exitCodeOf } from "./exit-codes.js";
// First, before any command starts: a child of `tessera cluster` exits when the cluster dies
// (it does nothing unless TESSERA_EXIT_WITH_PARENT=1; see parent-watch.ts).
import "./parent-watch.js";

// Each command is imported when it runs: the roles pull in very different dependencies (the
// Azure SDKs, Hono, sharp, piscina), and `tessera --help` or `tessera process` should not pay
// for the ones they never use (start-up is measured in bench:scale).

export const HELP = `tessera: distributed image processing on SIMD WebAssembly kernels

Usage:
  tessera process IN -o OUT -p PIPELINE [--tile N] [--threads N]
                           run a pipeline on one image (embedded engine, progress on stderr)
  tessera serve [--port P] gateway + web UI + in-process workers (http://localhost:8080)
  tessera cluster --workers N [--port P]
                           a local cluster: Service Bus emulator, Azurite, gateway and N
                           worker processes
  tessera gateway [--port P] [connections]
                           the gateway alone, over Azure Service Bus and Blob Storage
  tessera worker [--threads N] [connections]
                           one worker process, over Azure Service Bus and Blob Storage
  tessera ops [--json]     list every op with its params, ranges and defaults
  tessera help             this text

Pipelines are written "gaussian-blur(sigma=2) | sobel" or as JSON
[{"op":"gaussian-blur","sigma":2},{"op":"sobel"}].
`;

const OPS_HELP = `Usage: tessera ops [--json]

Lists every op with its params, ranges and defaults, from the op registry (docs/ops.md is
generated from the same registry). --json prints it as JSON.
`;

async function listOps(json: boolean): Promise<void> {
  const { describeAllowed, ops } = await import("@tessera/kernels");
  if (json) {
    const table = [...ops.values()].map(({ radius: _radius, check: _check, ...op }) => op);
    process.stdout.write(`${JSON.stringify(table, null, 2)}\n`);
    return;
  }
  for (const op of ops.values()) {
    process.stdout.write(`${op.name} (${op.kind}, ${op.category}): ${op.description}\n`);
    for (const p of op.params) {
      const def = p.default === null ? "derived" : JSON.stringify(p.default);
      process.stdout.write(`    ${p.name}: ${describeAllowed(p)}; default ${def}. ${p.description}\n`);
    }
  }
}

export async function main(argv: string[]): Promise<number> {
  const [command = "help", ...rest] = argv;
  try {
    // Only the chaos tests set it; the import is skipped otherwise (see fault-injection.ts).
    if (process.env.TESSERA_TEST_FAULT && (command === "serve" || command === "gateway"))
      (await import("./fault-injection.js")).installFaultInjection();
    switch (command) {
      case "process":
        await (await import("./process.js")).runProcess(rest);
        return EXIT.OK;
      case "serve":
        await (await import("./serve.js")).runServe(rest);
        return EXIT.OK;
      case "gateway":
        await (await import("./gateway.js")).runGateway(rest);
        return EXIT.OK;
      case "worker":
        await (await import("./worker.js")).runWorker(rest);
        return EXIT.OK;
      case "cluster":
        await (await import("./cluster.js")).runCluster(rest);
        return EXIT.OK;
      case "ops":
        if (rest.includes("--help") || rest.includes("-h")) process.stdout.write(OPS_HELP);
        else await listOps(rest.includes("--json"));
        return EXIT.OK;
      case "help":
      case "--help":
      case "-h":
        process.stdout.write(HELP);
        return EXIT.OK;
      default:
        throw new CliError(EXIT.USAGE, `unknown command "${command}"; run \`tessera help\``);
    }
  } catch (err) {
    process.stderr.write(`tessera ${command}: ${(err as Error).message}\n`);
    return exitCodeOf(err);
  }
}
