import * as tf from "@tensorflow/tfjs";
import type { CamMethod } from "../method";

export const scoreCam: CamMethod = {
  name: "scorecam",
  paper: "Wang et al., Score-CAM, CVPR Workshops 2020 (arXiv:1910.01279)",
  weigh: (ctx) => {
    const { activations, input, batchSize } = ctx;
    const [b, , , c] = activations.shape;
    const [, H, W] = input.shape;
    const rows: tf.Tensor1D[] = [];
    for (let i = 0; i < b; i++) {
      const scores = tf.tidy(() => {
        // H^k = s(Up(A^k)): each channel upsampled to the input and min-max scaled to [0, 1].
        const maps = tf.transpose(tf.slice(activations, [i, 0, 0, 0], [1, -1, -1, -1]), [3, 1, 2, 0]); // [C, h, w, 1]
        const up = tf.image.resizeBilinear(maps as tf.Tensor4D, [H, W], false, true);
        const lo = tf.min(up, [1, 2, 3], true), hi = tf.max(up, [1, 2, 3], true);
        const masks = tf.div(tf.sub(up, lo), tf.add(tf.sub(hi, lo), 1e-7));
        const image = tf.slice(input, [i, 0, 0, 0], [1, -1, -1, -1]);
        const parts: tf.Tensor1D[] = [];
        for (let k = 0; k < c; k += batchSize) {
          const n = Math.min(batchSize, c - k);
          parts.push(tf.tidy(() => ctx.scoreInputs(tf.mul(image, tf.slice(masks, [k, 0, 0, 0], [n, -1, -1, -1])) as tf.Tensor4D, i)));
        }
        // Eq. 5–6 + Algorithm 1: α^c_k = the target score of X ∘ H^k, softmax-normalised over k.
        return tf.softmax(tf.concat(parts)) as tf.Tensor1D;
      });
      rows.push(scores);
    }
    return { weights: tf.stack(rows) as tf.Tensor2D };
  },
};
