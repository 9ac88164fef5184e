// A wasm backend that never stays broken: a real trap (tfjs-wasm's AvgPool with a window larger
// than its input writes outside its buffers — what a 100×100 image does inside a 224×224
// MobileNetV2 when nothing checks it) latches the instance, a fresh one replaces it, the live
// tensors (weights included) come over, and no tensor is left behind. Only meaningful on wasm.
import { before, describe, it } from "node:test";
import * as assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { cam } from "../../src/cam";
import { ensureBackend, guardBackend, wasmCrashState } from "../../src/engine";
import { loadMobileNetV2 } from "../../src/models";
import { smallSequential } from "./fixtures";

// The backend the suite runs on (ensureBackend picks wasm here unless CAMLAB_BACKEND says otherwise).
const onWasm = () => (process.env.CAMLAB_BACKEND ?? "wasm") === "wasm";

async function values(t: tf.Tensor): Promise<number[]> {
  const v = Array.from(await t.data());
  t.dispose();
  return v;
}

describe("wasm crash recovery", () => {
  before(async () => {
    await ensureBackend();
  });

  // First, on the suite's first backend: AvgPool's trap writes past its buffer before it faults,
  // so what lies above the buffer can be lost — the damage the recovery's message warns about.
  // Run on a fresh heap, the weights came over intact; run after the test below, whose blocks
  // were freed (holes the buffer can land in below the weights), they did not.
  it("MobileNetV2 fed a 100×100 image behind the check's back: the trap is caught at the engine boundary and the net still works", { skip: !onWasm() && "needs the wasm backend" }, async () => {
    const net = await loadMobileNetV2();
    const x = tf.randomUniform([1, 224, 224, 3], 0, 1, "float32", 4);
    const before = await values(net.model.predict(x) as tf.Tensor);
    const small = tf.zeros([1, 100, 100, 3]);
    const n0 = tf.memory().numTensors;
    // The public cam() refuses this input before any kernel (input contract); the model's own
    // apply() does not check spatial sizes, so it reaches wasm's AvgPool(7×7) on a 4×4 map.
    await assert.rejects(
      guardBackend("cam", async () => {
        const out = tf.tidy(() => net.model.apply(small) as tf.Tensor);
        await out.data();
        out.dispose();
        throw new Error("the bad input did not trap");
      }),
      /the wasm backend crashed during this call/,
    );
    assert.equal(tf.memory().numTensors, n0);
    assert.deepEqual(await values(net.model.predict(x) as tf.Tensor), before);
    const r = await cam(net.model, x, { target: 2 });
    assert.ok((await r.heatmap.data()).every(Number.isFinite));
    r.dispose();
    assert.equal(tf.memory().numTensors, n0);
    small.dispose();
    x.dispose();
    net.model.dispose();
  });

  it("a real out-of-bounds trap: one plain error, a fresh backend, the model's weights carried over, nothing leaked", { skip: !onWasm() && "needs the wasm backend" }, async () => {
    const model = smallSequential(4, 12);
    const x = tf.randomUniform([1, 12, 12, 3], 0, 1, "float32", 9);
    const before = await values(model.predict(x) as tf.Tensor);
    const camBefore = await cam(model, x, { target: 1 });
    const rawBefore = Array.from(await camBefore.raw.data());
    camBefore.dispose();
    const n0 = tf.memory().numTensors;
    const crashes = wasmCrashState().recoveries;
    let calls = 0;
    // Bypass the input contract on purpose: feed the kernel the shape it mishandles until it traps.
    await assert.rejects(
      guardBackend("test", async () => {
        for (; calls < 400; calls++) tf.tidy(() => void tf.avgPool(tf.zeros([1, 3, 3, calls % 2 ? 64 : 1280]) as tf.Tensor4D, 7, 1, "valid"));
        throw new Error(`no trap in ${calls} calls`);
      }),
      /camlab\.test: the wasm backend crashed during this call \(RuntimeError: memory access out of bounds.*\)[\s\S]*replaced it with a fresh wasm backend[\s\S]*run the call again/,
    );
    assert.equal(wasmCrashState().recoveries, crashes + 1);
    assert.equal(tf.getBackend(), "wasm");
    assert.equal(tf.memory().numTensors, n0, "the failed call's tensors are all freed");
    // The weights and the input moved from the crashed heap: same outputs, same CAM, to the bit.
    assert.deepEqual(await values(model.predict(x) as tf.Tensor), before);
    const camAfter = await cam(model, x, { target: 1 });
    assert.deepEqual(Array.from(await camAfter.raw.data()), rawBefore);
    camAfter.dispose();
    // New work runs on the fresh instance (and leaks nothing).
    for (let i = 0; i < 20; i++) tf.tidy(() => void tf.matMul(tf.ones([64, 64]), tf.ones([64, 64])));
    assert.equal(tf.memory().numTensors, n0);
    x.dispose();
    model.dispose();
  });
});
