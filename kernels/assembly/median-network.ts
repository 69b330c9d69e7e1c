// Comparator networks for the 5×5 median (median.ts). Every value here is a v128 of 16
// channel bytes, i.e. 4 RGBA pixels side by side; i8x16.min_u / max_u compare each byte lane
// on its own, so one network run gives 16 independent medians (the alpha lanes are computed
// too and thrown away by the caller).

/**
 * Sorts five rows of the same 4 pixels (one column of the 5×5 window per lane) and stores the
 * ranks: `out` gets the smallest, `out + stride` the next, …, `out + 4·stride` the largest.
 * An optimal 9-comparator network (Knuth, TAOCP vol. 3, 5.3.4).
 */
// @ts-ignore: decorator
@inline export function sortColumns5(a: v128, b: v128, c: v128, d: v128, e: v128, out: usize, stride: usize): void {
  let t: v128;
  t = i8x16.min_u(a, b); b = i8x16.max_u(a, b); a = t; // (0,1)
  t = i8x16.min_u(d, e); e = i8x16.max_u(d, e); d = t; // (3,4)
  t = i8x16.min_u(c, e); e = i8x16.max_u(c, e); c = t; // (2,4)
  t = i8x16.min_u(c, d); d = i8x16.max_u(c, d); c = t; // (2,3)
  t = i8x16.min_u(a, d); d = i8x16.max_u(a, d); a = t; // (0,3)
  t = i8x16.min_u(a, c); c = i8x16.max_u(a, c); a = t; // (0,2)
  t = i8x16.min_u(b, e); e = i8x16.max_u(b, e); b = t; // (1,4)
  t = i8x16.min_u(b, d); d = i8x16.max_u(b, d); b = t; // (1,3)
  t = i8x16.min_u(b, c); c = i8x16.max_u(b, c); b = t; // (1,2)
  v128.store(out, a);
  v128.store(out + stride, b);
  v128.store(out + 2 * stride, c);
  v128.store(out + 3 * stride, d);
  v128.store(out + 4 * stride, e);
}

/**
 * The median of a 5×5 window whose columns are already sorted, for 4 output pixels at once.
 *
 * `p0` … `p4` point at the rank-0 … rank-4 rows written by sortColumns5, at the pixel two to
 * the left of the first output pixel; so `rIcJ` below (load at byte offset 4·J) holds, in each
 * byte lane, the I-th smallest value of window column J (J = 0 is x−2, J = 4 is x+2).
 *
 * How this was made, and why it is right:
 *  - Start from a network that is plainly correct for sorted columns: sort each rank row across
 *    the 5 columns (5 × sortColumns5's network), which leaves the 5×5 matrix sorted along rows
 *    and columns. Then cell (i, j) has at least (i+1)(j+1) values ≤ it and (5−i)(5−j) ≥ it,
 *    so only the 13 cells with both products ≤ 13 can be the 13th smallest; 6 cells lie
 *    surely below them and 6 surely above, so the median is the median of those 13. Sort them
 *    (Batcher's odd-even merge sort) and take the middle.
 *  - Prune it: drop any comparator whose removal keeps the output the median for every 0-1
 *    input with sorted columns (6^5 = 7776 cases, checked as bit sets), in random orders,
 *    keeping the smallest result; then drop the min or max half whose value is never used.
 *    That leaves 88 min/max operations (56 comparators) instead of 140 before pruning.
 *  - The 0-1 principle makes the check complete: thresholding at any level t commutes with
 *    min/max and keeps columns sorted, so a network that selects the median of every 0-1
 *    input with sorted columns selects it for every input with sorted columns.
 *  - test/kernels/median.test.ts checks the whole kernel on an image whose centre row sees
 *    every one of those 7776 column patterns (a de Bruijn sequence of column counts).
 */
