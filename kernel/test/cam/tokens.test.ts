// CAMs on a transformer-style model: a small ViT-like net (patch embedding, a class token, token
// MLP and token mixing, mean-pooled head) whose layers output tokens [batch, 17, dim]. With
// `reshape: tokenGrid()` the methods weigh the 16 patch tokens as a 4×4 map; checked against the
// formulas computed here from the layer's real activations and gradients (the layers applied by
// hand, not through camlab), and Ablation-CAM through tokenGrid's way back (class token kept).
import { after, before, describe, it } from "node:test";
import * as assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { ensureBackend } from "../../src/engine";
import { cam, camLayers, tokenGrid, type LayerReshape } from "../../src/cam";

const D = 6;
const CLASSES = 3;

/** Prepends a learned class token to [batch, tokens, dim] (tfjs has no such layer). */
class ClassToken extends tf.layers.Layer {
  static className = "CamlabTestClassToken";
  private token!: tf.LayerVariable;
  build(inputShape: tf.Shape | tf.Shape[]): void {
    const dim = (inputShape as tf.Shape)[2] as number;
    this.token = this.addWeight("token", [1, 1, dim], "float32", tf.initializers.randomNormal({ seed: 3 }));
    this.built = true;
  }
  computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    const s = inputShape as tf.Shape;
    return [s[0], (s[1] as number) + 1, s[2]];
  }
  call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const x = Array.isArray(inputs) ? inputs[0] : inputs;
      const t = tf.tile(this.token.read(), [x.shape[0], 1, 1]);
      return tf.concat([t, x], 1);
    });
  }
}

function tinyVit(): tf.LayersModel {
  const seeded = (s: number) => tf.initializers.glorotUniform({ seed: s });
  const input = tf.input({ shape: [8, 8, 3], name: "image" });
  let t = tf.layers.conv2d({ filters: D, kernelSize: 2, strides: 2, kernelInitializer: seeded(1), name: "patch_embed" }).apply(input) as tf.SymbolicTensor;
  t = tf.layers.reshape({ targetShape: [16, D], name: "to_tokens" }).apply(t) as tf.SymbolicTensor;
  t = new ClassToken({ name: "cls_token" }).apply(t) as tf.SymbolicTensor;
  t = tf.layers.dense({ units: D, activation: "relu", kernelInitializer: seeded(2), name: "block_1" }).apply(t) as tf.SymbolicTensor;
  // Token mixing (MLP-Mixer): a dense layer across the 17 tokens.
  t = tf.layers.permute({ dims: [2, 1], name: "to_channels" }).apply(t) as tf.SymbolicTensor;
  t = tf.layers.dense({ units: 17, kernelInitializer: seeded(3), name: "mix" }).apply(t) as tf.SymbolicTensor;
  t = tf.layers.permute({ dims: [2, 1], name: "to_tokens_again" }).apply(t) as tf.SymbolicTensor;
  t = tf.layers.dense({ units: D, activation: "relu", kernelInitializer: seeded(4), name: "block_out" }).apply(t) as tf.SymbolicTensor;
  t = tf.layers.globalAveragePooling1d({ name: "pool" }).apply(t) as tf.SymbolicTensor;
  const out = tf.layers.dense({ units: CLASSES, kernelInitializer: seeded(5), name: "logits" }).apply(t) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: out, name: "tiny_vit" });
}

