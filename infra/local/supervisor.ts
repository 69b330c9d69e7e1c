/**
 * The local cluster's supervisor. When the gateway or a worker exits on its own (a crash, an
 * OOM kill, `kill -9`; not through its stop()), it is started again the same way: the gateway
 * on its port, a worker with its id, so clients find the gateway where it was and the worker's
 * heartbeat carries on. Restarts wait an exponential back-off with full jitter
 * (engine/backoff.ts): a process that dies again at once is not restarted in a tight loop, and
 * one that stayed up long enough starts over from the shortest delay. Every exit and restart
 * is an event (`tessera cluster` prints them as JSON lines), so a death is never silent.
 *
 * The emulator and Azurite are only watched: their state (the queues, the blobs) lives in their
 * memory and temporary folder, and a fresh one would not have it, so their death is reported
 * and not papered over.
 */

import type { ChildProcess } from "node:child_process";
import { Backoff } from "../../engine/backoff.js";
import { exited, isRunning } from "./child-process.js";
import type { TesseraProcess } from "./tessera-process.js";

export interface RestartPolicy {
  /** The first restart's delay is drawn below this; the ceiling doubles per quick death. Default 500 ms. */
  initialMs?: number;
  /** The largest ceiling. Default 30 s. */
  maxMs?: number;
  /** Up this long, a process counts as healthy: its next death restarts it from `initialMs`. Default 30 s. */
  resetAfterMs?: number;
  /** A number in [0, 1) for the jitter; injectable for tests. Default Math.random. */
  random?: () => number;
}

export const DEFAULT_RESTART: Required<Omit<RestartPolicy, "random">> = {
  initialMs: 500,
  maxMs: 30_000,
  resetAfterMs: 30_000,
};

export type SupervisorEvent =
  | {
      event: "process-exited";
      name: string;
      pid: number;
      code: number | null;
      signal: NodeJS.Signals | null;
      /** When it will be started again; null when it will not be (restarts off, or a service). */
      restartInMs: number | null;
    }
  | { event: "process-restarted"; name: string; pid: number; restarts: number; downMs: number }
  | { event: "process-restart-failed"; name: string; error: string; restartInMs: number | null };

export interface SupervisorOptions {
  /** false: report exits, restart nothing. */
  restart: RestartPolicy | false;
  onEvent?: (event: SupervisorEvent) => void;
}

/** A gateway or worker that is started again when it dies: always the current process. */
export interface SupervisedProcess extends TesseraProcess {
  readonly name: string;
  /** How many times it was started again (by the supervisor or by restart()). */
  readonly restarts: number;
  /** Stops it if it runs and starts it again now, skipping any back-off; resolves once it is ready. */
  restart(): Promise<SupervisedProcess>;
}

export class Supervisor {
  #closed = false;
  readonly #processes = new Set<Supervised>();

  constructor(readonly options: SupervisorOptions) {}

  get closed(): boolean {
    return this.#closed;
  }

  /** Supervises a process `start` starts (and starts again); resolves once its first start is ready. */
  async start(name: string, start: () => Promise<TesseraProcess>): Promise<SupervisedProcess> {
    const supervised = new Supervised(name, await start(), start, this);
    this.#processes.add(supervised);
    return supervised;
  }