// @ts-ignore: decorator
@inline export function median25(p0: usize, p1: usize, p2: usize, p3: usize, p4: usize): v128 {
  // Stage 1, rank row 0: (partly) sort the smallest values of the 5 columns.
  const r0c0 = v128.load(p0, 0);
  const r0c1 = v128.load(p0, 4);
  const t1 = i8x16.min_u(r0c0, r0c1);
  const t2 = i8x16.max_u(r0c0, r0c1);
  const r0c3 = v128.load(p0, 12);
  const r0c4 = v128.load(p0, 16);
  const t3 = i8x16.min_u(r0c3, r0c4);
  const t4 = i8x16.max_u(r0c3, r0c4);
  const r0c2 = v128.load(p0, 8);
  const t5 = i8x16.min_u(r0c2, t4);
  const t6 = i8x16.max_u(r0c2, t4);
  const t7 = i8x16.max_u(t5, t3);
  const t8 = i8x16.max_u(t1, t7);
  const t9 = i8x16.min_u(t2, t6);
  const t10 = i8x16.max_u(t2, t6);
  const t11 = i8x16.max_u(t9, t8);
  // Stage 1, rank row 1: (partly) sort the 2nd smallest values of the 5 columns.
  const r1c0 = v128.load(p1, 0);
  const r1c3 = v128.load(p1, 12);
  const t12 = i8x16.min_u(r1c0, r1c3);
  const t13 = i8x16.max_u(r1c0, r1c3);
  const r1c1 = v128.load(p1, 4);
  const r1c4 = v128.load(p1, 16);
  const t14 = i8x16.min_u(r1c1, r1c4);
  const t15 = i8x16.max_u(r1c1, r1c4);
  const t16 = i8x16.min_u(t14, t13);
  const t17 = i8x16.max_u(t14, t13);
  const t18 = i8x16.max_u(t12, t16);
  const r1c2 = v128.load(p1, 8);
  const t19 = i8x16.min_u(r1c2, t15);
  const t20 = i8x16.max_u(r1c2, t15);
  const t21 = i8x16.max_u(t18, t19);
  const t22 = i8x16.min_u(t17, t20);
  const t23 = i8x16.max_u(t17, t20);
  const t24 = i8x16.min_u(t21, t22);
  const t25 = i8x16.max_u(t21, t22);
  // Stage 1, rank row 2: (partly) sort the middle values of the 5 columns.
  const r2c0 = v128.load(p2, 0);
  const r2c1 = v128.load(p2, 4);
  const t26 = i8x16.min_u(r2c0, r2c1);
  const t27 = i8x16.max_u(r2c0, r2c1);
  const r2c2 = v128.load(p2, 8);
  const r2c3 = v128.load(p2, 12);
  const t28 = i8x16.min_u(r2c2, r2c3);
  const t29 = i8x16.max_u(r2c2, r2c3);
  const t30 = i8x16.min_u(t26, t28);
  const t31 = i8x16.max_u(t26, t28);
  const t32 = i8x16.min_u(t27, t29);
  const t33 = i8x16.max_u(t27, t29);
  const t34 = i8x16.min_u(t32, t31);
  const t35 = i8x16.max_u(t32, t31);
  const r2c4 = v128.load(p2, 16);
  const t36 = i8x16.max_u(t30, r2c4);
  const t37 = i8x16.min_u(t34, t36);
  const t38 = i8x16.max_u(t34, t36);
  const t39 = i8x16.min_u(t35, t38);
  const t40 = i8x16.max_u(t35, t38);
  const t41 = i8x16.min_u(t33, t40);
  // Stage 1, rank row 3: (partly) sort the 2nd largest values of the 5 columns.
  const r3c0 = v128.load(p3, 0);
  const r3c1 = v128.load(p3, 4);
  const t42 = i8x16.min_u(r3c0, r3c1);
  const t43 = i8x16.max_u(r3c0, r3c1);
  const r3c3 = v128.load(p3, 12);
  const r3c4 = v128.load(p3, 16);
  const t44 = i8x16.min_u(r3c3, r3c4);
  const t45 = i8x16.max_u(r3c3, r3c4);
  const r3c2 = v128.load(p3, 8);
  const t46 = i8x16.min_u(r3c2, t44);
  const t47 = i8x16.max_u(r3c2, t44);
  const t48 = i8x16.min_u(t42, t47);
  const t49 = i8x16.max_u(t42, t47);
  const t50 = i8x16.min_u(t48, t46);
  const t51 = i8x16.max_u(t48, t46);
  const t52 = i8x16.min_u(t43, t45);
  const t53 = i8x16.min_u(t52, t49);
  // Stage 1, rank row 4: (partly) sort the largest values of the 5 columns.
  const r4c0 = v128.load(p4, 0);
  const r4c3 = v128.load(p4, 12);
  const t54 = i8x16.min_u(r4c0, r4c3);
  const t55 = i8x16.max_u(r4c0, r4c3);
  const r4c1 = v128.load(p4, 4);
  const r4c4 = v128.load(p4, 16);
  const t56 = i8x16.min_u(r4c1, r4c4);
  const t57 = i8x16.max_u(r4c1, r4c4);
  const r4c2 = v128.load(p4, 8);
  const t58 = i8x16.min_u(t54, r4c2);
  const t59 = i8x16.max_u(t54, r4c2);
  const t60 = i8x16.min_u(t56, t55);
  const t61 = i8x16.min_u(t58, t60);
  const t62 = i8x16.max_u(t58, t60);
  const t63 = i8x16.min_u(t59, t57);
  const t64 = i8x16.min_u(t62, t63);
  // Stage 2: the median of the 13 candidates that can still be it.
  const t65 = i8x16.max_u(t37, t24);
  const t66 = i8x16.max_u(t11, t50);
  const t67 = i8x16.min_u(t39, t25);
  const t68 = i8x16.max_u(t39, t25);
  const t69 = i8x16.min_u(t61, t10);
  const t70 = i8x16.max_u(t61, t10);
  const t71 = i8x16.min_u(t23, t51);
  const t72 = i8x16.max_u(t65, t66);
  const t73 = i8x16.max_u(t67, t69);
  const t74 = i8x16.min_u(t68, t70);
  const t75 = i8x16.min_u(t53, t71);
  const t76 = i8x16.max_u(t53, t71);
  const t77 = i8x16.min_u(t74, t73);
  const t78 = i8x16.max_u(t74, t73);
  const t79 = i8x16.min_u(t64, t76);
  const t80 = i8x16.min_u(t75, t41);
  const t81 = i8x16.min_u(t72, t77);
  const t82 = i8x16.max_u(t72, t77);
  const t83 = i8x16.min_u(t82, t78);
  const t84 = i8x16.max_u(t82, t78);
  const t85 = i8x16.min_u(t83, t79);
  const t86 = i8x16.max_u(t81, t85);
  const t87 = i8x16.min_u(t84, t80);
  const t88 = i8x16.max_u(t86, t87);
  return t88;
}
