// What travels between processes is checked against its shape where it is read: a band message
// by the worker, a band event by the coordinator, a heartbeat by the gateway. The checks are
// hand-written (engine/shape-check.ts); these tests hold them to what the types promise.

import { describe, expect, it } from "vitest";
import { parseHeartbeat, type WorkerHeartbeat } from "../../engine/heartbeats.js";
import { type BandEvent, type BandMessage, bandMessageProblem, isBandEvent } from "../../engine/messages.js";
import { OUTPUT_FORMATS } from "../../engine/ports/codec.js";
import type { MessageBody } from "../../engine/ports/queue.js";
import { arrayOf, byKind, count, object, optional, shapeProblem, string } from "../../engine/shape-check.js";

const message: BandMessage = {
  kind: "band",
  jobId: "j1",
  stage: 0,
  band: 2,
  grid: { width: 640, height: 480, tileSize: 256 },
  halo: 3,
  input: { kind: "piece", name: "jobs/j1/source/p2", top: 256 },
  output: "jobs/j1/s0/",
  steps: [{ op: "gaussian-blur", sigma: 2 } as never],
  histogram: false,
  encode: { format: "png", grey: false },
  last: true,
};
const body = (m: object) => m as unknown as MessageBody;

describe("band messages", () => {
  it("accepts every shape a coordinator sends", () => {
    expect(bandMessageProblem(body(message))).toBeUndefined();
    for (const input of [
      { kind: "window", name: "w" },
      { kind: "layer", prefix: "jobs/j1/s0/" },
    ])
      expect(bandMessageProblem(body({ ...message, input }))).toBeUndefined();
    const analysis = { op: "fast", params: { threshold: 20 } };
    expect(bandMessageProblem(body({ ...message, analysis, detection: analysis, encode: undefined }))).toBeUndefined();
  });

  it("says where each problem is and what was found, the first three of them", () => {
    expect(bandMessageProblem(body({ ...message, stage: "first", band: -1 }))).toBe(
      'not a band message: stage: expected an integer ≥ 0, got "first"; band: expected an integer ≥ 0, got -1',
    );
    expect(bandMessageProblem(body({ ...message, input: { kind: "url", name: "x" } }))).toBe(
      'not a band message: input.kind: expected one of "window", "piece", "layer", got "url"',
    );
    expect(bandMessageProblem(body({ ...message, input: { kind: "piece", name: "" } }))).toBe(
      'not a band message: input.name: expected a non-empty string, got ""; input.top: expected an integer ≥ 0, got nothing',
    );
    expect(bandMessageProblem(body({ ...message, steps: [{ op: 1 }], grid: null, encode: { format: "bmp" } }))).toBe(
      "not a band message: grid: expected an object, got null; steps.0.op: expected a string, got 1; " +
        `encode.format: expected one of ${OUTPUT_FORMATS.map((f) => `"${f}"`).join(", ")}, got "bmp"; and 1 more`, // encode.grey
    );
    expect(bandMessageProblem(body({ kind: "band", jobId: "j", stage: 1.5 }))).toMatch(
      /^not a band message: stage: expected an integer ≥ 0, got 1.5; band: expected an integer ≥ 0, got nothing; grid: expected an object, got nothing; and \d+ more$/,
    );
  });

  it("lets keys it does not know through, as a newer coordinator may add them", () => {
    expect(bandMessageProblem(body({ ...message, priority: 3 }))).toBeUndefined();
  });
});

describe("band events", () => {
  const event: BandEvent = { kind: "band-done", jobId: "j1", stage: 0, band: 1, tiles: [3, 4], worker: "w", ms: 12.5 };
  it("counts a well-formed event and refuses a malformed one", () => {
    expect(isBandEvent(body(event))).toBe(true);
    expect(isBandEvent(body({ ...event, kind: "band-failed", tile: 3, error: "boom", kernelMs: 1, readMs: 2, writeMs: 3 }))).toBe(
      true,
    );
    expect(isBandEvent(body({ ...event, tiles: [3, -4] }))).toBe(false);
    expect(isBandEvent(body({ ...event, ms: Number.NaN }))).toBe(false);
    expect(isBandEvent(body({ ...event, kind: "band-lost" }))).toBe(false);
  });
});

describe("heartbeats", () => {
  const beat: WorkerHeartbeat = {
    id: "w1",
    pid: 7,
    host: "vm",
    threads: 2,
    tilesDone: 0,
    busy: false,
    startedAt: 1,
    lastSeen: 2,
    intervalMs: 2000,
  };
  const bytes = (b: object) => new TextEncoder().encode(JSON.stringify(b));
  it("reads a heartbeat back, and nothing from one of the wrong shape", () => {
    expect(parseHeartbeat(bytes(beat))).toEqual(beat);
    expect(parseHeartbeat(bytes({ ...beat, intervalMs: 0 }))).toBeUndefined();
    expect(parseHeartbeat(bytes({ ...beat, busy: "no" }))).toBeUndefined();
    expect(parseHeartbeat(bytes([beat]))).toBeUndefined();
  });
});

describe("shape checks", () => {
  it("name the body itself when the value is not an object at all", () => {
    expect(shapeProblem(object({ a: count }), "text")).toBe('(body): expected an object, got "text"');
    expect(shapeProblem(arrayOf(count), {})).toBe("(body): expected an array, got an object");
  });

  it("check an optional value only when it is there, and pick a shape by kind", () => {
    const shape = object({ note: optional(string(1)), item: byKind({ a: object({ n: count }) }) });
    expect(shapeProblem(shape, { item: { kind: "a", n: 1 } })).toBeUndefined();
    expect(shapeProblem(shape, { note: "", item: { kind: "a", n: 1 } })).toBe('note: expected a non-empty string, got ""');
    expect(shapeProblem(shape, { item: [] })).toBe('item.kind: expected one of "a", got nothing');
  });

  it("cut a long string short in what they quote", () => {
    expect(shapeProblem(count, "x".repeat(100))).toBe(`(body): expected an integer ≥ 0, got "${"x".repeat(40)}…"`);
  });
});