  /** Reports the child's death if it dies before close(); never restarts it. */
  watch(name: string, child: ChildProcess): void {
    void exited(child).then(() => {
      if (this.#closed) return;
      this.emit({
        event: "process-exited",
        name,
        pid: child.pid ?? 0,
        code: child.exitCode,
        signal: child.signalCode,
        restartInMs: null,
      });
    });
  }

  /**
   * No restarts from now on (the cluster is stopping: its processes exit on purpose), and none
   * pending; resolves once restarts in flight have settled. Stops no process itself.
   */
  async close(): Promise<void> {
    this.#closed = true;
    await Promise.all([...this.#processes].map((p) => p.cancel()));
  }

  emit(event: SupervisorEvent): void {
    this.options.onEvent?.(event);
  }
}

class Supervised implements SupervisedProcess {
  #current: TesseraProcess;
  #restarts = 0;
  /** stop() was called: it stays down. */
  #stopped = false;
  /** Processes stopped on purpose by restart(): their exit is not a death. */
  readonly #retired = new WeakSet<TesseraProcess>();
  #timer: ReturnType<typeof setTimeout> | undefined;
  #starting: Promise<boolean> | undefined;
  #readyAt = Date.now();
  #downSince = Date.now();
  readonly #backoff: Backoff | undefined;
  readonly #resetAfterMs: number;

  constructor(
    readonly name: string,
    first: TesseraProcess,
    private readonly startProcess: () => Promise<TesseraProcess>,
    private readonly supervisor: Supervisor,
  ) {
    this.#current = first;
    const policy = supervisor.options.restart;
    this.#resetAfterMs = policy === false ? 0 : (policy.resetAfterMs ?? DEFAULT_RESTART.resetAfterMs);
    this.#backoff =
      policy === false
        ? undefined
        : new Backoff({
            baseMs: policy.initialMs ?? DEFAULT_RESTART.initialMs,
            capMs: policy.maxMs ?? DEFAULT_RESTART.maxMs,
            ...(policy.random && { random: policy.random }),
          });
    this.#watch(first);
  }

  get child(): ChildProcess {
    return this.#current.child;
  }
  get pid(): number {
    return this.#current.pid;
  }
  get started(): Record<string, unknown> {
    return this.#current.started;
  }
  get exited(): Promise<void> {
    return this.#current.exited;
  }
  get restarts(): number {
    return this.#restarts;
  }

  async stop(graceMs?: number): Promise<void> {
    this.#stopped = true;
    await this.cancel();
    await this.#current.stop(graceMs);
  }

  async restart(): Promise<SupervisedProcess> {
    if (this.#stopped || this.supervisor.closed) throw new Error(`${this.name} was stopped; it is not started again`);
    // A start already under way (the supervisor's) is the restart asked for.
    if (this.#starting !== undefined && (await this.#starting)) return this;
    this.#clearTimer();
    const old = this.#current;
    if (isRunning(old.child)) {
      this.#retired.add(old);
      this.#downSince = Date.now();
      await old.stop();
    }
    const error = await this.#startAgain();
    if (error !== undefined) throw error;
    return this;
  }

  /** No pending restart; one in flight has settled (and stopped what it started, if told to stop). */
  async cancel(): Promise<void> {
    this.#clearTimer();
    await this.#starting;
  }

  #watch(proc: TesseraProcess): void {
    void proc.exited.then(() => this.#onExit(proc));
  }

  #onExit(proc: TesseraProcess): void {
    // Not a death: a stop, a restart by hand, a process already replaced, or a cluster stopping.
    if (proc !== this.#current || this.#retired.has(proc) || this.#stopped || this.supervisor.closed) return;
    this.#downSince = Date.now();
    // Up long enough to count as healthy: this death is the first of a new series.
    if (this.#downSince - this.#readyAt >= this.#resetAfterMs) this.#backoff?.reset();
    const restartInMs = this.#backoff?.next() ?? null;
    this.supervisor.emit({
      event: "process-exited",
      name: this.name,
      pid: proc.pid,
      code: proc.child.exitCode,
      signal: proc.child.signalCode,
      restartInMs,
    });
    if (restartInMs !== null) this.#schedule(restartInMs);
  }

  #schedule(ms: number): void {
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      void this.#startAgain();
    }, ms);
  }

  #clearTimer(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  /** Starts the process again; resolves with the error when that failed (another try is then scheduled). */
  async #startAgain(): Promise<Error | undefined> {
    let error: Error | undefined;
    const attempt = (async () => {
      const unwanted = () => this.#stopped || this.supervisor.closed;
      try {
        const next = await this.startProcess();
        if (unwanted()) {
          // Told to stop while it started: it must not outlive the cluster.
          await next.stop();
          return false;
        }
        this.#current = next;
        this.#readyAt = Date.now();
        this.#restarts++;
        this.#watch(next);
        this.supervisor.emit({
          event: "process-restarted",
          name: this.name,
          pid: next.pid,
          restarts: this.#restarts,
          downMs: this.#readyAt - this.#downSince,
        });
        return true;
      } catch (err) {
        error = err instanceof Error ? err : new Error(String(err));
        if (unwanted()) return false;
        // A process that cannot even start again backs off like one that keeps dying.
        const restartInMs = this.#backoff?.next();
        this.supervisor.emit({
          event: "process-restart-failed",
          name: this.name,
          error: error.message,
          restartInMs: restartInMs ?? null,
        });
        if (restartInMs !== undefined) this.#schedule(restartInMs);
        return false;
      }
    })();
    this.#starting = attempt;
    try {
      await attempt;
    } finally {
      if (this.#starting === attempt) this.#starting = undefined;
    }
    return error;
  }
}
