// cam() as an entry point: topologies, targets, layer defaults, fusion, errors and leaks.
import { before, describe, it } from "node:test";
import * as assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { ensureBackend, softmaxProbability } from "../../src/engine";
import { activeHookCount } from "../../src/hooks";
import { CAM_METHODS, cam, guidedBackprop, guidedGradCam } from "../../src/cam";
import { pick, randomImages, smallNested, smallResidual, smallSequential, splitSequential } from "../engine/fixtures";
import * as ref from "./reference";

/** Grad-CAM raw maps from a head model (activations) and a tail function (gradients). */
async function gradCamReference(head: tf.LayersModel, tail: (a: tf.Tensor) => tf.Tensor, x: tf.Tensor, score: (out: tf.Tensor) => tf.Tensor): Promise<number[][][]> {
  const a = head.predict(x) as tf.Tensor;
  const g = tf.tidy(() => tf.grad((aa: tf.Tensor) => tf.sum(score(tail(aa))))(a));
  const A = (await a.array()) as ref.Img[], G = (await g.array()) as ref.Img[];
  a.dispose();
  g.dispose();
  return A.map((ai, b) => ref.relu2d(ref.weightedMap(ai, ref.gradCamWeights(G[b]))));
}

async function expectLeakFree<T>(f: () => Promise<T>): Promise<void> {
  const n0 = tf.memory().numTensors;
  try {
    await f();
  } catch {
    /* the caller asserts the error separately */
  }
  assert.equal(tf.memory().numTensors, n0, "tensor count changed");
  assert.equal(activeHookCount(), 0, "hooks left registered");
}

