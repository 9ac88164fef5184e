import * as tf from "@tensorflow/tfjs";
import { checkpoint } from "../../engine/work";
import type { CamContext, CamMethod } from "../method";

/** Options of `rise()`. */
export interface RiseOptions {
  /** Random masks N (default 1000; the paper uses 4000–8000 for ImageNet models). */
  masks?: number;
  /** Grid cells s per side of a mask before upsampling (default 7). */
  cells?: number;
  /** Probability p that a grid cell is kept (default 0.5). */
  keep?: number;
  /** Seed of the masks (default 0): batch j of masks draws with seed + j. */
  seed?: number;
}

/** A small seeded PRNG (mulberry32) for the masks' shifts: numbers in [0, 1). */
export function mulberry32(seed: number): () => number {
  let a = seed | 0;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Batch `j` of RISE masks, [n, H, W, 1]: a random binary s×s grid (cells kept with probability
 * p), upsampled bilinearly to (s+1)·⌈H/s⌉ × (s+1)·⌈W/s⌉ and cropped to H×W at a random shift.
 */
export function riseMasks(n: number, H: number, W: number, cells: number, keep: number, seed: number): tf.Tensor4D {
  const ch = Math.ceil(H / cells), cw = Math.ceil(W / cells);
  const random = mulberry32(seed);
  const shifts = Array.from({ length: n }, () => [Math.floor(random() * ch), Math.floor(random() * cw)]);
  return tf.tidy(() => {
    // Sec. 3.2: binary masks on a small grid, cells kept with probability p …
    const grid = tf.cast(tf.less(tf.randomUniform([n, cells, cells, 1], 0, 1, "float32", seed), keep), "float32") as tf.Tensor4D;
    // … upsampled with bilinear interpolation to (s+1)·C_H × (s+1)·C_W and shifted by a random crop.
    const up = tf.image.resizeBilinear(grid, [(cells + 1) * ch, (cells + 1) * cw], false, true);
    return tf.concat(shifts.map(([dy, dx], m) => tf.slice(up, [m, dy, dx, 0], [1, H, W, 1]))) as tf.Tensor4D;
  });
}

async function riseMap(ctx: CamContext, masks: number, cells: number, keep: number, seed: number): Promise<{ map: tf.Tensor3D }> {
  const { input, batchSize } = ctx;
  const [b, H, W] = input.shape;
  const label = "rise: masked inputs";
  // First await before any tensor: this runs outside tf.tidy (method.ts).
  await checkpoint(label, 0, b * masks);
  const sums: (tf.Tensor3D | null)[] = new Array(b).fill(null);
  const batches = Math.ceil(masks / batchSize);
  const size = (q: number) => Math.min(batchSize, masks - q * batchSize);
  try {
    for (let i = 0; i < b; i++) {
      const image = tf.slice(input, [i, 0, 0, 0], [1, -1, -1, -1]);
      try {
        // Batch q's masks are the same for every image (seeded by q), made again where needed.
        await ctx.scoreInputBatches(batches, (q) => tf.tidy(() => tf.mul(image, riseMasks(size(q), H, W, cells, keep, seed + q)) as tf.Tensor4D), i, async (q, scores) => {
          const n = size(q);
          const next = tf.tidy(() => {
            const m = riseMasks(n, H, W, cells, keep, seed + q);
            // Σ_i f(I ⊙ M_i) · M_i over this batch of masks, [1, H, W].
            const part = tf.reshape(tf.matMul(tf.reshape(scores, [1, n]), tf.reshape(m, [n, H * W])), [1, H, W]) as tf.Tensor3D;
            return sums[i] ? (tf.add(sums[i]!, part) as tf.Tensor3D) : part;
          });
          scores.dispose();
          sums[i]?.dispose();
          sums[i] = next;
          await checkpoint(label, i * masks + q * batchSize + n, b * masks);
        });
      } finally {
        image.dispose();
      }
    }
    // Eq. 6: S_{I,f}(λ) ≈ 1/(E[M]·N) Σ_{i=1..N} f(I ⊙ M_i) · M_i(λ), with E[M] = p.
    return { map: tf.tidy(() => tf.div(tf.concat(sums as tf.Tensor3D[]), keep * masks) as tf.Tensor3D) };
  } finally {
    for (const s of sums) s?.dispose();
  }
}

/**
 * RISE: the target score under random masks of the input, each mask weighted by the score it
 * leaves — a black-box method: it ignores the layer and its gradients (the map is at input
 * resolution). Seeded, batched (`batchSize` masked inputs per model run), cancellable.
 */
export function rise(options: RiseOptions = {}): CamMethod {
  const masks = options.masks ?? 1000, cells = options.cells ?? 7, keep = options.keep ?? 0.5, seed = options.seed ?? 0;
  if (!Number.isInteger(masks) || masks < 1) throw new Error(`camlab.rise: masks must be a positive integer (how many random masks, e.g. 1000), got ${masks}`);
  if (!Number.isInteger(cells) || cells < 1) throw new Error(`camlab.rise: cells must be a positive integer (grid cells per side, e.g. 7), got ${cells}`);
  if (!(keep > 0 && keep <= 1)) throw new Error(`camlab.rise: keep must be a probability in (0, 1] (the chance a grid cell stays visible, e.g. 0.5), got ${keep}`);
  if (!Number.isInteger(seed)) throw new Error(`camlab.rise: seed must be an integer, got ${seed}`);
  return {
    name: "rise",
    formsOwnMap: true,
    paper: "Petsiuk, Das & Saenko, RISE: Randomized Input Sampling for Explanation of Black-box Models, BMVC 2018 (arXiv:1806.07421)",
    weigh: (ctx) => riseMap(ctx, masks, cells, keep, seed),
  };
}
