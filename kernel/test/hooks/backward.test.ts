// Backward hooks: dy captured by the tap equals the gradient from splitting the model into two
// sub-models, and both agree with central finite differences.
import { before, describe, it } from "node:test";
import * as assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { ensureBackend, findLayer } from "../../src/engine";
import { captureGradients, registerBackwardHook, registerForwardHook } from "../../src/hooks";
import { pick, randomImages, relErr, smallNested, smallResidual, smallSequential, splitSequential } from "../engine/fixtures";

/** dy captured by a plain backward hook during a full backward pass to the input. */
function hookedGradient(model: tf.LayersModel, layer: string, x: tf.Tensor, classes: number[]): tf.Tensor {
  let dy: tf.Tensor | null = null;
  const h = registerBackwardHook(findLayer(model, layer), (_l, g) => {
    dy = tf.keep(g.clone());
  });
  try {
    tf.tidy(() => {
      tf.grad((xx: tf.Tensor) => tf.sum(pick(model.apply(xx) as tf.Tensor, classes)))(x);
    });
  } finally {
    h.remove();
  }
  assert.ok(dy, "backward hook was not called");
  return dy!;
}

/**
 * Central differences of S = Σ_i score_i w.r.t. `count` coordinates of the layer output of image 0,
 * perturbing the output with a forward hook (all perturbations run as one batch).
 */
async function finiteDifferences(model: tf.LayersModel, layer: string, x: tf.Tensor4D, classes: number[], act: tf.Tensor, coords: number[], eps: number): Promise<number[]> {
  const per = act.size / act.shape[0];
  const n = coords.length * 2;
  const delta = tf.tidy(() => {
    const buf = tf.buffer([n, per]);
    coords.forEach((c, i) => {
      buf.set(eps, 2 * i, c);
      buf.set(-eps, 2 * i + 1, c);
    });
    return buf.toTensor().reshape([n, ...act.shape.slice(1)]);
  });
  const h = registerForwardHook(findLayer(model, layer), (_l, _in, out) => tf.add(out as tf.Tensor, delta));
  let scores: Float32Array;
  try {
    const s = tf.tidy(() => pick(model.apply(tf.tile(tf.slice(x, [0, 0, 0, 0], [1, -1, -1, -1]), [n, 1, 1, 1])) as tf.Tensor, new Array(n).fill(classes[0])));
    scores = (await s.data()) as Float32Array;
    s.dispose();
  } finally {
    h.remove();
    delta.dispose();
  }
  return coords.map((_, i) => (scores[2 * i] - scores[2 * i + 1]) / (2 * eps));
}

function pickCoords(values: Float32Array, per: number, count: number, minAbs: number): number[] {
  // Deterministic spread of coordinates of image 0, away from ReLU kinks (|a| > minAbs).
  const out: number[] = [];
  for (let k = 0, c = 5; out.length < count && k < per * 3; k++, c = (c * 7 + 3) % per) {
    if (Math.abs(values[c]) > minAbs && !out.includes(c)) out.push(c);
  }
  return out;
}

async function checkFd(model: tf.LayersModel, layer: string, x: tf.Tensor4D, classes: number[], dy: tf.Tensor, act: tf.Tensor) {
  const per = act.size / act.shape[0];
  const a = (await act.data()) as Float32Array;
  const eps = 1e-2;
  const coords = pickCoords(a, per, 12, 3 * eps);
  const fd = await finiteDifferences(model, layer, x, classes, act, coords, eps);
  const g = (await dy.data()) as Float32Array;
  coords.forEach((c, i) => {
    assert.ok(Math.abs(fd[i] - g[c]) <= 2e-3 + 2e-2 * Math.abs(g[c]), `coordinate ${c}: finite difference ${fd[i]} vs hook ${g[c]}`);
  });
}

describe("backward hook gradients", () => {
  before(async () => {
    await ensureBackend();
  });

  it("Sequential: hook dy == two-sub-model gradient == finite differences (at a linear conv)", async () => {
    const model = smallSequential();
    const x = randomImages(2, 12);
    const classes = [1, 3];
    const before = tf.memory().numTensors;
    const dyHook = hookedGradient(model, "conv2", x, classes);
    const cap = captureGradients(model, x, [findLayer(model, "conv2")], classes);
    const { head, tail } = splitSequential(model, "conv2");
    const a = head.predict(x) as tf.Tensor;
    const dySplit = tf.tidy(() => tf.grad((aa: tf.Tensor) => tf.sum(pick(tail(aa), classes)))(a));
    const [h, c, s] = await Promise.all([dyHook.data(), cap.layers[0].gradient.data(), dySplit.data()]);
    assert.ok(relErr(h, s) <= 1e-6, `hook vs split ${relErr(h, s)}`);
    assert.ok(relErr(c, s) <= 1e-6, `capture vs split ${relErr(c, s)}`);
    // Under a tape the conv runs unfused (conv + bias), so equality is to rounding, not bitwise.
    assert.ok(relErr(await cap.layers[0].activation.data(), await a.data()) <= 1e-6, "captured activation equals the head's output");
    await checkFd(model, "conv2", x, classes, dySplit, a);
    for (const t of [dyHook, dySplit, a]) t.dispose();
    cap.dispose();
    assert.equal(tf.memory().numTensors, before);
    model.dispose();
  });

  it("residual: dy inside the skip block == split through the Add == finite differences", async () => {
    const model = smallResidual();
    const x = randomImages(2, 10, 3);
    const classes = [0, 2];
    const dyHook = hookedGradient(model, "proj", x, classes);
    const head = tf.model({ inputs: model.inputs, outputs: [model.getLayer("stem").output as tf.SymbolicTensor, model.getLayer("proj").output as tf.SymbolicTensor] });
    const [stem, proj] = head.predict(x) as tf.Tensor[];
    const tail = (s: tf.Tensor, p: tf.Tensor) => ["block_out", "gap", "logits"].reduce((t, n) => model.getLayer(n).apply(t) as tf.Tensor, model.getLayer("skip_add").apply([s, p]) as tf.Tensor);
    const dySplit = tf.tidy(() => tf.grad((p: tf.Tensor) => tf.sum(pick(tail(stem, p), classes)))(proj));
    assert.ok(relErr(await dyHook.data(), await dySplit.data()) <= 1e-6);
    await checkFd(model, "proj", x, classes, dySplit, proj);
    for (const t of [dyHook, dySplit, stem, proj]) t.dispose();
    model.dispose();
  });

  it("nested model: dy at a layer inside the nested backbone == finite differences", async () => {
    const model = smallNested();
    const x = randomImages(1, 10, 5);
    const cap = captureGradients(model, x, [findLayer(model, "backbone/b_conv1")], [2]);
    const dyHook = hookedGradient(model, "backbone/b_conv1", x, [2]);
    assert.ok(relErr(await cap.layers[0].gradient.data(), await dyHook.data()) <= 1e-6);
    await checkFd(model, "backbone/b_conv1", x, [2], dyHook, cap.layers[0].activation);
    cap.dispose();
    dyHook.dispose();
    model.dispose();
  });
});
