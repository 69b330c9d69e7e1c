// The health model: a tracker of the queue and blob storage fed by their users, an active probe
// with a timeout (a hung dependency is reported, not waited for), and logs once per outage.

import { describe, expect, it } from "vitest";
import { DependencyError, dependencyOf, HealthTracker, logChanges } from "../../engine/health.js";
import { dependencyProbe, withTimeout } from "../../engine/health-probe.js";
import { EVENTS_QUEUE, TILES_QUEUE } from "../../engine/messages.js";
import { BlobError, type BlobStore } from "../../engine/ports/blob-store.js";
import type { LogFields, Logger } from "../../engine/ports/logger.js";
import { type Queue, QueueError } from "../../engine/ports/queue.js";
import { MemoryBlobStore } from "../../infra/memory/memory-blob-store.js";
import { MemoryQueue } from "../../infra/memory/memory-queue.js";

const settings = { lockDurationMs: 10_000, maxDeliveryCount: 3 };

function recordingLogger(): { log: Logger; lines: { level: string; fields: LogFields; message: string }[] } {
  const lines: { level: string; fields: LogFields; message: string }[] = [];
  const at =
    (level: string) =>
    (fields: LogFields, message: string): void => {
      lines.push({ level, fields, message });
    };
  const log: Logger = { debug: at("debug"), info: at("info"), warn: at("warn"), error: at("error"), child: () => log };
  return { log, lines };
}

describe("HealthTracker", () => {
  it("reports down with the reason while a dependency fails, degraded for a while after, then ok", () => {
    let now = 1_000_000;
    const health = new HealthTracker({ settleMs: 30_000, now: () => now });
    expect(health.report()).toEqual({
      status: "ok",
      checks: {
        queue: { ok: true, since: new Date(1_000_000).toISOString() },
        blobs: { ok: true, since: new Date(1_000_000).toISOString() },
      },
    });
    now += 1_000;
    health.failed("blobs", new Error("connect ECONNREFUSED 127.0.0.1:10000"));
    now += 5_000;
    health.failed("blobs", "still refused"); // the latest reason; `since` stays when it went down
    expect(health.report()).toMatchObject({
      status: "down",
      checks: { queue: { ok: true }, blobs: { ok: false, reason: "still refused", since: new Date(1_001_000).toISOString() } },
    });
    expect(health.isOk("blobs")).toBe(false);
    expect(health.problems()).toBe("blob storage is unavailable: still refused");
    now += 1_000;
    health.ok("blobs");
    expect(health.report().status).toBe("degraded");
    expect(health.report().checks.blobs).toEqual({ ok: true, since: new Date(1_007_000).toISOString() });
    now += 30_000;
    expect(health.report().status).toBe("ok");
    expect(() => health.ok("disk" as "queue")).toThrow(/unknown dependency "disk"/);
  });

  it("ignores the failure of a call made before the dependency last answered (old news)", () => {
    let now = 1_000;
    const health = new HealthTracker({ now: () => now });
    const madeDuringOutage = now;
    health.failed("blobs", "refused", madeDuringOutage);
    now += 5_000;
    health.ok("blobs"); // a fresh call answered: storage is back
    now += 10_000;
    // The SDK gave up retrying the old call only now: it says nothing about storage today.
    health.failed("blobs", "refused at last", madeDuringOutage);
    expect(health.isOk("blobs")).toBe(true);
    // A call made after the last answer does count.
    health.failed("blobs", "refused again", now);
    expect(health.report().checks.blobs).toMatchObject({ ok: false, reason: "refused again" });
  });

  it("logs once when a dependency goes down and once when it is back, not on every retry", () => {
    let now = 0;
    const { log, lines } = recordingLogger();
    const health = new HealthTracker({ onChange: logChanges(log), now: () => now });
    for (let i = 0; i < 20; i++) {
      health.failed("queue", new QueueError("QUEUE_UNAVAILABLE", `ECONNREFUSED try ${i}`));
      now += 100;
    }
    health.ok("queue");
    health.ok("queue");
    expect(lines.map((l) => [l.level, l.fields.event, l.fields.dependency])).toEqual([
      ["warn", "dependency-down", "queue"],
      ["info", "dependency-up", "queue"],
    ]);
    expect(lines[0]?.fields.reason).toBe("ECONNREFUSED try 0");
    expect(lines[1]?.fields.downMs).toBe(2_000);
  });
});

