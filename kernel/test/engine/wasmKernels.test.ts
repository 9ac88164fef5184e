// The kernels camlab registers for wasm (engine/wasmKernels.ts), checked against tfjs's cpu
// kernels over stride / padding / shape / channel-multiplier cases, and the fused-conv trap on
// wasm; the faster batch norm, average-pool gradient and transposed matrix products against their
// formulas; the clip gradient (engine/clipGradient.ts)
// against the mask written here, at the float32 neighbours of its bounds.
import { before, describe, it } from "node:test";
import * as assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { ensureBackend, nextFloat32, useBackend } from "../../src/engine";
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

describe("faster wasm kernels: batch norm, the 1×1 input gradient's filter cache, the clip gradient", () => {
  before(async () => {
    await ensureBackend();
  });

  /** (x − μ)·γ/√(σ² + ε) + β, in float64 on the host: the formula, not a kernel. */
  function batchNormFormula(x: Float32Array, c: number, mean: Float32Array, variance: Float32Array, offset: Float32Array | null, scale: Float32Array | null, eps: number): Float32Array {
    return Float32Array.from(x, (v, i) => {
      const k = i % c;
      return ((v - mean[k]) * (scale ? scale[k] : 1)) / Math.sqrt(variance[k] + eps) + (offset ? offset[k] : 0);
    });
  }

  for (const withParams of [true, false]) {
    it(`FusedBatchNorm on wasm equals the formula${withParams ? "" : " (no scale, no offset)"}, and leaves no data behind`, async () => {
      await useBackend("wasm");
      const backend = tf.backend() as unknown as { dataIdMap: { numDataIds(): number } };
      const [n, h, w, c] = [2, 5, 3, 7];
      const x = tf.randomNormal([n, h, w, c], 3, 2, "float32", 1);
      const mean = tf.randomNormal([c], 3, 1, "float32", 2);
      const variance = tf.randomUniform([c], 0.01, 4, "float32", 3);
      const offset = withParams ? tf.randomNormal([c], 0, 1, "float32", 4) : null;
      const scale = withParams ? tf.randomNormal([c], 1, 0.5, "float32", 5) : null;
      const ids0 = backend.dataIdMap.numDataIds();
      const y = tf.batchNorm(x, mean, variance, offset ?? undefined, scale ?? undefined, 1e-3);
      assert.equal(backend.dataIdMap.numDataIds(), ids0 + 1, "only the output is left");
      const want = batchNormFormula(x.dataSync() as Float32Array, c, mean.dataSync() as Float32Array, variance.dataSync() as Float32Array,
        offset?.dataSync() as Float32Array ?? null, scale?.dataSync() as Float32Array ?? null, 1e-3);
      assert.ok(relErr(y.dataSync(), want) < 1e-6, `rel err ${relErr(y.dataSync(), want)}`);
      tf.dispose([x, mean, variance, offset, scale, y].filter((t) => t != null) as tf.Tensor[]);
    });
  }

  it("FusedBatchNorm with full-shape parameters (not per channel) goes to the stock kernel, same result", async () => {
    await useBackend("wasm");
    const x = tf.randomNormal([1, 3, 3, 2], 0, 1, "float32", 6);
    const mean = tf.randomNormal([1, 3, 3, 2], 0, 1, "float32", 7);
    const variance = tf.randomUniform([1, 3, 3, 2], 0.5, 2, "float32", 8);
    const y = tf.batchNorm(x, mean, variance, undefined, undefined, 1e-3);
    const xs = x.dataSync(), ms = mean.dataSync(), vs = variance.dataSync();
    const want = Float32Array.from(xs, (v, i) => (v - ms[i]) / Math.sqrt(vs[i] + 1e-3));
    assert.ok(relErr(y.dataSync(), want) < 1e-6);
    tf.dispose([x, mean, variance, y]);
  });

  // dL/dx of Σ avgPool(x)·r: each input value in window (i, j) gets r[i, j] / (fh·fw); rows and
  // columns past the last window get 0. The formula, written here; and overlapping or padded
  // windows (the stock kernel) against the cpu backend.
  const poolCases: { x: [number, number, number, number]; k: number | [number, number]; stride?: number; pad: "valid" | "same" }[] = [
    { x: [2, 7, 7, 5], k: 7, pad: "valid" }, // a classifier head's global pooling
    { x: [1, 5, 7, 3], k: 2, pad: "valid" }, // a row and a column past the last window
    { x: [1, 6, 6, 2], k: [3, 2], pad: "valid" },
    { x: [1, 7, 7, 2], k: 3, stride: 2, pad: "valid" }, // overlapping: stock kernel
    { x: [1, 6, 6, 2], k: 2, pad: "same" },
  ];
  for (const pc of poolCases) {
    it(`AvgPoolGrad on wasm, x=${pc.x} window=${pc.k} stride=${pc.stride ?? "window"} pad=${pc.pad}: the formula (tiling) or cpu (otherwise)`, async () => {
      const run = () => tf.tidy(() => {
        const x = tf.randomNormal(pc.x, 0, 1, "float32", 21) as tf.Tensor4D;
        const f = (xx: tf.Tensor) => {
          const y = tf.avgPool(xx as tf.Tensor4D, pc.k, pc.stride ?? pc.k, pc.pad);
          return tf.sum(tf.mul(y, tf.randomNormal(y.shape, 0, 1, "float32", 22)));
        };
        const y = tf.avgPool(x, pc.k, pc.stride ?? pc.k, pc.pad);
        return { dx: tf.grad(f)(x).dataSync() as Float32Array, r: tf.randomNormal(y.shape, 0, 1, "float32", 22).dataSync() as Float32Array, yShape: y.shape };
      });
      await useBackend("wasm");
      const n0 = tf.memory().numTensors;
      const got = run();
      assert.equal(tf.memory().numTensors, n0);
      const [fh, fw] = typeof pc.k === "number" ? [pc.k, pc.k] : pc.k;
      if ((pc.stride ?? pc.k) === pc.k && pc.pad === "valid") {
        const [b, h, w, c] = pc.x;
        const [, oh, ow] = got.yShape;
        const want = new Float32Array(b * h * w * c);
        for (let n = 0; n < b; n++) for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) for (let ch = 0; ch < c; ch++) {
          const i = Math.floor(y / fh), j = Math.floor(x / fw);
          want[((n * h + y) * w + x) * c + ch] = i < oh && j < ow ? got.r[((n * oh + i) * ow + j) * c + ch] / (fh * fw) : 0;
        }
        assert.ok(relErr(got.dx, want) < 1e-6, `rel err ${relErr(got.dx, want)}`);
      } else {
        await useBackend("cpu");
        const ref = run();
        await useBackend("wasm");
        assert.ok(relErr(got.dx, ref.dx) < 1e-5, `rel err ${relErr(got.dx, ref.dx)}`);
      }
    });
  }

  it("the 1×1 conv's input gradient keeps Wᵀ only while its filter lives", async () => {
    await useBackend("wasm");
    const backend = tf.backend() as unknown as { dataIdMap: { numDataIds(): number } };
    const x = tf.randomNormal([1, 4, 4, 6], 0, 1, "float32", 9);
    const ids0 = backend.dataIdMap.numDataIds();
    for (let i = 0; i < 3; i++) {
      const w = tf.randomNormal([1, 1, 6, 5], 0, 1, "float32", 10 + i);
      const dx = tf.grad((xx: tf.Tensor) => tf.sum(tf.conv2d(xx as tf.Tensor4D, w as tf.Tensor4D, 1, "valid")))(x);
      // dL/dx[n, y, x, i] = Σ_o W[i, o] for a plain sum: the formula, per input channel.
      const ws = w.dataSync();
      const rowSums = Array.from({ length: 6 }, (_, ci) => Array.from({ length: 5 }, (_, o) => ws[ci * 5 + o]).reduce((a, b) => a + b, 0));
      assert.ok(relErr(dx.dataSync(), Float32Array.from({ length: 16 * 6 }, (_, k) => rowSums[k % 6])) < 1e-6);
      tf.dispose([w, dx]);
    }
    assert.equal(backend.dataIdMap.numDataIds(), ids0, "the cached transposes were freed with their filters");
    x.dispose();
  });

  // (aᵀ or a)·(bᵀ or b) on the host in float64: the formula. Batch-1 products with a transposed
  // operand run as a transpose and a plain product; batched ones go to the stock kernel.
  const matCases: { a: number[]; b: number[]; ta: boolean; tb: boolean }[] = [
    { a: [1, 6], b: [9, 6], ta: false, tb: true }, // a dense layer's input gradient dy·Wᵀ
    { a: [6, 3], b: [6, 4], ta: true, tb: false }, // its weight gradient xᵀ·dy
    { a: [5, 7], b: [4, 5], ta: true, tb: true },
    { a: [1, 3, 6], b: [1, 8, 6], ta: false, tb: true }, // batch axis of 1
    { a: [2, 3, 6], b: [2, 8, 6], ta: false, tb: true }, // batched: stock kernel
    { a: [4, 6], b: [6, 5], ta: false, tb: false }, // plain: stock kernel
  ];
  for (const mc of matCases) {
    it(`BatchMatMul on wasm, a=${mc.a}${mc.ta ? "ᵀ" : ""} b=${mc.b}${mc.tb ? "ᵀ" : ""}: the formula, no data left but the kept Wᵀ`, async () => {
      await useBackend("wasm");
      const a = tf.randomNormal(mc.a, 0, 1, "float32", 31);
      const b = tf.randomNormal(mc.b, 0, 1, "float32", 32);
      const backend = tf.backend() as unknown as { dataIdMap: { numDataIds(): number } };
      const ids0 = backend.dataIdMap.numDataIds();
      const y = tf.matMul(a, b, mc.ta, mc.tb);
      const kept = mc.tb && mc.a.length === 2 || (mc.tb && mc.a[0] === 1) ? 1 : 0;
      assert.equal(backend.dataIdMap.numDataIds(), ids0 + 1 + kept, "the output (and Wᵀ, kept for the next call)");
      const av = a.dataSync(), bv = b.dataSync();
      const batch = mc.a.length === 3 ? mc.a[0] : 1;
      const [ar, ac] = mc.a.slice(-2), [br, bc] = mc.b.slice(-2);
      const [m, k] = mc.ta ? [ac, ar] : [ar, ac];
      const n = mc.tb ? br : bc;
      const want = new Float32Array(batch * m * n);
      for (let q = 0; q < batch; q++) for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) {
        let sum = 0;
        for (let p = 0; p < k; p++) {
          const x = av[q * ar * ac + (mc.ta ? p * ac + i : i * ac + p)];
          const w = bv[q * br * bc + (mc.tb ? j * bc + p : p * bc + j)];
          sum += x * w;
        }
        want[(q * m + i) * n + j] = sum;
      }
      assert.deepEqual(y.shape, [...(mc.a.length === 3 ? [batch] : []), m, n]);
      assert.ok(relErr(y.dataSync(), want) < 1e-6, `rel err ${relErr(y.dataSync(), want)}`);
      tf.dispose([a, y]);
      b.dispose();
      assert.equal(backend.dataIdMap.numDataIds(), ids0 - 2, "b's transpose was freed with b");
    });
  }

  it("nextFloat32 steps one float32 either way", () => {
    assert.equal(nextFloat32(1, 1), 1 + 2 ** -23);
    assert.equal(nextFloat32(1, -1), 1 - 2 ** -24);
    assert.equal(nextFloat32(6, 1), 6 + 2 ** -21);
    assert.equal(nextFloat32(-1, 1), -(1 - 2 ** -24));
    assert.equal(nextFloat32(0, -1), -(2 ** -149));
    assert.equal(nextFloat32(0, 1), 2 ** -149);
    assert.equal(nextFloat32(0.1, 1), Math.fround(0.1) + 2 ** -27);
  });

  for (const backendName of ["wasm", "cpu"] as const) {
    it(`clipByValue's gradient on ${backendName} is dy where lo ≤ x ≤ hi, 0 elsewhere — at the bounds and their neighbours too`, async () => {
      await useBackend(backendName);
      for (const [lo, hi] of [[0, 6], [-0.1, 0.3], [-2.5, -1]]) {
        const special = [lo, hi, nextFloat32(lo, -1), nextFloat32(lo, 1), nextFloat32(hi, -1), nextFloat32(hi, 1), -1e30, 1e30, 0, -0];
        const values = Float32Array.from([...special, ...tf.randomUniform([90], lo - 1, hi + 1, "float32", 11).dataSync()]);
        const x = tf.tensor1d(values);
        const dyv = Float32Array.from(values, (_, i) => 1 + (i % 7));
        const dy = tf.tensor1d(dyv);
        const dx = tf.grad((xx: tf.Tensor) => tf.sum(tf.mul(tf.clipByValue(xx, lo, hi), dy)))(x);
        const want = Float32Array.from(values, (v, i) => (v >= Math.fround(lo) && v <= Math.fround(hi) ? dyv[i] : 0));
        assert.deepEqual(Array.from(dx.dataSync()), Array.from(want), `lo=${lo} hi=${hi}`);
        tf.dispose([x, dy, dx]);
      }
    });
  }
});
