// Gradient health: one backward pass with a tap on every layer, reporting per layer the NaN and
// Inf counts of dL/d(output) and its L2 norm, flagged as vanishing/exploding by thresholds, and
// the first layer (walking back from the output) where NaN appears. All statistics are reduced
// on the backend and read in one transfer.
import * as tf from "@tensorflow/tfjs";
import { guardBackend } from "../engine/backend";
import { checkModelArg, checkModelInput } from "../engine/inputContract";
import { findLayer, layerNames, type AnyModel } from "../engine/model";
import { resolveTarget, type Target } from "../engine/targets";
import { withTapeCleanup } from "../engine/tape";
import { registerBackwardHook, type HookHandle } from "./register";
import { runModel } from "./run";

/** One layer's gradient statistics. */
export interface LayerGradientHealth {
  layer: string;
  nanCount: number;
  infCount: number;
  /** L2 norm of the finite entries of dL/d(output). */
  norm: number;
  size: number;
  status: "ok" | "nan" | "inf" | "vanishing" | "exploding";
}

/** What `gradientHealth()` returns. */
export interface GradientHealthReport {
  /** Layers in backward order (nearest the output first); layers without gradient are left out. */
  layers: LayerGradientHealth[];
  /** First layer, walking back from the output, whose gradient holds a NaN; null when none. */
  firstNaN: string | null;
  loss: number;
}

/** Options of `gradientHealth()`. */
export interface GradientHealthOptions {
  /** What to differentiate: a loss function of the output (→ scalar), default: the target. */
  loss?: (output: tf.Tensor) => tf.Scalar;
  /** Used when no loss is given; default top-1 class score. */
  target?: Target;
  /** Norms below this are "vanishing" (default 1e-8). */
  vanishingBelow?: number;
  /** Norms above this are "exploding" (default 1e4). */
  explodingAbove?: number;
}

/**
 * Gradient health of every layer for `input`: one backward pass, NaN/Inf counts and norms of
 * dL/d(output) per layer, read in one transfer. The input is checked first (shape, dtype, finite
 * values: a NaN input would flag every layer and hide the layer where NaN really starts).
 */
export async function gradientHealth(model: AnyModel, input: tf.Tensor, options: GradientHealthOptions = {}): Promise<GradientHealthReport> {
  checkModelArg(model, "gradientHealth");
  return guardBackend("gradientHealth", () => healthOnBackend(model, input, options));
}

async function healthOnBackend(model: AnyModel, input: tf.Tensor, options: GradientHealthOptions): Promise<GradientHealthReport> {
  const names = layerNames(model);
  const x = await checkModelInput(model, input, "gradientHealth");
  const grads = new Map<string, tf.Tensor>();
  const order: string[] = [];
  const handles: HookHandle[] = [];
  let stats: tf.Tensor | null = null;
  let loss: tf.Tensor | null = null;
  try {
    for (const name of names) {
      handles.push(registerBackwardHook(findLayer(model, name), (_l, dy, index) => {
        if (index !== 0) return;
        const prev = grads.get(name);
        if (prev == null) order.push(name);
        grads.set(name, tf.keep(prev ? tf.add(prev, dy) : dy.clone()));
        prev?.dispose();
      }));
    }
    withTapeCleanup(() => tf.tidy(() => {
      const f = (xx: tf.Tensor) => {
        const out = runModel(model, xx);
        const l = options.loss ? options.loss(out) : tf.sum(resolveTarget(options.target, out).scores);
        loss = tf.keep(l.clone());
        return l as tf.Scalar;
      };
      tf.grad(f)(x).dispose();
    }));
    const rows = order.map((n) => {
      const g = grads.get(n)!;
      return tf.tidy(() => {
        const nan = tf.sum(tf.cast(tf.isNaN(g), "float32"));
        const inf = tf.sum(tf.cast(tf.isInf(g), "float32"));
        const finite = tf.where(tf.isFinite(g), g, tf.zerosLike(g));
        return tf.stack([nan, inf, tf.norm(finite)]);
      });
    });
    stats = rows.length > 0 ? tf.stack(rows) : tf.zeros([0, 3]);
    rows.forEach((r) => r.dispose());
    const [values, lossValue] = await Promise.all([stats.data(), loss!.data()]);
    const lo = options.vanishingBelow ?? 1e-8, hi = options.explodingAbove ?? 1e4;
    const layers = order.map((layer, i): LayerGradientHealth => {
      const nanCount = values[3 * i], infCount = values[3 * i + 1], norm = values[3 * i + 2];
      const status = nanCount > 0 ? "nan" : infCount > 0 ? "inf" : norm < lo ? "vanishing" : norm > hi ? "exploding" : "ok";
      return { layer, nanCount, infCount, norm, size: grads.get(layer)!.size, status };
    });
    return { layers, firstNaN: layers.find((l) => l.nanCount > 0)?.layer ?? null, loss: lossValue[0] };
  } finally {
    if (x !== input) x.dispose();
    for (const h of handles) h.remove();
    for (const g of grads.values()) g.dispose();
    (stats as tf.Tensor | null)?.dispose();
    (loss as tf.Tensor | null)?.dispose();
  }
}
