import { describe, expect, it } from "vitest";
import { heartbeatName } from "../../engine/blob-names.js";
import {
  currentHeartbeats,
  FORGET_AFTER_MS,
  isAlive,
  readHeartbeats,
  type WorkerHeartbeat,
  writeHeartbeat,
} from "../../engine/heartbeats.js";
import { MemoryBlobStore } from "../../infra/memory/memory-blob-store.js";

const NOW = 1_800_000_000_000;
const beat = (id: string, lastSeen: number, extra: Partial<WorkerHeartbeat> = {}): WorkerHeartbeat => ({
  id,
  pid: 100,
  host: "vm-1",
  threads: 4,
  tilesDone: 7,
  busy: false,
  startedAt: NOW - 60_000,
  lastSeen,
  intervalMs: 2_000,
  ...extra,
});

describe("worker heartbeats", () => {
  it("is alive while beats arrive within three intervals, and not once stopped", () => {
    expect(isAlive(beat("a", NOW - 6_000), NOW)).toBe(true);
    expect(isAlive(beat("a", NOW - 6_001), NOW)).toBe(false);
    expect(isAlive(beat("a", NOW, { stoppedAt: NOW }), NOW)).toBe(false);
  });

  it("names each worker's blob safely, reads every beat back and skips one that is not JSON", async () => {
    const blobs = new MemoryBlobStore();
    await writeHeartbeat(blobs, beat("vm 1/pid:7", NOW));
    await writeHeartbeat(blobs, beat("worker-2", NOW, { startedAt: NOW - 1 }));
    await blobs.put("workers/garbage.json", new TextEncoder().encode("{not json"));
    expect(heartbeatName("vm 1/pid:7")).toBe("workers/vm_1_pid_7.json");
    const beats = await readHeartbeats(blobs);
    expect(beats.map((b) => b.id)).toEqual(["vm 1/pid:7", "worker-2"]);
  });

  it("forgets workers gone for longer than FORGET_AFTER_MS, deleting their blobs", async () => {
    const blobs = new MemoryBlobStore();
    await writeHeartbeat(blobs, beat("recent", NOW - 1_000));
    await writeHeartbeat(blobs, beat("stopped-long-ago", NOW - FORGET_AFTER_MS - 1, { stoppedAt: NOW - FORGET_AFTER_MS }));
    expect((await currentHeartbeats(blobs, NOW)).map((b) => b.id)).toEqual(["recent"]);
    expect(await blobs.exists(heartbeatName("stopped-long-ago"))).toBe(false);
  });
});
