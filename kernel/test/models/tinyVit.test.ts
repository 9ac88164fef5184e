// The tiny teaching ViT: its attention layer computes softmax(Q·Kᵀ/√d) (checked against the
// formula on the layer's own weights and input, captured with hooks), a forward hook reads the
// attention weights beside a CAM, and a CAM explains the tokens only before the last attention —
// after it, the head reads the class token alone and the patch tokens' gradients are exactly zero.
import { before, describe, it } from "node:test";
import * as assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { ensureBackend, findLayer } from "../../src/engine";
import { registerForwardHook } from "../../src/hooks";
import { cam, tokenGrid } from "../../src/cam";
import { buildTinyVit } from "../../src/models";
import { makeShapes } from "../../src/data";

describe("buildTinyVit", () => {
  let vit: tf.LayersModel;
  let x: tf.Tensor4D;
  before(async () => {
    await ensureBackend();
    vit = buildTinyVit({ seed: 3, dim: 8 });
    const shapes = makeShapes({ count: 2, seed: 5 });
    x = shapes.images.clone();
    shapes.dispose();
  });

  it("has 1 + 8×8 tokens and the layers the docs name", () => {
    for (const name of ["stem", "patch_embed", "tokens", "cls_token", "positions", "block_0_attention", "block_0", "block_1_attention", "block_1", "readout", "logits"]) findLayer(vit, name);
    assert.deepEqual(vit.getLayer("block_0").outputShape, [null, 65, 8]);
    assert.deepEqual(vit.getLayer("block_1_attention").outputShape, [null, 65, 65]);
    assert.throws(() => buildTinyVit({ size: 30, patch: 4 }), /size 30 must be a multiple of patch 4/);
  });

  it("block_1_attention is softmax(X·W_q·(X·W_k)ᵀ/√d) of its input, rows summing to 1; a hook reads it beside a CAM", async () => {
    let input: number[][] = [];
    let weights: number[][] = [];
    const attention = findLayer(vit, "block_1_attention") as tf.layers.Layer;
    const h = registerForwardHook(attention, (_l, inputs, out) => {
      const xin = (Array.isArray(inputs) ? inputs[0] : inputs) as tf.Tensor3D;
      input = (xin.arraySync() as number[][][])[0];
      weights = ((out as tf.Tensor3D).arraySync() as number[][][])[0];
    });
    const r = await cam(vit, x, { layer: "block_0", reshape: tokenGrid() });
    h.remove();
    r.dispose();
    const [Wq, Wk] = attention.getWeights().map((w) => w.arraySync() as number[][]);
    const d = Wq[0].length;
    const mul = (a: number[][], b: number[][]) => a.map((row) => b[0].map((_, j) => row.reduce((s, v, k) => s + v * b[k][j], 0)));
    const Q = mul(input, Wq), K = mul(input, Wk);
    for (let i = 0; i < Q.length; i += 16) {
      const logits = K.map((k) => Q[i].reduce((s, v, j) => s + v * k[j], 0) / Math.sqrt(d));
      const m = Math.max(...logits);
      const e = logits.map((l) => Math.exp(l - m));
      const z = e.reduce((s, v) => s + v, 0);
      e.forEach((v, j) => assert.ok(Math.abs(v / z - weights[i][j]) < 1e-5, `row ${i}, column ${j}`));
      assert.ok(Math.abs(weights[i].reduce((s, v) => s + v, 0) - 1) < 1e-5);
    }
  });

  it("a CAM before the last attention sees the patches; after it, their gradients are zero and so is the map", async () => {
    const before = await cam(vit, x, { layer: "block_0", reshape: tokenGrid(), target: 1 });
    const after = await cam(vit, x, { layer: "block_1", reshape: tokenGrid(), target: 1 });
    try {
      assert.deepEqual(before.raw.shape, [2, 8, 8]);
      assert.ok(Math.max(...(await before.weights!.data()).map(Math.abs)) > 0, "block_0: the patch tokens reach the class token through block 1's attention");
      assert.deepEqual(Array.from(await after.weights!.data()).map(Math.abs).map((v) => (v === 0 ? 0 : v)), new Array(16).fill(0), "block_1: only the class token reaches the head");
    } finally {
      before.dispose();
      after.dispose();
    }
  });
});
