// FullGrad against its formula (Srinivas & Fleuret 2019, Eq. 4 with the ψ post-processing),
// computed here from plain tf.grad on split models and float64 host arithmetic.
import { before, describe, it } from "node:test";
import * as assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { ensureBackend } from "../../src/engine";
import { activeHookCount } from "../../src/hooks";
import { fullGrad } from "../../src/cam";
import { randomImages, seeded, splitSequential } from "../engine/fixtures";
import * as ref from "./reference";

const SIZE = 10;

function bnModel(): tf.Sequential {
  const m = tf.sequential({
    layers: [
      tf.layers.conv2d({ inputShape: [SIZE, SIZE, 3], filters: 4, kernelSize: 3, padding: "same", activation: "relu", kernelInitializer: seeded(61), biasInitializer: tf.initializers.randomUniform({ minval: -0.2, maxval: 0.2, seed: 71 }), name: "conv1" }),
      tf.layers.conv2d({ filters: 5, kernelSize: 3, strides: 2, padding: "same", useBias: false, kernelInitializer: seeded(62), name: "conv2" }),
      tf.layers.batchNormalization({ name: "bn2" }),
      tf.layers.reLU({ name: "relu2" }),
      tf.layers.conv2d({ filters: 6, kernelSize: 3, padding: "valid", activation: "relu", kernelInitializer: seeded(63), biasInitializer: tf.initializers.randomUniform({ minval: -0.2, maxval: 0.2, seed: 73 }), name: "conv3" }),
      tf.layers.globalAveragePooling2d({}),
      tf.layers.dense({ units: 3, kernelInitializer: seeded(64), name: "logits" }),
    ],
  });
  const bn = m.getLayer("bn2");
  bn.setWeights([tf.randomUniform([5], 0.5, 1.5, "float32", 1), tf.randomUniform([5], -0.3, 0.3, "float32", 2), tf.randomUniform([5], -0.2, 0.2, "float32", 3), tf.randomUniform([5], 0.5, 2, "float32", 4)]);
  return m;
}

describe("fullGrad", () => {
  before(async () => {
    await ensureBackend();
  });

  it("|x ⊙ ∇ₓf| + Σ_layers Σ_c ψ(|b_c ⊙ ∂f/∂z_c|): conv biases (ReLU and linear) and a batch norm's effective bias", async () => {
    const model = bnModel();
    const x = randomImages(2, SIZE, 41);
    const classes = [0, 2];
    const score = (o: tf.Tensor) => tf.sum(tf.mul(o, tf.oneHot(classes, 3)));
    const n0 = tf.memory().numTensors;
    const r = await fullGrad(model, x, { target: classes });
    assert.deepEqual(r.layers, ["conv1", "bn2", "conv3"]);
    assert.deepEqual(r.skipped, []);
    assert.deepEqual(r.targets, classes);
    const heat = (await r.heatmap.array()) as number[][][];
    r.dispose();
    r.dispose();
    assert.equal(tf.memory().numTensors, n0);
    assert.equal(activeHookCount(), 0);

    const xs = (await x.array()) as ref.Img[];
    const gx = tf.tidy(() => tf.grad((xx: tf.Tensor) => score(model.apply(xx) as tf.Tensor))(x));
    const GX = (await gx.array()) as ref.Img[];
    gx.dispose();
    /** ψ on one [h][w][c] map: |·| given, then per channel x − min, ÷ (max + 1e-7); summed over channels. */
    const psiSum = (m: ref.Img): number[][] => {
      const c = m[0][0].length;
      const lo = Array.from({ length: c }, (_, k) => Math.min(...m.flat().map((px) => px[k])));
      const hi = Array.from({ length: c }, (_, k) => Math.max(...m.flat().map((px) => px[k] - lo[k])));
      return m.map((row) => row.map((px) => px.reduce((s, v, k) => s + (v - lo[k]) / (hi[k] + 1e-7), 0)));
    };
    const total = xs.map((img, b) => psiSum(img.map((row, i) => row.map((px, j) => px.map((v, k) => Math.abs(v * GX[b][i][j][k]))))));
    const [bnGamma, bnBeta, bnMean, bnVar] = (await Promise.all(model.getLayer("bn2").getWeights().map((t) => t.array()))) as number[][];
    for (const [name, bias, relu] of [
      ["conv1", ((await model.getLayer("conv1").getWeights()[1].array()) as number[]), true],
      ["bn2", bnBeta.map((beta, k) => beta - (bnMean[k] * bnGamma[k]) / Math.sqrt(bnVar[k] + 1e-3)), false],
      ["conv3", ((await model.getLayer("conv3").getWeights()[1].array()) as number[]), true],
    ] as const) {
      const { head, tail } = splitSequential(model, name);
      const a = head.predict(x) as tf.Tensor;
      const g = tf.tidy(() => tf.grad((aa: tf.Tensor) => score(tail(aa)))(a));
      const A = (await a.array()) as ref.Img[], G = (await g.array()) as ref.Img[];
      tf.dispose([a, g]);
      for (let b = 0; b < 2; b++) {
        // f^b = ∂f/∂z ⊙ b: for a fused ReLU, ∂f/∂z = ∂f/∂out where out > 0.
        const fb = G[b].map((row, i) => row.map((px, j) => px.map((v, k) => Math.abs((relu && A[b][i][j][k] <= 0 ? 0 : v) * bias[k]))));
        const up = ref.resizeBilinear(psiSum(fb), SIZE, SIZE);
        total[b] = total[b].map((row, i) => row.map((v, j) => v + up[i][j]));
      }
    }
    for (let b = 0; b < 2; b++) {
      const expected = ref.scaleUnit(total[b]);
      assert.ok(ref.maxRelErr(heat[b], expected) <= 1e-5, `image ${b}: rel err ${ref.maxRelErr(heat[b], expected)}`);
    }
    x.dispose();
    model.dispose();
  });

  it("a class out of range, or a GraphModel-like argument, is refused with nothing leaked", async () => {
    const model = bnModel();
    const x = randomImages(1, SIZE, 2);
    const n0 = tf.memory().numTensors;
    await assert.rejects(fullGrad(model, x, { target: 5 }), /class index 5 is out of range; the model has 3 classes/);
    await assert.rejects(fullGrad({} as never, x), /expected a tf.LayersModel or tf.GraphModel/);
    assert.equal(tf.memory().numTensors, n0);
    assert.equal(activeHookCount(), 0);
    x.dispose();
    model.dispose();
  });
});
