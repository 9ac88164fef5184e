// cam() on a model with two inputs — an image branch (conv → pool) and a caption branch (one-hot
// tokens → a bias-free dense embedding → mean over tokens), fused by a dense head — as in
// notebook 06. The image CAM and the tokens' attribution come from one call; both are checked
// against formulas computed here by applying the model's own layers by hand:
//  - Grad-CAM at the conv layer: ReLU(Σ_k mean(∂S/∂A_k)·A_k);
//  - the tokens' Gradient × Input summed over the vocabulary, which for a bias-free linear
//    embedding E = x·W equals Σ_d E_d·∂S/∂E_d (gradient × embedding, the notebook's formula).
import { after, before, describe, it } from "node:test";
import * as assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { ensureBackend } from "../../src/engine";
import { cam, camLayers } from "../../src/cam";

const T = 5;
const V = 7;

function twoBranch(): tf.LayersModel {
  const seeded = (s: number) => tf.initializers.glorotUniform({ seed: s });
  const image = tf.input({ shape: [8, 8, 3], name: "image" });
  const tokens = tf.input({ shape: [T, V], name: "tokens" });
  const conv = tf.layers.conv2d({ filters: 4, kernelSize: 3, padding: "same", activation: "relu", kernelInitializer: seeded(1), name: "conv" }).apply(image) as tf.SymbolicTensor;
  const imageFeatures = tf.layers.globalAveragePooling2d({ name: "image_pool" }).apply(conv) as tf.SymbolicTensor;
  const embedded = tf.layers.dense({ units: 6, useBias: false, kernelInitializer: seeded(2), name: "embedding" }).apply(tokens) as tf.SymbolicTensor;
  const textFeatures = tf.layers.globalAveragePooling1d({ name: "text_pool" }).apply(embedded) as tf.SymbolicTensor;
  const fused = tf.layers.concatenate({ name: "fuse" }).apply([imageFeatures, textFeatures]) as tf.SymbolicTensor;
  const out = tf.layers.dense({ units: 3, kernelInitializer: seeded(3), name: "answer" }).apply(fused) as tf.SymbolicTensor;
  return tf.model({ inputs: [image, tokens], outputs: out, name: "two_branch" });
}

