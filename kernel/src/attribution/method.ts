// What an input-attribution method is: given a way to take the target's gradient with respect to
// any batch of inputs, it returns one attribution per input value, [batch, H, W, channels]. Like
// the async CAM methods (cam/method.ts), `attribute` runs OUTSIDE tf.tidy: it creates no tensor
// before its first `await`, frees its own intermediates — also when a checkpoint throws
// Cancelled — and returns a fresh tensor that the caller then owns.
import type * as tf from "@tensorflow/tfjs";

/** What `attribute()` hands a method. */
export interface AttributionContext {
  /** The (checked) input batch x, [b, H, W, C]. */
  readonly input: tf.Tensor4D;
  /** Integrated Gradients' reference input x′, broadcastable to the input (default 0). */
  readonly baseline: tf.Tensor;
  /** Integrated Gradients' number of path steps m. */
  readonly steps: number;
  /** Most input rows one model run may hold. */
  readonly batchSize: number;
  /**
   * ∂S/∂x for a stack of n copies of the batch, [n·b, H, W, C] in copy-major order (row r
   * explains image r mod b's target); returns the same shape. The caller owns the result.
   */
  gradient(inputs: tf.Tensor4D): tf.Tensor4D;
}

/** One attribution method: a name, its paper, how it attributes, and how a map is read from it. */
export interface AttributionMethod {
  /** Key used in attribute({ method }). */
  readonly name: string;
  /** Paper reference shown in docs and the UI. */
  readonly paper: string;
  /**
   * How `map` folds the channels of an attribution into one value per pixel: "maxAbs" (max over
   * channels of |·|, Simonyan et al.'s saliency map) or "sum" (Σ over channels, signed).
   */
  readonly reduce: "maxAbs" | "sum";
  /** The options of `attribute()` this method reads besides target and batchSize ("steps", "baseline"). */
  readonly uses?: readonly ("steps" | "baseline")[];
  /** The attributions, [b, H, W, C]; async, manages its own tensors (see the file comment). */
  attribute(ctx: AttributionContext): Promise<tf.Tensor4D>;
}
