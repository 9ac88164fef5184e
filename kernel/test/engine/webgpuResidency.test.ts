// Residency, measured: what engine calls read back from the backend. Heavy tensors (activations,
// gradients, maps) stay where they were computed; the only reads are the small numbers a call
// returns (predictions, scores, classes, metric values) — plus the input check's one number (Σ x·0,
// engine/inputContract.ts) the first time a call runs a model on an input tensor (it remembers
// the tensors it checked: a widget asks about the same input on every click). Every read is counted by wrapping the
// engine's read path (engine/readCounter.ts); on webgpu a read of GPU memory is a device→host
// transfer, and the results are checked to be still on the GPU afterwards.
import { after, before, describe, it } from "node:test";
import * as assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { ensureBackend, findLayer, measureReads, type TensorRead } from "../../src/engine";
import { readComesFromDevice } from "../../src/engine/readCounter";
import { activeHookCount, captureGradients, FeatureExtractor, gradientHealth, registerBackwardHook } from "../../src/hooks";
import { cam, CAM_METHODS, guidedBackprop, guidedGradCam } from "../../src/cam";
import { confidenceChange, deletionCurve, insertionCurve, pointingGame } from "../../src/metrics";
import { pick, randomImages, smallSequential } from "./fixtures";

const B = 2, K = 4, S = 32; // batch, classes, image size
const elements = (r: TensorRead) => r.shape.reduce((a, b) => a * b, 1);

/** Asserts the reads are exactly `sizes` (element counts, any order), ≤ 4 bytes each, none synchronous. */
function expectReads(label: string, reads: TensorRead[], sizes: number[]): void {
  const got = reads.map(elements).sort((a, b) => a - b);
  assert.deepEqual(got, [...sizes].sort((a, b) => a - b), `${label}: reads ${reads.map((r) => `${r.dtype}[${r.shape}]`).join(" ")}`);
  for (const r of reads) {
    assert.equal(r.sync, false, `${label}: synchronous read`);
    assert.ok(r.bytes <= 4 * elements(r), `${label}: ${r.bytes} bytes for ${elements(r)} elements`);
  }
}

/** On backends with device memory: `t` was never copied to the host. */
function expectResident(label: string, ...ts: (tf.Tensor | null)[]): void {
  if (tf.getBackend() !== "webgpu") return;
  for (const t of ts) if (t != null) assert.ok(readComesFromDevice(tf.backend(), t.dataId), `${label}: a result [${t.shape}] was read to the host`);
}

describe("residency: engine calls read only their small results", () => {
  let model: tf.Sequential;
  let x: tf.Tensor4D;
  let n0: number;

  before(async () => {
    await ensureBackend();
    model = smallSequential(K, S);
    x = randomImages(B, S, 5);
    // Warm-up: compiles the programs and moves the weights, so later counts see only the calls.
    tf.dispose(model.predict(x) as tf.Tensor);
    n0 = tf.memory().numTensors;
  });

  after(() => {
    assert.equal(tf.memory().numTensors, n0, "tensors left behind");
    assert.equal(activeHookCount(), 0);
    x.dispose();
    model.dispose();
  });

  it("the input check reads one number for an input tensor it has not seen, none for one it has", async () => {
    const fresh = randomImages(B, S, 6);
    const first = await measureReads(() => cam(model, fresh));
    first.value.dispose();
    expectReads("cam, first call", first.reads, [1, B * K, B, B]);
    const again = await measureReads(() => cam(model, fresh));
    again.value.dispose();
    expectReads("cam, same input", again.reads, [B * K, B, B]);
    fresh.dispose();
    // x, for the tests below.
    (await cam(model, x)).dispose();
  });

  for (const method of Object.keys(CAM_METHODS)) {
    it(`cam(${method}): reads the output (top-k), the scores and the classes — ${4 * (B * K + 2 * B)} bytes — and nothing else`, async () => {
      const m = await measureReads(() => cam(model, x, { method: method as keyof typeof CAM_METHODS }));
      expectReads(method, m.reads, [B * K, B, B]);
      assert.ok(m.bytes <= 4 * (B * K + 2 * B));
      const r = m.value;
      // The results stay on the backend: ~8 KB of heatmap alone, against the 48 bytes read.
      assert.ok(r.heatmap.size * 4 > 100 * m.bytes);
      expectResident(method, r.heatmap, r.raw, r.weights);
      r.dispose();
    });
  }

  it("guidedBackprop reads the classes; guidedGradCam what cam() reads plus those", async () => {
    const g = await measureReads(() => guidedBackprop(model, x));
    expectReads("guidedBackprop", g.reads, [B]);
    expectResident("guidedBackprop", g.value.gradients);
    g.value.dispose();
    const gg = await measureReads(() => guidedGradCam(model, x));
    expectReads("guidedGradCam", gg.reads, [B * K, B, B, B]);
    gg.value.dispose();
  });

  it("forward hooks (FeatureExtractor), captureGradients and a backward hook read nothing", async () => {
    const fe = new FeatureExtractor(model, ["conv1", "conv3"]);
    const f = await measureReads(() => fe.extract(x));
    expectReads("extract", f.reads, []);
    expectResident("extract", f.value.output, ...Object.values(f.value.features));
    fe.dispose();

    const c = await measureReads(() => captureGradients(model, x, [findLayer(model, "conv2")], 1));
    expectReads("captureGradients", c.reads, []);
    expectResident("captureGradients", c.value.layers[0].activation, c.value.layers[0].gradient);
    c.value.dispose();

    let dy: tf.Tensor | null = null;
    const h = registerBackwardHook(findLayer(model, "conv3"), (_l, g) => void (dy = tf.keep(g.clone())));
    const gx = await measureReads(() => tf.tidy(() => tf.grad((xx: tf.Tensor) => tf.sum(pick(model.apply(xx) as tf.Tensor, [0, 1])))(x)));
    h.remove();
    expectReads("backward hook", gx.reads, []);
    expectResident("backward hook", dy, gx.value);
    tf.dispose([dy!, gx.value]);
  });

  it("gradientHealth reads one [layers, 3] block of statistics and the loss", async () => {
    const m = await measureReads(() => gradientHealth(model, x));
    const layers = m.value.layers.length;
    assert.ok(layers >= 5, `${layers} layers`);
    expectReads("gradientHealth", m.reads, [layers * 3, 1]);
  });

  it("metrics read one packed result each (curve values, probabilities, peaks)", async () => {
    const r = await cam(model, x);
    const masks = tf.tidy(() => tf.cast(tf.greater(tf.randomUniform([B, S, S], 0, 1, "float32", 2), 0.7), "float32"));
    const steps = 8;
    for (const [label, call, size] of [
      ["deletionCurve", () => deletionCurve(model, x, r.heatmap, { steps }), [B * (steps + 2)]],
      ["insertionCurve", () => insertionCurve(model, x, r.heatmap, { steps }), [B * (steps + 2)]],
      ["confidenceChange", () => confidenceChange(model, x, r.heatmap), [3 * B]],
      ["pointingGame", () => pointingGame(r.heatmap, masks), [2 * B]],
    ] as const) {
      const m = await measureReads(call as () => Promise<unknown>);
      expectReads(label, m.reads, [...size]);
    }
    expectResident("metrics", r.heatmap);
    masks.dispose();
    r.dispose();
  });
});
