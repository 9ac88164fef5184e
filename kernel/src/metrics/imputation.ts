// Noisy linear imputation (Rong et al., "A Consistent and Efficient Evaluation Strategy for
// Attribution Methods", ICML 2022, Sec. 4 — ROAD's "debiasing" step): every removed pixel becomes
// the weighted mean of its 8 neighbours, direct ones weighing 1/6 and diagonal ones 1/12, where
// neighbours that are removed too are unknowns of the same system:
//     S_i·x_i − Σ_{n∈N(i), removed} w_n·x_n = Σ_{n∈N(i), kept} w_n·v_n,   S_i = Σ_{n∈N(i), in image} w_n
// (one equation per removed pixel and channel), then Gaussian noise of σ `noise` is added to the
// removed pixels. The paper solves the sparse system on the host (scipy's spsolve); here the
// matrix is symmetric positive definite (a Laplacian with Dirichlet values from the kept pixels),
// so every system of a batch is solved at once on the backend by Jacobi-preconditioned conjugate
// gradients, whose matrix–vector product is one 3×3 depthwise convolution.
import * as tf from "@tensorflow/tfjs";
import { guardBackend } from "../engine/backend";
import { checkpoint } from "../engine/work";

/** Options of the noisy linear imputation. */
export interface ImputationOptions {
  /** σ of the Gaussian noise added to each imputed pixel (ROAD's default 0.01), in input units; 0 for none. */
  noise?: number;
  /** Seed of the noise (default 0: the same images every run). */
  seed?: number;
  /**
   * Stop once every system's residual ‖b − Ax‖ is below this fraction of ‖b‖ (default 1e-4: the
   * imputed values are then within ~4e-3 of the exact solution (measured at 224 px) even for a hole covering nearly
   * the whole image, below ROAD's noise of 0.01).
   */
  tolerance?: number;
  /** Most conjugate-gradient iterations (default 4·(height + width)). */
  maxIterations?: number;
}

/** What the solver did: conjugate-gradient iterations run (all levels) and the largest relative residual left. */
export interface ImputationStats {
  iterations: number;
  residual: number;
}

// The neighbour weights of ROAD's reference implementation: 1/6 direct, 1/12 diagonal (sum 1).
const NEIGHBOURS = [1 / 12, 1 / 6, 1 / 12, 1 / 6, 0, 1 / 6, 1 / 12, 1 / 6, 1 / 12];
const CHECK_EVERY = 8;

/** Checks the imputation options before any kernel runs. */
export function checkImputationOptions(fn: string, o: ImputationOptions): void {
  if (o.noise !== undefined && !(typeof o.noise === "number" && o.noise >= 0 && Number.isFinite(o.noise))) throw new RangeError(`camlab.${fn}: noise must be a finite σ ≥ 0 (ROAD uses 0.01), got ${o.noise}`);
  if (o.seed !== undefined && !Number.isInteger(o.seed)) throw new TypeError(`camlab.${fn}: seed must be an integer, got ${o.seed}`);
  if (o.tolerance !== undefined && !(o.tolerance > 0 && o.tolerance < 1)) throw new RangeError(`camlab.${fn}: tolerance must be in (0, 1) (a relative residual, e.g. 1e-4), got ${o.tolerance}`);
  if (o.maxIterations !== undefined && !(Number.isInteger(o.maxIterations) && o.maxIterations >= 1)) throw new RangeError(`camlab.${fn}: maxIterations must be a positive integer, got ${o.maxIterations}`);
}

/**
 * Solves the imputation of `images` [n, h, w, c] where `removed` [n, h, w, 1] is 1, on the
 * backend; yields (and may be cancelled) every few iterations. The caller owns the result.
 */
export async function imputeOnBackend(images: tf.Tensor4D, removed: tf.Tensor4D, o: ImputationOptions, where: string): Promise<{ filled: tf.Tensor4D } & ImputationStats> {
  const [n, h, w, c] = images.shape;
  const u = tf.tidy(() => tf.cast(tf.greater(removed, 0.5), "float32") as tf.Tensor4D);
  try {
    const { x, iterations, residual } = await solveLevel(images, u, o, where);
    const filled = tf.tidy(() => {
      const noisy = o.noise === 0 ? x : tf.add(x, tf.mul(tf.randomNormal([n, h, w, c], 0, o.noise ?? 0.01, "float32", o.seed ?? 0), u));
      return tf.add(tf.mul(images, tf.sub(1, u)), noisy) as tf.Tensor4D;
    });
    x.dispose();
    return { filled, iterations, residual };
  } finally {
    u.dispose();
  }
}

