// The lower-level entry beneath cam(): camLayers() gives each layer's raw map at the layer's own
// resolution, with the same methods and targets, and reads nothing back; a plan (planCam) is the
// method and layers resolved once, reused for other classes without another check.
import { after, before, describe, it } from "node:test";
import * as assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { countReads, ensureBackend } from "../../src/engine";
import { cam, camLayers, planCam, type CamPlan } from "../../src/cam";
import { planForTarget } from "../../src/cam/plan";
import { randomImages, smallSequential, splitSequential } from "../engine/fixtures";
import * as ref from "./reference";

const SIZE = 12;

describe("camLayers: raw per-layer maps, no upsampling, no reads", () => {
  let model: tf.Sequential;
  let x: tf.Tensor4D;

  before(async () => {
    await ensureBackend();
    model = smallSequential(4, SIZE);
    x = randomImages(1, SIZE, 5);
  });
  after(() => {
    x.dispose();
    model.dispose();
  });

  it("its raw Grad-CAM map equals ReLU(Σ_k mean(∂y_c/∂A_k)·A_k) computed here, at the layer's resolution", async () => {
    const cls = 2;
    const { head, tail } = splitSequential(model, "conv3");
    const a = head.predict(x) as tf.Tensor4D;
    const g = tf.tidy(() => tf.grad((aa: tf.Tensor) => tf.sum(tf.slice(tail(aa), [0, cls], [1, 1])))(a));
    const A = ((await a.array()) as ref.Img[])[0];
    const G = ((await g.array()) as ref.Img[])[0];
    a.dispose();
    g.dispose();
    const expected = ref.relu2d(ref.weightedMap(A, ref.gradCamWeights(G)));

    const maps = await camLayers(model, x, { method: "gradcam", layer: "conv3", target: cls });
    try {
      const raw = maps.perLayer[0].raw;
      assert.deepEqual(raw.shape, [1, A.length, A[0].length], "the map stays at conv3's resolution, not the input's");
      const got = ((await raw.array()) as number[][][])[0];
      const scale = Math.max(...expected.flat().map(Math.abs), 1e-12);
      for (let i = 0; i < expected.length; i++) {
        for (let j = 0; j < expected[0].length; j++) assert.ok(Math.abs(got[i][j] - expected[i][j]) / scale < 1e-5, `(${i},${j}): ${got[i][j]} vs ${expected[i][j]}`);
      }
      assert.deepEqual(Array.from(await maps.classes!.data()), [cls]);
    } finally {
      maps.dispose();
    }
  });

  it("reads no model output and no predictions; cam() reads the output for its top-k", async () => {
    const classes = 4;
    const low = countReads();
    const maps = await camLayers(model, x, { layer: "conv3", target: 1 });
    low.stop();
    maps.dispose();
    // The output's read is the only one with `classes` values (topK reads the whole [batch, classes]).
    const readsOutput = (c: { reads: readonly { shape: number[] }[] }) => c.reads.some((r) => r.shape.reduce((p, d) => p * d, 1) === classes);
    assert.equal(readsOutput(low), false, `camLayers read: ${low.describe()}`);
    assert.ok(low.bytes <= 16, `camLayers reads at most the input check's flag, read ${low.bytes} B: ${low.describe()}`);

    const high = countReads();
    const r = await cam(model, x, { layer: "conv3", target: 1 });
    high.stop();
    r.dispose();
    assert.ok(readsOutput(high), `cam() reads the output for predictions: ${high.describe()}`);
  });

  it("leaves no tensors behind, when it returns and when it throws", async () => {
    const before = tf.memory().numTensors;
    const maps = await camLayers(model, x, { method: "gradcampp", layer: ["conv2", "conv3"] });
    assert.equal(maps.perLayer.length, 2);
    maps.dispose();
    maps.dispose(); // idempotent
    assert.equal(tf.memory().numTensors, before);
    const wrong = tf.zeros([1, SIZE + 1, SIZE, 3]);
    await assert.rejects(camLayers(model, wrong, { layer: "conv3" }), /shape|size/i);
    wrong.dispose();
    assert.equal(tf.memory().numTensors, before);
  });
});

describe("planCam: method and layers resolved once, before any kernel runs", () => {
  let model: tf.Sequential;
  let x: tf.Tensor4D;

  before(async () => {
    await ensureBackend();
    model = smallSequential(4, SIZE);
    x = randomImages(1, SIZE, 9);
  });
  after(() => {
    x.dispose();
    model.dispose();
  });

  it("a bad method, layer or batch size fails at planning, naming the caller and what would be right, with no tensor made", () => {
    const before = tf.memory().numTensors;
    assert.throws(() => planCam(model, { method: "magic" as never }, "cam.compute"), /^Error: cam.compute: unknown method "magic"; use one of gradcam, gradcampp/);
    assert.throws(() => planCam(model, { layer: "conv_3" }), /conv_3[\s\S]*conv3/);
    assert.throws(() => planCam(model, { layer: "gap" }), /outputs shape \[batch, \d+\] \(rank 2\); a CAM needs a spatial map/);
    assert.throws(() => planCam(model, { batchSize: 0 }), /batchSize must be a positive integer, got 0/);
    assert.throws(() => planCam(model, { method: "gradcam", channels: 4 }), /applies to method "scorecam" only/);
    assert.equal(tf.memory().numTensors, before);
  });

  it("resolves names as cam() does ('Grad-CAM++' → gradcampp) and defaults to the last spatial layer", () => {
    const plan = planCam(model, { method: "Grad-CAM++" as never });
    assert.equal(plan.method.name, "gradcampp");
    assert.deepEqual(plan.layers, ["conv3"]);
    assert.ok(Object.isFrozen(plan));
  });

  it("one plan serves every class: planForTarget's map for class c equals a fresh cam() for class c", async () => {
    const plan: CamPlan = planCam(model, { method: "gradcam", layer: "conv3", target: 0 });
    for (const c of [0, 1, 3]) {
      const viaPlan = await camLayers(model, x, planForTarget(plan, c));
      const fresh = await cam(model, x, { method: "gradcam", layer: "conv3", target: c });
      try {
        const [p, f] = await Promise.all([viaPlan.perLayer[0].raw.data(), fresh.raw.data()]);
        assert.deepEqual(Array.from(p), Array.from(f), `class ${c}`);
        assert.deepEqual(fresh.targets, [c]);
      } finally {
        viaPlan.dispose();
        fresh.dispose();
      }
    }
    assert.throws(() => planForTarget({ ...plan } as CamPlan, 1), /expected a plan made by planCam\(\)/);
  });
});
