// SmoothGrad and VarGrad: wrappers that run any attribution method on noisy copies of the input
// and keep the mean (SmoothGrad) or the variance (VarGrad) of the attributions. The noise is
// seeded (sample s draws with seed + s), so a call is reproducible.
import * as tf from "@tensorflow/tfjs";
import { checkpoint } from "../engine/work";
import type { AttributionContext, AttributionMethod } from "./method";

/** Options of `smoothGrad()` / `varGrad()`. */
export interface SmoothOptions {
  /** Noisy samples n (default 16; the paper finds 50 enough, returns diminishing after). */
  samples?: number;
  /** Noise level σ / (x_max − x_min), per image (default 0.15; the paper suggests 10–20%). */
  noise?: number;
  /** Seed of the first sample's noise (default 0). */
  seed?: number;
}

function checkSmooth(fn: string, inner: AttributionMethod, o: SmoothOptions): Required<SmoothOptions> {
  if (inner == null || typeof inner.attribute !== "function") throw new TypeError(`camlab.${fn}: the first argument must be an attribution method (e.g. saliency, integratedGradientsMethod, or ATTRIBUTION_METHODS.gradientxinput), got ${inner === null ? "null" : typeof inner}`);
  const samples = o.samples ?? 16, noise = o.noise ?? 0.15, seed = o.seed ?? 0;
  if (!Number.isInteger(samples) || samples < 1) throw new Error(`camlab.${fn}: samples must be a positive integer (how many noisy copies to average), got ${samples}`);
  if (!Number.isFinite(noise) || noise < 0) throw new Error(`camlab.${fn}: noise must be a finite number ≥ 0 (σ as a fraction of each image's value range, e.g. 0.15), got ${noise}`);
  if (!Number.isInteger(seed)) throw new Error(`camlab.${fn}: seed must be an integer, got ${seed}`);
  return { samples, noise, seed };
}

/** x + ε with ε ~ N(0, σ²), σ = noise · (max − min) of each image; seeded. */
export function noisyInput(x: tf.Tensor4D, noise: number, seed: number): tf.Tensor4D {
  return tf.tidy(() => {
    const range = tf.sub(tf.max(x, [1, 2, 3], true), tf.min(x, [1, 2, 3], true));
    return tf.add(x, tf.mul(tf.mul(range, noise), tf.randomNormal(x.shape, 0, 1, "float32", seed))) as tf.Tensor4D;
  });
}

function wrap(kind: "smoothgrad" | "vargrad", inner: AttributionMethod, options: SmoothOptions): AttributionMethod {
  const { samples, noise, seed } = checkSmooth(kind === "smoothgrad" ? "smoothGrad" : "varGrad", inner, options);
  const label = `${kind}(${inner.name}): noisy samples`;
  return {
    name: `${kind}(${inner.name})`,
    paper: kind === "smoothgrad"
      ? `Smilkov et al., SmoothGrad: removing noise by adding noise, arXiv:1706.03825 (2017); around ${inner.paper}`
      : `Adebayo et al., Local Explanation Methods for Deep Neural Networks Lack Sensitivity to Parameter Values, ICLR Workshop 2018 (arXiv:1810.03307); around ${inner.paper}`,
    reduce: inner.reduce,
    uses: inner.uses,
    attribute: async (ctx: AttributionContext) => {
      await checkpoint(label, 0, samples);
      // Welford's running mean and sum of squared deviations (float32-safe, one pass).
      let mean: tf.Tensor4D | null = null;
      let m2: tf.Tensor4D | null = null;
      try {
        for (let s = 0; s < samples; s++) {
          const noisy = noisyInput(ctx.input, noise, seed + s);
          let a: tf.Tensor4D;
          try {
            a = await inner.attribute({ ...ctx, input: noisy, gradient: ctx.gradient });
          } finally {
            noisy.dispose();
          }
          const [nextMean, nextM2] = tf.tidy(() => {
            if (mean == null) return [a.clone(), tf.zerosLike(a)];
            const delta = tf.sub(a, mean);
            const nm = tf.add(mean, tf.div(delta, s + 1));
            return [nm, tf.add(m2!, tf.mul(delta, tf.sub(a, nm)))];
          }) as [tf.Tensor4D, tf.Tensor4D];
          a.dispose();
          (mean as tf.Tensor | null)?.dispose();
          (m2 as tf.Tensor | null)?.dispose();
          [mean, m2] = [nextMean, nextM2];
          await checkpoint(label, s + 1, samples);
        }
        // SmoothGrad Eq. 1: M̂_c(x) = (1/n) Σ_{s=1..n} M_c(x + N(0, σ²)).
        if (kind === "smoothgrad") return mean!.clone();
        // VarGrad: the variance (1/n) Σ_s (M_c(x + ε_s) − M̂_c(x))² of the same samples.
        return tf.div(m2!, samples) as tf.Tensor4D;
      } finally {
        (mean as tf.Tensor | null)?.dispose();
        (m2 as tf.Tensor | null)?.dispose();
      }
    },
  };
}

/**
 * SmoothGrad around any attribution method: the mean of its attributions over `samples` noisy
 * copies of the input (Gaussian noise, σ = `noise` × each image's value range, seeded).
 */
export function smoothGrad(inner: AttributionMethod, options: SmoothOptions = {}): AttributionMethod {
  return wrap("smoothgrad", inner, options);
}

/** VarGrad around any attribution method: the variance of its attributions over the same noisy copies as SmoothGrad. */
export function varGrad(inner: AttributionMethod, options: SmoothOptions = {}): AttributionMethod {
  return wrap("vargrad", inner, options);
}
