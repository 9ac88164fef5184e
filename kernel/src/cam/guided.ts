// Guided backpropagation (Springenberg et al. 2015): the input gradient with every ReLU passing
// back only positive gradients at positive inputs. Implemented by swapping the gradient
// functions of the ReLU-family kernels for the duration of one backward pass, so it works for
// every topology (ReLU layers, fused conv activations, GraphModel ops) without model surgery.
// Guided Grad-CAM (Selvaraju et al. 2017, Sec. 3.2) = guided backprop ⊙ upsampled Grad-CAM.
import * as tf from "@tensorflow/tfjs";
import { guardBackend } from "../engine/backend";
import { checkModelArg, checkModelInput } from "../engine/inputContract";
import { resolveTarget, type Target } from "../engine/targets";
import { withTapeCleanup } from "../engine/tape";
import { runModel } from "../hooks/run";
import type { AnyModel } from "../engine/model";
import { cam, type CamOptions, type CamResult } from "./base";

type GradFunc = (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[], attrs: tf.NamedAttrMap) => Record<string, () => tf.Tensor>;

const positive = (t: tf.Tensor) => tf.cast(tf.greater(t, 0), "float32");

// dy passes only where the forward input was in the linear range AND dy itself is positive.
const GUIDED: Record<string, GradFunc> = {
  Relu: (dy, [x]) => ({ x: () => tf.mul(tf.mul(dy as tf.Tensor, positive(x)), positive(dy as tf.Tensor)) }),
  Relu6: (dy, [x]) => ({ x: () => tf.mul(tf.mul(dy as tf.Tensor, tf.mul(positive(x), tf.cast(tf.lessEqual(x, 6), "float32"))), positive(dy as tf.Tensor)) }),
};

/** Runs `body` with guided ReLU gradients (also ReLU layers with a max value: ClipByValue from 0). */
function withGuidedRelu<T>(body: () => T): T {
  const restore: (() => void)[] = [];
  try {
    for (const [kernel, guided] of Object.entries(GUIDED)) {
      const cfg = tf.getGradient(kernel) as unknown as { gradFunc: GradFunc };
      const original = cfg.gradFunc;
      cfg.gradFunc = guided;
      restore.push(() => (cfg.gradFunc = original));
    }
    const clip = tf.getGradient("ClipByValue") as unknown as { gradFunc: GradFunc };
    const clipOriginal = clip.gradFunc;
    clip.gradFunc = (dy, saved, attrs) => {
      if ((attrs as { clipValueMin?: number }).clipValueMin !== 0) return clipOriginal(dy, saved, attrs);
      const [x] = saved;
      const max = (attrs as { clipValueMax: number }).clipValueMax;
      return { x: () => tf.mul(tf.mul(dy as tf.Tensor, tf.mul(positive(x), tf.cast(tf.lessEqual(x, max), "float32"))), positive(dy as tf.Tensor)) };
    };
    restore.push(() => (clip.gradFunc = clipOriginal));
    return body();
  } finally {
    for (const r of restore.reverse()) r();
  }
}

/** What `guidedBackprop()` returns; `dispose()` frees the gradients. */
export interface GuidedBackpropResult {
  /** Guided gradient of the target w.r.t. the input, [batch, H, W, channels]. */
  gradients: tf.Tensor4D;
  targets: (number | null)[];
  dispose(): void;
  [Symbol.dispose](): void;
}

/**
 * Guided backpropagation: d(target)/d(input) with guided ReLU gradients, [batch, H, W, channels].
 * The input is checked against the model's signature (shape, dtype, finite values) first.
 */
export async function guidedBackprop(model: AnyModel, input: tf.Tensor, options: { target?: Target } = {}): Promise<GuidedBackpropResult> {
  checkModelArg(model, "guidedBackprop");
  return guardBackend("guidedBackprop", () => guidedOnBackend(model, input, options));
}

async function guidedOnBackend(model: AnyModel, input: tf.Tensor, options: { target?: Target }): Promise<GuidedBackpropResult> {
  const x = await checkModelInput(model, input, "guidedBackprop");
  let classes: tf.Tensor | null = null;
  try {
    const gradients = withTapeCleanup(() => tf.tidy(() =>
      withGuidedRelu(() =>
        tf.grad((xx: tf.Tensor) => {
          const r = resolveTarget(options.target, runModel(model, xx));
          if (r.classes) classes = tf.keep(r.classes.clone());
          return tf.sum(r.scores) as tf.Scalar;
        })(x),
      ),
    )) as tf.Tensor4D;
    const cls = classes ? await (classes as tf.Tensor).data() : null;
    let disposed = false;
    const dispose = () => {
      if (!disposed) gradients.dispose();
      disposed = true;
    };
    return { gradients, targets: Array.from({ length: x.shape[0] }, (_, i) => (cls ? cls[i] : null)), dispose, [Symbol.dispose]: dispose };
  } finally {
    (classes as tf.Tensor | null)?.dispose();
    if (x !== input) x.dispose();
  }
}

/** What `guidedGradCam()` returns; `dispose()` frees it all, the CAM included. */
export interface GuidedGradCamResult {
  /** Guided backprop ⊙ Grad-CAM heatmap, [batch, H, W, channels]. */
  guided: tf.Tensor4D;
  /** The guided backprop gradients alone. */
  gradients: tf.Tensor4D;
  /** The Grad-CAM result it was multiplied with. */
  cam: CamResult;
  dispose(): void;
  [Symbol.dispose](): void;
}

/** Guided Grad-CAM (Selvaraju et al. 2017, Sec. 3.2): guided backprop ⊙ the upsampled Grad-CAM heatmap. */
export async function guidedGradCam(model: AnyModel, input: tf.Tensor, options: Omit<CamOptions, "method"> = {}): Promise<GuidedGradCamResult> {
  checkModelArg(model, "guidedGradCam");
  return guardBackend("guidedGradCam", () => guidedGradCamOnBackend(model, input, options));
}

async function guidedGradCamOnBackend(model: AnyModel, input: tf.Tensor, options: Omit<CamOptions, "method">): Promise<GuidedGradCamResult> {
  const c = await cam(model, input, { ...options, method: "gradcam" });
  try {
    // The same classes as the CAM explained, so both halves explain one target.
    const target = options.target ?? (c.targets.every((t) => t != null) ? (c.targets as number[]) : undefined);
    const gb = await guidedBackprop(model, input, { target });
    const guided = tf.tidy(() => tf.mul(gb.gradients, tf.expandDims(c.heatmap, -1)) as tf.Tensor4D);
    let disposed = false;
    const dispose = () => {
      if (disposed) return;
      disposed = true;
      guided.dispose();
      gb.dispose();
      c.dispose();
    };
    return { guided, gradients: gb.gradients, cam: c, dispose, [Symbol.dispose]: dispose };
  } catch (e) {
    c.dispose();
    throw e;
  }
}
