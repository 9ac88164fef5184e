// camlab's FusedBatchNorm gradient vs tfjs's gradients of the same formula written with
// elementary ops (sub, mul, rsqrt, add), for every input, with per-channel and full-shape params.
import { before, describe, it } from "node:test";
import * as assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { ensureBackend } from "../../src/engine";
import { relErr } from "./fixtures";

describe("batch-norm gradient", () => {
  before(async () => {
    await ensureBackend();
  });

  for (const perChannel of [true, false]) {
    it(`matches the elementary formula (${perChannel ? "per-channel" : "full-shape"} parameters)`, async () => {
      const shape = [2, 3, 4, 5];
      const pShape = perChannel ? [5] : shape;
      const x = tf.randomNormal(shape, 0, 1, "float32", 1);
      const mean = tf.randomNormal(pShape, 0, 1, "float32", 2);
      const variance = tf.randomUniform(pShape, 0.5, 2, "float32", 3);
      const scale = tf.randomNormal(pShape, 1, 0.3, "float32", 4);
      const offset = tf.randomNormal(pShape, 0, 1, "float32", 5);
      const dy = tf.randomNormal(shape, 0, 1, "float32", 6);
      const eps = 1e-3;
      const fused = (a: tf.Tensor, m: tf.Tensor, v: tf.Tensor, s: tf.Tensor, o: tf.Tensor) => tf.sum(tf.mul(tf.batchNorm(a, m, v, o, s, eps), dy));
      const plain = (a: tf.Tensor, m: tf.Tensor, v: tf.Tensor, s: tf.Tensor, o: tf.Tensor) => tf.sum(tf.mul(tf.add(tf.mul(tf.mul(tf.sub(a, m), tf.rsqrt(tf.add(v, eps))), s), o), dy));
      const inputs = [x, mean, variance, scale, offset];
      const got = tf.grads(fused as (...t: tf.Tensor[]) => tf.Tensor)(inputs);
      const want = tf.grads(plain as (...t: tf.Tensor[]) => tf.Tensor)(inputs);
      const names = ["x", "mean", "variance", "scale", "offset"];
      for (let i = 0; i < 5; i++) {
        assert.deepEqual(got[i].shape, inputs[i].shape);
        const e = relErr(await got[i].data(), await want[i].data());
        assert.ok(e < 1e-5, `d/d${names[i]} rel err ${e}`);
      }
      tf.dispose([...inputs, dy, ...got, ...want]);
    });
  }

  it("a batch norm without γ and β (Keras's scale=False, center=False) has a gradient too: x, mean, variance vs the formula", async () => {
    const shape = [1, 3, 3, 4];
    const x = tf.randomNormal(shape, 0, 1, "float32", 7);
    const mean = tf.randomNormal([4], 0, 1, "float32", 8);
    const variance = tf.randomUniform([4], 0.5, 2, "float32", 9);
    const dy = tf.randomNormal(shape, 0, 1, "float32", 10);
    const n0 = tf.memory().numTensors;
    const got = tf.grads((a: tf.Tensor, m: tf.Tensor, v: tf.Tensor) => tf.sum(tf.mul(tf.batchNorm(a, m, v, undefined, undefined, 1e-3), dy)))([x, mean, variance]);
    const want = tf.grads((a: tf.Tensor, m: tf.Tensor, v: tf.Tensor) => tf.sum(tf.mul(tf.mul(tf.sub(a, m), tf.rsqrt(tf.add(v, 1e-3))), dy)))([x, mean, variance]);
    for (let i = 0; i < 3; i++) assert.ok(relErr(await got[i].data(), await want[i].data()) < 1e-5, `input ${i}`);
    tf.dispose([...got, ...want]);
    assert.equal(tf.memory().numTensors, n0, "nothing saved for backprop is left");
    tf.dispose([x, mean, variance, dy]);
  });
});
