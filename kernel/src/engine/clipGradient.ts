// A faster gradient for tf.clipByValue (kernel ClipByValue), which every ReLU6 of a
// tfjs-layers model runs (`ReLU({maxValue: 6})` is relu, then clip to [0, 6]). tfjs's own
// gradient builds the mask [lo ≤ x ≤ hi] from GreaterEqual, LessEqual, LogicalAnd and Select,
// which wasm runs as broadcasting loops: 188 of 415 ms of a MobileNetV2 backward to the input
// here. The same mask from float kernels that XNNPACK runs fast:
//   [x ≥ lo] = step(x − lo⁻)   where lo⁻ is the float32 just below lo (step(v) = v > 0 ? 1 : 0)
//   [x ≤ hi] = step(hi⁺ − x)   where hi⁺ is the float32 just above hi
// exact for every finite x, because the sign of a rounded float difference is the sign of the
// exact one. Differences from tfjs's: a NaN x passes NaN on (tfjs's mask says 0), so a NaN in
// the forward pass shows in the gradient too.
import * as tf from "@tensorflow/tfjs";

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** The float32 next to `v` (rounded to float32 first) towards +∞ (dir 1) or −∞ (dir −1). */
export function nextFloat32(v: number, dir: 1 | -1): number {
  f32[0] = v;
  const x = f32[0];
  if (Number.isNaN(x) || x === dir * Infinity) return x;
  if (x === 0) return dir * 1.401298464324817e-45; // the smallest denormal, either side of ±0
  // For a positive float, moving its bits up moves away from 0; for a negative one, towards it.
  u32[0] += (x > 0) === (dir > 0) ? 1 : -1;
  return f32[0];
}

type GradFunc = (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[], attrs: tf.NamedAttrMap) => Record<string, () => tf.Tensor>;

const fastGradient: GradFunc = (dyIn, saved, attrs) => {
  const dy = dyIn as tf.Tensor;
  const [x] = saved;
  const { clipValueMin: lo, clipValueMax: hi } = attrs as unknown as { clipValueMin: number; clipValueMax: number };
  return {
    x: () => {
      if (x.dtype !== "float32") return tf.where(tf.logicalAnd(tf.greaterEqual(x, lo), tf.lessEqual(x, hi)), dy, tf.zerosLike(dy));
      let mask: tf.Tensor | null = null;
      if (lo !== -Infinity) mask = tf.step(tf.sub(x, nextFloat32(lo, -1)));
      if (hi !== Infinity) {
        const below = tf.step(tf.sub(nextFloat32(hi, 1), x));
        mask = mask == null ? below : tf.mul(mask, below);
      }
      return mask == null ? tf.clone(dy) : tf.mul(dy, mask);
    },
  };
};

let installed = false;

/** Replaces the ClipByValue gradient once per process (idempotent). */
export function installFastClipGradient(): void {
  if (installed) return;
  installed = true;
  const cfg = tf.getGradient("ClipByValue") as unknown as { gradFunc: GradFunc } | undefined;
  if (cfg != null) cfg.gradFunc = fastGradient;
}
