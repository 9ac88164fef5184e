// ROAD and its imputation, localisation against masks, sparseness / complexity and map similarity,
// each against a float64 computation of its paper's formula (reference.ts).
import { after, before, describe, it } from "node:test";
import * as assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { rejectsBeforeKernels } from "../engine/fixtures";
import { ensureBackend } from "../../src/engine";
import { complexity, mapSimilarity, noisyLinearImputation, relevanceAccuracy, road, sparseness } from "../../src/metrics";
import { seededRandom } from "../../src/data";
import { entropyReference, giniReference, imputeReference, spearman, ssimReference } from "./reference";

const rngImage = (h: number, w: number, c: number, seed: number) => {
  const rng = seededRandom(seed);
  return Array.from({ length: h }, () => Array.from({ length: w }, () => Array.from({ length: c }, () => rng())));
};
const maxAbs = (a: number[], b: number[]) => a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i])), 0);

describe("noisy linear imputation (ROAD, Rong et al. 2022)", () => {
  before(async () => {
    await ensureBackend();
  });

  it("one removed pixel is the weighted mean of its 8 neighbours: 1/6 direct, 1/12 diagonal (by hand)", async () => {
    const v = [[1, 2, 3], [4, 100, 6], [7, 8, 9]];
    const x = tf.tensor4d([v.map((r) => r.map((p) => [p]))]);
    const m = tf.tensor3d([[[0, 0, 0], [0, 1, 0], [0, 0, 0]]]);
    const out = await noisyLinearImputation(x, m, { noise: 0, tolerance: 1e-7 });
    const got = Array.from(await out.data());
    const centre = (2 + 4 + 6 + 8) / 6 + (1 + 3 + 7 + 9) / 12; // = 20/6 + 20/12 = 5
    assert.ok(Math.abs(got[4] - centre) < 1e-5, `${got[4]} vs ${centre}`);
    got.forEach((g, i) => i !== 4 && assert.equal(g, v.flat()[i], "kept pixels are kept exactly"));
    x.dispose(); m.dispose(); out.dispose();
  });

  for (const [h, w, p, label] of [[5, 6, 0.5, "a 5×6 image"], [20, 18, 0.6, "a 20×18 image (solved from the coarse level)"], [17, 16, 0.97, "a hole of 97% of a 17×16 image"]] as const) {
    it(`equals a dense direct solve of the paper's system on ${label}`, async () => {
      const img = rngImage(h, w, 2, 11 + h);
      const rng = seededRandom(5 + w);
      const removed = img.map((row) => row.map(() => rng() < p));
      removed[0][0] = false; // at least one kept pixel
      const n0 = tf.memory().numTensors;
      const x = tf.tensor4d([img]), m = tf.tensor3d([removed.map((r) => r.map(Number))]);
      const out = await noisyLinearImputation(x, m, { noise: 0, tolerance: 1e-6 });
      const got = Array.from(await out.data());
      const want = imputeReference(img, removed).flat(2);
      assert.ok(maxAbs(got, want) < 1e-5, `max |Δ| ${maxAbs(got, want)}`);
      x.dispose(); m.dispose(); out.dispose();
      assert.equal(tf.memory().numTensors, n0);
    });
  }

  it("noise: N(0, σ) on removed pixels only, reproducible by seed", async () => {
    const img = rngImage(24, 24, 3, 3);
    const x = tf.tensor4d([img]);
    const m = tf.tidy(() => tf.cast(tf.greater(tf.randomUniform([1, 24, 24], 0, 1, "float32", 4), 0.5), "float32"));
    const clean = Array.from(await (await noisyLinearImputation(x, m, { noise: 0 })).data());
    const [a, b, c] = await Promise.all([noisyLinearImputation(x, m, { noise: 0.05, seed: 1 }), noisyLinearImputation(x, m, { noise: 0.05, seed: 1 }), noisyLinearImputation(x, m, { noise: 0.05, seed: 2 })]);
    const [va, vb, vc, mv] = await Promise.all([a.data(), b.data(), c.data(), m.data()]);
    assert.deepEqual(Array.from(va), Array.from(vb), "same seed, same images");
    assert.notDeepEqual(Array.from(va), Array.from(vc));
    const diffs: number[] = [];
    for (let i = 0; i < va.length; i++) {
      if (mv[Math.floor(i / 3)] > 0) diffs.push(va[i] - clean[i]);
      else assert.equal(va[i], clean[i], "kept pixels carry no noise");
    }
    const mean = diffs.reduce((s, d) => s + d, 0) / diffs.length;
    const sd = Math.sqrt(diffs.reduce((s, d) => s + (d - mean) ** 2, 0) / diffs.length);
    assert.ok(Math.abs(mean) < 0.01 && Math.abs(sd - 0.05) < 0.01, `mean ${mean}, sd ${sd}`);
    tf.dispose([x, m, a, b, c]);
  });

  it("bad arguments are named before any kernel runs", async () => {
    const x = tf.zeros([1, 4, 4, 1]), wrong = tf.zeros([1, 4, 5]), m = tf.zeros([1, 4, 4]);
    await rejectsBeforeKernels(() => noisyLinearImputation(x, wrong), /removed must be \[1, 4, 4\] \(1 = removed, 0 = kept, one per image\), got shape \[1, 4, 5\]/);
    await rejectsBeforeKernels(() => noisyLinearImputation(m, m), /images must be a tf.Tensor \[n, height, width, channels\], got shape \[1, 4, 4\]/);
    await rejectsBeforeKernels(() => noisyLinearImputation(x, m, { noise: -1 }), /noise must be a finite σ ≥ 0/);
    await rejectsBeforeKernels(() => noisyLinearImputation(x, m, { tolerance: 2 }), /tolerance must be in \(0, 1\)/);
    tf.dispose([x, wrong, m]);
  });
});

