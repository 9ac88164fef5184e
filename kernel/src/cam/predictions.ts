// Top-k predictions from a model output [batch, classes]: the only host read in a CAM call,
// and it is small (classes × batch numbers).
import * as tf from "@tensorflow/tfjs";
import type { Prediction } from "../protocol";

export type { Prediction };

/** Top-k classes per image, best first. Leaves no tensors behind. */
export async function topK(output: tf.Tensor, k = 5, labels?: readonly string[]): Promise<Prediction[][]> {
  if (output.rank !== 2) throw new Error(`camlab.topK: expected an output [batch, classes], got shape [${output.shape.join(", ")}]`);
  const [b, n] = output.shape;
  const values = await output.data();
  const out: Prediction[][] = [];
  for (let i = 0; i < b; i++) {
    const row = Array.from(values.subarray(i * n, (i + 1) * n));
    const sum = row.reduce((s, v) => s + v, 0);
    const isDistribution = row.every((v) => v >= 0 && v <= 1) && Math.abs(sum - 1) < 1e-3;
    let probs = row;
    if (!isDistribution) {
      const m = Math.max(...row);
      const e = row.map((v) => Math.exp(v - m));
      const z = e.reduce((s, v) => s + v, 0);
      probs = e.map((v) => v / z);
    }
    const order = row.map((_, j) => j).sort((p, q) => row[q] - row[p]).slice(0, Math.min(k, n));
    out.push(order.map((j) => ({ classIndex: j, label: labels?.[j] ?? null, score: row[j], probability: probs[j] })));
  }
  return out;
}
