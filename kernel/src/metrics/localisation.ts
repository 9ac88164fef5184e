// Localisation against a ground-truth mask (Arras, Osman & Samek, "CLEVR-XAI: A benchmark dataset
// for the ground truth evaluation of neural network explanations", Information Fusion 2022,
// Sec. 4.2):
//  * relevance mass accuracy = R_within / R_total, the share of the map's positive relevance that
//    falls inside the mask;
//  * relevance rank accuracy = |P_top-K ∩ GT| / K with K = |GT|, the share of the K most relevant
//    pixels that lie inside a mask of K pixels.
// Both on the backend, one small read.
import * as tf from "@tensorflow/tfjs";
import { binaryMasks, checkMaps, checkMasks, pixelRanks } from "./maps";

/** Relevance mass and rank accuracy per image, and their means over the batch. */
export interface RelevanceAccuracy {
  /** R_within / R_total over positive relevance, per image, 0–1 (0 for a map with no positive relevance). */
  mass: number[];
  /** |top-K ∩ mask| / K with K the mask's pixel count, per image, 0–1. */
  rank: number[];
  meanMass: number;
  meanRank: number;
}

/**
 * Relevance mass accuracy and relevance rank accuracy (Arras et al., CLEVR-XAI, 2022): how much
 * of each map's positive relevance lies on the object's mask, and how many of its K most relevant
 * pixels do, K being the mask's size. Ties at the K-th value go in top-k's order.
 * @param maps [batch, H, W] relevance (a CAM heatmap, an attribution's .map).
 * @param masks [batch, H, W] or [batch, H, W, 1]: > 0 on the object; none may be empty.
 * @returns per-image mass and rank accuracies and their means.
 * @example const { meanMass, meanRank } = await camlab.relevanceAccuracy(heat, masks)
 */
export async function relevanceAccuracy(maps: tf.Tensor, masks: tf.Tensor): Promise<RelevanceAccuracy> {
  const fn = "relevanceAccuracy";
  checkMaps(fn, maps);
  checkMasks(fn, maps, masks);
  const [b, h, w] = maps.shape;
  // An empty mask has no K to rank by: found from the mask's values, read before any kernel runs.
  const values = await masks.data();
  const hw = h * w;
  const empty: number[] = [];
  for (let i = 0; i < b; i++) {
    let any = false;
    for (let j = i * hw; j < (i + 1) * hw && !any; j++) any = values[j] > 0;
    if (!any) empty.push(i);
  }
  if (empty.length) throw new Error(`camlab.${fn}: the mask of image${empty.length > 1 ? "s" : ""} ${empty.join(", ")} is empty (no pixel > 0); every image needs a mask with at least one pixel on the object`);
  const packed = tf.tidy(() => {
    const m = tf.reshape(binaryMasks(masks, [b, h, w]), [b, h * w]);
    const r = tf.relu(tf.reshape(maps, [b, h * w]));
    const k = tf.sum(m, 1, true); // K = |GT| per image
    const within = tf.sum(tf.mul(r, m), 1, true);
    const total = tf.sum(r, 1, true);
    const topK = tf.cast(tf.less(pixelRanks(maps as tf.Tensor3D), tf.cast(k, "int32")), "float32");
    const hits = tf.sum(tf.mul(topK, m), 1, true);
    return tf.concat([tf.divNoNan(within, total), tf.divNoNan(hits, k)], 1);
  });
  let v: Float32Array;
  try {
    v = (await packed.data()) as Float32Array;
  } finally {
    packed.dispose();
  }
  const mass = Array.from({ length: b }, (_, i) => v[2 * i]);
  const rank = Array.from({ length: b }, (_, i) => v[2 * i + 1]);
  const mean = (a: number[]) => a.reduce((s, q) => s + q, 0) / b;
  return { mass, rank, meanMass: mean(mass), meanRank: mean(rank) };
}
