import { parsePipeline } from "@tessera/kernels";
import { expect, it } from "vitest";
import type { TileMessage } from "../../engine/messages.js";
import { serveMetrics, WorkerMetrics } from "../../workers/metrics.js";

it("serves a worker's tiles, tile time by op chain, pool utilisation and process metrics", async () => {
  let busy = true;
  const metrics = new WorkerMetrics("w-1", { utilization: 0.25 }, () => busy);
  const tile = { steps: parsePipeline("gaussian-blur(sigma=2) | sobel") } as unknown as TileMessage;
  const event = { kind: "tile-done" as const, jobId: "j", stage: 0, tile: 3, worker: "w-1/0", ms: 12 };
  metrics.record(event, tile);
  metrics.record({ ...event, tile: 4, ms: 0 }, tile); // a duplicate: counted, not timed
  const endpoint = await serveMetrics(metrics.registry, 0, "127.0.0.1");
  try {
    const text = await (await fetch(`http://127.0.0.1:${endpoint.port}/metrics`)).text();
    expect(text).toContain('tessera_worker_tiles_processed_total{worker="w-1"} 2');
    expect(text).toContain('tessera_tile_duration_seconds_count{ops="gaussian-blur|sobel"} 1');
    expect(text).toContain('tessera_tile_duration_seconds_sum{ops="gaussian-blur|sobel"} 0.012');
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
