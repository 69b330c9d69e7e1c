/**
 * A whole Tessera cluster on one machine, every part a real OS process: the Service Bus
 * emulator, Azurite, the gateway and N workers, talking over loopback sockets exactly as they
 * would across machines in Azure. `tessera cluster` runs it; the fault-tolerance tests drive
 * it (kill a worker, kill the gateway, add a worker) through the same code.
 */

import { type AutoscaleRule, DEFAULT_AUTOSCALE } from "../../engine/autoscale.js";
import { EVENTS_QUEUE, TILES_QUEUE } from "../../engine/messages.js";
import { AzureServiceBusQueue } from "../azure/service-bus-queue.js";
import { type Azurite, startAzurite } from "./azurite.js";
import { type ScaleEvent, startLocalAutoscaler } from "./local-autoscaler.js";
import { startServiceBusEmulatorProcess } from "./service-bus-emulator/process.js";
import { startTessera, type TesseraProcess } from "./tessera-process.js";

export interface LocalClusterOptions {
  /** Worker processes: a fixed number, or a range the autoscaler keeps the count within. */
  workers: number | { min: number; max: number };
  /** The autoscale rule's thresholds (with a `workers` range); defaults in engine/autoscale.ts. */
  autoscale?: Partial<Omit<AutoscaleRule, "min" | "max">>;
  onScale?: (event: ScaleEvent) => void;
  /** Gateway port; 0 (default) picks a free one. */
  port?: number;
  /** Kernel threads per worker; default 1, so N workers use N cores. */
  threads?: number;
  /** The queues' lock duration; default 30 s (how long a hung worker can hold tiles). */
  lockMs?: number;
  maxDeliveries?: number;
  heartbeatMs?: number;
  /** Every line the children print, prefixed with their name. */
  onLine?: (line: string) => void;
  /** Extra environment for the gateway and workers (limits, TESSERA_API_TOKEN). */
  env?: NodeJS.ProcessEnv;
}

export interface LocalCluster {
  readonly url: string;
  readonly serviceBusConnection: string;
  readonly storageConnection: string;
  /** The Service Bus emulator's and Azurite's process ids. */
  readonly servicePids: readonly number[];
  readonly gateway: TesseraProcess;
  /** The workers started so far (dead ones included), in start order. */
  readonly workers: readonly TesseraProcess[];
  addWorker(): Promise<TesseraProcess>;
  /** Starts the gateway again (after it was killed), on the same port. */
  restartGateway(): Promise<TesseraProcess>;
  /** Stops every process (workers drain first) and removes every temporary directory. */
  stop(): Promise<void>;
}

export async function startLocalCluster(options: LocalClusterOptions): Promise<LocalCluster> {
  const lockMs = options.lockMs ?? 30_000;
  const maxDeliveries = options.maxDeliveries ?? 10;
  const stops: (() => Promise<void>)[] = [];
  const stopAll = async () => {
    // Workers first (they drain into the queue), then the gateway, then the services.
    while (stops.length > 0)
      await stops
        .pop()?.()
        .catch(() => undefined);
  };
  try {
    const serviceBus = await startServiceBusEmulatorProcess({ lockMs, maxDeliveryCount: maxDeliveries });
    stops.push(() => serviceBus.stop());
    const azurite: Azurite = await startAzurite();
    stops.push(() => azurite.stop());
    const env: NodeJS.ProcessEnv = {
      ...options.env,
      TESSERA_SERVICEBUS_CONNECTION: serviceBus.connectionString,
      TESSERA_STORAGE_CONNECTION: azurite.connectionString,
      TESSERA_LOCK_MS: String(lockMs),
      TESSERA_MAX_DELIVERY_COUNT: String(maxDeliveries),
    };
    const line = (name: string) => (text: string) => options.onLine?.(`[${name}] ${text}`);

    let port = options.port ?? 0;
    const startGateway = async () => {
      const gw = await startTessera(["gateway", "--port", String(port)], {
        env,
        readyEvent: "gateway-started",
        onLine: line("gateway"),
      });
      // Keep the port: a restarted gateway comes back where clients know it.
      port = Number(new URL(String(gw.started.url)).port);
      return gw;
    };
    let gateway = await startGateway();
    stops.push(() => gateway.stop());

    const workers: TesseraProcess[] = [];
    const addWorker = async () => {
      const n = workers.length;
      const args = ["worker", "--threads", String(options.threads ?? 1), "--id", `worker-${n}`];
      if (options.heartbeatMs !== undefined) args.push("--heartbeat-ms", String(options.heartbeatMs));
      const worker = await startTessera(args, { env, readyEvent: "worker-started", onLine: line(`worker-${n}`) });
      workers.push(worker);
      return worker;
    };
    // Stopped before the gateway (stops run last-in first-out).
    stops.push(async () => {
      await Promise.all(workers.map((w) => w.stop()));
    });
    const range = typeof options.workers === "number" ? undefined : options.workers;
    for (let i = 0; i < (range?.min ?? (options.workers as number)); i++) await addWorker();
    if (range !== undefined) {
      const settings = { lockDurationMs: lockMs, maxDeliveryCount: maxDeliveries };
      const queue = new AzureServiceBusQueue({
        connection: { connectionString: serviceBus.connectionString },
        queues: { [TILES_QUEUE]: settings, [EVENTS_QUEUE]: settings },
      });
      const scaler = startLocalAutoscaler({
        rule: { ...DEFAULT_AUTOSCALE, ...options.autoscale, ...range },
        queue,
        workers: () => workers,
        addWorker,
        ...(options.onScale && { onScale: options.onScale }),
      });
      // Stopped before the workers, so it does not replace the ones being stopped.
      stops.push(async () => {
        await scaler.stop();
        await queue.close();
      });
    }

    return {
      get url() {
        return `http://127.0.0.1:${port}`;
      },
      serviceBusConnection: serviceBus.connectionString,
      storageConnection: azurite.connectionString,
      servicePids: [serviceBus.pid, azurite.child.pid ?? 0],
      get gateway() {
        return gateway;
      },
      workers,
      addWorker,
      async restartGateway() {
        await gateway.stop();
        gateway = await startGateway();
        return gateway;
      },
      stop: stopAll,
    };
  } catch (err) {
    await stopAll();
    throw err;
  }
}
