import { KernelError } from "./errors.js";
import { Kernels } from "./kernels.js";
import { KERNEL_IMPORTS, type WasmExports } from "./wasm.js";

/** Where the kernels' WebAssembly comes from. Omitted: the tessera.wasm shipped beside this module. */
export type KernelSource = string | URL | ArrayBuffer | ArrayBufferView | WebAssembly.Module | Response | Promise<Response>;

/** Node's process object when running on Node; read through globalThis so the package needs no Node types. */
const nodeProcess = (globalThis as { process?: { versions?: { node?: string }; cwd(): string } }).process;
const isNode = typeof nodeProcess?.versions?.node === "string";
/** A variable, not a literal, so bundlers leave the Node-only import alone. */
const NODE_FS = "node:fs/promises";

/** Default location. Written as a literal `new URL(..., import.meta.url)` so bundlers (Vite, webpack) ship the file. */
const defaultUrl = (): URL => new URL("./tessera.wasm", import.meta.url);

/**
 * Compiles the kernels' WebAssembly module once. Hand the module to each worker thread and
 * call loadKernels(module) there: instantiating a compiled module is cheap, compiling is not.
 */
export async function compileKernels(source?: KernelSource): Promise<WebAssembly.Module> {
  try {
    if (source instanceof WebAssembly.Module) return source;
    if (source instanceof ArrayBuffer || ArrayBuffer.isView(source)) return await WebAssembly.compile(source as BufferSource);
    return await WebAssembly.compile(await readSource(source));
  } catch (cause) {
    throw new KernelError(
      "WASM_LOAD_FAILED",
      `could not load the kernels' WebAssembly${source === undefined ? " (tessera.wasm beside the module)" : ""}: ${(cause as Error).message}. Run \`npm run build\` if it was never built, or pass its bytes or URL to loadKernels()`,
      { cause },
    );
  }
}

/** Bytes from a Response, a URL or a path: file: URLs are read from disk (Node), others fetched. */
async function readSource(source: string | URL | Response | Promise<Response> | undefined): Promise<ArrayBuffer> {
  // Strings, URLs and "nothing" first: on Node, merely reading globalThis.Response loads undici
  // (~15 ms of a one-shot `tessera process` start-up), and these never need it.
  if (source !== undefined && typeof source !== "string" && !(source instanceof URL)) {
    const response = await source;
    if (!response.ok) throw new Error(`HTTP ${response.status} ${response.statusText} for ${response.url}`);
    return await response.arrayBuffer();
  }
  const base = isNode ? `file://${nodeProcess?.cwd()}/` : (globalThis as { location?: { href: string } }).location?.href;
  const url = source === undefined ? defaultUrl() : new URL(String(source), base);
  if (url.protocol === "file:" && isNode) {
    const { readFile } = (await import(/* @vite-ignore */ NODE_FS)) as { readFile(url: URL): Promise<Uint8Array> };
    const bytes = await readFile(url);
    return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
  }
  return await readSource(fetch(url));
}

/**
 * Loads the kernels: `const k = await loadKernels(); k.run(image, "gaussian-blur(sigma=2) | sobel")`.
 * Works in Node (reads the .wasm beside this module), browsers, web workers and bundlers.
 * `source` may be bytes, a WebAssembly.Module, a Response, a URL or a path.
 */
export async function loadKernels(source?: KernelSource): Promise<Kernels> {
  const module = await compileKernels(source);
  const instance = await WebAssembly.instantiate(module, KERNEL_IMPORTS);
  return new Kernels(instance.exports as unknown as WasmExports, module);
}
