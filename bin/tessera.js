#!/usr/bin/env node
// The `tessera` command. Today it describes the kernel library; `process`, `serve`,
// `cluster`, `gateway` and `worker` arrive with the engine, gateway and Azure roles.

import { describeAllowed, ops } from "@tessera/kernels";

const HELP = `tessera: distributed image processing on SIMD WebAssembly kernels

Usage:
  tessera ops [--json]     list every op with its params, ranges and defaults
  tessera help             this text

Pipelines are written "gaussian-blur(sigma=2) | sobel" or as JSON
[{"op":"gaussian-blur","sigma":2},{"op":"sobel"}].
`;

function listOps(json) {
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

const [command = "help", ...rest] = process.argv.slice(2);
switch (command) {
  case "ops":
    listOps(rest.includes("--json"));
    break;
  case "help":
  case "--help":
  case "-h":
    process.stdout.write(HELP);
    break;
  default:
    process.stderr.write(`tessera: unknown command "${command}"; run \`tessera help\`\n`);
    process.exitCode = 2;
}