// Below this side a level is solved from zero; above it, from the next coarser level's solution.
const COARSEST = 16;

/**
 * The removed pixels' values x (0 on kept pixels) of one level. Conjugate gradients need about as
 * many iterations as a hole is wide, so a large hole (MoRF removing a whole object) would take
 * hundreds at 224 px; instead each level starts from the solution of the half-size problem,
 * upsampled (nested iteration, "cascadic multigrid"): the coarse solve fixes the smooth part of
 * the solution cheaply and the fine one only the detail. The coarse problem keeps a coarse pixel
 * when any of its 2×2 fine pixels is kept, with their mean as its value.
 */
async function solveLevel(images: tf.Tensor4D, u: tf.Tensor4D, o: ImputationOptions, where: string): Promise<{ x: tf.Tensor4D } & ImputationStats> {
  const [, h, w] = images.shape;
  let x0: tf.Tensor4D | null = null;
  let coarseIterations = 0;
  if (Math.min(h, w) >= COARSEST) {
    const [cv, cu] = tf.tidy(() => {
      const kept = tf.sub(1, u);
      const share = tf.avgPool(kept as tf.Tensor4D, 2, 2, "same");
      const mean = tf.divNoNan(tf.avgPool(tf.mul(images, kept) as tf.Tensor4D, 2, 2, "same"), share);
      return [mean as tf.Tensor4D, tf.cast(tf.equal(share, 0), "float32") as tf.Tensor4D];
    });
    try {
      const coarse = await solveLevel(cv, cu, o, where);
      coarseIterations = coarse.iterations;
      x0 = tf.tidy(() => {
        const full = tf.add(tf.mul(cv, tf.sub(1, cu)), coarse.x) as tf.Tensor4D;
        return tf.mul(u, tf.image.resizeBilinear(full, [h, w], false, true)) as tf.Tensor4D;
      });
      coarse.x.dispose();
    } finally {
      cv.dispose();
      cu.dispose();
    }
  }
  const r = await conjugateGradients(images, u, x0, o, where);
  return { ...r, iterations: r.iterations + coarseIterations };
}

/** Jacobi-preconditioned CG for A·x = b on the removed pixels, from x0 (or 0); takes ownership of x0. */
async function conjugateGradients(images: tf.Tensor4D, u: tf.Tensor4D, x0: tf.Tensor4D | null, o: ImputationOptions, where: string): Promise<{ x: tf.Tensor4D } & ImputationStats> {
  const [, h, w, c] = images.shape;
  const maxIterations = o.maxIterations ?? 4 * (h + w);
  const tolerance = o.tolerance ?? 1e-4;
  const state: Record<"kernel" | "s" | "bNorm" | "x" | "r" | "p" | "rz", tf.Tensor> = tf.tidy(() => {
    const kernel = tf.tile(tf.reshape(tf.tensor1d(NEIGHBOURS), [3, 3, 1, 1]), [1, 1, c, 1]) as tf.Tensor4D;
    // Zero padding: a neighbour outside the image neither weighs in S_i nor brings a value.
    const s = tf.depthwiseConv2d(tf.ones([1, h, w, c]) as tf.Tensor4D, kernel, 1, "same");
    const b = tf.mul(u, tf.depthwiseConv2d(tf.mul(images, tf.sub(1, u)) as tf.Tensor4D, kernel, 1, "same"));
    const x = x0 ?? tf.zerosLike(b);
    const r = x0 ? tf.sub(b, apply(u, s, kernel, x0)) : b;
    const z = tf.div(r, s); // Jacobi preconditioner: M = diag(S)
    return { kernel, s, bNorm: tf.sqrt(tf.sum(tf.square(b), [1, 2], true)), x: tf.keep(x), r, p: z, rz: tf.sum(tf.mul(r, z), [1, 2], true) };
  });
  const kernel = state.kernel as tf.Tensor4D;
  let handed: tf.Tensor4D | null = null; // the solution goes to the caller; the rest is freed here
  let iterations = 0;
  let residual = 0;
  try {
    for (;;) {
      residual = await relativeResidual(state.r, state.bNorm);
      if (residual <= tolerance || iterations >= maxIterations) break;
      // Between blocks of iterations: yield, so an interrupt can stop a long solve.
      await checkpoint(where);
      for (let k = 0; k < CHECK_EVERY && iterations < maxIterations; k++, iterations++) {
        const next = tf.tidy(() => {
          const { s, bNorm, x, r, p, rz } = state;
          const ap = apply(u, s, kernel, p);
          // A system that has converged stops moving: in float32 its rz and pᵀAp underflow
          // towards denormals while the others still iterate, and their ratio would blow up.
          const active = tf.cast(tf.greater(tf.sqrt(tf.sum(tf.square(r), [1, 2], true)), tf.mul(tolerance, bNorm)), "float32");
          // divNoNan: a system with nothing to solve (no removed pixel, b = 0) stays at x = 0.
          const alpha = tf.mul(active, tf.divNoNan(rz, tf.sum(tf.mul(p, ap), [1, 2], true)));
          const x2 = tf.add(x, tf.mul(alpha, p));
          const r2 = tf.sub(r, tf.mul(alpha, ap));
          const z2 = tf.div(r2, s);
          const rz2 = tf.sum(tf.mul(r2, z2), [1, 2], true);
          const p2 = tf.add(z2, tf.mul(tf.divNoNan(rz2, rz), p));
          return { x: x2, r: r2, p: p2, rz: rz2 };
        });
        for (const key of ["x", "r", "p", "rz"] as const) {
          state[key].dispose();
          state[key] = next[key];
        }
      }
    }
    handed = state.x as tf.Tensor4D;
    return { x: handed, iterations, residual };
  } finally {
    for (const t of Object.values(state)) if (t !== handed) t.dispose();
  }
}

