// The folded model (engine/folded.ts): conv → batch norm (→ ReLU) chains folded into one fused
// conv give the model's own output; only legal chains fold (counted by hand per model below);
// hooks still fire; tf.memory() ends where it started; and Score-CAM on a batch-norm model
// (which runs its masked inputs on the folded model) equals Score-CAM's formula written here
// on the unfolded model.predict.
import { before, describe, it } from "node:test";
import * as assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { ensureBackend, foldModel, useBackend } from "../../src/engine";
import { registerForwardHook } from "../../src/hooks";
import { cam } from "../../src/cam";
import { randomImages, relErr, seeded, smallSequential } from "./fixtures";

const bnInit = (seed: number) => ({
  gammaInitializer: tf.initializers.randomUniform({ minval: 0.5, maxval: 1.5, seed }),
  betaInitializer: tf.initializers.randomUniform({ minval: -0.3, maxval: 0.3, seed: seed + 1 }),
  movingMeanInitializer: tf.initializers.randomUniform({ minval: -0.5, maxval: 0.5, seed: seed + 2 }),
  movingVarianceInitializer: tf.initializers.randomUniform({ minval: 0.2, maxval: 2, seed: seed + 3 }),
});

/**
 * Every case of the folding rule, in one functional model:
 *   c1 (bias) → bn1 → relu6            folds, with relu6            (1)
 *   dw (no bias) → bn2 (no γ, β) → relu  folds, with relu            (2)
 *   c3 → bn3 → (skip add)              folds, no activation         (3)
 *   c4 (relu) → bn4                    no: the conv's own activation is not linear
 *   c5 → bn5, read by two layers       folds, no activation (bn5's output has two readers) (4)
 *   c6 → two readers (bn6, and add)    no: the conv's output has another reader
 *   pad → dw2 (stride 2, valid) → bn7 → relu6   folds, the padding into the conv  (5)
 *   pad1 → c8 (valid) → bn8            folds, symmetric padding into the conv   (6)
 */
function bnModel(size = 12, classes = 5): tf.LayersModel {
  const input = tf.input({ shape: [size, size, 3], name: "image" });
  const conv = (name: string, filters: number, seed: number, extra: Record<string, unknown> = {}) =>
    tf.layers.conv2d({ filters, kernelSize: 3, padding: "same", kernelInitializer: seeded(seed), biasInitializer: tf.initializers.randomUniform({ minval: -0.2, maxval: 0.2, seed: seed + 50 }), name, ...extra });
  const bn = (name: string, seed: number, extra: Record<string, unknown> = {}) => tf.layers.batchNormalization({ name, epsilon: 1e-3, ...bnInit(seed), ...extra });
  const apply = (l: tf.layers.Layer, x: tf.SymbolicTensor | tf.SymbolicTensor[]) => l.apply(x) as tf.SymbolicTensor;
  let t = apply(tf.layers.reLU({ maxValue: 6, name: "relu6" }), apply(bn("bn1", 10), apply(conv("c1", 8, 1, { strides: 2 }), input)));
  t = apply(tf.layers.activation({ activation: "relu", name: "relu" }), apply(bn("bn2", 20, { center: false, scale: false }), apply(tf.layers.depthwiseConv2d({ kernelSize: 3, padding: "same", useBias: false, depthwiseInitializer: seeded(2), depthMultiplier: 2, name: "dw" }), t)));
  const b3 = apply(bn("bn3", 30), apply(conv("c3", 16, 3, { kernelSize: 1 }), t));
  t = apply(tf.layers.add({ name: "add1" }), [b3, t]);
  t = apply(bn("bn4", 40), apply(conv("c4", 8, 4, { activation: "relu" }), t));
  const b5 = apply(bn("bn5", 50), apply(conv("c5", 8, 5), t));
  t = apply(tf.layers.add({ name: "add2" }), [apply(tf.layers.reLU({ name: "relu5" }), b5), b5]);
  const c6 = apply(conv("c6", 8, 6), t);
  t = apply(tf.layers.add({ name: "add3" }), [apply(bn("bn6", 60), c6), c6]);
  t = apply(tf.layers.zeroPadding2d({ padding: [[0, 1], [0, 1]], name: "pad" }), t);
  t = apply(tf.layers.reLU({ maxValue: 6, name: "relu6b" }), apply(bn("bn7", 70), apply(tf.layers.depthwiseConv2d({ kernelSize: 3, strides: 2, padding: "valid", depthwiseInitializer: seeded(8), name: "dw2" }), t)));
  t = apply(bn("bn8", 80), apply(conv("c8", 8, 9, { padding: "valid" }), apply(tf.layers.zeroPadding2d({ padding: 1, name: "pad1" }), t)));
  t = apply(tf.layers.globalAveragePooling2d({ name: "gap" }), t);
  return tf.model({ inputs: input, outputs: apply(tf.layers.dense({ units: classes, kernelInitializer: seeded(7), name: "logits" }), t), name: "bn_model" });
}

