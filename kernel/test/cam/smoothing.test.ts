// cam()'s two smoothing options, against their definitions computed here:
//  - eigenSmooth: ReLU of the projection of the per-channel terms (w_c·A_c; HiResCAM's ∂S/∂A ⊙ A)
//    on their first principal component — the reference's Jacobi eigenvector, not the library's
//    power iteration;
//  - augSmooth: the mean over the six flip × intensity variants of each variant's map, flipped
//    back — each variant computed here by a separate plain camLayers() call on an input the test
//    builds, with the class fixed to the class of the input as is.
import { before, describe, it } from "node:test";
import * as assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { Cancelled, ensureBackend, runWork } from "../../src/engine";
import { cam, camLayers } from "../../src/cam";
import { pick, randomImages, smallSequential, splitSequential } from "../engine/fixtures";
import * as ref from "./reference";

const SIZE = 12;

async function layerTerms(model: tf.Sequential, x: tf.Tensor4D, layer: string, cls: number): Promise<{ A: ref.Img; G: ref.Img }> {
  const { head, tail } = splitSequential(model, layer);
  const a = head.predict(x) as tf.Tensor4D;
  const g = tf.tidy(() => tf.grad((aa: tf.Tensor) => tf.sum(pick(tail(aa), [cls])))(a));
  const [A, G] = [((await a.array()) as ref.Img[])[0], ((await g.array()) as ref.Img[])[0]];
  tf.dispose([a, g]);
  return { A, G };
}

function closeMaps(got: number[][], want: number[][], what: string, tol = 1e-4): void {
  const scale = Math.max(...want.flat().map(Math.abs), 1e-12);
  const err = Math.max(...got.flat().map((v, i) => Math.abs(v - want.flat()[i]))) / scale;
  assert.ok(err < tol, `${what}: max relative error ${err}`);
}

describe("eigenSmooth", () => {
  let model: tf.Sequential;
  let x: tf.Tensor4D;
  before(async () => {
    await ensureBackend();
    model = smallSequential(4, SIZE);
    x = randomImages(1, SIZE, 21);
  });

  it("Grad-CAM: ReLU(first principal component of w_c·A_c), computed here by Jacobi rotations", async () => {
    const cls = 3;
    const { A, G } = await layerTerms(model, x, "conv3", cls);
    const w = ref.gradCamWeights(G);
    const terms: ref.Img = A.map((row) => row.map((px) => px.map((v, k) => v * w[k])));
    const want = ref.relu2d(ref.eigenCamMap(terms));
    const r = await cam(model, x, { method: "gradcam", layer: "conv3", target: cls, eigenSmooth: true });
    try {
      closeMaps(((await r.raw.array()) as number[][][])[0], want, "eigenSmooth Grad-CAM");
      // The weights stay Grad-CAM's: only how they combine the channels changed.
      const got = Array.from(await r.weights!.data());
      got.forEach((v, k) => assert.ok(Math.abs(v - w[k]) < 1e-5 * Math.max(1, Math.abs(w[k])), `weight ${k}`));
    } finally {
      r.dispose();
    }
  });

  it("HiResCAM: the projection of its per-position terms ∂S/∂A ⊙ A", async () => {
    const cls = 1;
    const { A, G } = await layerTerms(model, x, "conv3", cls);
    const terms: ref.Img = A.map((row, i) => row.map((px, j) => px.map((v, k) => v * G[i][j][k])));
    const want = ref.relu2d(ref.eigenCamMap(terms));
    const r = await camLayers(model, x, { method: "hirescam", layer: "conv3", target: cls, eigenSmooth: true });
    try {
      closeMaps(((await r.perLayer[0].raw.array()) as number[][][])[0], want, "eigenSmooth HiResCAM");
    } finally {
      r.dispose();
    }
  });

  it("is refused, before any kernel runs, for methods that form their map otherwise; a non-boolean is refused", async () => {
    const n0 = tf.memory().numTensors;
    for (const method of ["eigencam", "kpcacam", "rise", "eigengradcam"] as const) {
      await assert.rejects(cam(model, x, { method, eigenSmooth: true }), new RegExp(`eigenSmooth .*method "${method}" forms its map otherwise.*use a method such as gradcam`));
    }
    await assert.rejects(cam(model, x, { eigenSmooth: "yes" as never }), /eigenSmooth must be true or false, got "yes"/);
    assert.equal(tf.memory().numTensors, n0);
  });
});

describe("augSmooth", () => {
  let model: tf.Sequential;
  let x: tf.Tensor4D;
  before(async () => {
    await ensureBackend();
    model = smallSequential(4, SIZE);
    x = randomImages(1, SIZE, 33);
  });

  it("is the mean of the six flip × intensity variants' maps, each flipped back, all for the class of the input as is", async () => {
    const plain = await cam(model, x, { method: "gradcampp", layer: "conv2" });
    const cls = plain.targets[0]!;
    plain.dispose();
    const variants: number[][][] = [];
    for (const flip of [false, true]) {
      for (const factor of [0.9, 1, 1.1]) {
        const v = tf.tidy(() => {
          const s = tf.mul(x, factor) as tf.Tensor4D;
          return flip ? (tf.reverse(s, 2) as tf.Tensor4D) : s;
        });
        const m = await camLayers(model, v, { method: "gradcampp", layer: "conv2", target: cls });
        const raw = ((await m.perLayer[0].raw.array()) as number[][][])[0];
        variants.push(flip ? raw.map((row) => [...row].reverse()) : raw);
        m.dispose();
        v.dispose();
      }
    }
    const want = variants[0].map((row, i) => row.map((_, j) => variants.reduce((s, m) => s + m[i][j], 0) / variants.length));

    const n0 = tf.memory().numTensors;
    const r = await cam(model, x, { method: "gradcampp", layer: "conv2", augSmooth: true });
    try {
      assert.deepEqual(r.targets, [cls], "the class of the input as is");
      closeMaps(((await r.raw.array()) as number[][][])[0], want, "augSmooth raw map", 1e-5);
      const heat = (await r.heatmap.array()) as number[][][];
      assert.deepEqual([heat[0].length, heat[0][0].length], [SIZE, SIZE]);
      const flat = heat[0].flat();
      assert.ok(Math.abs(Math.max(...flat) - 1) < 1e-3 && Math.min(...flat) < 1e-3, "the heatmap is scaled to [0, 1]");
    } finally {
      r.dispose();
    }
    assert.equal(tf.memory().numTensors, n0, "no tensor left behind");
  });

  it("stops between variants on an abort, leaving nothing behind; refuses sequence models", async () => {
    const n0 = tf.memory().numTensors;
    const controller = new AbortController();
    await assert.rejects(
      runWork({ signal: controller.signal, progressIntervalMs: 0, onProgress: (p) => { if (/augSmooth/.test(p.label) && p.done >= 2) controller.abort(); } },
        () => cam(model, x, { layer: "conv3", augSmooth: true })),
      (e: unknown) => e instanceof Cancelled && /augSmooth/.test((e as Error).message),
    );
    assert.equal(tf.memory().numTensors, n0);

    const seq = tf.sequential({ layers: [tf.layers.conv1d({ inputShape: [16, 3], filters: 4, kernelSize: 3, name: "c" }), tf.layers.globalAveragePooling1d({}), tf.layers.dense({ units: 2 })] });
    const s = tf.randomNormal([1, 16, 3]);
    await assert.rejects(cam(seq, s, { augSmooth: true }), /augSmooth flips images left-right; this model takes sequences/);
    s.dispose();
    seq.dispose();
    assert.equal(tf.memory().numTensors, n0);
  });
});
