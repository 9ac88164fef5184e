// The sanity checks of Adebayo et al. 2018 on real models: which layers the cascade randomises and
// in which order (read from the copy's weights at every step), the user's model left bitwise
// unchanged (also when the explainer throws), the known outcomes (Grad-CAM decorrelates; a map
// that ignores the model stays at similarity 1), label randomisation on a teaching model.
import { before, describe, it } from "node:test";
import * as assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { ensureBackend } from "../../src/engine";
import { cam } from "../../src/cam";
import { buildShapesClassifier } from "../../src/models";
import { makeShapes } from "../../src/data";
import { labelRandomization, mapSimilarity, parameterRandomization } from "../../src/metrics";
import { randomImages, rejectsBeforeKernels, smallSequential } from "../engine/fixtures";
import { sameBytes, weightBytes } from "./weights";

/** Names of the layers of `copy` whose trainable weights differ from `original`'s. */
async function changedLayers(copy: tf.LayersModel, original: Map<string, Uint8Array[]>): Promise<string[]> {
  const now = await weightBytes(copy);
  return [...now.keys()].filter((k) => !sameBytes(new Map([[k, now.get(k)!]]), new Map([[k, original.get(k)!]])));
}

describe("parameter randomisation (Adebayo et al. 2018, Sec. 3.1)", () => {
  before(async () => {
    await ensureBackend();
  });

  for (const mode of ["cascading", "independent"] as const) {
    it(`${mode}: randomises exactly the layers it reports, in that order, on a copy`, async () => {
      const model = smallSequential(4, 12);
      const x = randomImages(2, 12, 3);
      const original = await weightBytes(model);
      const seen: string[][] = [];
      const n0 = tf.memory().numTensors;
      const r = await parameterRandomization(model, x, {
        mode,
        explain: async (m, input) => {
          assert.notEqual(m, model, "the explainer gets the copy, never the user's model");
          seen.push(await changedLayers(m, original));
          return tf.tidy(() => tf.mean(input, -1));
        },
      });
      assert.equal(tf.memory().numTensors, n0);
      assert.deepEqual(r.layers, ["logits", "conv3", "conv2", "conv1"], "every layer with trainable weights, from the output down");
      assert.deepEqual(r.steps.map((s) => s.layer), r.layers);
      const expected = mode === "cascading"
        ? [[], ["logits"], ["logits", "conv3"], ["logits", "conv3", "conv2"], ["logits", "conv3", "conv2", "conv1"]]
        : [[], ["logits"], ["conv3"], ["conv2"], ["conv1"]];
      assert.deepEqual(seen.map((s) => [...s].sort()), expected.map((s) => [...s].sort()));
      assert.ok(sameBytes(await weightBytes(model), original), "the user's model is bitwise unchanged");
      x.dispose();
      model.dispose();
    });
  }

  it("an explicit list is followed in its order; a map that ignores the model stays at similarity 1", async () => {
    const model = smallSequential(4, 12);
    const x = randomImages(2, 12, 4);
    const r = await parameterRandomization(model, x, { layers: ["conv1", "logits"], explain: (_m, input) => tf.tidy(() => tf.max(input, -1)) });
    assert.deepEqual(r.steps.map((s) => s.layer), ["conv1", "logits"]);
    for (const s of r.steps) for (const v of [...s.spearman, ...s.spearmanAbs, ...s.ssim]) assert.ok(Math.abs(v - 1) < 1e-6, `similarity ${v}`);
    x.dispose();
    model.dispose();
  });

  it("Grad-CAM decorrelates as the cascade goes down; maps are kept on request and freed by dispose()", async () => {
    const model = smallSequential(4, 12);
    const x = randomImages(3, 12, 5);
    const original = await weightBytes(model);
    const n0 = tf.memory().numTensors;
    const r = await parameterRandomization(model, x, { explain: { cam: { method: "gradcam", layer: "conv2" } }, keepMaps: true });
    assert.equal(r.maps.length, 5, "the trained model's maps, then one per step");
    // The kept maps are what the similarities were computed from.
    const again = await mapSimilarity(r.maps[0], r.maps[4]);
    again.spearman.forEach((v, i) => assert.ok(Math.abs(v - r.steps[3].spearman[i]) < 1e-6));
    // The trained model's map is the user's model's Grad-CAM (the copy computes the same).
    const ref = await cam(model, x, { method: "gradcam", layer: "conv2" });
    const [a, b] = await Promise.all([ref.heatmap.data(), r.maps[0].data()]);
    ref.dispose();
    a.forEach((v, i) => assert.ok(Math.abs(v - b[i]) < 1e-6));
    r.dispose();
    r.dispose();
    assert.equal(tf.memory().numTensors, n0);
    const last = r.steps[r.steps.length - 1].mean;
    assert.ok(last.spearman < 0.5, `after every layer is randomised the map is unrelated: mean Spearman ${last.spearman}`);
    assert.ok(r.steps[0].mean.spearman > last.spearman, `${r.steps.map((s) => s.mean.spearman.toFixed(2))}`);
    assert.ok(sameBytes(await weightBytes(model), original));
    x.dispose();
    model.dispose();
  });

  it("an explainer that throws mid-way: the error comes through, nothing leaks, the model is unchanged", async () => {
    const model = smallSequential(4, 12);
    const x = randomImages(1, 12, 6);
    const original = await weightBytes(model);
    const n0 = tf.memory().numTensors;
    let calls = 0;
    await assert.rejects(parameterRandomization(model, x, { explain: (_m, input) => {
      if (++calls === 3) throw new Error("explainer broke");
      return tf.tidy(() => tf.mean(input, -1));
    } }), /explainer broke/);
    assert.equal(tf.memory().numTensors, n0);
    await assert.rejects(parameterRandomization(model, x, { explain: () => tf.zeros([1, 12]) }), /the explainer's result must be \[batch, height, width\]/);
    assert.equal(tf.memory().numTensors, n0);
    assert.ok(sameBytes(await weightBytes(model), original));
    x.dispose();
    model.dispose();
  });

  it("bad arguments are named before any kernel runs", async () => {
    const model = smallSequential(4, 12);
    const x = randomImages(1, 12, 6);
    const explain = { cam: {} };
    const cases: [() => Promise<unknown>, RegExp][] = [
      [() => parameterRandomization(model, x, { explain, layers: ["conv9"] }), /model "small_seq" has no layer "conv9"; closest layers with trainable weights: conv1, conv2, conv3/],
      [() => parameterRandomization(model, x, { explain, layers: ["gap"] }), /layer "gap" has no trainable weights to randomise \(GlobalAveragePooling2D\)/],
      [() => parameterRandomization(model, x, { explain, layers: ["conv1", "conv1"] }), /listed twice/],
      [() => parameterRandomization(model, x, { explain, layers: [] }), /layers must be a non-empty list/],
      [() => parameterRandomization(model, x, { explain, mode: "top-down" as "cascading" }), /mode must be "cascading".*got "top-down"/],
      [() => parameterRandomization(model, x, { explain: 3 as unknown as typeof explain }), /explain must be \{ cam/],
      [() => parameterRandomization({} as tf.LayersModel, x, { explain }), /expected a tf.LayersModel/],
    ];
    for (const [run, pattern] of cases) await rejectsBeforeKernels(run, pattern);
    x.dispose();
    model.dispose();
  });
});

describe("label randomisation (Adebayo et al. 2018, Sec. 3.2)", () => {
  it("a shapes classifier trained on shuffled labels: its Grad-CAMs differ from the trained one's; both models freed", async () => {
    await ensureBackend();
    const data = makeShapes({ count: 96, size: 16, seed: 3 });
    const x = data.images.slice([0, 0, 0, 0], [4, -1, -1, -1]);
    const n0 = tf.memory().numTensors;
    const r = await labelRandomization(() => buildShapesClassifier({ size: 16, seed: 2 }), data.images, data.labels, x, {
      explain: { cam: { method: "gradcam", layer: "last_conv" } },
      train: { epochs: 12, learningRate: 0.01 },
      keepMaps: true,
    });
    assert.equal(r.maps.length, 2);
    const direct = await mapSimilarity(r.maps[0], r.maps[1]);
    assert.deepEqual(direct.spearman.map((v) => v.toFixed(5)), r.similarity.spearman.map((v) => v.toFixed(5)));
    r.dispose();
    assert.equal(tf.memory().numTensors, n0, "both trained models and their optimizers are freed");
    assert.ok(r.accuracy.trained > r.accuracy.randomized, `true labels are learnt faster than shuffled ones: ${JSON.stringify(r.accuracy)}`);
    assert.ok(r.similarity.mean.spearman < 0.9, `maps of a model that learnt nothing real differ: ${r.similarity.mean.spearman}`);
    x.dispose();
    data.dispose();
  });

  it("bad arguments are named before training starts", async () => {
    const images = tf.zeros([4, 16, 16, 3]) as tf.Tensor4D, labels = tf.zeros([3], "int32") as tf.Tensor1D;
    await assert.rejects(labelRandomization(() => buildShapesClassifier({ size: 16 }), images, labels, images, { explain: { cam: {} } }), /labels must be one class per training image, \[4\], got shape \[3\]/);
    await assert.rejects(labelRandomization("model" as unknown as () => tf.LayersModel, images, labels, images, { explain: { cam: {} } }), /build must be a function/);
    tf.dispose([images, labels]);
  });
});
