// Supervision of a local cluster, with real processes, real SIGKILLs and loopback sockets: a
// killed worker or gateway is started again (the worker with its id, the gateway on its port)
// and the cluster works on; a killed `tessera cluster` takes every process it started with it;
// a start that fails or is interrupted part-way leaves no process behind. Processes are found
// by a marker in their environment (/proc/<pid>/environ), so nothing a test started is missed.

import { type ChildProcess, spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { isRunning, stopChild, waitForReady } from "../../infra/local/child-process.js";
import { type LocalCluster, startLocalCluster } from "../../infra/local/cluster.js";
import { Supervisor, type SupervisorEvent } from "../../infra/local/supervisor.js";
import { type TesseraProcess, tesseraBin } from "../../infra/local/tessera-process.js";
import { expectIdenticalResult, finished, getCluster, submitJob, waitForJob } from "../helpers/http-jobs.js";

const MARKER_ENV = "TESSERA_TEST_SUPERVISION_MARKER";
const HEARTBEAT_MS = 500;
/** How long every process of a dead cluster may take to go (their grace period is 5 s). */
const GONE_WITHIN_MS = 15_000;

/** Every process (but this one) whose environment carries `marker`: all a test started. */
function markedPids(marker: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync("/proc")) {
    const pid = Number(entry);
    if (!Number.isInteger(pid) || pid === process.pid) continue;
    try {
      if (readFileSync(`/proc/${pid}/environ`, "latin1").split("\0").includes(`${MARKER_ENV}=${marker}`)) pids.push(pid);
    } catch {
      // gone meanwhile, or not ours to read
    }
  }
  return pids;
}

/**
 * Whether the process runs: it exists and is not a zombie (an orphan's exit status waits for
 * whoever adopted it; it runs nothing any more).
 */
function running(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "latin1");
    // "pid (comm) S ...": the state follows the last ")" (comm may contain one).
    return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) !== "Z";
  } catch {
    return false;
  }
}

/** Polls until none of `pids` runs; resolves with the ones still running after `timeoutMs`. */
async function goneWithin(pids: () => number[], timeoutMs: number): Promise<number[]> {
  const deadline = Date.now() + timeoutMs;
  let alive = pids().filter(running);
  while (alive.length > 0 && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 100));
    alive = pids().filter(running);
  }
  return alive;
}

/** The back-off an exit event announced. */
function backoffOf(event: SupervisorEvent | undefined): number | null | undefined {
  return event !== undefined && "restartInMs" in event ? event.restartInMs : undefined;
}

/** Kills whatever a test left running (a failing test must not leak processes into the next). */
function killMarked(marker: string): void {
  for (const pid of markedPids(marker)) {
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      // already gone
    }
  }
}

describe("the supervisor's back-off (fake processes, fake clock)", () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  /** A stand-in for a started process that the test kills by hand. */
  function fakeProcess(pid: number) {
    const child = { pid, exitCode: null as number | null, signalCode: null as NodeJS.Signals | null };
    let die: (signal: NodeJS.Signals) => void = () => undefined;
    const exited = new Promise<void>((resolve) => {
      die = (signal) => {
        child.signalCode = signal;
        resolve();
      };
    });
    const proc: TesseraProcess = {
      child: child as unknown as ChildProcess,
      pid,
      started: {},
      exited,
      stop: async () => die("SIGTERM"),
    };
    return { proc, die };
  }

  it("restarts with doubling delays, backs off a failed start too, starts over after 30 s up, and never after stop()", async () => {
    vi.useFakeTimers();
    const events: SupervisorEvent[] = [];
    // Full jitter pinned near its ceiling: each delay is just under 500 ms × 2^n.
    const supervisor = new Supervisor({ restart: { random: () => 0.999 }, onEvent: (e) => events.push(e) });
    const started: ReturnType<typeof fakeProcess>[] = [];
    let failNext = false;
    const start = async () => {
      if (failNext) {
        failNext = false;
        throw new Error("port in use");
      }
      const next = fakeProcess(100 + started.length);
      started.push(next);
      return next.proc;
    };
    const worker = await supervisor.start("worker-0", start);
    const delays = () => events.map((e) => (e.event === "process-restarted" ? "up" : e.restartInMs));

    started[0]?.die("SIGKILL");
    await vi.advanceTimersByTimeAsync(499);
    expect(worker.pid).toBe(101);
    started[1]?.die("SIGKILL");
    await vi.advanceTimersByTimeAsync(999);
    failNext = true;
    started[2]?.die("SIGSEGV");
    await vi.advanceTimersByTimeAsync(1998); // the start fails: the next delay doubles again
    await vi.advanceTimersByTimeAsync(3996);
    expect(delays()).toEqual([499, "up", 999, "up", 1998, 3996, "up"]);
    expect(events.at(-2)).toMatchObject({ event: "process-restart-failed", name: "worker-0", error: "port in use" });
    expect(events.at(-1)).toMatchObject({ event: "process-restarted", name: "worker-0", pid: 103, restarts: 3 });

    // Up for 30 s: healthy again, so its next death starts the series over.
    await vi.advanceTimersByTimeAsync(30_000);
    started[3]?.die("SIGKILL");
    await vi.advanceTimersByTimeAsync(0);
    expect(events.at(-1)).toMatchObject({ event: "process-exited", pid: 103, signal: "SIGKILL", restartInMs: 499 });

    // Stopped during its back-off: the pending restart is called off.
    await worker.stop();
    await vi.advanceTimersByTimeAsync(60_000);
    expect(started).toHaveLength(4);
    expect(worker.restarts).toBe(3);
  });
});

