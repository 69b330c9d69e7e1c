/**
 * A whole Tessera cluster on one machine, every part a real OS process: the Service Bus
 * emulator, Azurite, the gateway and N workers, talking over loopback sockets exactly as they
 * would across machines in Azure. `tessera cluster` runs it; the fault-tolerance tests drive
 * it (kill a worker, kill the gateway, add a worker) through the same code.
 *
 * Every part dies with the process that started it, however that process ends (spawnNodeChild
 * in child-process.ts); a start that fails part-way stops what it had started and names the
 * part that failed; with `restart`, a gateway or worker that dies is started again
 * (supervisor.ts).
 */

import { type AutoscaleRule, DEFAULT_AUTOSCALE } from "../../engine/autoscale.js";
import { DEFAULTS } from "../../engine/defaults.js";
import { EVENTS_QUEUE, TILES_QUEUE } from "../../engine/messages.js";
import { AzureServiceBusQueue } from "../azure/service-bus-queue.js";
import { startAzurite } from "./azurite.js";
import { type ScaleEvent, startLocalAutoscaler } from "./local-autoscaler.js";
import { startServiceBusEmulatorProcess } from "./service-bus-emulator/process.js";
import { type RestartPolicy, type SupervisedProcess, Supervisor, type SupervisorEvent } from "./supervisor.js";
import { startTessera } from "./tessera-process.js";

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
  /** Bands each worker holds at once (`tessera worker --loops`); default the worker's own. */
  loops?: number;
  /** The queues' lock duration; default 30 s (how long a hung worker can hold tiles). */
  lockMs?: number;
  maxDeliveries?: number;
  heartbeatMs?: number;
  /** Every line the children print, prefixed with their name. */
  onLine?: (line: string) => void;
  /** Extra environment for every process (limits and TESSERA_API_TOKEN for the gateway and workers). */
  env?: NodeJS.ProcessEnv;
  /**
   * Start a gateway or worker again when it exits on its own, after a back-off (true: the
   * defaults of supervisor.ts, 0.5 s doubling to 30 s). Default false: a killed process stays
   * dead until restartGateway(), as the failover tests want; `tessera cluster` turns it on.
   */
  restart?: boolean | RestartPolicy;
  /** Every death and restart of a process (reported with or without `restart`). */
  onEvent?: (event: SupervisorEvent) => void;
  /** Aborted during the start: what was started is stopped and the start rejects. */
  signal?: AbortSignal;
}

export interface LocalCluster {
  readonly url: string;
  readonly serviceBusConnection: string;
  readonly storageConnection: string;
  /** The Service Bus emulator's and Azurite's process ids. */
  readonly servicePids: readonly number[];
  /** The gateway, whichever process it is now. */
  readonly gateway: SupervisedProcess;
  /** The workers started so far (stopped ones included), in start order; each whichever process it is now. */
  readonly workers: readonly SupervisedProcess[];
  addWorker(): Promise<SupervisedProcess>;
  /** Starts the gateway again now (after it was killed, or stopping it first), on the same port. */
  restartGateway(): Promise<SupervisedProcess>;
  /** How many times each gateway or worker (`gateway`, `worker-0`, ...) was started again. */
  restarts(): Record<string, number>;
  /** Stops every process (workers drain first) and removes every temporary directory. */
  stop(): Promise<void>;
}

/** An error that says which part of the cluster did not start. */
function partFailed(part: string, err: unknown): Error {
  const detail = err instanceof Error ? err.message : String(err);
  return new Error(`${part} did not start: ${detail}`, { cause: err });
}

