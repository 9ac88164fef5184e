import * as tf from "@tensorflow/tfjs";
import type { CamMethod } from "../method";

/**
 * Lightweight CAM for deployment: channel weights from the gradient of the layer's summed output
 * with respect to the layer's own kernel, averaged over the kernel's other axes (for a conv:
 * height, width and input channels), applied to the activations; at an activation or batch-norm
 * layer, the kernel is that of the convolution right before it. It needs no backward pass
 * through the head, so it is CLASS-AGNOSTIC: every class gets the same map. It shows which
 * channels the layer's own weights make respond most strongly to this input — where the layer is
 * active — not why the model chose a class, nor anything about the layers after it.
 */
export const lightCam: CamMethod = {
  name: "lightcam",
  paper: "Lightweight kernel-gradient CAM (camlab issue 14): w_k = mean over the kernel's other axes of ∂(Σ layer output)/∂W_{…,k}",
  weigh: (ctx) => ({
    // w_k = 1/|K_k| Σ_{a,b,c} ∂(Σ_ijk' A^k'_ij)/∂W_{a,b,c,k}  (the mean over the kernel's other axes)
    weights: tf.mean(ctx.kernelGradient(), 1) as tf.Tensor2D,
  }),
};
