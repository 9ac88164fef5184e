import * as tf from "@tensorflow/tfjs";
import type { CamMethod } from "../method";

/** LayerCAM: activations weighted by their positive gradient, position by position. */
export const layerCam: CamMethod = {
  name: "layercam",
  paper: "Jiang et al., LayerCAM, IEEE TIP 2021",
  weigh: ({ activations: a, gradients: g }) => {
    // M_ij = Σ_k ReLU(∂S/∂A^k_ij) · A^k_ij  (a positive gradient weighs each position separately)
    const weighted = tf.mul(tf.relu(g), a) as tf.Tensor4D;
    return { map: tf.sum(weighted, -1) as tf.Tensor3D, weighted };
  },
};
