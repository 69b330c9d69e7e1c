/**
 * The analysis ops' registry entries: names and params as public API (add, never rename), in
 * documentation order after the image ops. They return data, not an image, so they are the
 * last step of a pipeline (pipeline.ts refuses them anywhere else) and `Kernels.run()` refuses
 * them; what runs them is the AnalysisOp of the same name (analysis/registry.ts). Their
 * `radius` is 0: the context a tile needs is the AnalysisOp's `halo`, known only once the op
 * is wired, and the engine asks it there.
 */

import { choice, int, none, number } from "../param-builders.js";
import type { OpSpec, Params } from "../registry.js";

/** The labels of the COCO data set, which the object detector is trained on (its class order). */
// biome-ignore format: a table of labels, ten to a line
export const COCO_LABELS = [
  "person", "bicycle", "car", "motorcycle", "airplane", "bus", "train", "truck", "boat", "traffic light",
  "fire hydrant", "stop sign", "parking meter", "bench", "bird", "cat", "dog", "horse", "sheep", "cow",
  "elephant", "bear", "zebra", "giraffe", "backpack", "umbrella", "handbag", "tie", "suitcase", "frisbee",
  "skis", "snowboard", "sports ball", "kite", "baseball bat", "baseball glove", "skateboard", "surfboard",
  "tennis racket", "bottle", "wine glass", "cup", "fork", "knife", "spoon", "bowl", "banana", "apple",
  "sandwich", "orange", "broccoli", "carrot", "hot dog", "pizza", "donut", "cake", "chair", "couch",
  "potted plant", "bed", "dining table", "toilet", "tv", "laptop", "mouse", "remote", "keyboard", "cell phone",
  "microwave", "oven", "toaster", "sink", "refrigerator", "book", "clock", "vase", "scissors", "teddy bear",
  "hair drier", "toothbrush",
] as const;

export const analysisDefinitions: readonly OpSpec[] = [
  {
    name: "fast",
    category: "analysis",
    kind: "analysis",
    description:
      "FAST-9 corners of luma (OpenCV's FAST): keypoints where 9 contiguous pixels of the 16-pixel circle are all brighter or all darker than the centre by more than threshold.",
    params: [
      int("threshold", 1, 255, 20, "Luma difference between the centre and the circle's pixels."),
      choice("nonmax", ["true", "false"], "true", "Keep only local maxima of the corner score (non-maximum suppression)."),
    ],
    radius: none,
  },
  {
    name: "corners",
    category: "analysis",
    kind: "analysis",
    description:
      "Strongest corners of luma (OpenCV's goodFeaturesToTrack): Shi-Tomasi or Harris response, above quality × the best response, at least min-distance apart, the max strongest.",
    params: [
      int("max", 1, 100000, 1000, "Most corners returned, strongest first."),
      number("quality", 0.0001, 1, 0.01, "Fraction of the strongest corner's response below which corners are dropped."),
      number("min-distance", 0, 1000, 10, "Smallest distance in pixels between two returned corners."),
      int("block", 2, 31, 3, "Side of the window the gradient covariance is summed over, in pixels."),
      choice(
        "method",
        ["shi-tomasi", "harris"],
        "shi-tomasi",
        "Corner response: the smaller eigenvalue, or Harris' det − k·trace².",
      ),
      number("k", 0.001, 0.5, 0.04, "Harris' free parameter (method=harris only)."),
    ],
    radius: none,
  },
  {
    name: "orb",
    category: "analysis",
    kind: "analysis",
    description: "ORB keypoints of luma with 256-bit binary descriptors (oriented FAST, rotated BRIEF), the max strongest.",
    params: [int("max", 1, 100000, 500, "Most keypoints returned, strongest first.")],
    radius: none,
  },
  {
    name: "hough-lines",
    category: "analysis",
    kind: "analysis",
    description:
      "Straight lines through the non-zero pixels of luma (OpenCV's HoughLines, standard transform): run it after an edge op such as canny. Lines are in normal form (rho in pixels, theta in radians).",
    params: [
      number("rho", 0.1, 100, 1, "Distance resolution of the accumulator, in pixels."),
      number("theta", 0.01, 180, 1, "Angle resolution of the accumulator, in degrees."),
      int("threshold", 1, 1000000, 150, "Votes (pixels on the line) a line needs."),
    ],
    radius: none,
  },
  {
    name: "components",
    category: "analysis",
    kind: "analysis",
    description:
      "Connected components of the non-zero pixels of luma (OpenCV's connectedComponentsWithStats): area, bounding box and centroid of each; run it after a threshold op.",
    params: [
      int("connectivity", 4, 8, 8, "4 (edge neighbours) or 8 (edge and corner neighbours)."),
      int("min-area", 1, 1000000000, 1, "Smallest component returned, in pixels."),
    ],
    radius: none,
    check: (p: Params) =>
      p.connectivity === 4 || p.connectivity === 8 ? null : `connectivity must be 4 or 8, got ${String(p.connectivity)}`,
  },
  {
    name: "detect-objects",
    category: "analysis",
    kind: "analysis",
    description: "Objects of the 80 COCO classes (label, score and box of each), found by a neural network.",
    params: [
      number("score", 0, 1, 0.3, "Lowest confidence reported."),
      {
        name: "classes",
        type: "labels",
        values: COCO_LABELS,
        default: "all",
        description: 'Classes reported: "all", or COCO labels joined by "+" (e.g. person+car; "-" may stand for a space).',
      },
    ],
    radius: none,
  },
  {
    name: "detect-faces",
    category: "analysis",
    kind: "analysis",
    description: "Faces (score and box of each), found by a neural network.",
    params: [number("score", 0, 1, 0.5, "Lowest confidence reported.")],
    radius: none,
  },
];