describe("dependencyOf", () => {
  it("names the dependency of an outage, and nothing else", () => {
    expect(dependencyOf(new QueueError("QUEUE_UNAVAILABLE", "down"))).toBe("queue");
    expect(dependencyOf(new BlobError("BLOB_UNAVAILABLE", "down"))).toBe("blobs");
    expect(dependencyOf(new DependencyError("blobs", "down"))).toBe("blobs");
    // A lost lock, a missing blob, a closed adapter or a bug is not an outage.
    expect(dependencyOf(new QueueError("QUEUE_LOCK_LOST", "lost"))).toBeUndefined();
    expect(dependencyOf(new BlobError("BLOB_NOT_FOUND", "gone"))).toBeUndefined();
    expect(dependencyOf(new TypeError("x is undefined"))).toBeUndefined();
    expect(dependencyOf(undefined)).toBeUndefined();
  });
});

/**
 * A blob store whose `exists` can be made to fail or hang; counts the calls. A hung call can be
 * ended later (`release`), with a failure, as a call the SDK gave up on would be.
 */
function switchableBlobs() {
  const real = new MemoryBlobStore();
  const mode = { now: "ok" as "ok" | "fail" | "hang" };
  const hung: ((err: Error) => void)[] = [];
  let calls = 0;
  const blobs = Object.create(real) as BlobStore;
  blobs.exists = async (name) => {
    calls++;
    if (mode.now === "fail") throw new BlobError("BLOB_UNAVAILABLE", "connect ECONNREFUSED 127.0.0.1:10000");
    if (mode.now === "hang") return new Promise<boolean>((_, reject) => hung.push(reject));
    return real.exists(name);
  };
  return {
    blobs,
    mode,
    calls: () => calls,
    release: () => {
      for (const reject of hung.splice(0)) reject(new BlobError("BLOB_UNAVAILABLE", "operation timed out at last"));
    },
  };
}

describe("dependencyProbe", () => {
  it("reports a hung dependency within its timeout, and sees it come back though the hung call never answers", async () => {
    const queue: Queue = new MemoryQueue({ [TILES_QUEUE]: settings, [EVENTS_QUEUE]: settings });
    const { blobs, mode, release } = switchableBlobs();
    const health = new HealthTracker();
    const probe = dependencyProbe(health, { queue, blobs }, { timeoutMs: 50, cacheMs: 0 });
    expect((await probe()).status).toBe("ok");

    mode.now = "hang";
    // The blob call never answers: the probe resolves anyway (else this test would time out).
    expect(await probe()).toMatchObject({
      status: "down",
      checks: { queue: { ok: true }, blobs: { ok: false, reason: "blob storage probe: no answer within 50 ms" } },
    });
    // Storage is back, but the call made while it was down still hangs (Service Bus's SDK does
    // this to a call made as its connection dies): a fresh call tells.
    mode.now = "ok";
    expect((await probe()).checks.blobs.ok).toBe(true);
    // The hung call ends at last, failing: older news than the answer already heard.
    release();
    await new Promise((r) => setTimeout(r, 10));
    expect(health.isOk("blobs")).toBe(true);
    await queue.close();
    expect((await probe()).checks.queue).toMatchObject({ ok: false, reason: expect.stringMatching(/closed/) });
  });

  it("reports a refused dependency with the reason, and leaves no more than 8 calls hanging", async () => {
    const queue = new MemoryQueue({ [TILES_QUEUE]: settings, [EVENTS_QUEUE]: settings });
    const { blobs, mode, calls, release } = switchableBlobs();
    const health = new HealthTracker();
    const probe = dependencyProbe(health, { queue, blobs }, { timeoutMs: 20, cacheMs: 0 });
    mode.now = "fail";
    expect((await probe()).checks.blobs).toMatchObject({ ok: false, reason: "connect ECONNREFUSED 127.0.0.1:10000" });
    mode.now = "hang";
    const before = calls();
    for (let i = 0; i < 12; i++) await probe();
    expect(calls() - before).toBe(8);
    expect(health.report().checks.blobs.reason).toBe("blob storage probe: 8 calls still without an answer");
    release();
    mode.now = "ok";
    await new Promise((r) => setTimeout(r, 10));
    expect((await probe()).status).toBe("degraded"); // back, but only just
    await queue.close();
  });

  it("shares one probe between callers within the cache time", async () => {
    const queue = new MemoryQueue({ [TILES_QUEUE]: settings, [EVENTS_QUEUE]: settings });
    const { blobs, calls } = switchableBlobs();
    const probe = dependencyProbe(new HealthTracker(), { queue, blobs }, { cacheMs: 60_000 });
    await Promise.all(Array.from({ length: 10 }, () => probe()));
    await probe();
    expect(calls()).toBe(1);
    await queue.close();
  });
});

describe("withTimeout", () => {
  it("passes an answer through and bounds a wait for none", async () => {
    expect(await withTimeout(Promise.resolve(7), 1_000, "seven")).toBe(7);
    await expect(withTimeout(new Promise(() => undefined), 20, "nothing")).rejects.toThrow("nothing: no answer within 20 ms");
  });
});
