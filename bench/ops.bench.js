// What a job costs in Service Bus operations and Blob Storage transactions: the queue and the
// blob store under the real coordinator and worker are wrapped in counters, and each pipeline
// runs once on a 24 MP JPEG. These counts are what Azure bills (Service Bus Standard per
// operation, Blob Storage per transaction), and they do not depend on the adapter: the Azure
// adapters make one call (one HTTP request or AMQP operation) per port call counted here.
//
//   npm run build && node bench/ops.bench.js [--tile 512]

import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { compileKernels, loadKernels, parsePipeline } from "@tessera/kernels";
import sharp from "sharp";
import { Coordinator } from "../dist/engine/coordinator.js";
import { EVENTS_QUEUE, TILES_QUEUE } from "../dist/engine/messages.js";
import { SharpCodec } from "../dist/infra/adapters/sharp-codec.js";
import { MemoryBlobStore } from "../dist/infra/memory/memory-blob-store.js";
import { MemoryQueue } from "../dist/infra/memory/memory-queue.js";
import { startWorker } from "../dist/workers/worker.js";

const { values: args } = parseArgs({ options: { tile: { type: "string", default: "512" } } });
const cache = fileURLToPath(new URL("./.cache/", import.meta.url));
const photo = fileURLToPath(new URL("../test/fixtures/images/hubble_deep_field.jpg", import.meta.url));
const input = `${cache}24mp.jpg`;
try {
  readFileSync(input);
} catch {
  await sharp(photo).resize(6000, 4000, { fit: "fill" }).jpeg({ quality: 90 }).toFile(input);
}

const counts = new Map();
const count = (name) => counts.set(name, (counts.get(name) ?? 0) + 1);

/** Counts every call of the listed methods of `target` (and of the receivers it returns). */
function counting(target, prefix, methods, wrapResult = {}) {
  return new Proxy(target, {
    get(obj, key, receiver) {
      const value = Reflect.get(obj, key, receiver);
      if (typeof value !== "function" || !methods.includes(key)) return typeof value === "function" ? value.bind(obj) : value;
      return async (...a) => {
        count(`${prefix}.${key}`);
        const result = await value.apply(obj, a);
        return wrapResult[key] && result ? wrapResult[key](result) : result;
      };
    },
  });
}

const receiverMethods = ["receive", "complete", "abandon", "deadLetter", "renewLock", "getState", "setState", "close"];
const settings = { lockDurationMs: 30_000, maxDeliveryCount: 3 };
const memoryQueue = new MemoryQueue({ [TILES_QUEUE]: settings, [EVENTS_QUEUE]: settings });
const queue = counting(memoryQueue, "servicebus", ["send", "acceptSession", "receiveDeadLetters", "depth"], {
  acceptSession: (r) => counting(r, "servicebus", receiverMethods),
});
const blobs = counting(new MemoryBlobStore(), "blob", [
  "put",
  "putStream",
  "get",
  "getRange",
  "getStream",
  "exists",
  "list",
  "delete",
  "deletePrefix",
]);
const codec = new SharpCodec();
const module = await compileKernels();
const worker = await startWorker({ queue, blobs, codec, module, threads: 2, heartbeatMs: 0, acceptTimeoutMs: 200 });
const coordinator = new Coordinator({ queue, blobs, codec, kernels: await loadKernels(module), pollMs: 100 });

const bytes = readFileSync(input);
const pipelines = {
  light: "gaussian-blur(sigma=2) | sobel",
  heavy: "median(radius=2) | gaussian-blur(sigma=4) | sharpen(sigma=1, amount=1) | canny",
  histogram: "gaussian-blur(sigma=1) | equalize | sobel",
};
const rows = [];
for (const [name, text] of Object.entries(pipelines)) {
  counts.clear();
  const job = await coordinator.submit(bytes, parsePipeline(text), { format: "jpeg", tileSize: Number(args.tile) });
  const done = await coordinator.wait(job.id);
  if (done.status !== "succeeded") throw new Error(`${name}: ${done.status} ${done.error?.message}`);
  const mp = (done.width * done.height) / 1e6;
  const sum = (prefix) => [...counts].filter(([k]) => k.startsWith(prefix)).reduce((n, [, v]) => n + v, 0);
  const bands = Math.ceil(done.height / done.tileSize);
  rows.push({
    name,
    text,
    mp,
    bands,
    bus: sum("servicebus."),
    blob: sum("blob."),
    detail: Object.fromEntries([...counts].sort()),
  });
}
await worker.stop(async () => {
  await coordinator.close();
  await memoryQueue.close();
});

console.log(`\nOperations per job, 24 MP JPEG (6000×4000) → JPEG, tile ${args.tile} (bands of ${args.tile} rows)\n`);
console.log("| pipeline | bands | Service Bus ops | per MP | blob transactions | per MP |");
console.log("|---|---:|---:|---:|---:|---:|");
for (const r of rows) {
  console.log(
    `| ${r.name}: \`${r.text}\` | ${r.bands} | ${r.bus} | ${(r.bus / r.mp).toFixed(1)} | ${r.blob} | ${(r.blob / r.mp).toFixed(1)} |`,
  );
}
for (const r of rows) console.log(`\n${r.name}: ${JSON.stringify(r.detail)}`);