/** A·x = S⊙x − Σ_n w_n x_{i+n}, on removed pixels only (x is 0 elsewhere). */
function apply(u: tf.Tensor, s: tf.Tensor, kernel: tf.Tensor4D, x: tf.Tensor): tf.Tensor {
  return tf.mul(u, tf.sub(tf.mul(s, x), tf.depthwiseConv2d(x as tf.Tensor4D, kernel, 1, "same")));
}

async function relativeResidual(r: tf.Tensor, bNorm: tf.Tensor): Promise<number> {
  const worst = tf.tidy(() => tf.max(tf.divNoNan(tf.sqrt(tf.sum(tf.square(r), [1, 2], true)), bNorm)));
  try {
    return (await worst.data())[0];
  } finally {
    worst.dispose();
  }
}

/**
 * ROAD's noisy linear imputation (Rong et al., ICML 2022, Sec. 4): each pixel where `removed` is
 * 1 is replaced by the weighted mean of its 8 neighbours (1/6 direct, 1/12 diagonal; removed
 * neighbours are unknowns of the same sparse linear system, solved on the backend by
 * preconditioned conjugate gradients), plus Gaussian noise of σ `noise` (default 0.01).
 * A removed region with no kept pixel at all (everything removed) becomes 0 plus noise.
 * @param images [n, h, w, c] images.
 * @param removed [n, h, w] or [n, h, w, 1]: 1 where a pixel is removed, 0 where it is kept.
 * @returns the imputed images [n, h, w, c] (yours to dispose).
 * @example const filled = await camlab.noisyLinearImputation(x, mask, { noise: 0 })
 */
export async function noisyLinearImputation(images: tf.Tensor, removed: tf.Tensor, options: ImputationOptions = {}): Promise<tf.Tensor4D> {
  const fn = "noisyLinearImputation";
  if (!(images instanceof tf.Tensor) || images.rank !== 4) throw new Error(`camlab.${fn}: images must be a tf.Tensor [n, height, width, channels], got ${images instanceof tf.Tensor ? `shape [${images.shape.join(", ")}]` : typeof images}`);
  const [n, h, w] = images.shape;
  const r3 = removed instanceof tf.Tensor ? (removed.rank === 4 && removed.shape[3] === 1 ? removed.shape.slice(0, 3) : removed.shape) : null;
  if (r3 == null || r3.length !== 3 || r3[0] !== n || r3[1] !== h || r3[2] !== w) throw new Error(`camlab.${fn}: removed must be [${n}, ${h}, ${w}] (1 = removed, 0 = kept, one per image), got ${removed instanceof tf.Tensor ? `shape [${removed.shape.join(", ")}]` : typeof removed}`);
  checkImputationOptions(fn, options);
  return guardBackend(fn, async () => {
    const mask = tf.tidy(() => tf.cast(tf.reshape(removed, [n, h, w, 1]), "float32") as tf.Tensor4D);
    const x = images.dtype === "float32" ? (images as tf.Tensor4D) : (tf.cast(images, "float32") as tf.Tensor4D);
    try {
      return (await imputeOnBackend(x, mask, options, fn)).filled;
    } finally {
      mask.dispose();
      if (x !== images) x.dispose();
    }
  });
}
