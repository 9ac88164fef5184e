// Every CAM method against its paper formula computed here from activations (a head sub-model)
// and gradients (a tail sub-model), not by the library: to 1e-5.
import { after, before, describe, it } from "node:test";
import * as assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { ensureBackend } from "../../src/engine";
import { cam, type CamMethodName } from "../../src/cam";
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
  };

  for (const method of Object.keys(references) as CamMethodName[]) {
    it(`${method}: raw map, weights and heatmap match the formula (batch of 2, per-image classes)`, async () => {
      const n0 = tf.memory().numTensors;
      const r = await cam(model, x, { method, layer: "conv3", target: CLASSES, batchSize: 3 });
      assert.deepEqual(r.targets, CLASSES);
      assert.deepEqual(r.raw.shape, [2, 4, 4]);
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