const B = 2, H = 6, W = 5;

describe("ROAD (Rong et al. 2022)", () => {
  let model: tf.Sequential;
  let xs: number[][][][];
  let hs: number[][][];
  let x: tf.Tensor4D;
  let heat: tf.Tensor3D;

  before(async () => {
    await ensureBackend();
    model = tf.sequential({ layers: [tf.layers.flatten({ inputShape: [H, W, 2] }), tf.layers.dense({ units: 3, kernelInitializer: tf.initializers.randomNormal({ seed: 3, stddev: 0.8 }) })] });
    const rng = seededRandom(9);
    xs = Array.from({ length: B }, (_, b) => rngImage(H, W, 2, 20 + b));
    hs = Array.from({ length: B }, () => Array.from({ length: H }, () => Array.from({ length: W }, () => rng())));
    x = tf.tensor4d(xs);
    heat = tf.tensor3d(hs);
  });

  after(() => {
    tf.dispose([x, heat]);
    model.dispose();
  });

  const softmax = (v: number[]) => {
    const m = Math.max(...v), e = v.map((q) => Math.exp(q - m)), z = e.reduce((a, q) => a + q, 0);
    return e.map((q) => q / z);
  };
  async function probs(img: number[][][]): Promise<number[]> {
    const out = tf.tidy(() => model.predict(tf.tensor4d([img])) as tf.Tensor);
    const row = ((await out.array()) as number[][])[0];
    out.dispose();
    return softmax(row);
  }

  it("MoRF / LeRF curves equal removing pixels in map order, imputing by a dense solve, scoring the class", async () => {
    const percentiles = [0, 30, 50, 90, 100];
    const n0 = tf.memory().numTensors;
    const r = await road(model, x, heat, { percentiles, noise: 0, tolerance: 1e-6 });
    assert.equal(tf.memory().numTensors, n0);
    assert.deepEqual(r.percentiles, percentiles);
    for (let b = 0; b < B; b++) {
      const full = await probs(xs[b]);
      const cls = full.indexOf(Math.max(...full));
      assert.equal(r.classes[b], cls);
      const order = hs[b].flat().map((v, i) => ({ v, i })).sort((p, q) => q.v - p.v).map((o) => o.i);
      for (const [kind, curve] of [["morf", r.morf.curves[b]], ["lerf", r.lerf.curves[b]]] as const) {
        const expected: number[] = [];
        for (const p of percentiles) {
          const k = Math.round((p / 100) * H * W);
          const gone = new Set(kind === "morf" ? order.slice(0, k) : order.slice(H * W - k));
          const removed = hs[b].map((row, y) => row.map((_, xx) => gone.has(y * W + xx)));
          // Everything removed: nothing to interpolate from, the documented fill is 0.
          const img = k === H * W ? xs[b].map((row) => row.map((px) => px.map(() => 0))) : imputeReference(xs[b], removed);
          expected.push((await probs(img))[cls]);
        }
        assert.ok(maxAbs(curve, expected) < 1e-5, `${kind} image ${b}: ${curve} vs ${expected}`);
        assert.ok(Math.abs(curve[0] - full[cls]) < 1e-5, "0% removed is the unmodified score");
        // Mean height by the trapezoid rule over the removed fraction.
        let area = 0;
        for (let s = 0; s + 1 < percentiles.length; s++) area += ((expected[s] + expected[s + 1]) / 2) * (percentiles[s + 1] - percentiles[s]) / 100;
        const auc = kind === "morf" ? r.morf.auc[b] : r.lerf.auc[b];
        assert.ok(Math.abs(auc - area) < 1e-5, `${kind} area ${auc} vs ${area}`);
      }
      assert.ok(Math.abs(r.gap[b] - (r.lerf.auc[b] - r.morf.auc[b])) < 1e-12);
    }
    assert.ok(r.imputation.residual <= 1e-6 && r.imputation.iterations > 0);
  });

  it("defaults (percentiles 10…90, noise 0.01) and a target function", async () => {
    const n0 = tf.memory().numTensors;
    const r = await road(model, x, heat, { target: (out) => tf.softmax(out).slice([0, 1], [-1, 1]).reshape([-1]) });
    assert.deepEqual(r.percentiles, [10, 20, 30, 40, 50, 60, 70, 80, 90]);
    assert.deepEqual(r.classes, [null, null]);
    assert.equal(r.morf.curves[0].length, 9);
    for (const v of [...r.morf.curves.flat(), ...r.lerf.curves.flat()]) assert.ok(v > 0 && v < 1);
    assert.equal(tf.memory().numTensors, n0);
  });

  it("a map that ranks pixels by what the model weighs: MoRF falls below LeRF", async () => {
    // A linear model whose logit 0 is Σ wᵢxᵢ over one channel; the map |w| ranks pixels by influence.
    const lin = tf.sequential({ layers: [tf.layers.flatten({ inputShape: [16, 16, 1] }), tf.layers.dense({ units: 2, kernelInitializer: tf.initializers.randomNormal({ seed: 8 }), useBias: false })] });
    const kernel = (await lin.layers[1].getWeights()[0].array()) as number[][];
    const images = tf.randomUniform([2, 16, 16, 1], 0, 1, "float32", 2) as tf.Tensor4D;
    const xv = (await images.array()) as number[][][][];
    // Contribution of each pixel to the class-0 logit minus class 1: x·(w0 − w1).
    const contrib = xv.map((img) => img.map((row, y) => row.map((px, xx) => px[0] * (kernel[y * 16 + xx][0] - kernel[y * 16 + xx][1]))));
    const good = tf.tensor3d(contrib);
    const r = await road(lin, images, good, { target: 0, percentiles: [20, 40, 60] });
    r.gap.forEach((g, b) => assert.ok(g > 0.1, `image ${b}: LeRF − MoRF = ${g}`));
    tf.dispose([images, good]);
    lin.dispose();
  });

  it("bad arguments are named before any kernel runs", async () => {
    const wrong = tf.zeros([B, H, W + 1]);
    await rejectsBeforeKernels(() => road(model, x, heat, { percentiles: [10, 120] }), /percentiles must lie in \[0, 100\].*got 120/);
    await rejectsBeforeKernels(() => road(model, x, heat, { percentiles: [] }), /percentiles must be a non-empty list/);
    await rejectsBeforeKernels(() => road(model, x, heat, { percentiles: [-5] }), /got -5/);
    await rejectsBeforeKernels(() => road(model, x, wrong), /heatmaps must be \[2, 6, 5\] \(one per image, at input resolution\), got \[2, 6, 6\]/);
    await rejectsBeforeKernels(() => road(model, x, heat, { noise: Number.NaN }), /noise must be a finite σ/);
    await rejectsBeforeKernels(() => road(model, x, heat, { batchSize: 0 }), /batchSize must be a positive integer/);
    wrong.dispose();
  });
});

