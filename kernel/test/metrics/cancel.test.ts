// The evaluation metrics are cancellable and report progress (engine/work.ts): ROAD between images
// and inside the imputation solve, the sanity checks between layers and during training. An abort
// stops them with Cancelled, leaving no tensor behind and the user's model bitwise unchanged.
import { before, describe, it } from "node:test";
import * as assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { Cancelled, ensureBackend, runWork, type Progress } from "../../src/engine";
import { activeHookCount } from "../../src/hooks";
import { buildShapesClassifier } from "../../src/models";
import { makeShapes } from "../../src/data";
import { labelRandomization, parameterRandomization, road } from "../../src/metrics";
import { randomImages, smallSequential } from "../engine/fixtures";
import { sameBytes, weightBytes } from "./weights";

describe("cancellable, progress-reporting evaluation", () => {
  before(async () => {
    await ensureBackend();
  });

  it("road: progress per image; abort after the first image → Cancelled, no leak", async () => {
    const model = smallSequential(4, 12);
    const x = randomImages(3, 12, 7);
    const heat = tf.randomUniform([3, 12, 12], 0, 1, "float32", 8);
    const reports: Progress[] = [];
    const ok = await runWork({ progressIntervalMs: 0, onProgress: (p) => reports.push(p) }, () => road(model, x, heat, { percentiles: [20, 60] }));
    assert.equal(ok.morf.curves.length, 3);
    assert.deepEqual(reports.map((p) => p.done), [0, 1, 2, 3]);
    assert.ok(reports.every((p) => p.label === "road: images" && p.total === 3));
    const n0 = tf.memory().numTensors;
    const controller = new AbortController();
    await assert.rejects(
      runWork({ signal: controller.signal, progressIntervalMs: 0, onProgress: (p) => void (p.done === 1 && controller.abort()) }, () => road(model, x, heat)),
      (e: unknown) => e instanceof Cancelled && /road: images \(1 of 3 done\)/.test((e as Error).message),
    );
    assert.equal(tf.memory().numTensors, n0);
    tf.dispose([x, heat]);
    model.dispose();
  });

  it("road: an abort during the imputation stops the solve itself", async () => {
    const model = smallSequential(4, 12);
    const x = randomImages(1, 12, 9);
    const heat = tf.randomUniform([1, 12, 12], 0, 1, "float32", 10);
    const n0 = tf.memory().numTensors;
    const controller = new AbortController();
    // Aborted from the start: the first checkpoint of the solve (after the first residual read) throws.
    controller.abort();
    await assert.rejects(
      runWork({ signal: controller.signal }, () => road(model, x, heat, { tolerance: 1e-9 })),
      (e: unknown) => e instanceof Cancelled && /road: images \(0 of 1 done\)/.test((e as Error).message),
    );
    assert.equal(tf.memory().numTensors, n0);
    // Let the first checkpoint (progress 0 of 1) pass, then abort: the next turn of the event loop
    // is the solve's first checkpoint.
    const c2 = new AbortController();
    await assert.rejects(
      runWork({ signal: c2.signal, progressIntervalMs: 0, onProgress: () => setImmediate(() => setImmediate(() => c2.abort())) }, () => road(model, x, heat, { tolerance: 1e-9, maxIterations: 10000 })),
      (e: unknown) => e instanceof Cancelled && /road: imputation of image 1 of 1/.test((e as Error).message),
    );
    assert.equal(tf.memory().numTensors, n0);
    tf.dispose([x, heat]);
    model.dispose();
  });

  it("parameterRandomization: abort after the first layer → Cancelled, no leak, no hook, the user's model bitwise unchanged", async () => {
    const model = smallSequential(4, 12);
    const x = randomImages(2, 12, 5);
    const original = await weightBytes(model);
    const n0 = tf.memory().numTensors;
    const controller = new AbortController();
    const reports: Progress[] = [];
    await assert.rejects(
      runWork({ signal: controller.signal, progressIntervalMs: 0, onProgress: (p) => {
        reports.push(p);
        if (p.done === 1) controller.abort();
      } }, () => parameterRandomization(model, x, { explain: { cam: { method: "gradcam", layer: "conv2" } } })),
      (e: unknown) => e instanceof Cancelled && /parameterRandomization: layers \(1 of 4 done\)/.test((e as Error).message),
    );
    assert.deepEqual(reports.filter((p) => p.label === "parameterRandomization: layers").map((p) => p.done), [0, 1]);
    assert.equal(tf.memory().numTensors, n0);
    assert.equal(activeHookCount(), 0);
    assert.ok(sameBytes(await weightBytes(model), original));
    x.dispose();
    model.dispose();
  });

  it("labelRandomization: an abort during training → Cancelled, both models freed", async () => {
    const data = makeShapes({ count: 64, size: 16, seed: 4 });
    const n0 = tf.memory().numTensors;
    const controller = new AbortController();
    await assert.rejects(
      runWork({ signal: controller.signal, progressIntervalMs: 0, onProgress: (p) => void (p.label === "trainClassifier: batches" && p.done === 2 && controller.abort()) },
        () => labelRandomization(() => buildShapesClassifier({ size: 16 }), data.images, data.labels, data.images, { explain: { cam: {} }, train: { epochs: 3, batchSize: 16 } })),
      (e: unknown) => e instanceof Cancelled && /trainClassifier: batches/.test((e as Error).message),
    );
    assert.equal(tf.memory().numTensors, n0);
    data.dispose();
  });
});
