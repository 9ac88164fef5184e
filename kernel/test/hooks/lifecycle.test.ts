// Hook lifetimes: removal restores the model exactly, scoped helpers clean up when the body
// throws, FeatureExtractor / HookManager own what they capture, gradient health names NaNs.
import { before, describe, it } from "node:test";
import * as assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { ensureBackend, findLayer } from "../../src/engine";
import { activeHookCount, FeatureExtractor, gradientHealth, HookManager, registerBackwardHook, registerForwardHook, withHooks } from "../../src/hooks";
import { PoisonGradient, randomImages, relErr, smallNested, smallResidual, smallSequential, splitSequential } from "../engine/fixtures";

function snapshot(model: tf.LayersModel) {
  return model.layers.map((l) => ({ keys: Object.getOwnPropertyNames(l).sort().join(","), call: (l as unknown as { call: unknown }).call }));
}


describe("hook lifetimes", () => {
  before(async () => {
    await ensureBackend();
  });

  it("removing hooks (in any order) restores every layer exactly and outputs are unchanged", async () => {
    const model = smallResidual();
    const x = randomImages(2, 10);
    const ref = tf.tidy(() => model.predict(x) as tf.Tensor);
    const before = snapshot(model);
    const n0 = tf.memory().numTensors;
    let calls = 0;
    const handles = ["stem", "dw", "skip_add", "stem", "logits"].flatMap((n) => [
      registerForwardHook(findLayer(model, n), () => {
        calls++;
      }),
      registerBackwardHook(findLayer(model, n), () => undefined),
    ]);
    assert.equal(activeHookCount(), 10);
    const during = tf.tidy(() => model.predict(x) as tf.Tensor);
    assert.equal(calls, 5);
    assert.equal(relErr(await during.data(), await ref.data()), 0, "hooks that return nothing do not change outputs");
    for (const i of [3, 0, 9, 5, 1, 2, 8, 4, 7, 6]) handles[i].remove();
    handles[0].remove(); // idempotent
    assert.equal(activeHookCount(), 0);
    assert.deepEqual(snapshot(model), before);
    model.layers.forEach((l) => assert.ok(!Object.prototype.hasOwnProperty.call(l, "call"), `${l.name} still has its own call`));
    const after = tf.tidy(() => model.predict(x) as tf.Tensor);
    assert.equal(relErr(await after.data(), await ref.data()), 0);
    during.dispose();
    after.dispose();
    assert.equal(tf.memory().numTensors, n0);
    ref.dispose();
    model.dispose();
  });

  it("a forward hook can replace a layer's output", async () => {
    const model = smallSequential();
    const x = randomImages(1, 12);
    const h = registerForwardHook(findLayer(model, "conv3"), (_l, _i, out) => tf.zerosLike(out as tf.Tensor));
    const y = tf.tidy(() => model.predict(x) as tf.Tensor);
    h.remove();
    const bias = await (model.getLayer("logits").getWeights()[1]).data();
    assert.ok(relErr(await y.data(), bias) < 1e-6, "zero features leave only the dense bias");
    y.dispose();
    model.dispose();
  });

  it("withHooks removes hooks and frees tensors when the body throws mid-pass", async () => {
    const model = smallNested();
    const x = randomImages(1, 10);
    const n0 = tf.memory().numTensors;
    const before = snapshot(model);
    const inner = model.layers.find((l) => l.name === "backbone") as tf.LayersModel;
    const innerBefore = snapshot(inner);
    await assert.rejects(
      withHooks(async (scope) => {
        scope.extractor(model, ["backbone/b_conv1", "gap"]).extract(x);
        scope.forward(findLayer(model, "backbone/b_conv2"), (_l, _i, out) => {
          scope.track((out as tf.Tensor).clone());
        });
        scope.backward(findLayer(model, "gap"), () => undefined);
        scope.forward(findLayer(model, "logits"), () => {
          throw new Error("boom inside a hook");
        });
        tf.tidy(() => tf.grad((xx: tf.Tensor) => tf.sum(model.apply(xx) as tf.Tensor))(x));
      }),
      /boom inside a hook/,
    );
    assert.equal(activeHookCount(), 0);
    assert.deepEqual(snapshot(model), before);
    assert.deepEqual(snapshot(inner), innerBefore);
    assert.equal(tf.memory().numTensors, n0);
    model.dispose();
  });

  it("FeatureExtractor returns what sub-models compute, owns it, and frees it", async () => {
    const model = smallSequential();
    const x = randomImages(2, 12, 9);
    // The reference runs first: hooks fire for every call of a layer, also through other models.
    const { head } = splitSequential(model, "relu2");
    const ref = head.predict(x) as tf.Tensor;
    const n0 = tf.memory().numTensors;
    const fx = new FeatureExtractor(model, ["conv1", "relu2"]);
    const f1 = fx.extract(x);
    assert.equal(relErr(await f1.features.relu2.data(), await ref.data()), 0);
    assert.deepEqual(f1.features.conv1.shape, [2, 12, 12, 6]);
    fx.extract(x); // frees the first capture
    assert.ok(f1.features.conv1.isDisposed && f1.output.isDisposed);
    fx[Symbol.dispose]();
    assert.equal(tf.memory().numTensors, n0);
    ref.dispose();
    assert.equal(activeHookCount(), 0);
    assert.throws(() => new FeatureExtractor(model, ["conv9"]), /closest: conv1|closest: conv2|closest: conv3/);
    assert.equal(activeHookCount(), 0, "a bad name hooks nothing");
    model.dispose();
  });

  it("HookManager hooks every layer of a class and removes them together", () => {
    const model = smallSequential();
    const mgr = new HookManager(model);
    const seen: string[] = [];
    assert.equal(mgr.forwardAll("Conv2D", (l) => void seen.push((l as tf.layers.Layer).name)), 3);
    tf.tidy(() => model.predict(randomImages(1, 12)));
    assert.deepEqual(seen, ["conv1", "conv2", "conv3"]);
    assert.throws(() => mgr.forwardAll("Conv3D", () => undefined), /no layer class "Conv3D".*Conv2D/);
    assert.equal(mgr.size, 3);
    mgr[Symbol.dispose]();
    assert.equal(activeHookCount(), 0);
    model.dispose();
  });

  it("gradient health names the first layer (from the output) whose gradient holds NaN", async () => {
    const model = tf.sequential({
      layers: [
        tf.layers.conv2d({ inputShape: [8, 8, 3], filters: 4, kernelSize: 3, activation: "relu", name: "c1" }),
        tf.layers.conv2d({ filters: 4, kernelSize: 3, name: "c2" }),
        new PoisonGradient({ name: "poison" }),
        tf.layers.globalAveragePooling2d({ name: "gap" }),
        tf.layers.dense({ units: 3, name: "out" }),
      ],
    });
    const x = randomImages(1, 8);
    const n0 = tf.memory().numTensors;
    const report = await gradientHealth(model, x);
    assert.deepEqual(report.layers.map((l) => l.layer), ["out", "gap", "poison", "c2", "c1"]);
    assert.equal(report.firstNaN, "c2");
    assert.equal(report.layers[2].status, "ok");
    assert.equal(report.layers[3].nanCount, report.layers[3].size);
    // Independent check of a norm: dS/d(out) for the top-1 score is a one-hot → norm 1.
    assert.ok(Math.abs(report.layers[0].norm - 1) < 1e-6);
    assert.equal(tf.memory().numTensors, n0);
    assert.equal(activeHookCount(), 0);
    model.dispose();
  });
});
