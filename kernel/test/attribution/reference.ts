// Independent reference formulas of the input attributions, in float64 on host arrays, written
// from the papers; they share no code with src/attribution. Gradients come from plain tf.grad on
// the model itself (one input at a time), everything else is computed here.
import * as tf from "@tensorflow/tfjs";

export type Batch = number[][][][]; // [b][h][w][c]

/** ∂(logit of class[i])/∂x for each image i of `xs`, by tf.grad on the model alone. */
export async function inputGradients(model: tf.LayersModel, xs: Batch, classes: number[], score?: (out: tf.Tensor) => tf.Tensor): Promise<Batch> {
  const out: Batch = [];
  for (let i = 0; i < xs.length; i++) {
    const g = tf.tidy(() =>
      tf.grad((x: tf.Tensor) => {
        const o = model.apply(x) as tf.Tensor;
        return (score ? tf.sum(score(o)) : tf.sum(tf.mul(o, tf.oneHot([classes[i]], o.shape[1] as number)))) as tf.Scalar;
      })(tf.tensor4d([xs[i]])),
    );
    out.push(((await g.array()) as Batch)[0]);
    g.dispose();
  }
  return out;
}

export const map4 = (a: Batch, f: (v: number, idx: [number, number, number, number]) => number): Batch =>
  a.map((img, b) => img.map((row, i) => row.map((px, j) => px.map((v, k) => f(v, [b, i, j, k])))));

/** Simonyan et al. 2014, Sec. 3.1: M_ij = max_c |∂S/∂x_ijc|. */
export const maxAbsOverChannels = (a: Batch): number[][][] => a.map((img) => img.map((row) => row.map((px) => Math.max(...px.map(Math.abs)))));
export const sumOverChannels = (a: Batch): number[][][] => a.map((img) => img.map((row) => row.map((px) => px.reduce((s, v) => s + v, 0))));

/** Sundararajan et al. 2017, Eq. 3 at the interval midpoints: (x − x′) · (1/m) Σ_{k=1..m} ∇F(x′ + (k − ½)/m (x − x′)), per image. */
export async function integratedGradients(model: tf.LayersModel, xs: Batch, baseline: Batch, classes: number[], steps: number, score?: (out: tf.Tensor) => tf.Tensor): Promise<Batch> {
  let acc: Batch = map4(xs, () => 0);
  for (let k = 1; k <= steps; k++) {
    const points = map4(xs, (v, [b, i, j, c]) => baseline[b][i][j][c] + ((k - 0.5) / steps) * (v - baseline[b][i][j][c]));
    const g = await inputGradients(model, points, classes, score);
    acc = map4(acc, (v, [b, i, j, c]) => v + g[b][i][j][c]);
  }
  return map4(acc, (v, [b, i, j, c]) => (xs[b][i][j][c] - baseline[b][i][j][c]) * (v / steps));
}

/** Max |a − b| over max |b| (relative to the reference's scale), any nesting. */
export function relErr(a: unknown[], b: unknown[]): number {
  const fa = a.flat(4) as number[], fb = b.flat(4) as number[];
  if (fa.length !== fb.length) throw new Error(`length ${fa.length} vs ${fb.length}`);
  let scale = 1e-12, m = 0;
  for (const v of fb) scale = Math.max(scale, Math.abs(v));
  fa.forEach((v, i) => (m = Math.max(m, Math.abs(v - fb[i]))));
  return m / scale;
}