describe("relevance mass / rank accuracy (Arras et al. 2022)", () => {
  it("on a hand-made map and mask", async () => {
    // Image 0: mask on 3 pixels of a 3×4 map. Positive relevance total 1+2+3+4+5+6 = 21 (the −7
    // does not count); inside the mask: 6 + 5 + 1 = 12 → mass 12/21. The 3 highest pixels are 7?
    // No: 7 is −7; the top 3 are 6, 5, 4 — two of them inside → rank 2/3.
    const map0 = [[6, 0, 0, 1], [5, -7, 0, 0], [0, 4, 2, 3]];
    const mask0 = [[1, 0, 0, 1], [1, 0, 0, 0], [0, 0, 0, 0]];
    // Image 1: all relevance on one pixel inside a 1-pixel mask → 1 and 1.
    const map1 = [[0, 0, 0, 0], [0, 0, 9, 0], [0, 0, 0, 0]];
    const mask1 = [[0, 0, 0, 0], [0, 0, 1, 0], [0, 0, 0, 0]];
    const maps = tf.tensor3d([map0, map1]), masks = tf.tensor4d([mask0, mask1].map((m) => m.map((r) => r.map((v) => [v]))));
    const n0 = tf.memory().numTensors;
    const r = await relevanceAccuracy(maps, masks);
    assert.equal(tf.memory().numTensors, n0);
    assert.ok(Math.abs(r.mass[0] - 12 / 21) < 1e-6 && Math.abs(r.rank[0] - 2 / 3) < 1e-6, JSON.stringify(r));
    assert.ok(Math.abs(r.mass[1] - 1) < 1e-6 && Math.abs(r.rank[1] - 1) < 1e-6);
    assert.ok(Math.abs(r.meanMass - (12 / 21 + 1) / 2) < 1e-6 && Math.abs(r.meanRank - (2 / 3 + 1) / 2) < 1e-6);
    tf.dispose([maps, masks]);
  });

  it("bad inputs: a shape mismatch and an empty mask are named before any kernel runs", async () => {
    const maps = tf.ones([2, 3, 4]), wrong = tf.ones([2, 4, 3]), empty = tf.tensor3d([[[0, 1, 0, 0], [0, 0, 0, 0], [0, 0, 0, 0]], [[0, 0, 0, 0], [0, 0, 0, 0], [0, 0, 0, 0]]]);
    await rejectsBeforeKernels(() => relevanceAccuracy(maps, wrong), /masks must match the maps' shape \[2, 3, 4\].*got \[2, 4, 3\]/);
    await rejectsBeforeKernels(() => relevanceAccuracy(maps, empty), /the mask of image 1 is empty/);
    const flat = tf.ones([3, 4]);
    await rejectsBeforeKernels(() => relevanceAccuracy(flat, maps), /maps must be \[batch, height, width\]/);
    tf.dispose([maps, wrong, empty, flat]);
  });
});

describe("sparseness (Gini) and complexity (entropy)", () => {
  it("match Hurley & Rickard's Gini and Shannon's entropy on tiny maps", async () => {
    const maps = [[[0, 0, 0, 5]], [[1, 1, 1, 1]], [[3, -1, 0.5, 2]], [[0, 0, 0, 0]]];
    const t = tf.tensor3d(maps);
    const n0 = tf.memory().numTensors;
    const [s, c] = await Promise.all([sparseness(t), complexity(t)]);
    assert.equal(tf.memory().numTensors, n0);
    maps.slice(0, 3).forEach((m, i) => {
      assert.ok(Math.abs(s.scores[i] - giniReference(m.flat())) < 1e-6, `gini ${i}: ${s.scores[i]} vs ${giniReference(m.flat())}`);
      assert.ok(Math.abs(c.scores[i] - entropyReference(m.flat())) < 1e-6, `entropy ${i}`);
    });
    // One pixel holds everything: G = (d − 1)/d, H = 0; uniform: G = 0, H = ln d.
    assert.ok(Math.abs(s.scores[0] - 3 / 4) < 1e-6 && Math.abs(c.scores[0]) < 1e-6);
    assert.ok(Math.abs(s.scores[1]) < 1e-6 && Math.abs(c.scores[1] - Math.log(4)) < 1e-6);
    // An all-zero map scores as a uniform one.
    assert.ok(Math.abs(s.scores[3]) < 1e-6 && Math.abs(c.scores[3] - Math.log(4)) < 1e-6);
    assert.ok(Math.abs(s.mean - s.scores.reduce((a, q) => a + q, 0) / 4) < 1e-9);
    t.dispose();
  });

  it("bad inputs are named before any kernel runs", async () => {
    const v = tf.ones([5]);
    await rejectsBeforeKernels(() => sparseness(v), /maps must be a tf.Tensor \[batch, …\].*got shape \[5\]/);
    await rejectsBeforeKernels(() => complexity(null as unknown as tf.Tensor), /got null/);
    v.dispose();
  });
});

describe("map similarity (Adebayo et al. 2018)", () => {
  it("Spearman (ties averaged, with and without |·|) and SSIM equal direct computations", async () => {
    const rng = seededRandom(4);
    const h = 14, w = 13;
    // Quantised values: many ties, as after a ReLU; b is a noisy, partly sign-flipped a.
    const a = Array.from({ length: h }, () => Array.from({ length: w }, () => Math.round(rng() * 6) - 2));
    const b = a.map((row) => row.map((v) => (rng() < 0.3 ? -v : v) + Math.round(rng() * 2)));
    const ta = tf.tensor3d([a]), tb = tf.tensor3d([b]);
    const n0 = tf.memory().numTensors;
    const s = await mapSimilarity(ta, tb);
    assert.equal(tf.memory().numTensors, n0);
    assert.ok(Math.abs(s.spearman[0] - spearman(a.flat(), b.flat())) < 1e-5, `${s.spearman[0]} vs ${spearman(a.flat(), b.flat())}`);
    assert.ok(Math.abs(s.spearmanAbs[0] - spearman(a.flat().map(Math.abs), b.flat().map(Math.abs))) < 1e-5);
    const unit = (m: number[][]) => {
      const lo = Math.min(...m.flat()), hi = Math.max(...m.flat());
      return m.map((r) => r.map((v) => (v - lo) / (hi - lo)));
    };
    const want = ssimReference(unit(a), unit(b), 11);
    assert.ok(Math.abs(s.ssim[0] - want) < 1e-4, `ssim ${s.ssim[0]} vs ${want}`);
    const same = await mapSimilarity(ta, ta);
    assert.ok(Math.abs(same.spearman[0] - 1) < 1e-6 && Math.abs(same.spearmanAbs[0] - 1) < 1e-6 && Math.abs(same.ssim[0] - 1) < 1e-6, "identical maps: 1, 1, 1");
    tf.dispose([ta, tb]);
  });

  it("a map smaller than the 11-px window uses the largest odd window that fits", async () => {
    const rng = seededRandom(6);
    const a = Array.from({ length: 6 }, () => Array.from({ length: 8 }, () => rng()));
    const b = a.map((r) => r.map((v) => v * v));
    const ta = tf.tensor3d([a]), tb = tf.tensor3d([b]);
    const s = await mapSimilarity(ta, tb);
    const unit = (m: number[][]) => {
      const lo = Math.min(...m.flat()), hi = Math.max(...m.flat());
      return m.map((r) => r.map((v) => (v - lo) / (hi - lo)));
    };
    assert.ok(Math.abs(s.ssim[0] - ssimReference(unit(a), unit(b), 5)) < 1e-4);
    // A monotone transform keeps the ranking: Spearman 1.
    assert.ok(Math.abs(s.spearman[0] - 1) < 1e-6);
    tf.dispose([ta, tb]);
  });

  it("maps of different shapes are named before any kernel runs", async () => {
    const a = tf.ones([1, 4, 4]), b = tf.ones([1, 4, 5]);
    await rejectsBeforeKernels(() => mapSimilarity(a, b), /a and b must have the same shape.*\[1, 4, 4\] and \[1, 4, 5\]/);
    tf.dispose([a, b]);
  });
});
