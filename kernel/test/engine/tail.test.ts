// The model after a layer (engine/tail.ts): where it exists its output on the layer's real
// activations equals the whole model's output (model.predict, computed independently); where a
// skip connection, a nested model or a second input joins after the layer there is none. And what
// it buys: Ablation-CAM feeds its ablated maps to the tail only, and a widget's class switch with
// held activations runs none of the layers before the CAM layer.
import { after, before, describe, it } from "node:test";
import * as assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { ensureBackend, findLayer } from "../../src/engine";
import { modelTail } from "../../src/engine/tail";
import { registerForwardHook } from "../../src/hooks";
import { cam, camLayers } from "../../src/cam";
import { Session } from "../../src/session";
import { randomImages, smallNested, smallResidual, smallSequential } from "./fixtures";

async function maxDiff(a: tf.Tensor, b: tf.Tensor): Promise<number> {
  const d = tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))));
  const v = (await d.data())[0];
  d.dispose();
  return v;
}

/** Counts forward calls of a layer while `f` runs. */
async function callsOf<T>(model: tf.LayersModel, layer: string, f: () => Promise<T>): Promise<{ calls: number; result: T }> {
  let calls = 0;
  const h = registerForwardHook(findLayer(model, layer), () => void calls++);
  try {
    return { result: await f(), calls };
  } finally {
    h.remove();
  }
}

describe("modelTail", () => {
  before(async () => {
    await ensureBackend();
  });

  it("a Sequential after conv3 is GAP + dense, and gives model.predict's output on conv3's activations", async () => {
    const model = smallSequential(4, 12);
    const x = randomImages(3, 12, 2);
    const tail = modelTail(model, findLayer(model, "conv3"))!;
    assert.ok(tail, "a tail exists");
    assert.equal(tail.layers, 2);
    const head = tf.model({ inputs: model.inputs, outputs: model.getLayer("conv3").output as tf.SymbolicTensor });
    const a = head.predict(x) as tf.Tensor;
    const viaTail = tail.run(a);
    const whole = model.predict(x) as tf.Tensor;
    assert.ok((await maxDiff(viaTail, whole)) < 1e-5);
    tf.dispose([a, viaTail, whole, x]);
  });

  it("none inside a residual block (the skip joins after the layer), one after the Add; none into a nested model", async () => {
    const model = smallResidual(3, 10);
    assert.equal(modelTail(model, findLayer(model, "dw")), null, "stem → Add skips over dw");
    assert.equal(modelTail(model, findLayer(model, "proj")), null, "stem → Add skips over proj");
    const tail = modelTail(model, findLayer(model, "skip_add"))!;
    assert.equal(tail.layers, 3, "block_out, gap, logits");
    const x = randomImages(2, 10, 4);
    const head = tf.model({ inputs: model.inputs, outputs: model.getLayer("skip_add").output as tf.SymbolicTensor });
    const a = head.predict(x) as tf.Tensor;
    const [viaTail, whole] = [tail.run(a), model.predict(x) as tf.Tensor];
    assert.ok((await maxDiff(viaTail, whole)) < 1e-5);
    tf.dispose([a, viaTail, whole, x]);
    const nested = smallNested(3, 10);
    assert.equal(modelTail(nested, findLayer(nested, "b_conv2")), null, "a layer inside a nested model");
  });

  it("none where a second input joins after the layer", () => {
    const image = tf.input({ shape: [6, 6, 3], name: "image" });
    const extra = tf.input({ shape: [2], name: "extra" });
    const conv = tf.layers.conv2d({ filters: 2, kernelSize: 3, name: "conv" }).apply(image) as tf.SymbolicTensor;
    const pooled = tf.layers.globalAveragePooling2d({ name: "pool" }).apply(conv) as tf.SymbolicTensor;
    const joined = tf.layers.concatenate({ name: "join" }).apply([pooled, extra]) as tf.SymbolicTensor;
    const out = tf.layers.dense({ units: 2, name: "out" }).apply(joined) as tf.SymbolicTensor;
    const model = tf.model({ inputs: [image, extra], outputs: out });
    assert.equal(modelTail(model, findLayer(model, "conv")), null);
    assert.ok(modelTail(model, findLayer(model, "join")));
  });
});

describe("what the tail saves", () => {
  let model: tf.Sequential;
  let x: tf.Tensor4D;
  before(async () => {
    await ensureBackend();
    model = smallSequential(4, 12);
    x = randomImages(1, 12, 8);
  });
  after(() => {
    x.dispose();
    model.dispose();
  });

  it("Ablation-CAM runs the layers before conv3 once (the capture), not once per batch of ablated maps", async () => {
    const { calls, result } = await callsOf(model, "conv1", () => cam(model, x, { method: "ablationcam", layer: "conv3", target: 1, batchSize: 2 }));
    result.dispose();
    assert.equal(calls, 1, "8 channels in batches of 2 would have run conv1 five times through the whole model");
  });

  it("held activations: a CAM from them equals the full pass and runs no layer before the CAM layer", async () => {
    const head = tf.model({ inputs: model.inputs, outputs: model.getLayer("conv3").output as tf.SymbolicTensor });
    const held = head.predict(x) as tf.Tensor;
    for (const method of ["gradcam", "gradcampp", "layercam", "scorecam"] as const) {
      const full = await camLayers(model, x, { method, layer: "conv3", target: 2 });
      const { calls, result } = await callsOf(model, "conv1", () => camLayers(model, x, { method, layer: "conv3", target: 2 }, { activation: held }));
      try {
        assert.ok((await maxDiff(full.perLayer[0].raw, result.perLayer[0].raw)) < 1e-5, method);
        // Score-CAM masks the input and runs the whole model per mask batch; the others none of it.
        if (method !== "scorecam") assert.equal(calls, 0, `${method}: conv1 did not run`);
      } finally {
        full.dispose();
        result.dispose();
      }
    }
    held.dispose();
  });

  it("a widget's class switches: after the first, none of the layers before the CAM layer runs", async () => {
    const session = new Session(64 * 1024 * 1024, "tail");
    const handle = session.bind(model, x);
    const first = await callsOf(model, "conv1", () => session.dispatch("cam.compute", handle, { method: "gradcam", layer: "conv3", classIndex: 0 }));
    assert.ok(first.calls >= 1, "the first request computes the layer's output once");
    const switches = await callsOf(model, "conv1", async () => {
      for (const classIndex of [1, 2, 3]) await session.dispatch("cam.compute", handle, { method: "gradcam", layer: "conv3", classIndex });
      await session.dispatch("cam.compute", handle, { method: "xgradcam", layer: "conv3", classIndex: 1 });
    });
    assert.equal(switches.calls, 0, "three class switches and a method switch ran only GAP + dense");
    session.clear();
  });
});
