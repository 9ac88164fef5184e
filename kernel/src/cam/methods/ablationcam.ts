import * as tf from "@tensorflow/tfjs";
import { checkpoint } from "../../engine/work";
import type { CamContext, CamMethod } from "../method";

async function ablationWeights(ctx: CamContext): Promise<{ weights: tf.Tensor2D }> {
  const { activations, scores, batchSize } = ctx;
  const [b, h, w, c] = activations.shape;
  const label = `ablationcam ${ctx.layer}: ablated maps`;
  // First await before any tensor: this runs outside tf.tidy (method.ts).
  await checkpoint(label, 0, b * c);
  const rows: tf.Tensor1D[] = [];
  try {
    for (let i = 0; i < b; i++) {
      const parts: tf.Tensor1D[] = [];
      const a = tf.slice(activations, [i, 0, 0, 0], [1, -1, -1, -1]);
      try {
        for (let k = 0; k < c; k += batchSize) {
          const n = Math.min(batchSize, c - k);
          parts.push(tf.tidy(() => {
            // Row j zeroes channel k + j: keep = 1 − onehot(k + j).
            const keep = tf.sub(1, tf.oneHot(tf.range(k, k + n, 1, "int32"), c)).reshape([n, 1, 1, c]);
            const ablated = tf.mul(tf.broadcastTo(a, [n, h, w, c]), keep) as tf.Tensor4D;
            return ctx.scoreActivations(ablated, i);
          }));
          await checkpoint(label, i * c + k + n, b * c);
        }
        rows.push(tf.tidy(() => {
          const y = tf.slice(scores, [i], [1]);
          const yk = tf.concat(parts);
          // Eq. 3: w^c_k = (y^c − y^c_k) / y^c, the relative drop of the score without channel k.
          return tf.div(tf.sub(y, yk), tf.add(y, 1e-7)) as tf.Tensor1D;
        }));
      } finally {
        a.dispose();
        for (const p of parts) p.dispose();
      }
    }
    return { weights: tf.stack(rows) as tf.Tensor2D };
  } finally {
    for (const r of rows) r.dispose();
  }
}

/** Ablation-CAM: the relative score drop when a channel is zeroed (async: yields between batches). */
export const ablationCam: CamMethod = {
  name: "ablationcam",
  feedsActivationsBack: true,
  paper: "Desai & Ramaswamy, Ablation-CAM, WACV 2020",
  weigh: ablationWeights,
};
