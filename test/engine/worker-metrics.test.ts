import { parsePipeline } from "@tessera/kernels";
import { expect, it } from "vitest";
import type { BandMessage } from "../../engine/messages.js";
import { serveMetrics, WorkerMetrics } from "../../workers/metrics.js";

it("serves a worker's tiles, tile time by op chain, band time, pool utilisation and process metrics", async () => {
  let busy = true;
  const metrics = new WorkerMetrics("w-1", { utilization: 0.25 }, () => busy);
  const band = { steps: parsePipeline("gaussian-blur(sigma=2) | sobel") } as unknown as BandMessage;
  const event = {
    kind: "band-done" as const,
    jobId: "j",
    stage: 0,
    band: 1,
    tiles: [3, 4],
    worker: "w-1/0",
    ms: 30,
    kernelMs: 24,
  };
  metrics.record(event, band);
  metrics.record({ ...event, band: 2, tiles: [5, 6], ms: 0, kernelMs: 0 }, band); // a duplicate: counted, not timed
  const endpoint = await serveMetrics(metrics.registry, 0, "127.0.0.1");
  try {
    const text = await (await fetch(`http://127.0.0.1:${endpoint.port}/metrics`)).text();
    expect(text).toContain('tessera_worker_tiles_processed_total{worker="w-1"} 4');
    expect(text).toContain('tessera_tile_duration_seconds_count{ops="gaussian-blur|sobel"} 2');
    expect(text).toContain('tessera_tile_duration_seconds_sum{ops="gaussian-blur|sobel"} 0.024');
    expect(text).toContain("tessera_band_duration_seconds_count 1");
    expect(text).toContain("tessera_band_duration_seconds_sum 0.03");
    expect(text).toContain("tessera_worker_pool_utilization 0.25");
    expect(text).toContain("tessera_worker_busy 1");
    expect(text).toMatch(/tessera_worker_process_cpu_seconds_total \d/);
    expect(text).toMatch(/tessera_worker_process_resident_memory_bytes \d/);
    busy = false;
    expect(await (await fetch(`http://127.0.0.1:${endpoint.port}/metrics`)).text()).toContain("tessera_worker_busy 0");
    expect((await fetch(`http://127.0.0.1:${endpoint.port}/other`)).status).toBe(404);
  } finally {
    await endpoint.close();
  }
});