describe("cam() on a two-input model (image + caption)", () => {
  let model: tf.LayersModel;
  let image: tf.Tensor4D;
  let tokens: tf.Tensor3D;

  before(async () => {
    await ensureBackend();
    model = twoBranch();
    image = tf.randomUniform([2, 8, 8, 3], 0, 1, "float32", 4) as tf.Tensor4D;
    tokens = tf.tidy(() => tf.cast(tf.oneHot(tf.tensor2d([[1, 3, 3, 0, 6], [2, 5, 0, 0, 4]], [2, T], "int32"), V), "float32")) as tf.Tensor3D;
  });
  after(() => {
    tf.dispose([image, tokens]);
    model.dispose();
  });

  /** The model applied layer by layer, differentiable in the conv output A and the embedding E. */
  function byHand(cls: number[]): { A: tf.Tensor4D; E: tf.Tensor3D; dA: tf.Tensor4D; dE: tf.Tensor3D } {
    const L = (n: string) => model.getLayer(n);
    const A = L("conv").apply(image) as tf.Tensor4D;
    const E = L("embedding").apply(tokens) as tf.Tensor3D;
    const head = (a: tf.Tensor, e: tf.Tensor) => {
      const fused = L("fuse").apply([L("image_pool").apply(a) as tf.Tensor, L("text_pool").apply(e) as tf.Tensor]) as tf.Tensor;
      return tf.sum(tf.mul(L("answer").apply(fused) as tf.Tensor, tf.oneHot(tf.tensor1d(cls, "int32"), 3)));
    };
    const [dA, dE] = tf.grads((a: tf.Tensor, e: tf.Tensor) => head(a, e))([A, E]) as [tf.Tensor4D, tf.Tensor3D];
    return { A, E, dA, dE };
  }

  it("one call: the image's Grad-CAM and the tokens' attribution, each equal to its formula", async () => {
    const cls = [2, 0];
    const want = tf.tidy(() => {
      const { A, E, dA, dE } = byHand(cls);
      const map = tf.relu(tf.sum(tf.mul(A, tf.mean(dA, [1, 2], true)), -1));
      const tokenScores = tf.sum(tf.mul(E, dE), -1);
      return { map: tf.keep(map), tokenScores: tf.keep(tokenScores) };
    });
    const [wantMap, wantTokens] = await Promise.all([want.map.data(), want.tokenScores.data()]);
    tf.dispose([want.map, want.tokenScores]);

    const r = await cam(model, [image, tokens], { input: "image", layer: "conv", target: cls });
    try {
      assert.equal(r.explainedInput, "image");
      assert.deepEqual(r.heatmap.shape, [2, 8, 8]);
      const got = await r.raw.data();
      const scale = Math.max(...Array.from(wantMap).map(Math.abs), 1e-12);
      got.forEach((v, i) => assert.ok(Math.abs(v - wantMap[i]) / scale < 1e-5, `map ${i}: ${v} vs ${wantMap[i]}`));
      assert.equal(r.inputAttributions.length, 1);
      assert.equal(r.inputAttributions[0].input, "tokens");
      assert.deepEqual(r.inputAttributions[0].attribution.shape, [2, T], "one number per token");
      const tok = await r.inputAttributions[0].attribution.data();
      const tscale = Math.max(...Array.from(wantTokens).map(Math.abs), 1e-12);
      tok.forEach((v, i) => assert.ok(Math.abs(v - wantTokens[i]) / tscale < 1e-5, `token ${i}: ${v} vs ${wantTokens[i]}`));
    } finally {
      r.dispose();
    }
  });

  it("inputs by name give the same maps as inputs in order; input by index too", async () => {
    const a = await camLayers(model, { tokens, image }, { input: 0, layer: "conv", target: 1 });
    const b = await camLayers(model, [image, tokens], { input: "image", layer: "conv", target: 1 });
    try {
      assert.deepEqual(Array.from(await a.perLayer[0].raw.data()), Array.from(await b.perLayer[0].raw.data()));
    } finally {
      a.dispose();
      b.dispose();
    }
  });

  it("Score-CAM and Ablation-CAM mask only the image; each image keeps its own caption (per-image rows tiled)", async () => {
    // Score-CAM's first image, computed with batch 2 and with the first example alone, must agree:
    // the caption of image 0 goes with every masked copy of image 0, not image 1's.
    for (const method of ["scorecam", "ablationcam"] as const) {
      const both = await cam(model, [image, tokens], { method, layer: "conv", target: [1, 1], batchSize: 3 });
      const one = tf.tidy(() => [tf.slice(image, [0], [1]), tf.slice(tokens, [0], [1])]);
      const first = await cam(model, one, { method, layer: "conv", target: 1, batchSize: 3 });
      try {
        const [w2, w1] = await Promise.all([both.weights!.data(), first.weights!.data()]);
        Array.from(w1).forEach((v, i) => assert.ok(Math.abs(v - w2[i]) < 1e-5 * Math.max(1, Math.abs(v)), `${method} weight ${i}: ${v} vs ${w2[i]}`));
      } finally {
        both.dispose();
        first.dispose();
        tf.dispose(one);
      }
    }
  });

  it("refuses wrong inputs before any kernel runs, naming the input; leaves no tensor behind", async () => {
    const n0 = tf.memory().numTensors;
    await assert.rejects(cam(model, image, { layer: "conv" }), /this model takes 2 inputs \("image", "tokens"\), got 1; pass \[image, tokens\] in this order, or \{ image: …, tokens: … \}/);
    await assert.rejects(cam(model, { image, words: tokens } as never, { layer: "conv" }), /the model has no input "words"; its inputs: "image", "tokens"/);
    await assert.rejects(cam(model, [image, tokens], { input: "caption", layer: "conv" }), /the model has no input "caption"; its inputs: 0 "image", 1 "tokens"/);
    await assert.rejects(cam(model, [image, tokens], { input: 2, layer: "conv" }), /input 2 does not exist; this model has 2 inputs/);
    const short = tf.zeros([2, T + 1, V]);
    await assert.rejects(cam(model, [image, short], { layer: "conv" }), /input "tokens": input has shape \[2, 6, 7\] but this model takes \[batch, 5, 7\]/);
    const one = tf.zeros([1, T, V]);
    await assert.rejects(cam(model, [image, one], { layer: "conv" }), /the inputs hold different batch sizes \("image" 2, "tokens" 1\)/);
    await assert.rejects(cam(model, [image, tokens], { layer: "conv", augSmooth: true }), /augSmooth on a model with several inputs is not supported/);
    tf.dispose([short, one]);
    assert.equal(tf.memory().numTensors, n0);
  });
});
