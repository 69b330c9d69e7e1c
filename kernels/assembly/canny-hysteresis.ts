// Canny, phase 2 (global): hysteresis over the class map that canny-classify.ts writes
// (step 6 of the definition at the top of canny.ts). An edge may run across every tile, so
// the distributed engine runs this once, as a reduction, on the stitched class map. The work
// is done on one byte per pixel (canny-hysteresis-grey.ts): the RGBA map is packed into
// scratch memory, reduced there, and written back with its alpha.

import { cannyHysteresisGrey, greyIntoRgb } from "./canny-hysteresis-grey";
import { packGrey } from "./grey";
import { take } from "./memory";

/**
 * From a class map (R byte: 255 strong, 128 weak, anything else none), writes 255 for strong
 * pixels and for weak pixels joined to a strong one by an 8-connected path of weak pixels,
 * 0 elsewhere; grey RGBA, alpha kept. `src` may equal `dst`.
 */
export function cannyHysteresis(src: usize, dst: usize, w: i32, h: i32): void {
  if (w <= 0 || h <= 0) return;
  const n = <usize>w * <usize>h;
  if (src != dst) memory.copy(dst, src, n << 2); // the result keeps the source's alpha
  const map = take(n);
  packGrey(dst, map, n);
  cannyHysteresisGrey(map, w, h);
  greyIntoRgb(map, dst, n);
}
