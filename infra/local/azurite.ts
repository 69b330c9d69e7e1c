/**
 * Azurite (the Azure Storage emulator) as a child process on loopback, with its data in a
 * temporary folder: for tests and `tessera cluster`. Telemetry and the API-version check are
 * off (the first would try the network, the second rejects newer SDKs). It dies with this
 * process, and then removes its folder itself (child-process.ts, spawnNodeChild).
 */

import type { ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { exited, spawnNodeChild, stopChild, waitForReady } from "./child-process.js";

/** Azurite's well-known development account (public, documented by Microsoft). */
export const AZURITE_ACCOUNT = "devstoreaccount1";
export const AZURITE_KEY = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

export interface Azurite {
  readonly connectionString: string;
  readonly port: number;
  readonly child: ChildProcess;
  stop(): Promise<void>;
}

/** A port the OS says is free right now (closed again at once; Azurite binds it next). */
async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

function azuriteBlobScript(): string {
  const require = createRequire(import.meta.url);
  try {
    return join(dirname(require.resolve("azurite/package.json")), "dist/src/blob/main.js");
  } catch {
    throw new Error("Azurite is not installed: run `npm ci` (it is a devDependency of Tessera)");
  }
}

export interface AzuriteOptions {
  /** Extra environment for the process. */
  env?: NodeJS.ProcessEnv;
}

export async function startAzurite(options: AzuriteOptions = {}): Promise<Azurite> {
  const location = mkdtempSync(join(tmpdir(), "tessera-azurite-"));
  const port = await freePort();
  const child = spawnNodeChild(
    azuriteBlobScript(),
    [
      "--blobHost",
      "127.0.0.1",
      "--blobPort",
      String(port),
      "--location",
      location,
      "--skipApiVersionCheck",
      "--disableTelemetry",
      "--silent",
    ],
    { ...(options.env && { env: options.env }), removeIfOrphaned: location },
  );
  try {
    await waitForReady(child, {
      name: "Azurite",
      timeoutMs: 30_000,
      ready: (stdout) => (stdout.includes("successfully listens") ? true : undefined),
    });
  } catch (err) {
    // A launcher that failed must not leave its folder behind (waitForReady killed the process).
    await exited(child);
    rmSync(location, { recursive: true, force: true });
    throw err;
  }
  return {
    port,
    child,
    connectionString: `DefaultEndpointsProtocol=http;AccountName=${AZURITE_ACCOUNT};AccountKey=${AZURITE_KEY};BlobEndpoint=http://127.0.0.1:${port}/${AZURITE_ACCOUNT};`,
    async stop() {
      await stopChild(child);
      rmSync(location, { recursive: true, force: true });
    },
  };
}