describe("cam() entry point", () => {
  before(async () => {
    await ensureBackend();
  });

  it("residual model: default layer is the block output, top-1 targets, matches a split reference", async () => {
    const model = smallResidual();
    const x = randomImages(2, 10, 4);
    const r = await cam(model, x);
    assert.deepEqual(r.layers, ["block_out"]);
    const logits = (await (model.predict(x) as tf.Tensor).array()) as number[][];
    assert.deepEqual(r.targets, logits.map((row) => row.indexOf(Math.max(...row))));
    assert.deepEqual(r.predictions.map((p) => p[0].classIndex), r.targets);
    const head = tf.model({ inputs: model.inputs, outputs: model.getLayer("block_out").output as tf.SymbolicTensor });
    const tail = (a: tf.Tensor) => model.getLayer("logits").apply(model.getLayer("gap").apply(a)) as tf.Tensor;
    const expected = await gradCamReference(head, tail, x, (o) => pick(o, r.targets as number[]));
    assert.ok(ref.maxRelErr((await r.raw.array()) as number[][][] as unknown as number[][], expected as unknown as number[][]) <= 1e-5);
    r.dispose();
    model.dispose();
  });

  it("nested model: a layer inside the backbone and the backbone itself", async () => {
    const model = smallNested();
    const x = randomImages(1, 10, 8);
    const inner = await cam(model, x, { layer: "backbone/b_conv2", target: 1 });
    const whole = await cam(model, x, { target: 1 }); // default: the nested model's output
    assert.deepEqual(whole.layers, ["backbone"]);
    const backbone = model.getLayer("backbone") as tf.LayersModel;
    const tail = (a: tf.Tensor) => model.getLayer("logits").apply(model.getLayer("gap").apply(a)) as tf.Tensor;
    const expected = await gradCamReference(backbone, tail, x, (o) => pick(o, [1]));
    // b_conv2 is the backbone's output layer: both hooks see the same tensor.
    for (const r of [inner, whole]) assert.ok(ref.maxRelErr(((await r.raw.array()) as number[][][])[0], expected[0]) <= 1e-5);
    inner.dispose();
    whole.dispose();
    model.dispose();
  });

  it("a target function (softmax probability) explains that function", async () => {
    const model = smallSequential();
    const x = randomImages(1, 12, 2);
    const r = await cam(model, x, { layer: "conv3", target: softmaxProbability(1) }); // class 1: the top-1 here
    assert.deepEqual(r.targets, [null]);
    const head = tf.model({ inputs: model.inputs, outputs: model.getLayer("conv3").output as tf.SymbolicTensor });
    const tail = (a: tf.Tensor) => model.getLayer("logits").apply(model.getLayer("gap").apply(a)) as tf.Tensor;
    const expected = await gradCamReference(head, tail, x, (o) => pick(tf.softmax(o), [1]));
    assert.ok(Math.max(...expected[0].flat()) > 1e-4, "a well-conditioned case: the map has positive evidence");
    assert.ok(ref.maxRelErr(((await r.raw.array()) as number[][][])[0], expected[0]) <= 1e-5);
    const p = tf.softmax(model.predict(x) as tf.Tensor);
    assert.ok(Math.abs(r.scores[0] - (await p.data())[1]) < 1e-6);
    p.dispose();
    r.dispose();
    model.dispose();
  });

  it("a model with a spatial output (no classes) is explained through a target function", async () => {
    const model = tf.sequential({
      layers: [
        tf.layers.conv2d({ inputShape: [8, 8, 3], filters: 4, kernelSize: 3, padding: "same", activation: "relu", kernelInitializer: tf.initializers.glorotUniform({ seed: 8 }), name: "c1" }),
        tf.layers.conv2d({ filters: 1, kernelSize: 3, padding: "same", kernelInitializer: tf.initializers.glorotUniform({ seed: 9 }), name: "mask" }),
      ],
    });
    const x = randomImages(2, 8, 12);
    const centre = (o: tf.Tensor) => tf.sum(tf.slice(o, [0, 2, 2, 0], [-1, 4, 4, -1]), [1, 2, 3]);
    const r = await cam(model, x, { layer: "c1", target: centre });
    assert.deepEqual(r.predictions, [[], []]);
    const head = tf.model({ inputs: model.inputs, outputs: model.getLayer("c1").output as tf.SymbolicTensor });
    const tail = (a: tf.Tensor) => model.getLayer("mask").apply(a) as tf.Tensor;
    const expected = await gradCamReference(head, tail, x, centre);
    const raw = (await r.raw.array()) as number[][][];
    for (let b = 0; b < 2; b++) assert.ok(ref.maxRelErr(raw[b], expected[b]) <= 1e-5);
    r.dispose();
    model.dispose();
  });

  it("several layers are fused: mean of per-layer unit-scaled upsampled maps, rescaled", async () => {
    const model = smallSequential();
    const x = randomImages(1, 12, 3);
    const r = await cam(model, x, { layer: ["relu2", "conv3"], target: 0 });
    assert.deepEqual(r.perLayer.map((l) => l.raw.shape), [[1, 6, 6], [1, 4, 4]]);
    const ups = await Promise.all(r.perLayer.map(async (l) => ref.scaleUnit(ref.resizeBilinear(((await l.raw.array()) as number[][][])[0], 12, 12))));
    const fused = ref.scaleUnit(ups[0].map((row, i) => row.map((v, j) => (v + ups[1][i][j]) / 2)));
    assert.ok(ref.maxRelErr(((await r.heatmap.array()) as number[][][])[0], fused) <= 1e-5);
    r.dispose();
    model.dispose();
  });

  it("errors name what was wrong and what would be right, and leak nothing", async () => {
    const model = smallSequential();
    const x = randomImages(1, 12);
    await assert.rejects(cam(model, x, { layer: "conv_3" }), /no layer "conv_3"; closest: conv3/);
    await assert.rejects(cam(model, x, { layer: "gap" }), /layer "gap" outputs shape \[batch, 8\] \(rank 2\); a CAM needs a spatial map.*Spatial layers near the output: .*conv3/);
    await assert.rejects(cam(model, x, { target: 9 }), /class index 9 is out of range; the model has 4 classes/);
    await assert.rejects(cam(model, x, { target: [1, 2] }), /2 target classes for a batch of 1/);
    await assert.rejects(cam(model, x, { method: "gradcam3" as never }), /unknown method "gradcam3"; use one of gradcam, gradcampp/);
    await assert.rejects(cam(model, tf.zeros([12, 12]) as tf.Tensor, {}), /input has shape \[12, 12\] \(rank 2\) but this model takes \[batch, 12, 12, 3\]/);
    for (const bad of [{ layer: "conv_3" }, { layer: "gap" }, { target: 9 }, { target: (o: tf.Tensor) => o }, { method: "scorecam" as const, target: 7 }]) {
      await expectLeakFree(() => cam(model, x, bad as never));
    }
    for (const method of ["gradcam", "scorecam", "ablationcam", "eigencam"] as const) await expectLeakFree(async () => (await cam(model, x, { method })).dispose());
    model.dispose();
  });

  it("guided backprop equals the hand-derived guided gradient of a small MLP", async () => {
    // x (2×2×1) → flatten → dense(3, relu) → dense(2). Guided: g_h = W2[:, c]; g_z = g_h·[z>0]·[g_h>0]; dx = W1·g_z.
    const model = tf.sequential({
      layers: [
        tf.layers.flatten({ inputShape: [2, 2, 1] }),
        tf.layers.dense({ units: 3, activation: "relu", kernelInitializer: tf.initializers.randomNormal({ seed: 1 }), biasInitializer: tf.initializers.constant({ value: 0.1 }) }),
        tf.layers.dense({ units: 2, kernelInitializer: tf.initializers.randomNormal({ seed: 2 }) }),
      ],
    });
    const xv = [0.5, -1, 2, 0.3];
    const x = tf.tensor4d(xv, [1, 2, 2, 1]);
    const [W1, b1] = (await Promise.all(model.layers[1].getWeights().map((w) => w.array()))) as [number[][], number[]];
    const W2 = (await model.layers[2].getWeights()[0].array()) as number[][];
    const c = 1;
    const z = b1.map((bj, j) => bj + xv.reduce((s, xi, i) => s + xi * W1[i][j], 0));
    const gz = z.map((zj, j) => (zj > 0 && W2[j][c] > 0 ? W2[j][c] : 0));
    const expected = xv.map((_, i) => gz.reduce((s, g, j) => s + W1[i][j] * g, 0));
    const n0 = tf.memory().numTensors;
    const r = await guidedBackprop(model, x, { target: c });
    assert.ok(ref.maxRelErr(Array.from(await r.gradients.data()), expected) <= 1e-5);
    r.dispose();
    assert.equal(tf.memory().numTensors, n0);
    // The ReLU gradient is back to normal afterwards: plain gradient = W1·(W2[:,c]·[z>0]).
    const plain = tf.grad((xx: tf.Tensor) => tf.sum(pick(model.apply(xx) as tf.Tensor, [c])))(x);
    const expectedPlain = xv.map((_, i) => z.reduce((s, zj, j) => s + (zj > 0 ? W1[i][j] * W2[j][c] : 0), 0));
    assert.ok(ref.maxRelErr(Array.from(await plain.data()), expectedPlain) <= 1e-5);
    plain.dispose();
    x.dispose();
    model.dispose();
  });

  it("guided Grad-CAM = guided backprop ⊙ Grad-CAM heatmap", async () => {
    const model = smallSequential();
    const x = randomImages(1, 12, 6);
    const n0 = tf.memory().numTensors;
    const r = await guidedGradCam(model, x, { layer: "conv3" });
    const [g, h, gg] = await Promise.all([r.gradients.data(), r.cam.heatmap.data(), r.guided.data()]);
    const expected = Array.from(g).map((v, i) => v * h[Math.floor(i / 3)]);
    assert.ok(ref.maxRelErr(Array.from(gg), expected) <= 1e-6);
    r.dispose();
    assert.equal(tf.memory().numTensors, n0);
    model.dispose();
  });
});

