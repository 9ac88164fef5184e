// augSmooth (pytorch-grad-cam's aug_smooth, after ttach): the same CAM on six versions of the
// input — as is and flipped left-right, each at intensity ×0.9, ×1, ×1.1 — each map flipped back
// and the maps averaged. Noise that depends on where exactly an edge falls on the layer's grid
// averages out; what the model really looks at stays.
import * as tf from "@tensorflow/tfjs";
import { checkModelInput } from "../engine/inputContract";
import type { AnyModel } from "../engine/model";
import { checkpoint } from "../engine/work";
import type { LayerCam } from "./base";
import { layerMapsOnBackend, type LayerMapsWithOutput } from "./layerMaps";
import { planForTarget, type CamPlan } from "./plan";

/** The augmentations, the identity first (its class, scores and output are the result's). */
export const AUG_SMOOTH_VARIANTS: readonly { flip: boolean; factor: number }[] = Object.freeze(
  [false, true].flatMap((flip) => [1, 0.9, 1.1].map((factor) => ({ flip, factor }))).sort((a, b) => Number(a.flip) - Number(b.flip) || Math.abs(a.factor - 1) - Math.abs(b.factor - 1)),
);

/** Left-right flip of maps [b, h, w] or images [b, h, w, c]: axis 2 either way. */
const flipWidth = <T extends tf.Tensor>(t: T): T => tf.reverse(t, 2) as T;

/**
 * `layerMapsOnBackend` averaged over `AUG_SMOOTH_VARIANTS`: per layer the mean of the flipped-back
 * raw maps and the mean channel weights. The explained class of every variant is the class of the
 * input as is (a flip must not change which class is explained). Yields between variants.
 */
export async function augSmoothedLayerMaps(model: AnyModel, input: tf.Tensor, plan: CamPlan): Promise<LayerMapsWithOutput> {
  const x = await checkModelInput(model, input, "cam");
  let first: LayerMapsWithOutput | null = null;
  const sums: { raw: tf.Tensor3D; weights: tf.Tensor2D | null }[] = [];
  try {
    first = await layerMapsOnBackend(model, x, plan);
    for (const l of first.perLayer) sums.push({ raw: tf.keep(l.raw.clone()), weights: l.weights ? tf.keep(l.weights.clone()) : null });
    const fixed = typeof plan.options.target === "function" || first.classes == null ? plan : planForTarget(plan, Array.from(await first.classes.data()));
    for (let v = 1; v < AUG_SMOOTH_VARIANTS.length; v++) {
      await checkpoint("augSmooth: variants", v, AUG_SMOOTH_VARIANTS.length);
      const { flip, factor } = AUG_SMOOTH_VARIANTS[v];
      const variant = tf.tidy(() => {
        const scaled = factor === 1 ? x.clone() : tf.mul(x, factor);
        return flip ? flipWidth(scaled) : scaled;
      });
      let maps: LayerMapsWithOutput | null = null;
      try {
        maps = await layerMapsOnBackend(model, variant, fixed);
        maps.perLayer.forEach((l, i) => {
          const s = sums[i];
          const raw = tf.tidy(() => tf.add(s.raw, flip ? flipWidth(l.raw) : l.raw) as tf.Tensor3D);
          s.raw.dispose();
          s.raw = tf.keep(raw);
          if (s.weights && l.weights) {
            const w = tf.add(s.weights, l.weights) as tf.Tensor2D;
            s.weights.dispose();
            s.weights = tf.keep(w);
          }
        });
      } finally {
        maps?.dispose();
        variant.dispose();
      }
    }
    const n = AUG_SMOOTH_VARIANTS.length;
    const perLayer: LayerCam[] = first.perLayer.map((l, i) => ({
      layer: l.layer,
      raw: tf.keep(tf.div(sums[i].raw, n)) as tf.Tensor3D,
      weights: sums[i].weights ? (tf.keep(tf.div(sums[i].weights!, n)) as tf.Tensor2D) : null,
    }));
    // The identity pass's maps give way to the averages; its output, scores and classes stay.
    const base = first;
    for (const l of base.perLayer) tf.dispose([l.raw, ...(l.weights ? [l.weights] : [])]);
    const dispose = () => {
      base.dispose();
      for (const l of perLayer) tf.dispose([l.raw, ...(l.weights ? [l.weights] : [])]);
    };
    return { ...base, perLayer, dispose, [Symbol.dispose]: dispose };
  } catch (e) {
    first?.dispose();
    throw e;
  } finally {
    for (const s of sums) tf.dispose([s.raw, ...(s.weights ? [s.weights] : [])]);
    if (x !== input) x.dispose();
  }
}
