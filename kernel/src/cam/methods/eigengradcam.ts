import * as tf from "@tensorflow/tfjs";
import type { CamMethod } from "../method";
import { firstComponentProjection } from "./eigencam";

/** Eigen-Grad-CAM: Eigen-CAM on the gradient-weighted activations, so the component is class-specific. */
export const eigenGradCam: CamMethod = {
  name: "eigengradcam",
  formsOwnMap: true,
  paper: "pytorch-grad-cam's EigenGradCAM (Gildenblat et al.), after Muhammad & Yeasin, Eigen-CAM, IJCNN 2020 (arXiv:2008.00299)",
  weigh: ({ activations: a, gradients: g }) => ({
    // L = (A ⊙ ∂S/∂A)·v₁: the projection of the centred A ⊙ G on its first principal direction.
    map: firstComponentProjection(tf.mul(a, g) as tf.Tensor4D),
  }),
};
