// The preview worker: @tessera/kernels (WebAssembly SIMD) off the main thread. Vite bundles this
// file and ships tessera.wasm beside it (the loader's `new URL("./tessera.wasm", import.meta.url)`).

import { loadKernels } from "@tessera/kernels";
import { createPreviewHandler } from "./preview-core.ts";
import type { FromWorker, ToWorker } from "./preview-protocol.ts";

/** The dedicated worker scope, typed without the WebWorker lib (which clashes with DOM's). */
const scope = self as unknown as {
  postMessage(message: FromWorker, transfer: Transferable[]): void;
  onmessage: ((event: MessageEvent<ToWorker>) => void) | null;
};

const handle = createPreviewHandler(loadKernels(), (message, transfer = []) => scope.postMessage(message, transfer));
scope.onmessage = (event) => void handle(event.data);
