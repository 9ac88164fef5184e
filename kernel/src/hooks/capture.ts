// One forward + backward pass that captures, for chosen layers, the activation A and dS/dA
// (S = the target score summed over the batch; each image's score depends on its own row only,
// so dS/dA holds every image's own gradient). Backprop stops at the hooked layers: each hooked
// output gets `+ z` with a scalar z = 0 and we differentiate with respect to z, so the tape
// holds only the part of the graph downstream of the layers — the prefix is never backpropagated.
import * as tf from "@tensorflow/tfjs";
import type { HookTarget } from "../engine/model";
import { targetName, type AnyModel } from "../engine/model";
import { resolveTarget, type Target } from "../engine/targets";
import { withTapeCleanup } from "../engine/tape";
import { registerBackwardHook, registerForwardHook, type HookHandle } from "./register";
import { runModel } from "./run";

/** One hooked layer: its activation and the target's gradient with respect to it. */
export interface LayerCapture {
  /** Output of the layer, [batch, …]. */
  activation: tf.Tensor;
  /** d(target score)/d(activation), same shape. */
  gradient: tf.Tensor;
}

/** What `captureGradients` returns; the caller disposes it. */
export interface GradientCapture {
  output: tf.Tensor;
  /** Target score per image, [batch]. */
  scores: tf.Tensor1D;
  /** Explained class per image (float), or null for a target function. */
  classes: tf.Tensor1D | null;
  layers: LayerCapture[];
  /** With `inputGradients`: d(target score)/d(input) for each model input, in order. */
  inputGradients: tf.Tensor[];
  /** Frees every tensor above. */
  dispose(): void;
}

/** Options of `captureGradients`. */
export interface CaptureOptions {
  /** Also differentiate with respect to every model input (e.g. per-token attributions of a text input beside an image CAM). */
  inputGradients?: boolean;
}

/**
 * Captures activations and gradients of `layers` for `target` in one forward and backward pass;
 * the caller disposes the result. `x` is the model's input, or an array of its inputs in order.
 * @example
 * const c = captureGradients(model, x, [findLayer(model, "conv3")], 2);
 * c.layers[0].gradient; c.dispose();
 */
export function captureGradients(model: AnyModel, x: tf.Tensor | tf.Tensor[], layers: readonly HookTarget[], target: Target, options: CaptureOptions = {}): GradientCapture {
  const acts: (tf.Tensor | undefined)[] = layers.map(() => undefined);
  const grads: (tf.Tensor | undefined)[] = layers.map(() => undefined);
  let output: tf.Tensor | undefined;
  let scores: tf.Tensor1D | undefined;
  let classes: tf.Tensor1D | null = null;
  let z: tf.Scalar | null = null;
  const handles: HookHandle[] = [];
  const inputGradients: tf.Tensor[] = [];
  const freeAll = () => {
    for (const t of [...acts, ...grads, output, scores, classes, ...inputGradients]) t?.dispose();
  };
  try {
    layers.forEach((layer, i) => {
      handles.push(registerForwardHook(layer, (_l, _in, out) => {
        const o = Array.isArray(out) ? out[0] : out;
        acts[i]?.dispose();
        acts[i] = tf.keep(o.clone());
        const shifted = tf.add(o, z!);
        return Array.isArray(out) ? [shifted, ...out.slice(1)] : shifted;
      }));
      handles.push(registerBackwardHook(layer, (_l, dy, index) => {
        if (index !== 0) return;
        // Several calls of a shared layer: gradients of all calls add up, as in PyTorch's .grad.
        const prev = grads[i];
        grads[i] = tf.keep(prev ? tf.add(prev, dy) : dy.clone());
        prev?.dispose();
      }));
    });
    const missingNames = () => layers.filter((_, i) => acts[i] == null).map(targetName);
    try {
      runGradientPass();
    } catch (e) {
      const missing = missingNames();
      if (output != null && missing.length > 0) throw new Error(`camlab: layer(s) ${missing.join(", ")} did not run for this input`);
      throw e;
    }
    function runGradientPass() { withTapeCleanup(() => tf.tidy(() => {
      const zero = tf.scalar(0);
      const feeds = Array.isArray(x) ? x : [x];
      const g = tf.grads((zz: tf.Tensor, ...ins: tf.Tensor[]) => {
        z = zz as tf.Scalar;
        const fed = options.inputGradients ? ins : feeds;
        const out = runModel(model, Array.isArray(x) ? fed : fed[0]);
        const r = resolveTarget(target, out);
        output = tf.keep(out);
        scores = tf.keep(r.scores);
        classes = r.classes ? tf.keep(r.classes) : null;
        return tf.sum(r.scores);
      })(options.inputGradients ? [zero, ...feeds] : [zero]);
      if (options.inputGradients) for (const t of g.slice(1)) inputGradients.push(tf.keep(t));
    })); }
    const missing = missingNames();
    if (missing.length > 0) throw new Error(`camlab: layer(s) ${missing.join(", ")} did not run for this input`);
    layers.forEach((_, i) => {
      // A layer the score does not depend on gets no gradient from the tape: its gradient is 0.
      if (grads[i] == null) grads[i] = tf.keep(tf.zerosLike(acts[i]!));
    });
  } catch (e) {
    freeAll();
    throw e;
  } finally {
    z = null;
    for (const h of handles) h.remove();
  }
  const result: GradientCapture = {
    output: output!,
    scores: scores!,
    classes,
    layers: layers.map((_, i) => ({ activation: acts[i]!, gradient: grads[i]! })),
    inputGradients,
    dispose: freeAll,
  };
  return result;
}
