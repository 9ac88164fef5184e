// What a CAM method is: a pure function of what the base captured at one layer → channel
// weights [batch, channels] (the map is then Σ_c w_c·A_c) or directly a map [batch, h, w].
// Methods run inside tf.tidy on the backend; they never read data to the host and never hook.
import type * as tf from "@tensorflow/tfjs";

export interface CamContext {
  /** Layer output A, [batch, h, w, channels]. */
  readonly activations: tf.Tensor4D;
  /** dS/dA for the target score S of each image, same shape. */
  readonly gradients: tf.Tensor4D;
  /** The input batch, [batch, H, W, channels]. */
  readonly input: tf.Tensor4D;
  /** Target score of each image on the unmodified input, [batch]. */
  readonly scores: tf.Tensor1D;
  /** How many modified inputs/activations one model run may hold (Score-CAM, Ablation-CAM). */
  readonly batchSize: number;
  /** Target score of image `image`'s target for each row of a batch of inputs [n, H, W, c] → [n]. */
  scoreInputs(inputs: tf.Tensor4D, image: number): tf.Tensor1D;
  /** Same, but with this layer's output replaced by `activations` [n, h, w, channels]. */
  scoreActivations(activations: tf.Tensor4D, image: number): tf.Tensor1D;
}

export type CamWeighting = { weights: tf.Tensor2D } | { map: tf.Tensor3D };

export interface CamMethod {
  /** Key used in cam({ method }). */
  readonly name: string;
  /** Paper reference shown in docs and the UI. */
  readonly paper: string;
  weigh(ctx: CamContext): CamWeighting;
}
