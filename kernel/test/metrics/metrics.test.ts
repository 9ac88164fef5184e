// Metrics against plain-JavaScript computations of their definitions.
import { after, before, describe, it } from "node:test";
import * as assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { ensureBackend } from "../../src/engine";
import { confidenceChange, deletionCurve, insertionCurve, pointingGame } from "../../src/metrics";
import { seededRandom } from "../../src/data";

const B = 3, H = 6, W = 5;

/** A tiny classifier on [6, 5, 2] images: flatten → dense(3) logits. */
function tinyModel(): tf.Sequential {
  return tf.sequential({ layers: [tf.layers.flatten({ inputShape: [H, W, 2] }), tf.layers.dense({ units: 3, kernelInitializer: tf.initializers.randomNormal({ seed: 3, stddev: 0.5 }) })] });
}

const softmax = (v: number[]) => {
  const m = Math.max(...v), e = v.map((x) => Math.exp(x - m)), z = e.reduce((a, b) => a + b, 0);
  return e.map((x) => x / z);
};

describe("metrics", () => {
  let model: tf.Sequential;
  let x: tf.Tensor4D;
  let heat: tf.Tensor3D;
  let xs: number[][][][];
  let hs: number[][][];

  before(async () => {
    await ensureBackend();
    model = tinyModel();
    const rng = seededRandom(5);
    xs = Array.from({ length: B }, () => Array.from({ length: H }, () => Array.from({ length: W }, () => [rng(), rng()])));
    hs = Array.from({ length: B }, () => Array.from({ length: H }, () => Array.from({ length: W }, () => rng()))); // distinct values: a strict order
    x = tf.tensor4d(xs);
    heat = tf.tensor3d(hs);
  });

  after(() => {
    x.dispose();
    heat.dispose();
    model.dispose();
  });

  /** Class probabilities from the model for host images. */
  async function probs(images: number[][][][]): Promise<number[][]> {
    const out = tf.tidy(() => model.predict(tf.tensor4d(images)) as tf.Tensor);
    const rows = (await out.array()) as number[][];
    out.dispose();
    return rows.map(softmax);
  }

  it("pointing game: maximum on the mask, with a Euclidean tolerance", async () => {
    const masks = hs.map((img) => img.map((row) => row.map(() => 0)));
    // Image 0: mask exactly at its maximum. Image 1: mask 2 px right of it. Image 2: far away.
    const peaks = hs.map((img) => {
      let best = { x: 0, y: 0 };
      img.forEach((row, y) => row.forEach((v, xx) => (v > img[best.y][best.x] ? (best = { x: xx, y }) : null)));
      return best;
    });
    masks[0][peaks[0].y][peaks[0].x] = 1;
    const p1 = peaks[1];
    const mx = p1.x + 2 < W ? p1.x + 2 : p1.x - 2;
    masks[1][p1.y][mx] = 1;
    const far = { x: peaks[2].x < 2 ? W - 1 : 0, y: peaks[2].y < 3 ? H - 1 : 0 };
    masks[2][far.y][far.x] = 1;
    const m = tf.tensor3d(masks);
    const n0 = tf.memory().numTensors;
    const strict = await pointingGame(heat, m);
    assert.deepEqual(strict.points, peaks);
    assert.deepEqual(strict.hits, [true, false, false]);
    const tol2 = await pointingGame(heat, m, { tolerance: 2 });
    assert.deepEqual(tol2.hits, [true, true, false]);
    assert.ok(Math.abs(tol2.accuracy - 2 / 3) < 1e-12);
    assert.equal((await pointingGame(heat, m, { tolerance: 1.9 })).hits[1], false);
    assert.equal(tf.memory().numTensors, n0);
    await assert.rejects(pointingGame(heat, tf.zeros([B, H, W + 1])), /masks must match the heatmaps' shape/);
    m.dispose();
  });

  for (const kind of ["deletion", "insertion"] as const) {
    it(`${kind} curve and AUC equal a direct loop over pixels in saliency order`, async () => {
      const steps = 6;
      const n0 = tf.memory().numTensors;
      const fn = kind === "deletion" ? deletionCurve : insertionCurve;
      const r = await fn(model, x, heat, { steps, baseline: 0.25, batchSize: 4 });
      assert.equal(tf.memory().numTensors, n0);
      const full = await probs(xs);
      for (let b = 0; b < B; b++) {
        const cls = full[b].indexOf(Math.max(...full[b]));
        assert.equal(r.classes[b], cls);
        const order = hs[b].flat().map((v, i) => ({ v, i })).sort((p, q) => q.v - p.v).map((o) => o.i);
        const expected: number[] = [];
        for (let s = 0; s <= steps; s++) {
          const k = Math.round((s * H * W) / steps);
          const chosen = new Set(order.slice(0, k));
          const img = xs[b].map((row, y) => row.map((px, xx) => px.map((v) => {
            const picked = chosen.has(y * W + xx);
            return kind === "deletion" ? (picked ? 0.25 : v) : picked ? v : 0.25;
          })));
          expected.push((await probs([img]))[0][cls]);
        }
        expected.forEach((e, s) => assert.ok(Math.abs(r.curves[b][s] - e) < 1e-5, `${kind} image ${b} step ${s}: ${r.curves[b][s]} vs ${e}`));
        let auc = 0;
        for (let s = 0; s < steps; s++) auc += (expected[s] + expected[s + 1]) / 2 / steps;
        assert.ok(Math.abs(r.auc[b] - auc) < 1e-5);
      }
      assert.ok(Math.abs(r.mean - r.auc.reduce((a, c) => a + c, 0) / B) < 1e-12);
    });
  }

  it("insertion's default blurred baseline and bad arguments", async () => {
    const n0 = tf.memory().numTensors;
    const r = await insertionCurve(model, x, heat, { steps: 3 });
    assert.equal(r.curves[0].length, 4);
    await assert.rejects(deletionCurve(model, x, tf.zeros([B, H, W]) as tf.Tensor, { steps: 0 }), /steps must be a positive integer/);
    await assert.rejects(deletionCurve(model, x, tf.zeros([B, H, 4]) as tf.Tensor), /heatmaps must be \[3, 6, 5\]/);
    await assert.rejects(deletionCurve(model, x, heat, { target: 7 }), /class index 7 is out of range/);
    assert.equal(tf.memory().numTensors, n0 + 2, "only the two zero tensors made by this test remain");
  });

  it("average drop / increase in confidence follow Grad-CAM++'s definitions", async () => {
    const targets = [0, 1, 2];
    const r = await confidenceChange(model, x, heat, { target: targets });
    const y = (await probs(xs)).map((p, b) => p[targets[b]]);
    const o = (await probs(xs.map((img, b) => img.map((row, yy) => row.map((px, xx) => px.map((v) => v * hs[b][yy][xx]))))) ).map((p, b) => p[targets[b]]);
    y.forEach((v, b) => assert.ok(Math.abs(r.original[b] - v) < 1e-6 && Math.abs(r.explained[b] - o[b]) < 1e-6));
    const drop = (100 * y.reduce((s, v, b) => s + Math.max(0, v - o[b]) / v, 0)) / B;
    const inc = (100 * y.filter((v, b) => o[b] > v).length) / B;
    assert.ok(Math.abs(r.averageDrop - drop) < 1e-4);
    assert.equal(r.increaseInConfidence, inc);
  });
});
