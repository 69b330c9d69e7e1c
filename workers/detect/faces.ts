// Faces with BlazeFace (MediaPipe's "back camera" short-range face detector, Apache-2.0 model,
// converted by and shipped with @vladmandic/human as models/blazeface.json/.bin, MIT). Input:
// 1×256×256×3 float RGB in -1..1. Outputs, per anchor of 896 (two SSD grids: 16×16 cells × 2
// anchors at stride 16, then 8×8 × 6 at stride 32): a logit, and 16 regressors [dx, dy, w, h,
// then 6 landmarks]. The graph returns the two grids as four tensors (scores and regressors,
// 512 and 384 anchors), told apart here by shape since their names carry no meaning. The box is
// centre (anchor + dx, anchor + dy) with size w × h, in input pixels: the face from brows to
// chin, as the model was trained (Human enlarges it 1.4× for its face mesh; we report it as is).
// The facemesh landmarks are not reported.

import type { Tensor } from "@tensorflow/tfjs-core";
import { type GraphModel, loadModelFile, tfRuntime } from "./model-files.js";
import { type Detector, type RawBox, SPECS } from "./types.js";

const SIZE = SPECS.faces.inputSize;

/** Anchor centres in input pixels, in the model's output order. */
export function blazeFaceAnchors(size = SIZE): Float64Array {
  const grids: [stride: number, perCell: number][] = [
    [16, 2],
    [32, 6],
  ];
  const out: number[] = [];
  for (const [stride, perCell] of grids) {
    const cells = Math.ceil(size / stride);
    for (let gy = 0; gy < cells; gy++) {
      for (let gx = 0; gx < cells; gx++) {
        for (let k = 0; k < perCell; k++) out.push(stride * (gx + 0.5), stride * (gy + 0.5));
      }
    }
  }
  return Float64Array.from(out);
}

/**
 * Scores (logits, one per anchor) and regressors (16 per anchor), both in anchor order, to
 * boxes scoring at least `minScore`. The sigmoid is monotonic, so the cut can be made on it.
 */
export function decodeBlazeFace(
  logits: ArrayLike<number>,
  regressors: ArrayLike<number>,
  anchors: Float64Array,
  minScore: number,
): RawBox[] {
  const out: RawBox[] = [];
  for (let i = 0; i < logits.length; i++) {
    const score = 1 / (1 + Math.exp(-(logits[i] as number)));
    if (!(score >= minScore)) continue;
    const r = i * 16;
    const cx = (anchors[i * 2] as number) + (regressors[r] as number);
    const cy = (anchors[i * 2 + 1] as number) + (regressors[r + 1] as number);
    const w = regressors[r + 2] as number;
    const h = regressors[r + 3] as number;
    if (!(w > 0 && h > 0)) continue;
    out.push({ label: "face", score, x1: cx - w / 2, y1: cy - h / 2, x2: cx + w / 2, y2: cy + h / 2 });
  }
  return out;
}

/** Joins the four outputs into anchor order: the 512-anchor grid first, then the 384 one. */
async function gather(outputs: Tensor[]): Promise<{ logits: Float32Array; regressors: Float32Array }> {
  const find = (anchors: number, width: number): Tensor => {
    const t = outputs.find((o) => o.shape[1] === anchors && o.shape[2] === width);
    if (!t)
      throw new Error(
        `blazeface.json gave outputs ${JSON.stringify(outputs.map((o) => o.shape))}: not the model this code decodes`,
      );
    return t;
  };
  const [s512, s384, r512, r384] = await Promise.all([
    find(512, 1).data(),
    find(384, 1).data(),
    find(512, 16).data(),
    find(384, 16).data(),
  ]);
  const logits = new Float32Array(896);
  logits.set(s512 as Float32Array, 0);
  logits.set(s384 as Float32Array, 512);
  const regressors = new Float32Array(896 * 16);
  regressors.set(r512 as Float32Array, 0);
  regressors.set(r384 as Float32Array, 512 * 16);
  return { logits, regressors };
}

/**
 * Boxes under this score are dropped in the window, before any param is known: BlazeFace
 * scores hundreds of anchors a little above 0, and no useful `score` param is this low.
 */
const FLOOR = 0.05;

export async function loadFaceDetector(): Promise<Detector> {
  const { tf } = await tfRuntime();
  const model: GraphModel = await loadModelFile("blazeface");
  const shape = model.inputs[0]?.shape;
  if (shape?.[1] !== SIZE || shape?.[2] !== SIZE) {
    throw new Error(
      `blazeface.json takes ${JSON.stringify(shape)}, expected [1, ${SIZE}, ${SIZE}, 3]: not the model this code decodes`,
    );
  }
  const anchors = blazeFaceAnchors();
  return {
    spec: SPECS.faces,
    scale: SPECS.faces.scale,
    offset: SPECS.faces.offset,
    async infer(input: Float32Array): Promise<RawBox[]> {
      const x = tf.tensor4d(input, [1, SIZE, SIZE, 3]);
      let outputs: Tensor[] = [];
      try {
        const y = model.execute(x);
        outputs = Array.isArray(y) ? y : [y];
        const { logits, regressors } = await gather(outputs);
        return decodeBlazeFace(logits, regressors, anchors, FLOOR);
      } finally {
        x.dispose();
        for (const o of outputs) o.dispose();
      }
    },
  };
}