describe("a supervised cluster of real processes", () => {
  const marker = randomUUID();
  const events: SupervisorEvent[] = [];
  let cluster: LocalCluster;

  /** Resolves with the next event that matches, at most `timeoutMs` from now. */
  async function nextEvent(match: (e: SupervisorEvent) => boolean, after: number, timeoutMs = 30_000) {
    await expect.poll(() => events.slice(after).find(match), { timeout: timeoutMs, interval: 50 }).toBeDefined();
    return events.slice(after).find(match) as SupervisorEvent;
  }

  beforeAll(async () => {
    cluster = await startLocalCluster({
      workers: 1,
      threads: 1,
      lockMs: 5_000,
      heartbeatMs: HEARTBEAT_MS,
      restart: true,
      onEvent: (e) => events.push(e),
      env: { [MARKER_ENV]: marker },
    });
  }, 60_000);

  afterAll(async () => {
    const before = events.length;
    await cluster?.stop();
    // Stopping is not dying: nothing was reported or restarted, and nothing is left.
    expect(events.slice(before)).toEqual([]);
    expect(await goneWithin(() => markedPids(marker), 5_000)).toEqual([]);
    killMarked(marker);
  }, 60_000);

  it("restarts a SIGKILLed worker with its id; a job submitted afterwards comes out byte-exact", async () => {
    const victim = cluster.workers[0];
    if (!victim) throw new Error("no worker 0");
    const oldPid = victim.pid;
    const after = events.length;
    const killedAt = performance.now();
    process.kill(oldPid, "SIGKILL");
    const restarted = await nextEvent((e) => e.event === "process-restarted" && e.name === "worker-0", after);
    const readyMs = Math.round(performance.now() - killedAt);
    expect(events[after]).toMatchObject({
      event: "process-exited",
      name: "worker-0",
      pid: oldPid,
      code: null,
      signal: "SIGKILL",
      restartInMs: expect.any(Number),
    });
    expect(restarted).toMatchObject({ pid: victim.pid, restarts: 1 });
    expect(victim.pid).not.toBe(oldPid);
    expect(running(victim.pid)).toBe(true);
    expect(running(oldPid)).toBe(false);
    expect(cluster.restarts()).toEqual({ gateway: 0, "worker-0": 1 });
    console.log(`worker SIGKILL → ready again in ${readyMs} ms (back-off ${backoffOf(events[after])} ms)`);

    // Its heartbeat carries on under the same id, from the new process.
    await expect
      .poll(async () => (await getCluster(cluster.url)).workers.find((w) => w.id === "worker-0"), {
        timeout: HEARTBEAT_MS * 10,
      })
      .toMatchObject({ pid: victim.pid, alive: true });
    const job = await submitJob(cluster.url, "coffee.png", 256, "gaussian-blur(sigma=2) | sobel", 64);
    await expectIdenticalResult(cluster.url, job, await waitForJob(() => cluster.url, job.id, finished, 60_000));
  }, 60_000);

  it("restarts a SIGKILLed gateway on the same port", async () => {
    const url = cluster.url;
    const oldPid = cluster.gateway.pid;
    const after = events.length;
    const killedAt = performance.now();
    process.kill(oldPid, "SIGKILL");
    await nextEvent((e) => e.event === "process-restarted" && e.name === "gateway", after);
    const readyMs = Math.round(performance.now() - killedAt);
    expect(cluster.url).toBe(url);
    expect(cluster.gateway.pid).not.toBe(oldPid);
    expect(cluster.gateway.restarts).toBe(1);
    expect((await fetch(`${url}/healthz`)).status).toBe(200);
    console.log(`gateway SIGKILL → ready again in ${readyMs} ms (back-off ${backoffOf(events[after])} ms)`);
  }, 60_000);

  it("does not restart a worker stopped on purpose (what the autoscaler's scale-in does)", async () => {
    const added = await cluster.addWorker();
    const after = events.length;
    await added.stop();
    expect(isRunning(added.child)).toBe(false);
    // An intended stop is never reported as a death, so no restart is ever scheduled for it.
    expect(events.slice(after)).toEqual([]);
    expect(added.restarts).toBe(0);
  }, 60_000);
});