describe("the folded model", () => {
  before(async () => {
    await ensureBackend();
  });

  it("folds the legal chains only, and gives model.predict's output", () => {
    const model = bnModel();
    const x = randomImages(3, 12, 5);
    const n0 = tf.memory().numTensors;
    const folded = foldModel(model)!;
    assert.equal(folded.folded, 6);
    const want = tf.tidy(() => (model.predict(x) as tf.Tensor).dataSync());
    const y = folded.run(x);
    assert.deepEqual(y.shape, [3, 5]);
    assert.ok(relErr(y.dataSync(), want) < 1e-5, `rel err ${relErr(y.dataSync(), want)}`);
    y.dispose();
    folded.dispose();
    assert.equal(tf.memory().numTensors, n0, "run() and dispose() leave tf.memory() as it was");
    assert.throws(() => folded.run(x), /disposed/);
    x.dispose();
    model.dispose();
  });

  it("a hooked layer runs as itself: its chain stays unfolded and the hook fires once per run", () => {
    const model = bnModel();
    const x = randomImages(2, 12, 6);
    let bnCalls = 0, gapCalls = 0;
    const h1 = registerForwardHook(model.getLayer("bn1"), () => void bnCalls++);
    const h2 = registerForwardHook(model.getLayer("gap"), () => void gapCalls++);
    try {
      const folded = foldModel(model)!;
      assert.equal(folded.folded, 5);
      const want = tf.tidy(() => (model.predict(x) as tf.Tensor).dataSync());
      assert.equal(bnCalls, 1);
      const y = folded.run(x);
      assert.equal(bnCalls, 2);
      assert.equal(gapCalls, 2);
      assert.ok(relErr(y.dataSync(), want) < 1e-5);
      y.dispose();
      folded.dispose();
    } finally {
      h1.remove();
      h2.remove();
      x.dispose();
      model.dispose();
    }
  });

  it("on the cpu backend too (explicit padding in the depthwise conv)", async () => {
    const before = tf.getBackend() as Parameters<typeof useBackend>[0];
    await useBackend("cpu");
    try {
      const model = bnModel();
      const x = randomImages(2, 12, 4);
      const folded = foldModel(model)!;
      const want = tf.tidy(() => (model.predict(x) as tf.Tensor).dataSync());
      const y = folded.run(x);
      assert.ok(relErr(y.dataSync(), want) < 1e-5, `rel err ${relErr(y.dataSync(), want)}`);
      tf.dispose([y, x]);
      folded.dispose();
      model.dispose();
    } finally {
      await useBackend(before);
    }
  });

  it("is null where there is nothing to fold", () => {
    const model = smallSequential();
    assert.equal(foldModel(model), null);
    model.dispose();
  });

  it("Score-CAM on a batch-norm model equals its formula over model.predict", async () => {
    const model = bnModel();
    const x = randomImages(1, 12, 8);
    const layer = "bn5"; // [1, 6, 6, 8]: 8 masked inputs
    const target = 2;
    const result = await cam(model, x, { method: "scorecam", layer, target });
    const got = await result.raw.data();
    result.dispose();
    const want = tf.tidy(() => {
      const head = tf.model({ inputs: model.inputs, outputs: model.getLayer(layer).output as tf.SymbolicTensor });
      const a = head.predict(x) as tf.Tensor4D; // [1, h, w, C]
      const c = a.shape[3];
      const scores: number[] = [];
      for (let k = 0; k < c; k++) {
        const up = tf.image.resizeBilinear(tf.slice(a, [0, 0, 0, k], [1, -1, -1, 1]) as tf.Tensor4D, [12, 12], false, true);
        const mask = tf.div(tf.sub(up, tf.min(up)), tf.add(tf.sub(tf.max(up), tf.min(up)), 1e-7));
        scores.push((model.predict(tf.mul(x, mask)) as tf.Tensor).dataSync()[target]);
      }
      const w = tf.softmax(tf.tensor1d(scores));
      return tf.relu(tf.sum(tf.mul(a, tf.reshape(w, [1, 1, 1, c])), -1)).dataSync();
    });
    assert.ok(relErr(got, want) < 1e-4, `rel err ${relErr(got, want)}`);
    x.dispose();
    model.dispose();
  });
});
