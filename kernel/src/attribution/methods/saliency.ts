import * as tf from "@tensorflow/tfjs";
import { checkpoint } from "../../engine/work";
import type { AttributionMethod } from "../method";

/** Vanilla gradient saliency: |∂S/∂x|, shown as the max over channels. */
export const saliency: AttributionMethod = {
  name: "saliency",
  paper: "Simonyan, Vedaldi & Zisserman, Deep Inside Convolutional Networks, ICLR Workshop 2014 (arXiv:1312.6034)",
  reduce: "maxAbs",
  attribute: async (ctx) => {
    await checkpoint("saliency: gradient", 0, 1);
    // Sec. 3.1: w = ∂S_c/∂I at I₀; the saliency map is M_ij = max_c |w_h(i,j,c)|.
    return tf.tidy(() => tf.abs(ctx.gradient(ctx.input)) as tf.Tensor4D);
  },
};
