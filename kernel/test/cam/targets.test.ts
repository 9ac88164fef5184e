// Targets as an open vocabulary (engine/targets.ts): each against its formula on host numbers,
// through cam() (a segmentation model) and the metrics (a target function), errors, no leaks.
import { before, describe, it } from "node:test";
import * as assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { binaryScore, detectionTarget, ensureBackend, rawOutput, segmentationTarget, softmaxProbability } from "../../src/engine";
import { cam } from "../../src/cam";
import { deletionCurve } from "../../src/metrics";
import { randomImages, seeded, smallSequential } from "../engine/fixtures";
import * as ref from "./reference";

async function values(f: () => tf.Tensor): Promise<number[]> {
  const t = tf.tidy(f);
  const v = Array.from(await t.data());
  t.dispose();
  return v;
}

describe("targets", () => {
  before(async () => {
    await ensureBackend();
  });

  it("binaryScore and rawOutput: the output, its negation, one flat element or the sum", async () => {
    const out = tf.tensor2d([[0.7], [-1.5]]);
    assert.deepEqual(await values(() => binaryScore()(out)), [0.699999988079071, -1.5]);
    assert.deepEqual(await values(() => binaryScore(false)(out)), [-0.699999988079071, 1.5]);
    assert.throws(() => binaryScore()(tf.zeros([2, 3])), /needs a binary classifier's output \[batch, 1\] or \[batch\], got shape \[2, 3\]/);
    const many = tf.tensor3d([[[1, 2], [3, 4]], [[5, 6], [7, 8]]]);
    assert.deepEqual(await values(() => rawOutput()(many)), [10, 26]);
    assert.deepEqual(await values(() => rawOutput(2)(many)), [3, 7]);
    assert.throws(() => rawOutput(4)(many), /index 4 is out of range; each image's output has 4 values/);
    assert.throws(() => rawOutput(-1), /index must be a non-negative integer/);
    tf.dispose([out, many]);
  });

  it("segmentationTarget: Σ_ij y^c_ij · M_ij, and Grad-CAM of a per-pixel classifier for it matches a split reference", async () => {
    const size = 8, k = 3, cls = 2;
    const model = tf.sequential({
      layers: [
        tf.layers.conv2d({ inputShape: [size, size, 3], filters: 5, kernelSize: 3, padding: "same", activation: "relu", kernelInitializer: seeded(51), name: "features" }),
        tf.layers.conv2d({ filters: k, kernelSize: 1, kernelInitializer: seeded(52), name: "per_pixel" }),
      ],
    });
    const x = randomImages(2, size, 31);
    const mask = Array.from({ length: size }, (_, i) => Array.from({ length: size }, (_, j) => (i >= 2 && i < 6 && j >= 3 ? 1 : 0)));
    const target = segmentationTarget(cls, mask);
    const out = (await (model.predict(x) as tf.Tensor).array()) as number[][][][];
    const expectedScores = out.map((img) => img.reduce((s, row, i) => s + row.reduce((t, px, j) => t + px[cls] * mask[i][j], 0), 0));
    const n0 = tf.memory().numTensors;
    const r = await cam(model, x, { layer: "features", target });
    assert.deepEqual(r.targets, [null, null]);
    assert.deepEqual(r.predictions, [[], []], "no top-k for a segmentation output");
    assert.ok(ref.maxRelErr(r.scores, expectedScores) <= 1e-5);
    // Grad-CAM reference: A from the features layer, dS/dA through the 1×1 head, weights and map on the host.
    const head = tf.model({ inputs: model.inputs, outputs: model.getLayer("features").output as tf.SymbolicTensor });
    const a = head.predict(x) as tf.Tensor;
    const m = tf.tensor2d(mask);
    const g = tf.tidy(() => tf.grad((aa: tf.Tensor) => tf.sum(tf.mul(tf.squeeze(tf.slice(model.getLayer("per_pixel").apply(aa) as tf.Tensor, [0, 0, 0, cls], [-1, -1, -1, 1]), [3]), m)))(a));
    const A = (await a.array()) as ref.Img[], G = (await g.array()) as ref.Img[];
    tf.dispose([a, g, m]);
    const raw = (await r.raw.array()) as number[][][];
    for (let b = 0; b < 2; b++) assert.ok(ref.maxRelErr(raw[b], ref.relu2d(ref.weightedMap(A[b], ref.gradCamWeights(G[b])))) <= 1e-5);
    r.dispose();
    assert.equal(tf.memory().numTensors, n0);
    await assert.rejects(cam(model, x, { layer: "features", target: segmentationTarget(cls, [[1, 0], [0, 1]]) }), /mask is \[2, 2\] but the output's maps are \[8, 8\]/);
    await assert.rejects(cam(model, x, { layer: "features", target: segmentationTarget(3, mask) }), /class index 3 is out of range; the output has 3 classes/);
    assert.equal(tf.memory().numTensors, n0);
    assert.throws(() => segmentationTarget(0, [[1, 0], [1]]), /mask must be \[height, width\]/);
    x.dispose();
    model.dispose();
  });

  it("detectionTarget: the score of the box of best IoU with the reference, 0 below the threshold; the gradient reaches that score only", async () => {
    // [1 image, 3 boxes, x1 y1 x2 y2 + 2 class scores]
    const rows = [
      [0, 0, 10, 10, 0.9, 0.1],
      [4, 4, 14, 14, 0.2, 0.7],
      [20, 20, 30, 30, 0.5, 0.5],
    ];
    const out = tf.tensor3d([rows]);
    const iou = (p: number[], q: number[]) => {
      const iw = Math.max(0, Math.min(p[2], q[2]) - Math.max(p[0], q[0])), ih = Math.max(0, Math.min(p[3], q[3]) - Math.max(p[1], q[1]));
      const inter = iw * ih;
      return inter / ((p[2] - p[0]) * (p[3] - p[1]) + (q[2] - q[0]) * (q[3] - q[1]) - inter);
    };
    const box: [number, number, number, number] = [5, 5, 14, 15];
    const ious = rows.map((r) => iou(r, box));
    const best = ious.indexOf(Math.max(...ious));
    assert.equal(best, 1);
    assert.ok(Math.abs((await values(() => detectionTarget(box, { classIndex: 1 })(out)))[0] - rows[best][5]) < 1e-6);
    assert.ok(Math.abs((await values(() => detectionTarget(box)(out)))[0] - Math.max(rows[best][4], rows[best][5])) < 1e-6);
    assert.deepEqual(await values(() => detectionTarget(box, { iouThreshold: 0.9 })(out)), [0]);
    const g = await values(() => tf.grad((o: tf.Tensor) => tf.sum(detectionTarget(box, { classIndex: 0 })(o)))(out));
    assert.deepEqual(g, rows.flatMap((r, n) => r.map((_, j) => (n === best && j === 4 ? 1 : 0))));
    assert.throws(() => detectionTarget([5, 5, 4, 15]), /box must be \[x1, y1, x2, y2\] with x2 > x1/);
    assert.throws(() => detectionTarget(box, { iouThreshold: 2 }), /iouThreshold must be in \[0, 1\]/);
    assert.throws(() => detectionTarget(box)(tf.zeros([1, 3, 4])), /the default decoding needs an output \[batch, boxes, 4 \+ classes\]/);
    assert.throws(() => detectionTarget(box, { classIndex: 5 })(out), /classIndex 5 is out of range; the output has 2 class scores per box/);
    out.dispose();
  });

  it("the metrics take the same Target: softmaxProbability(c) scores as the class index c does; `outputs` with a function is refused", async () => {
    const model = smallSequential(4, 12);
    const x = randomImages(2, 12, 5);
    const heat = tf.randomUniform([2, 12, 12], 0, 1, "float32", 3);
    const byIndex = await deletionCurve(model, x, heat, { target: 2, steps: 4 });
    const n0 = tf.memory().numTensors;
    const byFn = await deletionCurve(model, x, heat, { target: softmaxProbability(2), steps: 4 });
    assert.equal(tf.memory().numTensors, n0);
    assert.deepEqual(byFn.classes, [null, null]);
    assert.deepEqual(byIndex.classes, [2, 2]);
    assert.ok(ref.maxRelErr(byFn.curves.flat(), byIndex.curves.flat()) <= 1e-6);
    await assert.rejects(deletionCurve(model, x, heat, { target: softmaxProbability(2), outputs: "probabilities" }), /`outputs` applies to class targets only/);
    assert.equal(tf.memory().numTensors, n0);
    tf.dispose([x, heat]);
    model.dispose();
  });
});
