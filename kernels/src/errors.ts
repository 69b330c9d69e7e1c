/**
 * Every failure the kernel library reports. `code` is a closed set so callers (the gateway's
 * HTTP mapping, the CLI's exit codes) can switch on it:
 *
 * - `INVALID_PIPELINE`: the pipeline text/JSON is malformed, names an unknown op or param, or a
 *   param is out of range. Fix the pipeline; the message names the step, param and range.
 * - `INVALID_IMAGE`: the image object is wrong (size not a positive integer, buffer length
 *   not width·height·4). Fix the caller.
 * - `IMAGE_TOO_LARGE`: the image does not fit the kernels' 32-bit memory. Tile it (the engine does).
 * - `WASM_LOAD_FAILED`: the .wasm file could not be found, fetched or compiled.
 * - `KERNEL_FAILED`: a kernel trapped (out of memory, or a bug). Report it with the pipeline.
 */
export type KernelErrorCode = "INVALID_PIPELINE" | "INVALID_IMAGE" | "IMAGE_TOO_LARGE" | "WASM_LOAD_FAILED" | "KERNEL_FAILED";

export class KernelError extends Error {
  readonly code: KernelErrorCode;
  constructor(code: KernelErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "KernelError";
    this.code = code;
  }
}

/** Where in a pipeline a problem is: 1-based step number, op name and param when known. */
export interface PipelineLocation {
  step?: number;
  op?: string;
  param?: string;
}

/** A pipeline that cannot run. The message says what was wrong, what is allowed, and the fix. */
export class PipelineError extends KernelError {
  readonly step: number | undefined;
  readonly op: string | undefined;
  readonly param: string | undefined;
  constructor(message: string, where: PipelineLocation = {}) {
    super("INVALID_PIPELINE", message);
    this.name = "PipelineError";
    this.step = where.step;
    this.op = where.op;
    this.param = where.param;
  }
}
