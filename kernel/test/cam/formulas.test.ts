// Every CAM method against its paper formula computed here from activations (a head sub-model)
// and gradients (a tail sub-model), not by the library: to 1e-5.
import { after, before, describe, it } from "node:test";
import * as assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { ensureBackend } from "../../src/engine";
import { cam, rise, type CamMethod, type CamMethodName } from "../../src/cam";
import { pick, randomImages, smallSequential, splitSequential } from "../engine/fixtures";
import * as ref from "./reference";

const SIZE = 12;
const CLASSES = [1, 3];

describe("CAM methods vs their formulas", () => {
  let model: tf.Sequential;
  let x: tf.Tensor4D;
  let A: ref.Img[];
  let G: ref.Img[];
  let tail: (a: tf.Tensor) => tf.Tensor;
  let xs: number[][][][];
  let X: ref.Img[];
  let K: number[][][][];
  let bias3: number[];

  before(async () => {
    await ensureBackend();
    model = smallSequential(4, SIZE);
    x = randomImages(2, SIZE, 17);
    const split = splitSequential(model, "conv3");
    tail = split.tail;
    const a = split.head.predict(x) as tf.Tensor;
    const g = tf.tidy(() => tf.grad((aa: tf.Tensor) => tf.sum(pick(tail(aa), CLASSES)))(a));
    A = (await a.array()) as ref.Img[];
    G = (await g.array()) as ref.Img[];
    xs = (await x.array()) as number[][][][];
    // conv3's input (relu2's output) and its kernel, for the lightweight CAM's formula.
    const before3 = splitSequential(model, "relu2").head.predict(x) as tf.Tensor;
    X = (await before3.array()) as ref.Img[];
    before3.dispose();
    [K, bias3] = (await Promise.all(model.getLayer("conv3").getWeights().map((t) => t.array()))) as [number[][][][], number[]];
    a.dispose();
    g.dispose();
  });

  after(() => {
    x.dispose();
    model.dispose();
  });

  /** Score of `cls` on a batch of activations through the tail. */
  async function tailScores(acts: ref.Img[], cls: number): Promise<number[]> {
    const s = tf.tidy(() => pick(tail(tf.tensor4d(acts)), new Array(acts.length).fill(cls)));
    const v = Array.from(await s.data());
    s.dispose();
    return v;
  }

  async function modelScores(inputs: number[][][][], cls: number): Promise<number[]> {
    const s = tf.tidy(() => pick(model.predict(tf.tensor4d(inputs)) as tf.Tensor, new Array(inputs.length).fill(cls)));
    const v = Array.from(await s.data());
    s.dispose();
    return v;
  }

  const references: Record<CamMethodName, (b: number) => Promise<{ map: number[][]; weights: number[] | null }>> = {
    gradcam: async (b) => {
      const w = ref.gradCamWeights(G[b]);
      return { map: ref.weightedMap(A[b], w), weights: w };
    },
    gradcampp: async (b) => {
      const w = ref.gradCamPPWeights(A[b], G[b]);
      return { map: ref.weightedMap(A[b], w), weights: w };
    },
    xgradcam: async (b) => {
      const w = ref.xGradCamWeights(A[b], G[b]);
      return { map: ref.weightedMap(A[b], w), weights: w };
    },
    hirescam: async (b) => ({ map: ref.hiResMap(A[b], G[b]), weights: null }),
    layercam: async (b) => ({ map: ref.layerCamMap(A[b], G[b]), weights: null }),
    eigencam: async (b) => ({ map: ref.eigenCamMap(A[b]), weights: null }),
    scorecam: async (b) => {
      const c = A[b][0][0].length;
      const masked: number[][][][] = [];
      for (let k = 0; k < c; k++) {
        const mask = ref.scaleUnit(ref.resizeBilinear(A[b].map((r) => r.map((px) => px[k])), SIZE, SIZE));
        masked.push(xs[b].map((r, i) => r.map((px, j) => px.map((v) => v * mask[i][j]))));
      }
      const w = ref.softmax(await modelScores(masked, CLASSES[b]));
      return { map: ref.weightedMap(A[b], w), weights: w };
    },
    ablationcam: async (b) => {
      const c = A[b][0][0].length;
      const ablated = Array.from({ length: c }, (_, k) => A[b].map((r) => r.map((px) => px.map((v, kk) => (kk === k ? 0 : v)))));
      const [y] = await tailScores([A[b]], CLASSES[b]);
      const yk = await tailScores(ablated, CLASSES[b]);
      const w = yk.map((v) => (y - v) / (y + 1e-7));
      return { map: ref.weightedMap(A[b], w), weights: w };
    },
    eigengradcam: async (b) => ({ map: ref.eigenCamMap(A[b].map((r, i) => r.map((px, j) => px.map((v, k) => v * G[b][i][j][k])))), weights: null }),
    finercam: async (b) => {
      // Finer-CAM: Grad-CAM of Σ_s (y_c − y_s) over the 3 classes of score closest to y_c (α = 1).
      const [y] = await tailOutputs([A[b]]);
      const c = CLASSES[b];
      const similar = y.map((v, k) => [Math.abs(v - y[c]), k]).filter(([, k]) => k !== c).sort((p, q) => p[0] - q[0]).slice(0, 3).map(([, k]) => k);
      const v = y.map((_, k) => (k === c ? 3 : 0) - (similar.includes(k) ? 1 : 0));
      const g = tf.tidy(() => tf.grad((aa: tf.Tensor) => tf.sum(tf.mul(tail(aa), tf.tensor1d(v))))(tf.tensor4d([A[b]])));
      const w = ref.channelMeans(((await g.array()) as ref.Img[])[0]);
      g.dispose();
      return { map: ref.weightedMap(A[b], w), weights: w };
    },
    shapleycam: async (b) => {
      // A linear tail (GAP → dense) and a logit target: the Hessian term vanishes, ShapleyCAM = Grad-CAM
      // here; the softmax-target test below checks the Hessian term against its closed form.
      const w = ref.gradCamWeights(G[b]);
      return { map: ref.weightedMap(A[b], w), weights: w };
    },
    rise: async (b) => {
      const masks = await ref.riseMasks(RISE.masks, 3, SIZE, SIZE, RISE.cells, RISE.keep, RISE.seed, randomUniform);
      const scores = await modelScores(masks.map((m) => xs[b].map((r, i) => r.map((px, j) => px.map((v) => v * m[i][j])))), CLASSES[b]);
      // RISE Eq. 6: S = 1/(p·N) Σ_i f(I ⊙ M_i) M_i.
      const map = masks[0].map((r, i) => r.map((_, j) => masks.reduce((s, m, n) => s + scores[n] * m[i][j], 0) / (RISE.keep * RISE.masks)));
      return { map, weights: null };
    },
    kpcacam: async (b) => ({ map: ref.kpcaMap(A[b]), weights: null }),
    lightcam: async (b) => {
      const w = ref.kernelGradientWeights(X[b], K, bias3);
      return { map: ref.weightedMap(A[b], w), weights: w };
    },
  };

  /** tfjs's seeded uniform numbers (the masks' random grid), read to the host. */
  async function randomUniform(shape: number[], seed: number): Promise<number[]> {
    const t = tf.randomUniform(shape, 0, 1, "float32", seed);
    const v = Array.from(await t.data());
    t.dispose();
    return v;
  }

  async function tailOutputs(acts: ref.Img[]): Promise<number[][]> {
    const o = tf.tidy(() => tail(tf.tensor4d(acts)));
    const v = (await o.array()) as number[][];
    o.dispose();
    return v;
  }

  /** Methods run with options here (RISE: 10 masks, so the reference stays small). */
  const RISE = { masks: 10, cells: 3, keep: 0.5, seed: 4 };
  const configured: Partial<Record<CamMethodName, CamMethod>> = { rise: rise(RISE) };

  for (const method of Object.keys(references) as CamMethodName[]) {
    it(`${method}: raw map, weights and heatmap match the formula (batch of 2, per-image classes)`, async () => {
      const n0 = tf.memory().numTensors;
      const r = await cam(model, x, { method: configured[method] ?? method, layer: "conv3", target: CLASSES, batchSize: 3 });
      assert.deepEqual(r.targets, CLASSES);
      // RISE forms its map at the input's resolution; the others at the layer's.
      assert.deepEqual(r.raw.shape, method === "rise" ? [2, SIZE, SIZE] : [2, 4, 4]);
      assert.deepEqual(r.heatmap.shape, [2, SIZE, SIZE]);
      const raw = (await r.raw.array()) as number[][][];
      const heat = (await r.heatmap.array()) as number[][][];
      const weights = r.weights ? ((await r.weights.array()) as number[][]) : null;
      for (let b = 0; b < 2; b++) {
        const expected = await references[method](b);
        const expectedRaw = ref.relu2d(expected.map);
        assert.ok(ref.maxRelErr(raw[b], expectedRaw) <= 1e-5, `${method} raw[${b}] rel err ${ref.maxRelErr(raw[b], expectedRaw)}`);
        if (expected.weights) {
          assert.ok(weights, `${method} returns channel weights`);
          assert.ok(ref.maxRelErr(weights![b], expected.weights) <= 1e-5, `${method} weights[${b}] rel err ${ref.maxRelErr(weights![b], expected.weights)}`);
        } else {
          assert.equal(weights, null);
        }
        const expectedHeat = ref.scaleUnit(ref.resizeBilinear(raw[b], SIZE, SIZE));
        assert.ok(ref.maxRelErr(heat[b], expectedHeat) <= 1e-5, `${method} heatmap[${b}]`);
        const flat = heat[b].flat();
        assert.ok(Math.min(...flat) >= 0 && Math.max(...flat) <= 1);
      }
      r.dispose();
      r.dispose(); // idempotent
      assert.equal(tf.memory().numTensors, n0, `${method} leaks tensors`);
    });
  }
});
