// The input contract: every bad input is refused with a message naming what was given, what the
// model takes and the fix, before the model runs, leaving tf.memory() as it was.
import { after, before, describe, it } from "node:test";
import * as assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { checkInputShape, checkModelInput, ensureBackend, MAX_INPUT_BYTES } from "../../src/engine";
import { cam, guidedBackprop } from "../../src/cam";
import { gradientHealth, FeatureExtractor } from "../../src/hooks";
import { deletionCurve, confidenceChange } from "../../src/metrics";
import { loadMobileNetV2, type PretrainedModel } from "../../src/models";
import { activationsView, heatmapView, layersView } from "../../src/views";
import { currentSession } from "../../src/session";
import { countRuns, smallSequential } from "./fixtures";


/** A tensor-shaped stand-in for shapes too big to allocate: the shape check reads only shape/dtype. */
function fakeTensor(shape: number[], dtype: tf.DataType = "float32"): tf.Tensor {
  const t = Object.create(tf.Tensor.prototype) as tf.Tensor & { isDisposedInternal: boolean };
  Object.assign(t, { shape, dtype, size: shape.reduce((a, b) => a * b, 1), isDisposedInternal: false });
  return t;
}

describe("input contract (engine/inputContract.ts)", () => {
  let net: PretrainedModel<tf.LayersModel>;
  before(async () => {
    await ensureBackend();
    net = await loadMobileNetV2();
  });
  after(() => net.model.dispose());

  it("the four inputs of issue 11 on MobileNetV2: clear errors, no model run, no tensors left", async () => {
    const cases: [string, () => tf.Tensor, RegExp][] = [
      ["zeros 100×100", () => tf.zeros([1, 100, 100, 3]),
        /camlab\.cam: input has shape \[1, 100, 100, 3\] but this model takes \[batch, 224, 224, 3\]; resize with tf\.image\.resizeBilinear\(x, \[224, 224\]\) or use net\.preprocess\(img\)$/],
      ["raw 2000×2000 image", () => tf.fill([2000, 2000, 3], 128, "int32"),
        /camlab\.cam: input has shape \[1, 2000, 2000, 3\] \(given as \[2000, 2000, 3\]\) but this model takes \[batch, 224, 224, 3\]; this looks like a raw 0–255 image \(int32, as loadImage gives\): use net\.preprocess\(img\)/],
      ["NaN", () => tf.fill([1, 224, 224, 3], NaN),
        /camlab\.cam: input has 150528 non-finite values \(NaN or ±Inf\) of 150528, the first at \[0, 0, 0, 0\]; the model takes finite numbers/],
      ["rank 3, wrong size", () => tf.zeros([100, 100, 3]),
        /camlab\.cam: input has shape \[1, 100, 100, 3\] \(given as \[100, 100, 3\]\) but this model takes \[batch, 224, 224, 3\]/],
      ["rank 2", () => tf.zeros([224, 224]),
        /input has shape \[224, 224\] \(rank 2\) but this model takes \[batch, 224, 224, 3\] \(rank 4, or 3 for one example\); a grey image \[h, w\] needs a channel axis too/],
      ["grey", () => tf.zeros([1, 224, 224, 1]), /takes \[batch, 224, 224, 3\]; repeat the grey channel: tf\.tile\(x, \[1, 1, 1, 3\]\)/],
      ["RGBA", () => tf.zeros([1, 224, 224, 4]), /drop the alpha channel/],
      ["empty batch", () => tf.zeros([0, 224, 224, 3]), /holds no values/],
    ];
    for (const [name, make, expected] of cases) {
      const x = make();
      const n0 = tf.memory().numTensors;
      const spy = countRuns(net.model);
      try {
        await assert.rejects(cam(net.model, x), expected, name);
        assert.equal(spy.runs, 0, `${name}: the model must not run`);
      } finally {
        spy.restore();
      }
      assert.equal(tf.memory().numTensors, n0, `${name}: tensors left`);
      x.dispose();
    }
  });

  it("a raw 0–255 image of the right size into MobileNetV2 (trained on ÷255) is refused with net.preprocess", async () => {
    const raw = tf.fill([224, 224, 3], 200, "int32");
    const n0 = tf.memory().numTensors;
    await assert.rejects(cam(net.model, raw), /camlab\.cam: input values span 200\.0 to 200\.0 but this model takes values in \[0, 1\]; this looks like a raw 0–255 image: use net\.preprocess\(img\), which divides 0–255 pixels by 255 and resizes to 224×224/);
    assert.equal(tf.memory().numTensors, n0);
    // The fix works, and noise around [0, 1] (augmentation) is not refused.
    const x = net.preprocess(raw as tf.Tensor3D);
    const noisy = tf.tidy(() => tf.add(x, tf.randomNormal(x.shape, 0, 0.1, "float32", 1)));
    for (const input of [x, noisy]) (await cam(net.model, input)).dispose();
    tf.dispose([x, noisy, raw]);
  });

  it("a single image gets the batch axis; int32 is cast; the same map as the float batch", async () => {
    const img = tf.randomUniform([224, 224, 3], 0, 1, "float32", 3);
    const batch = tf.expandDims(img, 0);
    const n0 = tf.memory().numTensors;
    const a = await cam(net.model, img, { target: 2 });
    const b = await cam(net.model, batch, { target: 2 });
    const [ra, rb] = [await a.raw.data(), await b.raw.data()];
    assert.deepEqual(Array.from(ra), Array.from(rb));
    a.dispose();
    b.dispose();
    assert.equal(tf.memory().numTensors, n0);
    const ints = tf.fill([8, 8, 3], 2, "int32");
    const x = checkInputShape(smallSequential(4, 8), ints, "test");
    assert.equal(x.dtype, "float32");
    assert.deepEqual(x.shape, [1, 8, 8, 3]);
    x.dispose();
    ints.dispose();
    img.dispose();
    batch.dispose();
  });

  it("one Inf: the count and the first position are right (vs a count on the host)", async () => {
    const values = new Float32Array(2 * 8 * 8 * 3).map((_, i) => i / 100);
    const bad = [2 * 8 * 3 + 5 * 3 + 1, 200, 300]; // [0, 2, 5, 1] first in row-major order
    values[bad[1]] = Infinity;
    values[bad[0]] = -Infinity;
    values[bad[2]] = NaN;
    const x = tf.tensor4d(values, [2, 8, 8, 3]);
    const model = smallSequential(4, 8);
    const n0 = tf.memory().numTensors;
    const hostCount = values.filter((v) => !Number.isFinite(v)).length;
    await assert.rejects(checkModelInput(model, x, "cam"), new RegExp(`input has ${hostCount} non-finite values \\(NaN or ±Inf\\) of ${values.length}, the first at \\[0, 2, 5, 1\\]`));
    // A value as large as float32 allows is finite: Σ x·0 does not overflow.
    const big = tf.fill([1, 8, 8, 3], 3e38);
    const ok = await checkModelInput(model, big, "cam");
    assert.equal(ok, big, "a float32 batch that fits is passed through as is");
    assert.equal(tf.memory().numTensors, n0 + 1);
    big.dispose();
    x.dispose();
    model.dispose();
  });

  it("every entry that runs a model refuses a NaN input before running it", async () => {
    const model = smallSequential(4, 12);
    const x = tf.fill([1, 12, 12, 3], NaN);
    const heat = tf.zeros([1, 12, 12]);
    const n0 = tf.memory().numTensors;
    const spy = countRuns(model);
    try {
      await assert.rejects(cam(model, x), /camlab\.cam: input has 432 non-finite/);
      await assert.rejects(cam(model, x, { method: "scorecam" }), /camlab\.cam: input has 432 non-finite/);
      await assert.rejects(guidedBackprop(model, x), /camlab\.guidedBackprop: input has 432 non-finite/);
      await assert.rejects(gradientHealth(model, x), /camlab\.gradientHealth: input has 432 non-finite/);
      await assert.rejects(deletionCurve(model, x, heat), /camlab\.deletionCurve: input has 432 non-finite/);
      await assert.rejects(confidenceChange(model, x, heat), /camlab\.confidenceChange: input has 432 non-finite/);
      // The views check before binding: nothing is left in the session.
      const handles = currentSession().stats().handles;
      await assert.rejects(heatmapView(model, x), /camlab\.heatmapView: input has 432 non-finite/);
      await assert.rejects(activationsView(model, x, "conv1"), /camlab\.activationsView: input has 432 non-finite/);
      await assert.rejects(layersView(model, x), /camlab\.layersView: input has 432 non-finite/);
      assert.equal(currentSession().stats().handles, handles);
      assert.equal(spy.runs, 0);
    } finally {
      spy.restore();
    }
    // Metrics take batches: a single image is refused with the fix.
    const single = tf.zeros([12, 12, 3]);
    await assert.rejects(deletionCurve(model, single, heat), /input has shape \[12, 12, 3\] \(rank 3\) but this model takes \[batch, 12, 12, 3\] \(rank 4\); add the batch axis: x\.expandDims\(0\)/);
    // FeatureExtractor.extract is synchronous: shape checked, values not (documented).
    const fx = new FeatureExtractor(model, "conv1");
    const narrow = tf.zeros([1, 10, 12, 3]);
    assert.throws(() => fx.extract(narrow), /FeatureExtractor\.extract: input has shape \[1, 10, 12, 3\] but this model takes \[batch, 12, 12, 3\]/);
    fx.dispose();
    narrow.dispose();
    single.dispose();
    assert.equal(tf.memory().numTensors, n0);
    x.dispose();
    heat.dispose();
    model.dispose();
  });

  it("a checked input is not read again; a Variable is checked every time (assign can put a NaN in it)", async () => {
    const model = smallSequential(4, 12);
    const x = tf.randomUniform([1, 12, 12, 3], 0, 1, "float32", 3);
    // Reads are what the check costs: count the backend's reads of x's data.
    const backend = tf.backend() as unknown as { read(dataId: object): Promise<unknown> };
    const read = backend.read.bind(backend);
    let reads = 0;
    backend.read = (dataId) => ((reads++, read(dataId)));
    try {
      assert.equal(await checkModelInput(model, x, "test"), x);
      const first = reads;
      assert.ok(first >= 1, "the first check reads");
      assert.equal(await checkModelInput(model, x, "test"), x);
      assert.equal(reads, first, "the second check of the same tensor reads nothing");
    } finally {
      backend.read = read;
    }
    const v = tf.variable(x);
    assert.equal(await checkModelInput(model, v, "test"), v);
    const nan = tf.fill([1, 12, 12, 3], NaN);
    v.assign(nan);
    await assert.rejects(checkModelInput(model, v, "test"), /input has 432 non-finite/);
    // MobileNetV2 declares its [0, 1] range: a tensor checked against a model without one is
    // still range-checked on its first call with MobileNetV2.
    const raw = tf.fill([1, 224, 224, 3], 200);
    const plain = tf.sequential({ layers: [tf.layers.flatten({ inputShape: [224, 224, 3] })] });
    await checkModelInput(plain, raw, "test");
    await assert.rejects(checkModelInput(net.model, raw, "test"), /raw 0–255 image/);
    tf.dispose([x, v, nan, raw]);
    plain.dispose();
    model.dispose();
  });

  it("a batch above MAX_INPUT_BYTES is refused with the batch size that fits; non-tensors and disposed tensors too", async () => {
    const model = smallSequential(4, 224);
    const perImage = 224 * 224 * 3 * 4;
    const fits = Math.floor(MAX_INPUT_BYTES / perImage);
    assert.throws(() => checkInputShape(model, fakeTensor([fits + 1, 224, 224, 3]), "cam"), new RegExp(`one call takes at most 256 MiB \\(camlab\\.MAX_INPUT_BYTES.*Split it into batches of at most ${fits}: tf\\.split\\(x, 2\\)`));
    assert.doesNotThrow(() => checkInputShape(model, fakeTensor([fits, 224, 224, 3]), "cam"));
    await assert.rejects(cam(model, [[1, 2]] as unknown as tf.Tensor), /camlab\.cam: input must be a tf\.Tensor shaped \[batch, 224, 224, 3\], got a JavaScript array of length 1/);
    const gone = tf.zeros([1, 224, 224, 3]);
    gone.dispose();
    await assert.rejects(cam(model, gone), /the input tensor was already disposed \(shape \[1, 224, 224, 3\]\)/);
    await assert.rejects(cam({ model } as never, gone), /an object with a `model` field \(a PretrainedModel\? pass net\.model\)/);
    model.dispose();
  });

  it("sequence models [batch, time, features]: a [time, features] input gets the batch axis; wrong steps are named", async () => {
    const model = tf.sequential({ layers: [tf.layers.conv1d({ inputShape: [20, 2], filters: 3, kernelSize: 3, padding: "same" }), tf.layers.globalAveragePooling1d({}), tf.layers.dense({ units: 2 })] });
    const seq = tf.zeros([20, 2]);
    const x = checkInputShape(model, seq, "cam");
    assert.deepEqual(x.shape, [1, 20, 2]);
    x.dispose();
    const short = tf.zeros([1, 15, 2]);
    assert.throws(() => checkInputShape(model, short, "cam"), /input has shape \[1, 15, 2\] but this model takes \[batch, 20, 2\]; the model takes sequences of exactly 20 steps: pad or crop the time axis/);
    seq.dispose();
    short.dispose();
    model.dispose();
  });
});
