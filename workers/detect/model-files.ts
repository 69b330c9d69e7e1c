// Where the detectors' files come from: npm packages on disk, never the network. The model
// graphs and weights ship in @vladmandic/human (MIT) under models/; TensorFlow.js runs them on
// its WebAssembly backend, whose .wasm binaries ship in @tensorflow/tfjs-backend-wasm. Both are
// found by Node's module resolution from this file, so the same code works from workers/,
// dist/workers/ and dist/bundle/. tfjs-node is not used: its install downloads a native library.

import { existsSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join, sep } from "node:path";

type Tf = typeof import("@tensorflow/tfjs-core");
type TfConverter = typeof import("@tensorflow/tfjs-converter");
type TfWasm = typeof import("@tensorflow/tfjs-backend-wasm");
export type GraphModel = import("@tensorflow/tfjs-converter").GraphModel;

/** The packages detection needs, at the versions it was written and tested against. */
export const DETECT_PACKAGES = Object.freeze([
  "@tensorflow/tfjs-core@4.22.0",
  "@tensorflow/tfjs-converter@4.22.0",
  "@tensorflow/tfjs-backend-wasm@4.22.0",
  "@vladmandic/human@3.3.6",
]);

const INSTALL = `npm install --save-exact ${DETECT_PACKAGES.join(" ")}`;

/** The error for a missing package or file: what is missing, and the command that fixes it. */
export function missingPackageError(what: string, cause?: unknown): Error {
  return new Error(`detect-objects and detect-faces need ${what}, which is not installed; install the models with: ${INSTALL}`, {
    cause,
  });
}

const require = createRequire(import.meta.url);

/**
 * The directory of an installed package. Resolves its entry point (Human's exports map hides
 * package.json and models/) and walks up to the package.json that names it.
 */
export function packageDir(name: string): string {
  let entry: string;
  try {
    entry = require.resolve(name);
  } catch (err) {
    throw missingPackageError(`the package ${name}`, err);
  }
  for (let dir = dirname(entry); dir !== dirname(dir); dir = dirname(dir)) {
    const manifest = join(dir, "package.json");
    if (existsSync(manifest) && (JSON.parse(readFileSync(manifest, "utf8")) as { name?: string }).name === name) return dir;
  }
  throw missingPackageError(`the package ${name} (no package.json above ${entry})`);
}

/** The model directory: Human's models/ (centernet.json/.bin, blazeface.json/.bin). */
export function modelDir(): string {
  return join(packageDir("@vladmandic/human"), "models");
}

interface ModelJson {
  modelTopology: object;
  weightsManifest: { paths: string[]; weights: object[] }[];
  format?: string;
  generatedBy?: string;
  convertedBy?: string;
  signature?: object;
  userDefinedMetadata?: Record<string, object>;
}

/**
 * A tfjs IOHandler that reads `<name>.json` and its weight files from `dir`: what
 * tf.loadGraphModel would fetch over HTTP, read from disk instead, weight files concatenated in
 * manifest order as the format requires.
 */
export function fileModelHandler(dir: string, name: string): import("@tensorflow/tfjs-core").io.IOHandler {
  return {
    load: async () => {
      const file = join(dir, `${name}.json`);
      if (!existsSync(file)) throw missingPackageError(`the model file ${file}`);
      const json = JSON.parse(readFileSync(file, "utf8")) as ModelJson;
      const parts = json.weightsManifest.flatMap((group) => group.paths.map((p) => readFileSync(join(dir, p))));
      const all = Buffer.concat(parts);
      const weightData = all.buffer.slice(all.byteOffset, all.byteOffset + all.byteLength) as ArrayBuffer;
      return {
        modelTopology: json.modelTopology,
        weightSpecs: json.weightsManifest.flatMap(
          (group) => group.weights,
        ) as import("@tensorflow/tfjs-core").io.WeightsManifestEntry[],
        weightData,
        format: json.format,
        generatedBy: json.generatedBy,
        convertedBy: json.convertedBy ?? null,
        signature: json.signature,
        userDefinedMetadata: json.userDefinedMetadata,
      };
    },
  };
}

export interface TfRuntime {
  readonly tf: Tf;
  readonly converter: TfConverter;
}

let runtime: Promise<TfRuntime> | undefined;

/**
 * TensorFlow.js on the WebAssembly backend, once per thread. At most 2 threads for XNNPACK (in
 * Node the multi-threaded binary is not used and tfjs runs one thread per worker; parallelism
 * comes from running windows on several workers). The .wasm files are read from the backend
 * package's dist/ directory by path.
 */
export function tfRuntime(): Promise<TfRuntime> {
  runtime ??= (async () => {
    let tf: Tf;
    let converter: TfConverter;
    let wasm: TfWasm;
    try {
      [tf, converter, wasm] = await Promise.all([
        import("@tensorflow/tfjs-core"),
        import("@tensorflow/tfjs-converter"),
        import("@tensorflow/tfjs-backend-wasm"),
      ]);
    } catch (err) {
      throw missingPackageError("TensorFlow.js (@tensorflow/tfjs-core, -converter, -backend-wasm)", err);
    }
    wasm.setWasmPaths(dirname(require.resolve("@tensorflow/tfjs-backend-wasm")) + sep);
    wasm.setThreadsCount(2);
    if (!(await tf.setBackend("wasm"))) throw new Error("TensorFlow.js could not start its WebAssembly backend");
    await tf.ready();
    return { tf, converter };
  })();
  // A failed start may be fixed (packages installed) before the next call: do not cache it.
  runtime.catch(() => {
    runtime = undefined;
  });
  return runtime;
}

/** A graph model from modelDir(), loaded through fileModelHandler. */
export async function loadModelFile(name: string): Promise<GraphModel> {
  const { converter } = await tfRuntime();
  return converter.loadGraphModel(fileModelHandler(modelDir(), name));
}
