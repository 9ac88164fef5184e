// Numbers of the confusion explorer that the kernel's snapshot and the widget both need: the
// row-normalised matrix and the difference of a CAM pair. Pure functions of the shared core.
import { dequantize, type QuantizedMap } from "./quantized";

/**
 * Each row of a confusion matrix divided by its sum (the fraction of each true class predicted as
 * each class: the diagonal is the recall). A row of zeros (a class absent from the data) stays zeros.
 */
export function rowNormalised(counts: readonly (readonly number[])[]): number[][] {
  return counts.map((row) => {
    const sum = row.reduce((a, b) => a + b, 0);
    return row.map((v) => (sum > 0 ? v / sum : 0));
  });
}

/**
 * How strongly each cell of a confusion matrix is shaded, the same in the widget and the saved
 * PNG: an off-diagonal cell by its count over the largest off-diagonal count (so the frequent
 * confusions stand out, whatever the class sizes), in (0, 1]; null for the diagonal (right
 * answers, drawn plain) and for empty cells.
 */
export function confusionShades(counts: readonly (readonly number[])[]): (number | null)[][] {
  let max = 0;
  counts.forEach((row, t) => row.forEach((v, p) => {
    if (t !== p) max = Math.max(max, v);
  }));
  return counts.map((row, t) => row.map((v, p) => (t === p || v <= 0 ? null : v / max)));
}

/**
 * The difference of two CAMs on one scale (both in [0, 1], as "confusion.pair" sends them), as a
 * map in [0, 1]: 0.5 where they agree, towards 1 where the first (the true class) is stronger,
 * towards 0 where the second (the predicted class) is: value = (a − b + 1) / 2. Quantized with
 * offset 0 and scale 1, so it draws through any colormap like a CAM.
 */
export function camDifference(a: QuantizedMap, b: QuantizedMap): QuantizedMap {
  if (a.width !== b.width || a.height !== b.height) {
    throw new Error(`camDifference: the two CAMs must have one size, got ${a.width}x${a.height} and ${b.width}x${b.height}`);
  }
  const va = dequantize(a), vb = dequantize(b);
  const bytes = new Uint8Array(va.length);
  for (let i = 0; i < va.length; i++) bytes[i] = Math.max(0, Math.min(255, Math.round(((va[i] - vb[i] + 1) / 2) * 255)));
  return { width: a.width, height: a.height, scale: 1, offset: 0, bytes };
}
