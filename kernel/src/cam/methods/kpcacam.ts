import * as tf from "@tensorflow/tfjs";
import type { CamMethod } from "../method";

/** Options of `kpcaCam()`. */
export interface KpcaCamOptions {
  /** Kernel k(x, y) between positions: "sigmoid" tanh(γ⟨x, y⟩ + 1) (default, as pytorch-grad-cam) or "rbf" exp(−γ‖x − y‖²). */
  kernel?: "sigmoid" | "rbf";
  /** γ (default 1 / channels, as scikit-learn). */
  gamma?: number;
  /** Power iterations for the top eigenvector (default 300). */
  iterations?: number;
}

function kpcaMap(activations: tf.Tensor4D, kernel: "sigmoid" | "rbf", gammaOption: number | undefined, iterations: number): tf.Tensor3D {
  const [b, h, w, c] = activations.shape;
  const n = h * w, gamma = gammaOption ?? 1 / c;
  const x = tf.reshape(activations, [b, n, c]);
  const centred = tf.sub(x, tf.mean(x, 1, true)) as tf.Tensor3D; // as pytorch-grad-cam's get_2d_projection_kernel
  const dots = tf.matMul(centred, centred, false, true); // [b, n, n]
  let k: tf.Tensor3D;
  if (kernel === "sigmoid") {
    k = tf.tanh(tf.add(tf.mul(dots, gamma), 1)) as tf.Tensor3D;
  } else {
    const sq = tf.sum(tf.square(centred), -1);
    const d2 = tf.sub(tf.add(tf.expandDims(sq, 2), tf.expandDims(sq, 1)), tf.mul(dots, 2));
    k = tf.exp(tf.mul(tf.relu(d2), -gamma)) as tf.Tensor3D;
  }
  // Karmani et al. Sec. 3 (Schölkopf et al. 1998): the centred Gram matrix K̃ = K − 1ₙK − K1ₙ + 1ₙK1ₙ.
  const kc = tf.add(tf.sub(tf.sub(k, tf.mean(k, 1, true)), tf.mean(k, 2, true)), tf.mean(k, [1, 2], true)) as tf.Tensor3D;
  // Its top eigenvector (largest eigenvalue, as scikit-learn's KernelPCA): power iterations on
  // K̃ + sI with s ≥ |λ|max (the sigmoid kernel need not be positive semi-definite).
  const shift = tf.max(tf.sum(tf.abs(kc), 2), 1, true).reshape([b, 1, 1]);
  let v = tf.div(tf.add(tf.ones([b, n, 1]), tf.mul(tf.range(0, n).reshape([1, n, 1]), 1e-3)), Math.sqrt(n)) as tf.Tensor3D;
  for (let i = 0; i < iterations; i++) {
    const next = tf.tidy(() => {
      const mv = tf.add(tf.matMul(kc, v), tf.mul(shift, v));
      return tf.div(mv, tf.add(tf.norm(mv, "euclidean", [1, 2], true), 1e-30)) as tf.Tensor3D;
    });
    v.dispose();
    v = next;
  }
  // The projections on the first kernel component: α₁·√λ₁ (scikit-learn's fit_transform), with the
  // sign that makes the largest-magnitude entry positive (its svd_flip).
  const lambda = tf.sum(tf.mul(v, tf.matMul(kc, v)), [1, 2], true);
  const projection = tf.mul(v, tf.sqrt(tf.relu(lambda)));
  const flat = tf.reshape(projection, [b, n]);
  const at = tf.argMax(tf.abs(flat), 1);
  const sign = tf.sign(tf.add(tf.sum(tf.mul(flat, tf.oneHot(at, n)), 1, true), 1e-30));
  return tf.reshape(tf.mul(flat, sign), [b, h, w]) as tf.Tensor3D;
}

/** KPCA-CAM: Eigen-CAM with kernel PCA — the first kernel principal component of the positions' activations. */
export function kpcaCam(options: KpcaCamOptions = {}): CamMethod {
  const kernel = options.kernel ?? "sigmoid", iterations = options.iterations ?? 300;
  if (kernel !== "sigmoid" && kernel !== "rbf") throw new Error(`camlab.kpcaCam: kernel must be "sigmoid" or "rbf", got ${JSON.stringify(kernel)}`);
  if (options.gamma !== undefined && !(Number.isFinite(options.gamma) && options.gamma > 0)) throw new Error(`camlab.kpcaCam: gamma must be a positive number (default 1 / channels), got ${options.gamma}`);
  if (!Number.isInteger(iterations) || iterations < 1) throw new Error(`camlab.kpcaCam: iterations must be a positive integer, got ${iterations}`);
  return {
    name: "kpcacam",
    formsOwnMap: true,
    paper: "Karmani et al., KPCA-CAM: Visual Explainability of Deep Computer Vision Models using Kernel PCA, arXiv:2410.00267 (2024)",
    weigh: ({ activations }) => ({ map: kpcaMap(activations, kernel, options.gamma, iterations) }),
  };
}