describe("cam() on sequence models ([batch, time, channels] maps)", () => {
  before(async () => {
    await ensureBackend();
  });

  const seqModel = () => tf.sequential({
    name: "small_seq1d",
    layers: [
      tf.layers.conv1d({ inputShape: [20, 2], filters: 4, kernelSize: 3, padding: "same", activation: "relu", kernelInitializer: tf.initializers.glorotUniform({ seed: 51 }), name: "c1" }),
      tf.layers.conv1d({ filters: 5, kernelSize: 3, padding: "same", kernelInitializer: tf.initializers.glorotUniform({ seed: 52 }), name: "c2" }),
      tf.layers.reLU({ name: "r2" }),
      tf.layers.globalAveragePooling1d({ name: "gap" }),
      tf.layers.dense({ units: 3, kernelInitializer: tf.initializers.glorotUniform({ seed: 53 }), name: "logits" }),
    ],
  }) as tf.Sequential;

  it("Grad-CAM over time equals the 1-D formula (weights = mean over time of the gradients)", async () => {
    const model = seqModel();
    const x = tf.randomNormal([2, 20, 2], 0, 1, "float32", 9);
    const { head, tail } = splitSequential(model, "r2");
    const a = head.predict(x) as tf.Tensor3D;
    const top = tf.tidy(() => tf.argMax(tail(a), 1));
    const classes = Array.from(await top.data());
    top.dispose();
    const g = tf.grad((aa: tf.Tensor) => tf.sum(pick(tail(aa), classes)))(a);
    const A = (await a.array()) as number[][][], G = (await g.array()) as number[][][];
    a.dispose();
    g.dispose();
    const n0 = tf.memory().numTensors;
    const r = await cam(model, x);
    assert.deepEqual(r.layers, ["r2"], "default layer: the last [batch, time, channels] output");
    assert.deepEqual(r.raw.shape, [2, 1, 20]);
    assert.deepEqual(r.heatmap.shape, [2, 1, 20]);
    const raw = (await r.raw.array()) as number[][][];
    for (let b = 0; b < 2; b++) {
      const w = A[b][0].map((_, k) => G[b].reduce((s, row) => s + row[k], 0) / 20);
      const want = A[b].map((row) => Math.max(0, row.reduce((s, v, k) => s + v * w[k], 0)));
      assert.ok(ref.maxRelErr(raw[b][0], want) < 1e-5, `series ${b}`);
    }
    assert.deepEqual(r.targets, classes);
    r.dispose();
    assert.equal(tf.memory().numTensors, n0);
    x.dispose();
  });

  it("every method runs on a 1-D layer and leaves no tensors; a [time, features] input gets a batch axis", async () => {
    const model = seqModel();
    const x = tf.randomNormal([20, 2], 0, 1, "float32", 10);
    for (const method of Object.keys(CAM_METHODS)) {
      await expectLeakFree(async () => {
        const r = await cam(model, x, { method: method as never, layer: "c1", batchSize: 3 });
        assert.deepEqual(r.heatmap.shape, [1, 1, 20], method);
        const v = await r.heatmap.data();
        assert.ok(v.every((u) => Number.isFinite(u) && u >= 0 && u <= 1), method);
        r.dispose();
      });
    }
    await assert.rejects(cam(model, tf.zeros([1, 1, 20, 2])), /input has shape \[1, 1, 20, 2\] \(rank 4\) but this model takes \[batch, 20, 2\]/);
    x.dispose();
  });
});
