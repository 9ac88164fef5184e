// Teaching models trained here (wasm: needs the registered backprop kernels): a shapes
// classifier whose Grad-CAM must win the pointing game, and the tiny MNIST CNN.
import { before, describe, it } from "node:test";
import * as assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { Cancelled, ensureBackend, runWork, type Progress } from "../../src/engine";
import { cam } from "../../src/cam";
import { accuracy, buildMnistCnn, buildShapesClassifier, trainClassifier } from "../../src/models";
import { loadMnist, makeShapes } from "../../src/data";
import { deletionCurve, pointingGame } from "../../src/metrics";

describe("teaching models", () => {
  before(async () => {
    await ensureBackend();
  });

  it("shapes classifier: accurate, and its Grad-CAM wins the pointing game on ≥ 90% of images", async () => {
    const train = makeShapes({ count: 600, seed: 1 });
    const test = makeShapes({ count: 200, seed: 2 });
    const model = buildShapesClassifier();
    const history = await trainClassifier(model, train.images, train.labels, { epochs: 16, learningRate: 0.01 });
    assert.ok(history.loss[history.loss.length - 1] < history.loss[0], "training lowers the loss");
    const acc = await accuracy(model, test.images, test.labels);
    assert.ok(acc >= 0.9, `test accuracy ${acc}`);
    const n0 = tf.memory().numTensors;
    const r = await cam(model, test.images, { layer: "last_conv", target: test.classes });
    // The pointing game's 15 px tolerance at 224 px is 2 px at 32 px.
    const pg = await pointingGame(r.heatmap, test.masks, { tolerance: 2 });
    assert.ok(pg.accuracy >= 0.9, `pointing game ${pg.accuracy}`);
    // Faithfulness sanity: deleting Grad-CAM's pixels first hurts more than deleting in reverse order.
    const sub = tf.slice(test.images, [0, 0, 0, 0], [40, -1, -1, -1]);
    const heat = tf.slice(r.heatmap, [0, 0, 0], [40, -1, -1]);
    const reversed = tf.sub(1, heat);
    const del = await deletionCurve(model, sub, heat, { target: test.classes.slice(0, 40), steps: 8 });
    const delReversed = await deletionCurve(model, sub, reversed, { target: test.classes.slice(0, 40), steps: 8 });
    assert.ok(del.mean < delReversed.mean, `deletion AUC ${del.mean} vs reversed ${delReversed.mean}`);
    for (const t of [sub, heat, reversed]) t.dispose();
    r.dispose();
    assert.equal(tf.memory().numTensors, n0);
    train.dispose();
    test.dispose();
    model.dispose();
  });

  it("MNIST CNN learns digits in one epoch on 3000 images", async () => {
    const d = loadMnist({ train: 3000, test: 500 });
    const model = buildMnistCnn();
    await trainClassifier(model, d.train.images, d.train.labels, { epochs: 1 });
    const acc = await accuracy(model, d.test.images, d.test.labels);
    assert.ok(acc > 0.85, `MNIST test accuracy ${acc}`);
    const r = await cam(model, tf.slice(d.test.images, [0, 0, 0, 0], [4, -1, -1, -1]));
    assert.equal(r.layers[0], "pool2", "the last layer with a spatial output");
    assert.deepEqual(r.heatmap.shape, [4, 28, 28]);
    r.dispose();
    d.dispose();
    model.dispose();
  });

  it("trainClassifier reports progress per batch and stops at the batch running when cancelled", async () => {
    const data = makeShapes({ count: 64, seed: 3 });
    const model = buildShapesClassifier();
    const controller = new AbortController();
    const reports: Progress[] = [];
    await assert.rejects(
      runWork({ signal: controller.signal, progressIntervalMs: 0, onProgress: (p) => {
        reports.push(p);
        if (p.done === 2) controller.abort();
      } }, () => trainClassifier(model, data.images, data.labels, { epochs: 3, batchSize: 16 })),
      (e: unknown) => e instanceof Cancelled && /trainClassifier: batches \(2 of 12 done\)/.test((e as Error).message),
    );
    assert.deepEqual(reports.map((p) => p.done), [1, 2]);
    assert.ok(reports.every((p) => p.total === 12));
    // A cancelled cell never starts the synchronous loaders either.
    assert.throws(() => runWork({ signal: controller.signal }, () => makeShapes({ count: 8 })), /interrupted during makeShapes \(0 of 8 images made\)/);
    const out = model.predict(data.images) as tf.Tensor;
    assert.deepEqual(out.shape, [64, 3]);
    out.dispose();
    data.dispose();
    model.dispose();
  });
});
