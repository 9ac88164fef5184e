// The backprop kernels camlab registers for wasm, checked against tfjs's cpu kernels over
// stride / padding / shape / channel-multiplier cases, and the fused-conv trap on wasm.
import { before, describe, it } from "node:test";
import * as assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { ensureBackend, useBackend } from "../../src/engine";
import { relErr, seeded } from "./fixtures";

interface Case {
  x: [number, number, number, number];
  k: [number, number];
  out: number; // filters, or channel multiplier for depthwise
  stride: number | [number, number];
  pad: "same" | "valid";
}

const cases: Case[] = [
  { x: [2, 7, 7, 3], k: [3, 3], out: 4, stride: 1, pad: "same" },
  { x: [2, 7, 7, 3], k: [3, 3], out: 4, stride: 2, pad: "same" },
  { x: [1, 8, 8, 2], k: [3, 3], out: 2, stride: 2, pad: "same" },
  { x: [1, 9, 6, 3], k: [3, 2], out: 1, stride: [2, 1], pad: "valid" },
  { x: [2, 10, 10, 4], k: [5, 5], out: 3, stride: 3, pad: "same" },
  { x: [1, 6, 6, 5], k: [1, 1], out: 2, stride: 2, pad: "valid" },
  { x: [2, 5, 7, 6], k: [1, 1], out: 4, stride: 1, pad: "same" },
  { x: [1, 5, 7, 3], k: [3, 3], out: 4, stride: 1, pad: "valid" },
  { x: [1, 11, 11, 2], k: [4, 4], out: 2, stride: 2, pad: "valid" },
];

/** Gradients of a weighted sum of conv / depthwise outputs w.r.t. x and the filter, read to the host. */
async function grads(c: Case, depthwise: boolean): Promise<{ dx: Float32Array; dw: Float32Array }> {
  return tf.tidy(() => {
    const x = tf.randomNormal(c.x, 0, 1, "float32", 3);
    const w = tf.randomNormal([c.k[0], c.k[1], c.x[3], c.out], 0, 1, "float32", 4);
    const f = (xx: tf.Tensor, ww: tf.Tensor) => {
      const y = depthwise
        ? tf.depthwiseConv2d(xx as tf.Tensor4D, ww as tf.Tensor4D, c.stride, c.pad)
        : tf.conv2d(xx as tf.Tensor4D, ww as tf.Tensor4D, c.stride, c.pad);
      // A non-uniform dy so every backprop entry matters.
      return tf.sum(tf.mul(y, tf.randomNormal(y.shape, 0, 1, "float32", 5)));
    };
    const [dx, dw] = tf.grads(f)([x, w]);
    return { dx: dx.dataSync() as Float32Array, dw: dw.dataSync() as Float32Array };
  });
}

describe("wasm backprop kernels vs cpu kernels", () => {
  before(async () => {
    await ensureBackend();
  });

  for (const depthwise of [false, true]) {
    for (const c of cases) {
      const label = `${depthwise ? "depthwise" : "conv2d"} x=${c.x} k=${c.k} out=${c.out} stride=${c.stride} pad=${c.pad}`;
      it(label, async () => {
        await useBackend("cpu");
        const ref = await grads(c, depthwise);
        await useBackend("wasm");
        const got = await grads(c, depthwise);
        assert.ok(relErr(got.dx, ref.dx) < 1e-5, `dx rel err ${relErr(got.dx, ref.dx)}`);
        assert.ok(relErr(got.dw, ref.dw) < 1e-5, `dW rel err ${relErr(got.dw, ref.dw)}`);
      });
    }
  }

  it("aliasing Identity keeps tensors immutable: clones survive disposal and variable updates", async () => {
    await useBackend("wasm");
    const n0 = tf.memory().numTensors;
    const a = tf.tensor1d([1, 2, 3]);
    const b = tf.clone(a);
    a.dispose();
    assert.deepEqual(Array.from(await b.data()), [1, 2, 3]);
    const init = tf.tensor1d([4, 5]), next = tf.tensor1d([7, 8]);
    const v = tf.variable(init);
    const snapshot = tf.clone(v);
    v.assign(next);
    assert.deepEqual(Array.from(await snapshot.data()), [4, 5]);
    assert.deepEqual(Array.from(await v.data()), [7, 8]);
    tf.dispose([b, v, snapshot, init, next]);
    assert.equal(tf.memory().numTensors, n0);
    // The backend frees aliased buffers too (its own count of live data ids returns).
    const backend = tf.backend() as unknown as { dataIdMap: { numDataIds(): number } };
    const ids0 = backend.dataIdMap.numDataIds();
    const big = tf.ones([300, 300]);
    for (let i = 0; i < 20; i++) {
      const c = tf.clone(big);
      tf.dispose([c, tf.reshape(c, [-1]), tf.clone(big)]);
    }
    big.dispose();
    assert.equal(backend.dataIdMap.numDataIds(), ids0);
  });

  it("a linear-activation conv layer (fused-conv trap) backprops to its input on wasm, equal to cpu", async () => {
    const layer = tf.layers.conv2d({ filters: 4, kernelSize: 3, padding: "same", kernelInitializer: seeded(5), useBias: true });
    const run = () => tf.tidy(() => {
      const x = tf.randomNormal([1, 6, 6, 3], 0, 1, "float32", 9);
      return tf.grad((xx: tf.Tensor) => tf.sum(tf.square(layer.apply(xx) as tf.Tensor)))(x).dataSync();
    });
    await useBackend("cpu");
    const ref = run();
    await useBackend("wasm");
    const got = run();
    assert.ok(relErr(got, ref) < 1e-5, `rel err ${relErr(got, ref)}`);
  });
});
