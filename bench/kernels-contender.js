// One contender of bench/kernels.bench.js, in a process of its own: Tessera (with the copy
// floor beside it) or one peer library, on every selected row. The parent starts one of these
// per contender and prints the table; this prints one JSON line, the row timings, on stdout.
//
//   node --expose-gc bench/kernels-contender.js --name sharp --runs 5 [--only gamma]
//
// Why a process each: every library here was timed in one process before, and wasm-vips's
// threads and heap made the others' allocations a lottery (our gamma took 19–22 ms alone and
// 21–34 ms with wasm-vips loaded beside it, unrun). Alone, each meets only its own garbage.
// A peer's process loads Tessera's kernels too, untimed, for the Δ column.

import { parseArgs } from "node:util";
import { loadKernels } from "@tessera/kernels";
import { MATRICES, makeInput, maxDiff, rowImage, selectRows } from "./kernels-rows.js";
import { loadPeer } from "./peers-libs.js";
import { race } from "./timing.js";

const { values: args } = parseArgs({
  options: {
    name: { type: "string" },
    runs: { type: "string", default: "5" },
    photo: { type: "string", default: "astronaut.png" },
    width: { type: "string", default: "4000" },
    height: { type: "string", default: "3000" },
    only: { type: "string" },
  },
});
const runs = Number(args.runs);
const k = await loadKernels();
const input = await makeInput(k, { photo: args.photo, width: Number(args.width), height: Number(args.height) });
const rows = selectRows(args.only);
const say = (line) => process.stderr.write(`${line}\n`);
const errorText = (error) => `${error?.message ?? error}`.split("\n")[0];

/** Tessera and the floor: copying a result of the row's size out of wasm memory into a fresh buffer. */
async function tessera() {
  const floorMemory = new Uint8Array(
    new WebAssembly.Memory({ initial: Math.ceil((input.width * input.height * 4) / 65536) }).buffer,
  );
  const out = {};
  for (const row of rows) {
    const { image, options, channels } = rowImage(row, input);
    const bytes = input.width * input.height * channels;
    const t = await race(
      { floor: () => floorMemory.slice(0, bytes), Tessera: () => k.run(image, row.pipeline, options).data },
      runs,
    );
    if (t.Tessera.error) throw t.Tessera.error;
    out[row.name] = { ms: t.Tessera.ms, floorMs: t.floor.ms };
    say(`Tessera, ${row.name}: ${t.Tessera.ms.toFixed(0)} ms`);
  }
  return { name: "Tessera", rows: out };
}

/** One peer: its time on each row it has an op for, and how far its result is from ours. */
async function peer(name) {
  const lib = await loadPeer(name, MATRICES);
  if (lib.error) return { name, error: lib.error };
  const out = {};
  for (const row of rows) {
    const op = lib.ops[row.key];
    if (!op) continue;
    const { image, options, channels } = rowImage(row, input);
    const t = (await race({ [name]: () => op.run(input) }, runs))[name];
    if (t.error) {
      out[row.name] = { error: errorText(t.error) };
      continue;
    }
    const ours = k.run(image, row.pipeline, options).data;
    out[row.name] = { ms: t.ms, maxDiff: maxDiff(ours, t.out, input, channels, op.interior), note: op.note };
    say(`${name}, ${row.name}: ${t.ms.toFixed(0)} ms (max diff ${out[row.name].maxDiff})`);
  }
  return { name, version: lib.version, rows: out };
}

const result = args.name === "Tessera" ? await tessera() : await peer(args.name);
process.stdout.write(`${JSON.stringify(result)}\n`);
