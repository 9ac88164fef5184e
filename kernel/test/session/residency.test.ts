// Residency, measured: a session operation moves from the backend to the host only what its reply
// carries (bytes packed three per int32, plus each map's min/max), never a whole activation; and
// a thousand CAMs end with tf.memory() where it started once the registry is cleared
// (every MobileNetV2 layer paged: soak.test.ts).
import { before, describe, it } from "node:test";
import * as assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { countReads, ensureBackend } from "../../src/engine";
import { activeHookCount } from "../../src/hooks";
import { CAM_METHODS } from "../../src/cam";
import { Session } from "../../src/session";
import { randomImages, smallSequential } from "../engine/fixtures";

/** Bytes of a packed read of n byte values. */
const packed = (n: number) => Math.ceil(n / 3) * 4;

describe("session residency", () => {
  before(async () => {
    await ensureBackend();
  });

  it("each operation reads only what its reply carries", async () => {
    const model = smallSequential(4, 12);
    const x = randomImages(1, 12, 4);
    const session = new Session(64 * 1024 * 1024, "reads");
    const h = session.bind(model, x);
    // Warm-up: the first page computes the layer's activation and its channel statistics once.
    await session.dispatch("activations.page", h, { layer: "conv1", offset: 0, count: 2 });
    await session.dispatch("predictions.topk", h, { k: 4 });

    const counter = countReads();
    try {
      const page = await session.dispatch("activations.page", h, { layer: "conv1", offset: 2, count: 3 });
      assert.equal((page.buffers[0] as Uint8Array).length, 3 * 144);
      assert.deepEqual(counter.reads.map((r) => r.bytes).sort((a, b) => a - b), [3 * 2 * 4, packed(3 * 144)].sort((a, b) => a - b), counter.describe());
      counter.reset();

      await session.dispatch("activations.channel", h, { layer: "conv1", channel: 4 });
      assert.deepEqual(counter.reads.map((r) => r.bytes).sort((a, b) => a - b), [8, packed(144)], counter.describe());
      counter.reset();

      // A CAM for a class: the model's scores and top-k (a few numbers) plus the 4×4 map, and the
      // input contract's one-number "all values finite" probe (engine/inputContract.ts).
      const camReply = await session.dispatch("cam.compute", h, { method: "gradcam", layer: "conv3", classIndex: 1 });
      assert.equal((camReply.buffers[0] as Uint8Array).length, 16);
      const activationBytes = 4 * 4 * 8 * 4;
      assert.ok(counter.reads.every((r) => r.bytes < activationBytes), `no activation-sized read: ${counter.describe()}`);
      assert.ok(counter.bytes <= 4 * 4 + 4 + 4 + 8 + packed(16) + 4, `${counter.bytes} bytes read: ${counter.describe()}`);
      counter.reset();

      // The same class again, and the cached predictions: nothing leaves the backend.
      await session.dispatch("cam.compute", h, { method: "gradcam", layer: "conv3", classIndex: 1 });
      await session.dispatch("predictions.topk", h, { k: 2 });
      await session.dispatch("session.info", h, {});
      assert.equal(counter.count, 0, counter.describe());
      assert.equal(counter.syncReads, 0);
    } finally {
      counter.stop();
      session.clear();
      x.dispose();
      model.dispose();
    }
  });

  // A thousand on wasm (20 s here); on webgpu, where Mesa's llvmpipe makes each CAM ~12× slower,
  // two full cycles of the 96 keys: every (method, layer, class) computed, evicted and computed again.
  const rounds = process.env.CAMLAB_BACKEND === "webgpu" ? 192 : 1000;
  it(`${rounds} CAMs (every method, cache defeated) leave tf.memory() as it was`, async () => {
    const model = smallSequential(4, 12);
    const x = randomImages(1, 12, 6);
    const m0 = tf.memory();
    const session = new Session(64 * 1024 * 1024, "soak");
    const h = session.bind(model, x);
    const methods = Object.keys(CAM_METHODS);
    const layers = ["conv1", "conv2", "conv3"];
    // 8 methods × 3 layers × 4 classes = 96 keys cycled through a 64-entry cache: every request computes.
    for (let i = 0; i < rounds; i++) {
      const out = await session.dispatch("cam.compute", h, { method: methods[i % methods.length], layer: layers[Math.floor(i / methods.length) % 3], classIndex: Math.floor(i / 24) % 4 });
      assert.ok((out.buffers[0] as Uint8Array).length > 0);
    }
    session.clear();
    const m1 = tf.memory();
    assert.equal(m1.numTensors, m0.numTensors, "tensor count back to the start");
    assert.equal(m1.numBytes, m0.numBytes);
    assert.equal(activeHookCount(), 0);
    x.dispose();
    model.dispose();
  });
});
