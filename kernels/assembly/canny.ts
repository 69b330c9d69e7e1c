// Canny edges, in two phases so that the distributed engine can run them apart:
//
//   cannyClassify   local  (radius ceil(3σ) + 2): luma → gaussian → Sobel → non-maximum
//                          suppression → per-pixel class (0 none, 128 weak, 255 strong)
//   cannyHysteresis global: keeps weak pixels 8-connected (through weak pixels) to a strong one
//   canny           = classify, then hysteresis in place
//
// Definition (the reference the tests hold us to; it follows OpenCV's Canny, see the notes):
//
//   1. luma      S = 2126R + 7152G + 722B, the exact Rec.709 luma ×10000 (rows.ts rowToLuma).
//                Everything below stays in these units; low and high are scaled by 10000.
//   2. blur      separable gaussian of S: radius R = ceil(3σ), weights exp(−k²/2σ²) normalised
//                to sum 1 (computed in f64, applied in f32), clamp-to-edge, no rounding.
//   3. gradient  3×3 Sobel on the blurred luma, clamp-to-edge:
//                  gx = (NE − NW) + 2(E − W) + (SE − SW)     (right minus left)
//                  gy = (SW + 2S + SE) − (NW + 2N + NE)      (down minus up)
//                m = √(gx² + gy²) (L2), in f32.
//   4. NMS       OpenCV's rules (modules/imgproc/src/canny.cpp), with its own fixed-point
//                tangents TG22 = 13573/2¹⁵ ≈ tan 22.5° and TG67 = TG22 + 2 ≈ tan 67.5°:
//                  |gy| < TG22·|gx|  horizontal:  m > m(x−1, y)   && m ≥ m(x+1, y)
//                  |gy| > TG67·|gx|  vertical:    m > m(x, y−1)   && m ≥ m(x, y+1)
//                  otherwise diagonal, along the sign of gx·gy:
//                    same sign:      m > m(x−1, y−1) && m > m(x+1, y+1)
//                    opposite signs: m > m(x+1, y−1) && m > m(x−1, y+1)
//                Neighbours outside the image are clamped to the edge (OpenCV pads the
//                magnitude with zeros instead; see "Differences" below).
//   5. classes   a local maximum with m > low is a candidate (128), with m > high strong (255).
//   6. hysteresis  a candidate is an edge (255) when an 8-connected path of candidates joins it
//                to a strong pixel; everything else is 0. Output is grey RGBA, alpha kept.
//
// Differences from OpenCV's cv.Canny(GaussianBlur(grey8)) that are deliberate:
//   - the input is the full-precision luma, and the blur is f32, where OpenCV rounds the grey
//     image to u8 and rounds the blurred image to u8 again (Sobel then works on integers, and
//     plateaus of equal u8 values make NMS ties that a float image does not have);
//   - NMS clamps neighbours to the edge, like every other neighbourhood op here (DESIGN.md,
//     "Borders"), where OpenCV compares border pixels with zeros. So a border pixel whose
//     gradient points across the border never beats its clamped neighbour on the `>` side:
//     our edge maps have fewer edge pixels on the first/last row and column.
//
// The phases live in modules of their own: canny-classify.ts (steps 1–5, streamed row by
// row) and canny-hysteresis.ts (step 6). This one holds the definition above and the
// whole-image op that chains them.

import { cannyClassify } from "./canny-classify";
import { cannyHysteresis } from "./canny-hysteresis";

export { cannyClassify } from "./canny-classify";
export { cannyHysteresis } from "./canny-hysteresis";

/** Whole-image Canny: classify into dst, then hysteresis on dst in place (no second image buffer). */
export function canny(src: usize, dst: usize, w: i32, h: i32, sigma: f64, low: f64, high: f64): void {
  cannyClassify(src, dst, w, h, sigma, low, high);
  cannyHysteresis(dst, dst, w, h);
}
