import { type Kernels, loadKernels } from "@tessera/kernels";

let instance: Promise<Kernels> | undefined;

/** One kernel instance per test file (vitest isolates files), loaded from the built package. */
export function kernels(): Promise<Kernels> {
  instance ??= loadKernels();
  return instance;
}