describe("CAMs on token layers (reshape: tokenGrid)", () => {
  let model: tf.LayersModel;
  let x: tf.Tensor4D;
  let A: number[][]; // block_out for image 0: [17 tokens][D]
  let tail: (a: tf.Tensor) => tf.Tensor;

  before(async () => {
    await ensureBackend();
    model = tinyVit();
    x = tf.randomUniform([1, 8, 8, 3], 0, 1, "float32", 11) as tf.Tensor4D;
    const head = tf.model({ inputs: model.inputs, outputs: model.getLayer("block_out").output as tf.SymbolicTensor });
    const a = head.predict(x) as tf.Tensor3D;
    A = ((await a.array()) as number[][][])[0];
    a.dispose();
    tail = (aa) => model.getLayer("logits").apply(model.getLayer("pool").apply(aa)) as tf.Tensor;
  });
  after(() => {
    x.dispose();
    model.dispose();
  });

  async function gradientAt(cls: number): Promise<number[][]> {
    const a = tf.tensor3d([A]);
    const g = tf.tidy(() => tf.grad((aa: tf.Tensor) => tf.sum(tf.slice(tail(aa), [0, cls], [1, 1])))(a));
    const G = ((await g.array()) as number[][][])[0];
    tf.dispose([a, g]);
    return G;
  }

  it("Grad-CAM: weights are the mean gradient over the 16 patch tokens, the map Σ_d w_d·A[token, d] on the 4×4 grid (class token dropped)", async () => {
    const cls = 1;
    const G = await gradientAt(cls);
    const patches = A.slice(1);
    const w = Array.from({ length: D }, (_, d) => G.slice(1).reduce((s, row) => s + row[d], 0) / 16);
    const want = patches.map((row) => Math.max(0, row.reduce((s, v, d) => s + v * w[d], 0)));

    const r = await camLayers(model, x, { layer: "block_out", reshape: tokenGrid(), target: cls });
    try {
      assert.deepEqual(r.perLayer[0].raw.shape, [1, 4, 4]);
      const got = Array.from(await r.perLayer[0].raw.data());
      const scale = Math.max(...want.map(Math.abs), 1e-12);
      got.forEach((v, i) => assert.ok(Math.abs(v - want[i]) / scale < 1e-5, `token ${i + 1}: ${v} vs ${want[i]}`));
      const gw = Array.from(await r.perLayer[0].weights!.data());
      gw.forEach((v, d) => assert.ok(Math.abs(v - w[d]) < 1e-6 + 1e-5 * Math.abs(w[d]), `weight ${d}`));
    } finally {
      r.dispose();
    }
  });

  it("Ablation-CAM through tokenGrid's way back: w_d = (S − S with channel d zeroed on the patch tokens) / S, the class token untouched", async () => {
    const cls = 2;
    const score = async (tokens: number[][]) => {
      const out = tf.tidy(() => tail(tf.tensor3d([tokens])));
      const v = (await out.data())[cls];
      out.dispose();
      return v;
    };
    const S = await score(A);
    const w: number[] = [];
    for (let d = 0; d < D; d++) {
      const ablated = A.map((row, t) => (t === 0 ? row : row.map((v, k) => (k === d ? 0 : v))));
      w.push((S - (await score(ablated))) / S);
    }
    const r = await cam(model, x, { method: "ablationcam", layer: "block_out", reshape: tokenGrid(), target: cls });
    try {
      const got = Array.from(await r.weights!.data());
      got.forEach((v, d) => assert.ok(Math.abs(v - w[d]) < 1e-4 * Math.max(1, Math.abs(w[d])), `channel ${d}: ${v} vs ${w[d]}`));
      assert.deepEqual(r.heatmap.shape, [1, 8, 8], "upsampled from the 4×4 patch grid to the 8×8 input");
    } finally {
      r.dispose();
    }
  });

  it("every method runs on the token layer and leaves no tensor behind", async () => {
    const n0 = tf.memory().numTensors;
    for (const method of ["gradcam", "gradcampp", "xgradcam", "hirescam", "layercam", "scorecam", "eigencam", "eigengradcam", "finercam", "shapleycam", "kpcacam"] as const) {
      const r = await cam(model, x, { method, layer: "block_out", reshape: tokenGrid(), batchSize: 4 });
      assert.deepEqual(r.raw.shape, [1, 4, 4], method);
      assert.ok((await r.heatmap.data()).every(Number.isFinite), `${method}: finite`);
      r.dispose();
    }
    assert.equal(tf.memory().numTensors, n0);
  });

  it("refuses, before any kernel runs: no reshape on a token layer, a grid that does not fit, a reshape without a way back for Ablation-CAM", async () => {
    const n0 = tf.memory().numTensors;
    await assert.rejects(cam(model, x, { layer: "block_out" }), /layer "block_out" outputs shape \[batch, 17, 6\] \(rank 3\); a CAM needs a spatial map/);
    await assert.rejects(cam(model, x, { layer: "block_out", reshape: tokenGrid({ height: 3 }) }), /layer "block_out" with reshape tokenGrid\(3×auto.*17 tokens does not hold 3×\? patches/);
    await assert.rejects(cam(model, x, { layer: "patch_embed", reshape: tokenGrid() }), /tokenGrid: the layer's output has shape \[batch, 4, 4, 6\]; tokenGrid takes token layers/);
    const oneWay: LayerReshape = { name: "one-way", toMap: (t) => tokenGrid().toMap(t) };
    await assert.rejects(cam(model, x, { method: "ablationcam", layer: "block_out", reshape: oneWay }), /method "ablationcam" runs the model again with the layer's output replaced, so its reshape needs `fromMap/);
    assert.throws(() => tokenGrid({ height: 0 }), /height must be a positive integer, got 0/);
    assert.equal(tf.memory().numTensors, n0);
    // A one-way reshape is fine where nothing is fed back.
    const r = await cam(model, x, { layer: "block_out", reshape: oneWay });
    r.dispose();
    assert.equal(tf.memory().numTensors, n0);
  });
});
