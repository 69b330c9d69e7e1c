// COCO objects with CenterNet (MobileNetV3 backbone, github.com/610265158/mobilenetv3_centernet,
// converted to a tfjs graph model and shipped by @vladmandic/human as models/centernet.json/.bin,
// MIT). Input: 1×512×512×3 float RGB in 0..255 (the graph normalises itself). The graph already
// decodes its heatmaps: output `tower_0/detections` is the top 100 peaks as rows of
// [x1, y1, x2, y2, score, class], corners in input pixels, class an index 0..79 into the 80
// COCO labels below. Only that output is computed.

import { type GraphModel, loadModelFile, tfRuntime } from "./model-files.js";
import { type Detector, type RawBox, SPECS } from "./types.js";

/** The 80 COCO detection labels, in the model's class order. */
// biome-ignore format: ten labels a row keeps the class indices countable
export const COCO_LABELS: readonly string[] = Object.freeze([
  "person", "bicycle", "car", "motorcycle", "airplane", "bus", "train", "truck", "boat", "traffic light",
  "fire hydrant", "stop sign", "parking meter", "bench", "bird", "cat", "dog", "horse", "sheep", "cow",
  "elephant", "bear", "zebra", "giraffe", "backpack", "umbrella", "handbag", "tie", "suitcase", "frisbee",
  "skis", "snowboard", "sports ball", "kite", "baseball bat", "baseball glove", "skateboard", "surfboard", "tennis racket", "bottle",
  "wine glass", "cup", "fork", "knife", "spoon", "bowl", "banana", "apple", "sandwich", "orange",
  "broccoli", "carrot", "hot dog", "pizza", "donut", "cake", "chair", "couch", "potted plant", "bed",
  "dining table", "toilet", "tv", "laptop", "mouse", "remote", "keyboard", "cell phone", "microwave", "oven",
  "toaster", "sink", "refrigerator", "book", "clock", "vase", "scissors", "teddy bear", "hair drier", "toothbrush",
]);

const OUTPUT = "tower_0/detections";

/** Rows of [x1, y1, x2, y2, score, class] to boxes; rows without a valid class are skipped. */
export function decodeCenterNet(rows: Float32Array | readonly number[]): RawBox[] {
  const out: RawBox[] = [];
  for (let i = 0; i + 6 <= rows.length; i += 6) {
    const cls = rows[i + 5] as number;
    const score = rows[i + 4] as number;
    const label = Number.isInteger(cls) ? COCO_LABELS[cls] : undefined;
    if (label === undefined || !(score > 0)) continue;
    out.push({
      label,
      score,
      x1: rows[i] as number,
      y1: rows[i + 1] as number,
      x2: rows[i + 2] as number,
      y2: rows[i + 3] as number,
    });
  }
  return out;
}

export async function loadObjectDetector(): Promise<Detector> {
  const { tf } = await tfRuntime();
  const model: GraphModel = await loadModelFile("centernet");
  const size = SPECS.objects.inputSize;
  const shape = model.inputs[0]?.shape;
  if (shape?.[1] !== size || shape?.[2] !== size) {
    throw new Error(
      `centernet.json takes ${JSON.stringify(shape)}, expected [1, ${size}, ${size}, 3]: not the model this code decodes`,
    );
  }
  return {
    spec: SPECS.objects,
    scale: SPECS.objects.scale,
    offset: SPECS.objects.offset,
    async infer(input: Float32Array): Promise<RawBox[]> {
      const x = tf.tensor4d(input, [1, size, size, 3]);
      try {
        const y = model.execute(x, OUTPUT) as import("@tensorflow/tfjs-core").Tensor;
        try {
          return decodeCenterNet((await y.data()) as Float32Array);
        } finally {
          y.dispose();
        }
      } finally {
        x.dispose();
      }
    },
  };
}
