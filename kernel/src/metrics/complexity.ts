// How concentrated an explanation is (Quantus's "complexity" family), one number per map:
//  * sparseness: the Gini index of |a| (Chalasani et al., "Concise Explanations of Neural Networks
//    using Adversarial Training", ICML 2020, Sec. 5, after Hurley & Rickard 2009), with |a| sorted
//    ascending, a_(1) ≤ … ≤ a_(d):  G = Σ_k (2k − d − 1)·a_(k) / (d·Σ_k a_(k)) — 0 for a uniform
//    map, → 1 when all relevance sits on one pixel;
//  * complexity: the entropy of the normalised absolute attribution (Bhatt, Weller & Moura,
//    "Evaluating and Aggregating Feature-based Model Explanations", IJCAI 2020, Sec. 4.3):
//    P_i = |a_i| / Σ_j |a_j|,  H = −Σ_i P_i·ln P_i (0·ln 0 = 0) — 0 on one pixel, ln d when uniform.
// Both on the backend over each map's values; one small read.
import * as tf from "@tensorflow/tfjs";

/** One score per map and their mean. */
export interface MapScores {
  scores: number[];
  mean: number;
}

function checkBatch(fn: string, maps: unknown): asserts maps is tf.Tensor {
  if (!(maps instanceof tf.Tensor) || maps.rank < 2) throw new Error(`camlab.${fn}: maps must be a tf.Tensor [batch, …] (one map per image, e.g. [batch, H, W] or an attribution [batch, H, W, C]), got ${maps instanceof tf.Tensor ? `shape [${maps.shape.join(", ")}]` : maps === null ? "null" : typeof maps}`);
  if (maps.size === 0) throw new Error(`camlab.${fn}: maps is empty (shape [${maps.shape.join(", ")}]); give at least one value per map`);
}

async function perMap(maps: tf.Tensor, f: (a: tf.Tensor2D, d: number) => tf.Tensor1D): Promise<MapScores> {
  const b = maps.shape[0];
  const out = tf.tidy(() => {
    const a = tf.abs(tf.reshape(tf.cast(maps, "float32"), [b, -1])) as tf.Tensor2D;
    return f(a, a.shape[1]);
  });
  let v: Float32Array;
  try {
    v = (await out.data()) as Float32Array;
  } finally {
    out.dispose();
  }
  const scores = Array.from(v);
  return { scores, mean: scores.reduce((s, q) => s + q, 0) / b };
}

/**
 * Sparseness of each map: the Gini index of its absolute values (Chalasani et al., ICML 2020),
 * G = Σ_k (2k − d − 1)·a_(k) / (d·Σ a) over the d values sorted ascending: 0 when uniform, near 1
 * when one value holds everything (higher = sparser, more concise). A map that is zero everywhere
 * scores 0, as a uniform one.
 * @param maps [batch, …]: each image's map (any shape after the batch axis).
 * @returns the Gini index per map and the mean.
 * @example (await camlab.sparseness(result.heatmap)).mean
 */
export function sparseness(maps: tf.Tensor): Promise<MapScores> {
  checkBatch("sparseness", maps);
  return perMap(maps, (a, d) => {
    // top-k sorts descending: the k-th largest is a_(d − k + 1), weight 2(d − k + 1) − d − 1 = d + 1 − 2k.
    const sorted = tf.topk(a, d).values;
    const weights = tf.sub(d + 1, tf.mul(2, tf.range(1, d + 1, 1, "float32")));
    return tf.divNoNan(tf.sum(tf.mul(sorted, weights), 1), tf.mul(d, tf.sum(a, 1))) as tf.Tensor1D;
  });
}

/**
 * Complexity of each map: the entropy of its normalised absolute values (Bhatt et al., IJCAI
 * 2020), H = −Σ P_i ln P_i with P_i = |a_i| / Σ|a|: 0 when one value holds everything, ln d when
 * uniform (lower = simpler). A map that is zero everywhere scores ln d, as a uniform one.
 * @param maps [batch, …]: each image's map (any shape after the batch axis).
 * @returns the entropy (nats) per map and the mean.
 * @example (await camlab.complexity(result.heatmap)).mean
 */
export function complexity(maps: tf.Tensor): Promise<MapScores> {
  checkBatch("complexity", maps);
  return perMap(maps, (a, d) => {
    const total = tf.sum(a, 1, true);
    // All-zero map: treated as uniform (P_i = 1/d).
    const p = tf.add(tf.divNoNan(a, total), tf.mul(tf.cast(tf.equal(total, 0), "float32"), 1 / d)) as tf.Tensor2D;
    // 0·ln 0 = 0: the log of a zero share is replaced by 0 before the product.
    const logp = tf.where(tf.greater(p, 0), tf.log(tf.maximum(p, 1e-30)), tf.zerosLike(p));
    return tf.neg(tf.sum(tf.mul(p, logp), 1)) as tf.Tensor1D;
  });
}
