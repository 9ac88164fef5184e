import * as tf from "@tensorflow/tfjs";
import { checkpoint } from "../../engine/work";
import type { AttributionMethod } from "../method";

/** Gradient × Input: x ⊙ ∂S/∂x, signed, summed over channels in the map. */
export const gradientXInput: AttributionMethod = {
  name: "gradientxinput",
  paper: "Shrikumar et al., Not Just a Black Box: Learning Important Features Through Propagating Activation Differences, arXiv:1605.01713 (2016)",
  reduce: "sum",
  attribute: async (ctx) => {
    await checkpoint("gradientxinput: gradient", 0, 1);
    // R_i = x_i · ∂S/∂x_i (the first-order Taylor term of S at x, relative to 0).
    return tf.tidy(() => tf.mul(ctx.input, ctx.gradient(ctx.input)) as tf.Tensor4D);
  },
};
