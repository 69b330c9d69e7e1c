import { describe, expect, it } from "vitest";
import { BandsAhead, WINDOWS_AHEAD_BYTES } from "../../engine/bands-ahead.js";
import type { JobManifest } from "../../engine/job.js";

const settled = async (p: Promise<unknown>) =>
  Promise.race([p.then(() => true), new Promise((r) => setTimeout(() => r(false), 20))]);

describe("BandsAhead", () => {
  it("lets the dispatch run only so many raw windows ahead of the bands done", async () => {
    const done = new Set<number>();
    const job = { status: "running" } as JobManifest;
    const ahead = new BandsAhead(done, WINDOWS_AHEAD_BYTES / 3, job); // room for three
    for (const band of [0, 1, 2]) await ahead.room(band);
    const fourth = ahead.room(3);
    expect(await settled(fourth)).toBe(false);
    done.add(1);
    ahead.finished();
    expect(await settled(fourth)).toBe(true);
    expect(await settled(ahead.room(4))).toBe(false);
  });

  it("always allows two bands, however wide, and lets go when the job ends", async () => {
    const done = new Set<number>();
    const job = { status: "running" } as JobManifest;
    const ahead = new BandsAhead(done, WINDOWS_AHEAD_BYTES * 10, job);
    await ahead.room(0);
    await ahead.room(1);
    const third = ahead.room(2);
    expect(await settled(third)).toBe(false);
    job.status = "canceled";
    await third; // within a recheck, without any band done
  });
});
