// Faster Score-CAM (cam({ method: "scorecam", channels: k })): with k = all channels it is Score-CAM;
// for small k it matches the formula written here in float64 — the k channels of highest variance
// over positions are scored (masked inputs, softmax over those k), every other channel weighs 0.
import { after, before, describe, it } from "node:test";
import * as assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { ensureBackend } from "../../src/engine";
import { cam } from "../../src/cam";
import { pick, randomImages, smallSequential, splitSequential } from "../engine/fixtures";
import * as ref from "./reference";

const SIZE = 12;
const CLASSES = [2, 0];

/** Population variance of each channel over the map's positions, float64. */
function channelVariances(a: ref.Img): number[] {
  const mean = ref.channelMeans(a);
  const n = a.length * a[0].length;
  const v = new Array(mean.length).fill(0);
  for (const row of a) for (const px of row) px.forEach((x, k) => (v[k] += (x - mean[k]) ** 2 / n));
  return v;
}

describe("Faster Score-CAM (channels: k)", () => {
  let model: tf.Sequential;
  let x: tf.Tensor4D;
  let A: ref.Img[];
  let xs: number[][][][];

  before(async () => {
    await ensureBackend();
    model = smallSequential(4, SIZE);
    x = randomImages(2, SIZE, 23);
    const { head } = splitSequential(model, "conv3");
    const a = head.predict(x) as tf.Tensor;
    A = (await a.array()) as ref.Img[];
    xs = (await x.array()) as number[][][][];
    a.dispose();
  });
  after(() => {
    x.dispose();
    model.dispose();
  });

  async function scores(inputs: number[][][][], cls: number): Promise<number[]> {
    const s = tf.tidy(() => pick(model.predict(tf.tensor4d(inputs)) as tf.Tensor, new Array(inputs.length).fill(cls)));
    const v = Array.from(await s.data());
    s.dispose();
    return v;
  }

  /** The formula: top-k channels by variance, Score-CAM weights over them, 0 elsewhere. */
  async function reference(b: number, k: number): Promise<number[]> {
    const variances = channelVariances(A[b]);
    const chosen = variances.map((v, c) => [v, c]).sort((p, q) => q[0] - p[0]).slice(0, k).map((p) => p[1]);
    const masked = chosen.map((c) => {
      const mask = ref.scaleUnit(ref.resizeBilinear(A[b].map((r) => r.map((px) => px[c])), SIZE, SIZE));
      return xs[b].map((r, i) => r.map((px, j) => px.map((v) => v * mask[i][j])));
    });
    const alpha = ref.softmax(await scores(masked, CLASSES[b]));
    const w = new Array(variances.length).fill(0);
    chosen.forEach((c, i) => (w[c] = alpha[i]));
    return w;
  }

  it("k = all channels equals full Score-CAM", async () => {
    const full = await cam(model, x, { method: "scorecam", layer: "conv3", target: CLASSES, batchSize: 3 });
    const all = await cam(model, x, { method: "scorecam", layer: "conv3", target: CLASSES, batchSize: 3, channels: 8 });
    const [wf, wa] = [(await full.weights!.array()) as number[][], (await all.weights!.array()) as number[][]];
    assert.ok(ref.maxRelErr(wa, wf) <= 1e-6, `weights ${ref.maxRelErr(wa, wf)}`);
    const [rf, ra] = [(await full.raw.array()) as number[][][], (await all.raw.array()) as number[][][]];
    assert.ok(ref.maxRelErr(ra as unknown as number[][], rf as unknown as number[][]) <= 1e-6);
    full.dispose();
    all.dispose();
  });

  for (const k of [1, 3, 5]) {
    it(`k = ${k}: weights and raw map match the formula (batch of 2, per-image channel choice)`, async () => {
      const n0 = tf.memory().numTensors;
      const r = await cam(model, x, { method: "scorecam", layer: "conv3", target: CLASSES, batchSize: 2, channels: k });
      const weights = (await r.weights!.array()) as number[][];
      const raw = (await r.raw.array()) as number[][][];
      for (let b = 0; b < 2; b++) {
        const w = await reference(b, k);
        assert.equal(weights[b].filter((v) => v !== 0).length, k, "exactly k channels weigh");
        assert.ok(ref.maxRelErr(weights[b], w) <= 1e-5, `weights[${b}] ${ref.maxRelErr(weights[b], w)}`);
        const map = ref.relu2d(ref.weightedMap(A[b], w));
        assert.ok(ref.maxRelErr(raw[b], map) <= 1e-5, `raw[${b}] ${ref.maxRelErr(raw[b], map)}`);
      }
      r.dispose();
      assert.equal(tf.memory().numTensors, n0);
    });
  }

  it("channels is checked: positive integers, Score-CAM only", async () => {
    await assert.rejects(cam(model, x, { method: "scorecam", channels: 0 }), /channels must be a positive integer \(how many channels Score-CAM scores\), got 0/);
    await assert.rejects(cam(model, x, { method: "gradcam", channels: 4 }), /`channels` \(Faster Score-CAM\) applies to method "scorecam" only, got method "gradcam"/);
  });
});
