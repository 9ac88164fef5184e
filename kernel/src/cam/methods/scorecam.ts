import * as tf from "@tensorflow/tfjs";
import { checkpoint } from "../../engine/work";
import type { CamContext, CamMethod } from "../method";

/**
 * The channels Score-CAM scores for one image's activations a [1, h, w, C]: all of them, or with
 * `channels = k` the k of highest variance over positions (Faster Score-CAM, tf-keras-vis's
 * `max_N`; chosen per image here, where tf-keras-vis takes the union over the batch).
 */
function chosenChannels(a: tf.Tensor4D, channels: number | undefined): tf.Tensor1D | null {
  const c = a.shape[3];
  if (channels == null) return null;
  const { variance } = tf.moments(a, [0, 1, 2]);
  return tf.topk(variance as tf.Tensor1D, Math.min(channels, c)).indices as tf.Tensor1D;
}

async function scoreCamWeights(ctx: CamContext): Promise<{ weights: tf.Tensor2D }> {
  const { activations, input, batchSize, channels } = ctx;
  const [b, , , c] = activations.shape;
  const [, H, W] = input.shape;
  const k = channels == null ? c : Math.min(channels, c);
  const label = `scorecam ${ctx.layer}: masked inputs`;
  // First await before any tensor: this runs outside tf.tidy (method.ts).
  await checkpoint(label, 0, b * k);
  const rows: tf.Tensor1D[] = [];
  try {
    for (let i = 0; i < b; i++) {
      const held: tf.Tensor[] = [];
      const parts: tf.Tensor1D[] = [];
      try {
        const [a, image, chosen] = tf.tidy(() => {
          const ai = tf.slice(activations, [i, 0, 0, 0], [1, -1, -1, -1]) as tf.Tensor4D;
          const idx = chosenChannels(ai, channels);
          return [idx ? tf.gather(ai, idx, 3) : ai, tf.slice(input, [i, 0, 0, 0], [1, -1, -1, -1]), idx ?? tf.zeros([0])] as tf.Tensor[];
        });
        held.push(a, image, chosen);
        // H^k = s(Up(A^k)): each channel upsampled to the input and min-max scaled to [0, 1] —
        // made per batch, so a 1280-channel layer never holds 1280 input-sized masks at once.
        const batches = Math.ceil(k / batchSize);
        await ctx.scoreInputBatches(batches, (q) => tf.tidy(() => {
          const j = q * batchSize, n = Math.min(batchSize, k - j);
          const maps = tf.transpose(tf.slice(a, [0, 0, 0, j], [-1, -1, -1, n]), [3, 1, 2, 0]) as tf.Tensor4D; // [n, h, w, 1]
          const up = tf.image.resizeBilinear(maps, [H, W], false, true);
          const lo = tf.min(up, [1, 2, 3], true), hi = tf.max(up, [1, 2, 3], true);
          const masks = tf.div(tf.sub(up, lo), tf.add(tf.sub(hi, lo), 1e-7));
          return tf.mul(image, masks) as tf.Tensor4D;
        }), i, async (q, scores) => {
          parts.push(scores);
          // Between batches: progress, a turn of the event loop, and Cancelled if interrupted.
          await checkpoint(label, i * k + Math.min(k, (q + 1) * batchSize), b * k);
        });
        rows.push(tf.tidy(() => {
          // Eq. 5–6 + Algorithm 1: α^c_k = the target score of X ∘ H^k, softmax-normalised over k.
          const alpha = tf.softmax(tf.concat(parts)) as tf.Tensor1D;
          // Faster Score-CAM: the unscored channels weigh 0.
          return channels == null ? alpha : (tf.scatterND(tf.reshape(chosen, [k, 1]), alpha, [c]) as tf.Tensor1D);
        }));
      } finally {
        for (const t of [...held, ...parts]) t.dispose();
      }
    }
    return { weights: tf.stack(rows) as tf.Tensor2D };
  } finally {
    for (const r of rows) r.dispose();
  }
}

/** Score-CAM: each channel weighed by the score of the input masked with it (async: yields between batches; `channels: k` for Faster Score-CAM). */
export const scoreCam: CamMethod = {
  name: "scorecam",
  paper: "Wang et al., Score-CAM, CVPR Workshops 2020 (arXiv:1910.01279); Faster Score-CAM as in tf-keras-vis",
  weigh: scoreCamWeights,
};
