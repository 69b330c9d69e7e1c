import { configDefaults, defineConfig } from "vitest/config";

// Tests in layers (README.md, "Tests"). `vitest run` runs every project; `--project NAME` one.
//   unit    fast and in-process: engine, edge, web, repo, docs, in-memory contracts; seconds.
//   kernel  the WebAssembly kernels against references and sharp (test/kernels).
//   browser a real Chromium against `tessera serve` (test/e2e).
//   system  real processes, emulators and sockets: anything that spawns bin/tessera.js,
//           Azurite or the Service Bus emulator, the process clusters and the chaos tests.
// A test file belongs to exactly one project: unit takes whatever the others do not, so a new
// file is a unit test until it is listed here as something slower.

const KERNEL = ["test/kernels/**/*.test.ts"];
const BROWSER = ["test/e2e/**/*.test.ts"];
/** Outside test/cluster and test/chaos, the files that start processes or emulators. */
const SYSTEM_ELSEWHERE = [
  "test/cli/process.test.ts", // bin/tessera.js process
  "test/cli/analysis.test.ts", // bin/tessera.js process with analysis ops
  "test/cli/roles.test.ts", // bin/tessera.js worker/gateway/cluster
  "test/docs/commands.test.ts", // the README's commands, on bin/tessera.js
  "test/e2e/live-progress.test.ts", // `tessera serve` over a socket, no browser
  "test/engine/azure-blob-store.test.ts", // Azurite
  "test/infra/azure-queue.test.ts", // the Service Bus emulator, real SDK over AMQP
  "test/infra/azure-templates.test.ts", // bin/tessera.js --help per role
  "test/infra/child-process.test.ts", // child processes
  "test/infra/service-bus-emulator*.test.ts", // the Service Bus emulator, in-process and as a process
];
const SYSTEM = ["test/cluster/**/*.test.ts", "test/chaos/**/*.test.ts", ...SYSTEM_ELSEWHERE];

export default defineConfig({
  test: {
    // Shared by every project (`extends: true`).
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Two cores here and in CI: more workers only fight over them.
    maxWorkers: 2,
    projects: [
      {
        extends: true,
        test: {
          name: "unit",
          include: ["test/**/*.test.ts"],
          exclude: [...configDefaults.exclude, ...KERNEL, ...BROWSER, ...SYSTEM],
        },
      },
      { extends: true, test: { name: "kernel", include: KERNEL } },
      {
        extends: true,
        test: { name: "browser", include: BROWSER, exclude: [...configDefaults.exclude, ...SYSTEM_ELSEWHERE] },
      },
      { extends: true, test: { name: "system", include: SYSTEM } },
    ],
  },
});