describe("a failed start", () => {
  let busy: Server | undefined;
  const marker = randomUUID();
  afterAll(async () => {
    killMarked(marker);
    await new Promise((r) => (busy ? busy.close(r) : r(undefined)));
  });

  it("stops every part it had started and says the gateway's port is taken", async () => {
    busy = createServer();
    const port = await new Promise<number>((resolve) => {
      busy?.listen(0, "127.0.0.1", () => {
        const address = busy?.address();
        resolve(typeof address === "object" && address ? address.port : 0);
      });
    });
    await expect(
      startLocalCluster({ workers: 1, port, threads: 1, lockMs: 5_000, env: { [MARKER_ENV]: marker } }),
    ).rejects.toThrow(`the gateway did not start: port ${port} is already in use`);
    // The emulator and Azurite were up by then; stopped, as the one that failed.
    expect(markedPids(marker)).toEqual([]);
  }, 60_000);
});

describe("`tessera cluster` as a process", () => {
  // Its own temporary folder, so Azurite folders of tests beside it are not mistaken for its.
  const privateTmp = mkdtempSync(join(tmpdir(), "tessera-supervision-test-"));
  const markers: string[] = [];
  const children: ChildProcess[] = [];
  afterEach(async () => {
    for (const child of children.splice(0)) if (isRunning(child)) await stopChild(child, 20_000);
    for (const marker of markers.splice(0)) killMarked(marker);
  }, 30_000);
  afterAll(() => rmSync(privateTmp, { recursive: true, force: true }));

  function cluster(): { child: ChildProcess; marker: string; stderr: () => string } {
    const marker = randomUUID();
    markers.push(marker);
    const child = spawn(process.execPath, [tesseraBin(), "cluster", "--workers", "1", "--port", "0"], {
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...process.env, TMPDIR: privateTmp, [MARKER_ENV]: marker },
    });
    children.push(child);
    let stderr = "";
    child.stderr?.on("data", (chunk: Buffer) => {
      stderr += chunk;
    });
    return { child, marker, stderr: () => stderr };
  }

  it("takes every process it started with it when it is SIGKILLed", async () => {
    const { child, marker } = cluster();
    const announced = await waitForReady(child, {
      name: "tessera cluster",
      timeoutMs: 60_000,
      ready: (stdout) => {
        const line = stdout.split("\n").find((l) => l.includes('"cluster-started"'));
        return line === undefined ? undefined : (JSON.parse(line) as { gateway: number; workers: number[]; services: number[] });
      },
    });
    const listed = [announced.gateway, ...announced.workers, ...announced.services];
    expect(listed).toHaveLength(4);
    expect(listed.every(running)).toBe(true);
    const killedAt = performance.now();
    child.kill("SIGKILL");
    expect(await goneWithin(() => [...listed, ...markedPids(marker)], GONE_WITHIN_MS)).toEqual([]);
    console.log(`cluster SIGKILL → all ${listed.length} children gone in ${Math.round(performance.now() - killedAt)} ms`);
    // Azurite removed its data folder itself, since its parent no longer could.
    expect(readdirSync(privateTmp).filter((d) => d.startsWith("tessera-azurite-"))).toEqual([]);
  }, 90_000);

  it("stops the parts already started when told to stop while starting", async () => {
    const { child, marker, stderr } = cluster();
    // Some of its parts are up (the emulator starts first), the rest not yet.
    await expect
      .poll(() => markedPids(marker).filter((pid) => pid !== child.pid).length, { timeout: 30_000, interval: 50 })
      .toBeGreaterThan(0);
    child.kill("SIGTERM");
    const code = await new Promise<number | null>((resolve) => child.once("exit", (c) => resolve(c)));
    expect(stderr()).toContain("stopped by SIGTERM while starting; every part started was stopped");
    expect(code).toBe(1);
    expect(markedPids(marker)).toEqual([]);
  }, 60_000);
});
