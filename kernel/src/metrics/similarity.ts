// How alike two explanations of the same images are — the measures of Adebayo et al., "Sanity
// Checks for Saliency Maps", NeurIPS 2018, Sec. 3–4: Spearman rank correlation of the maps (with
// and without absolute values) and the structural similarity index (SSIM) of the maps scaled to
// [0, 1]. All on the backend, per image; one small read.
//  * Spearman: Pearson correlation of the ranks, ties given their average rank (the rank of a
//    value is found by binary search in the sorted map: lower bound + upper bound).
//  * SSIM (Wang et al., "Image Quality Assessment: From Error Visibility to Structural
//    Similarity", IEEE TIP 2004, Eq. 13): mean over windows of
//    (2μ_aμ_b + C1)(2σ_ab + C2) / ((μ_a² + μ_b² + C1)(σ_a² + σ_b² + C2)), Gaussian windows of
//    11 px and σ 1.5 ("valid": windows inside the map), C1 = (0.01·L)², C2 = (0.03·L)², L = 1.
//    A map smaller than 11 px uses the largest odd window that fits, σ scaled alike.
import * as tf from "@tensorflow/tfjs";
import { checkMaps } from "./maps";

/** Per-image similarity of two batches of maps. */
export interface MapSimilarity {
  /** Spearman rank correlation of the signed maps, per image (−1…1). */
  spearman: number[];
  /** Spearman rank correlation of the absolute maps, per image. */
  spearmanAbs: number[];
  /** SSIM of the maps min-max scaled to [0, 1], per image (1 = identical structure). */
  ssim: number[];
}

/** Average ranks (1-based) of each row's values, ties sharing the mean of their places. */
function averageRanks(v: tf.Tensor2D): tf.Tensor2D {
  return tf.tidy(() => {
    const n = v.shape[1];
    const ascending = tf.reverse(tf.topk(v, n).values, 1);
    const below = tf.lowerBound(ascending, v); // values < v
    const upTo = tf.upperBound(ascending, v); // values ≤ v
    return tf.div(tf.add(tf.add(tf.cast(below, "float32"), tf.cast(upTo, "float32")), 1), 2) as tf.Tensor2D;
  });
}

function pearson(a: tf.Tensor2D, b: tf.Tensor2D): tf.Tensor1D {
  return tf.tidy(() => {
    const da = tf.sub(a, tf.mean(a, 1, true)), db = tf.sub(b, tf.mean(b, 1, true));
    // A constant map has no ranking: its correlation is 0 (divNoNan), not NaN.
    return tf.divNoNan(tf.sum(tf.mul(da, db), 1), tf.sqrt(tf.mul(tf.sum(tf.square(da), 1), tf.sum(tf.square(db), 1)))) as tf.Tensor1D;
  });
}

/** Spearman rank correlation of each row pair (ties averaged). */
export function spearmanRows(a: tf.Tensor2D, b: tf.Tensor2D): tf.Tensor1D {
  return tf.tidy(() => pearson(averageRanks(a), averageRanks(b)));
}

function gaussianWindow(h: number, w: number): tf.Tensor4D {
  const size = Math.min(11, h % 2 ? h : h - 1, w % 2 ? w : w - 1);
  const sigma = (1.5 * size) / 11, r = (size - 1) / 2;
  const g = Array.from({ length: size }, (_, i) => Math.exp(-((i - r) ** 2) / (2 * sigma * sigma)));
  const s = g.reduce((p, q) => p + q, 0);
  const k: number[] = [];
  for (const gy of g) for (const gx of g) k.push((gy * gx) / (s * s));
  return tf.tensor4d(k, [size, size, 1, 1]);
}

