import * as tf from "@tensorflow/tfjs";
import type { CamMethod } from "../method";

/** HiResCAM: the element-wise product of gradient and activation, summed over channels. */
export const hiResCam: CamMethod = {
  name: "hirescam",
  paper: "Draelos & Carin, HiResCAM, arXiv:2011.08891",
  weigh: ({ activations: a, gradients: g }) => {
    // M_ij = Σ_k ∂S/∂A^k_ij ⊙ A^k_ij  (element-wise product instead of averaged gradients)
    const weighted = tf.mul(g, a) as tf.Tensor4D;
    return { map: tf.sum(weighted, -1) as tf.Tensor3D, weighted };
  },
};