export async function startLocalCluster(options: LocalClusterOptions): Promise<LocalCluster> {
  const lockMs = options.lockMs ?? DEFAULTS.localClusterQueue.lockDurationMs;
  const maxDeliveries = options.maxDeliveries ?? DEFAULTS.localClusterQueue.maxDeliveryCount;
  const supervisor = new Supervisor({
    restart: options.restart === true ? {} : (options.restart ?? false),
    ...(options.onEvent && { onEvent: options.onEvent }),
  });
  const stops: (() => Promise<void>)[] = [];
  let stopping: Promise<void> | undefined;
  const stopAll = () => {
    stopping ??= (async () => {
      // No restarts from here on: every exit that follows is wanted.
      await supervisor.close();
      // Workers first (they drain into the queue), then the gateway, then the services.
      while (stops.length > 0)
        await stops
          .pop()?.()
          .catch(() => undefined);
    })();
    return stopping;
  };
  /** Starts one part, unless the start was called off; a failure names the part. */
  const part = async <T>(name: string, start: () => Promise<T>): Promise<T> => {
    if (options.signal?.aborted) throw new Error(`the start was interrupted before ${name} started`);
    try {
      return await start();
    } catch (err) {
      throw partFailed(name, err);
    }
  };
  try {
    const serviceEnv = options.env && { env: options.env };
    const serviceBus = await part("the Service Bus emulator", () =>
      startServiceBusEmulatorProcess({ lockMs, maxDeliveryCount: maxDeliveries, ...serviceEnv }),
    );
    stops.push(() => serviceBus.stop());
    supervisor.watch("service-bus-emulator", serviceBus.child);
    const azurite = await part("Azurite", () => startAzurite({ ...serviceEnv }));
    stops.push(() => azurite.stop());
    supervisor.watch("azurite", azurite.child);
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
      try {
        const gw = await startTessera(["gateway", "--port", String(port)], {
          env,
          readyEvent: "gateway-started",
          onLine: line("gateway"),
        });
        // Keep the port: a restarted gateway comes back where clients know it.
        port = Number(new URL(String(gw.started.url)).port);
        return gw;
      } catch (err) {
        if (/EADDRINUSE/.test(String((err as Error).message))) throw new Error(`port ${port} is already in use`, { cause: err });
        throw err;
      }
    };
    const gateway = await part("the gateway", () => supervisor.start("gateway", startGateway));
    stops.push(() => gateway.stop());

    const workers: SupervisedProcess[] = [];
    let nextWorker = 0;
    const addWorker = async () => {
      // Taken before the first await: two workers started at once get different ids.
      const name = `worker-${nextWorker++}`;
      const args = ["worker", "--threads", String(options.threads ?? 1), "--id", name];
      if (options.loops !== undefined) args.push("--loops", String(options.loops));
      if (options.heartbeatMs !== undefined) args.push("--heartbeat-ms", String(options.heartbeatMs));
      const worker = await supervisor.start(name, () =>
        startTessera(args, { env, readyEvent: "worker-started", onLine: line(name) }),
      );
      workers.push(worker);
      return worker;
    };
    // Stopped before the gateway (stops run last-in first-out).
    stops.push(async () => {
      await Promise.all(workers.map((w) => w.stop()));
    });
    const range = typeof options.workers === "number" ? undefined : options.workers;
    const initial = range?.min ?? (options.workers as number);
    for (let i = 0; i < initial; i++) await part(`worker-${nextWorker}`, addWorker);
    if (range !== undefined) {
      const settings = { lockDurationMs: lockMs, maxDeliveryCount: maxDeliveries };
      const queue = new AzureServiceBusQueue({
        connection: { connectionString: serviceBus.connectionString },
        queues: { [TILES_QUEUE]: settings, [EVENTS_QUEUE]: settings },
      });
      // A worker it drains (scale-in) is stopped through stop(): not a death, not restarted.
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
    // Interrupted during the last part: that part is up, but the caller gave up on the cluster.
    if (options.signal?.aborted) throw new Error("the start was interrupted");

    return {
      get url() {
        return `http://127.0.0.1:${port}`;
      },
      serviceBusConnection: serviceBus.connectionString,
      storageConnection: azurite.connectionString,
      servicePids: [serviceBus.pid, azurite.child.pid ?? 0],
      gateway,
      workers,
      addWorker,
      restartGateway: () => gateway.restart(),
      restarts: () => Object.fromEntries([gateway, ...workers].map((p) => [p.name, p.restarts])),
      stop: stopAll,
    };
  } catch (err) {
    await stopAll();
    throw err;
  }
}
