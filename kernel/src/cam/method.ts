// What a CAM method is: a pure function of what the base captured at one layer → channel
// weights [batch, channels] (the map is then Σ_c w_c·A_c) or directly a map [batch, h, w].
// Methods run on the backend; they never read data to the host and never hook.
//
// Two shapes of `weigh`: a synchronous one runs inside tf.tidy (the base frees everything it
// made); an async one is for methods that loop over many model runs (Score-CAM, Ablation-CAM) and
// must yield between batches so a cell can be interrupted (engine/work.ts `checkpoint`). An async
// weigh runs OUTSIDE tf.tidy: it creates no tensor before its first `await`, frees its own
// intermediates itself — also when a checkpoint throws Cancelled — and returns fresh tensors that
// the base then owns.
import type * as tf from "@tensorflow/tfjs";
import type { CamOptions } from "./base";

/** What the base hands a method for one layer. */
export interface CamContext {
  /** The layer explained (for progress labels and messages). */
  readonly layer: string;
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
  /** Score-CAM only: weigh just this many channels per image (Faster Score-CAM); undefined = all. */
  readonly channels?: number;
  /** Target score of image `image`'s target for each row of a batch of inputs [n, H, W, c] → [n]. */
  scoreInputs(inputs: tf.Tensor4D, image: number): tf.Tensor1D;
  /**
   * Target scores of image `image`'s target for `count` batches of inputs, in order: `batch(j)`
   * makes batch j [n, H, W, c] (a fresh tensor; it is disposed for you), `scored(j, scores)`
   * gets its scores [n] (yours to dispose; awaited, so checkpoint there). Large work also runs on
   * model replicas in worker threads (engine/replicas.ts), with the same results.
   */
  scoreInputBatches(count: number, batch: (j: number) => tf.Tensor4D, image: number, scored: (j: number, scores: tf.Tensor1D) => Promise<void>): Promise<void>;
  /** Same as scoreInputs, but with this layer's output replaced by `activations` [n, h, w, channels]. */
  scoreActivations(activations: tf.Tensor4D, image: number): tf.Tensor1D;
  /** The model output [n, …] with this layer's output replaced by `activations` (image `image` elsewhere); differentiable in `activations`. */
  outputFromActivations(activations: tf.Tensor4D, image: number): tf.Tensor;
  /** d(Σ this layer's output)/d(its own kernel) per image, folded to [batch, rows, channels] (rows: the kernel's other axes); throws for a layer without a kernel. */
  kernelGradient(): tf.Tensor3D;
  /** The class image `image` explains, [1] int32 (top-1 or given), or null for a target function. */
  explained(image: number): tf.Tensor1D | null;
}

/**
 * A method's result: channel weights (the base forms Σ_c w_c·A_c) or a map it formed itself.
 * A map that is a sum over per-channel terms (HiResCAM's ∂S/∂A ⊙ A, LayerCAM's ReLU(∂S/∂A) ⊙ A)
 * also hands those terms as `weighted` [batch, h, w, channels], for `eigenSmooth`.
 */
export type CamWeighting = { weights: tf.Tensor2D } | { map: tf.Tensor3D; weighted?: tf.Tensor4D };

/** One CAM method: a name, its paper, and how it weighs a layer. */
export interface CamMethod {
  /** Key used in cam({ method }). */
  readonly name: string;
  /** Paper reference shown in docs and the UI. */
  readonly paper: string;
  /**
   * True for a method whose map is not a sum of per-channel terms (Eigen-CAM, EigenGrad-CAM,
   * KPCA-CAM, RISE): `eigenSmooth` has nothing to project and is refused for it.
   */
  readonly formsOwnMap?: boolean;
  /**
   * True for a method that runs the model again with this layer's output replaced (Ablation-CAM,
   * FinerCAM, ShapleyCAM): with a `reshape`, it needs the reshape's way back (`fromMap`).
   */
  readonly feedsActivationsBack?: boolean;
  /** Optional: throws a clear error when `cam()`'s options do not suit this method — called before any kernel runs. */
  check?(options: CamOptions): void;
  /** Synchronous (inside tf.tidy) or async (manages its own tensors; see the file comment). */
  weigh(ctx: CamContext): CamWeighting | Promise<CamWeighting>;
}
