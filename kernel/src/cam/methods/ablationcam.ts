import * as tf from "@tensorflow/tfjs";
import type { CamMethod } from "../method";

export const ablationCam: CamMethod = {
  name: "ablationcam",
  paper: "Desai & Ramaswamy, Ablation-CAM, WACV 2020",
  weigh: (ctx) => {
    const { activations, scores, batchSize } = ctx;
    const [b, h, w, c] = activations.shape;
    const rows: tf.Tensor1D[] = [];
    for (let i = 0; i < b; i++) {
      const slopes = tf.tidy(() => {
        const a = tf.slice(activations, [i, 0, 0, 0], [1, -1, -1, -1]);
        const y = tf.slice(scores, [i], [1]);
        const parts: tf.Tensor1D[] = [];
        for (let k = 0; k < c; k += batchSize) {
          const n = Math.min(batchSize, c - k);
          parts.push(tf.tidy(() => {
            // Row j zeroes channel k + j: keep = 1 − onehot(k + j).
            const keep = tf.sub(1, tf.oneHot(tf.range(k, k + n, 1, "int32"), c)).reshape([n, 1, 1, c]);
            const ablated = tf.mul(tf.broadcastTo(a, [n, h, w, c]), keep) as tf.Tensor4D;
            return ctx.scoreActivations(ablated, i);
          }));
        }
        const yk = tf.concat(parts);
        // Eq. 3: w^c_k = (y^c − y^c_k) / y^c, the relative drop of the score without channel k.
        return tf.div(tf.sub(y, yk), tf.add(y, 1e-7)) as tf.Tensor1D;
      });
      rows.push(slopes);
    }
    return { weights: tf.stack(rows) as tf.Tensor2D };
  },
};