/** SSIM per image of two [b, h, w] maps already in [0, 1] (Wang et al. 2004, Eq. 13). */
export function ssimRows(a: tf.Tensor3D, b: tf.Tensor3D): tf.Tensor1D {
  return tf.tidy(() => {
    const [n, h, w] = a.shape;
    const win = gaussianWindow(h, w);
    const blur = (t: tf.Tensor) => tf.conv2d(tf.reshape(t, [n, h, w, 1]) as tf.Tensor4D, win, 1, "valid");
    const C1 = 0.01 ** 2, C2 = 0.03 ** 2;
    const ma = blur(a), mb = blur(b);
    const va = tf.sub(blur(tf.square(a)), tf.square(ma));
    const vb = tf.sub(blur(tf.square(b)), tf.square(mb));
    const cov = tf.sub(blur(tf.mul(a, b)), tf.mul(ma, mb));
    const num = tf.mul(tf.add(tf.mul(2, tf.mul(ma, mb)), C1), tf.add(tf.mul(2, cov), C2));
    const den = tf.mul(tf.add(tf.add(tf.square(ma), tf.square(mb)), C1), tf.add(tf.add(va, vb), C2));
    return tf.mean(tf.div(num, den), [1, 2, 3]) as tf.Tensor1D;
  });
}

/** Each image's map min-max scaled to [0, 1] (a constant map becomes 0). */
function unitScale(m: tf.Tensor3D): tf.Tensor3D {
  return tf.tidy(() => {
    const lo = tf.min(m, [1, 2], true), hi = tf.max(m, [1, 2], true);
    return tf.divNoNan(tf.sub(m, lo), tf.sub(hi, lo)) as tf.Tensor3D;
  });
}

/** The three measures on the backend, packed [3, b]: spearman, spearmanAbs, ssim. */
export function similarityOnBackend(a: tf.Tensor3D, b: tf.Tensor3D): tf.Tensor2D {
  return tf.tidy(() => {
    const [n, h, w] = a.shape;
    const fa = tf.reshape(tf.cast(a, "float32"), [n, h * w]) as tf.Tensor2D, fb = tf.reshape(tf.cast(b, "float32"), [n, h * w]) as tf.Tensor2D;
    return tf.stack([spearmanRows(fa, fb), spearmanRows(tf.abs(fa) as tf.Tensor2D, tf.abs(fb) as tf.Tensor2D), ssimRows(unitScale(a), unitScale(b))]) as tf.Tensor2D;
  });
}

/** Reads a packed [3, b] similarity into numbers and frees it. */
export async function readSimilarity(packed: tf.Tensor2D): Promise<MapSimilarity> {
  let v: Float32Array;
  try {
    v = (await packed.data()) as Float32Array;
  } finally {
    packed.dispose();
  }
  const b = packed.shape[1];
  return { spearman: Array.from(v.subarray(0, b)), spearmanAbs: Array.from(v.subarray(b, 2 * b)), ssim: Array.from(v.subarray(2 * b, 3 * b)) };
}

/**
 * How similar two explanations of the same images are, per image, by the measures of Adebayo et
 * al.'s sanity checks (NeurIPS 2018): Spearman rank correlation of the maps and of their absolute
 * values (ties averaged), and SSIM (Wang et al. 2004; Gaussian 11-px windows) of the maps scaled
 * to [0, 1]. Identical maps give 1 on all three.
 * @param a [batch, H, W] maps.
 * @param b [batch, H, W] maps of the same images.
 * @returns per-image spearman, spearmanAbs and ssim.
 * @example const s = await camlab.mapSimilarity(camA.heatmap, camB.heatmap); s.spearman[0]
 */
export async function mapSimilarity(a: tf.Tensor, b: tf.Tensor): Promise<MapSimilarity> {
  checkMaps("mapSimilarity", a, "a");
  checkMaps("mapSimilarity", b, "b");
  if (a.shape.some((d, i) => d !== b.shape[i])) throw new Error(`camlab.mapSimilarity: a and b must have the same shape (maps of the same images), got [${a.shape.join(", ")}] and [${b.shape.join(", ")}]`);
  return readSimilarity(similarityOnBackend(a, b as tf.Tensor3D));
}
