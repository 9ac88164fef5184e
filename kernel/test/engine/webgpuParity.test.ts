// webgpu against wasm, an independent implementation of every kernel: the same models and inputs
// run through every hook kind, every CAM method, the guided variants, gradient health and the
// metrics on both backends, and all numbers agree to a relative difference under 1e-3 (relative
// to the largest magnitude of the wasm result). Skipped when Dawn finds no WebGPU adapter.
//
// Models and inputs are made on wasm and computed there first; switching to webgpu moves them.
import { before, describe, it, type TestContext } from "node:test";
import * as assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { backendInfo, findLayer, useBackend, type AnyModel, type BackendInfo } from "../../src/engine";
import { activeHookCount, FeatureExtractor, gradientHealth, registerBackwardHook } from "../../src/hooks";
import { cam, CAM_METHODS, guidedBackprop, guidedGradCam, type CamMethodName } from "../../src/cam";
import { complexity, confidenceChange, deletionCurve, insertionCurve, mapSimilarity, pointingGame, relevanceAccuracy, road, sparseness } from "../../src/metrics";
import { pick, randomImages, relErr, smallNested, smallResidual, smallSequential } from "./fixtures";

const TOLERANCE = 1e-3;
type Numbers = Record<string, ArrayLike<number>>;

let info: BackendInfo;
const finalBackend = process.env.CAMLAB_BACKEND?.trim() || null;

/**
 * Makes the model and inputs on wasm, runs `compute` there, switches to webgpu, runs it again,
 * and compares every named result. Checks that neither run leaves tensors or hooks behind.
 */
async function compareBackends<M>(t: TestContext, make: () => M, compute: (m: M) => Promise<Numbers>, free: (m: M) => void): Promise<void> {
  await useBackend("wasm");
  const made = make();
  const run = async (): Promise<Numbers> => {
    const n0 = tf.memory().numTensors;
    const r = await compute(made);
    assert.equal(tf.memory().numTensors, n0, `${tf.getBackend()}: tensors left behind`);
    assert.equal(activeHookCount(), 0, `${tf.getBackend()}: hooks left registered`);
    return r;
  };
  try {
    const reference = await run();
    await useBackend("webgpu");
    const got = await run();
    assert.deepEqual(Object.keys(got), Object.keys(reference));
    const worst: string[] = [];
    for (const k of Object.keys(reference)) {
      const e = relErr(got[k], reference[k]);
      worst.push(`${k} ${e.toExponential(1)}`);
      assert.ok(e < TOLERANCE, `${k}: webgpu differs from wasm by ${e.toExponential(2)} (relative)`);
    }
    t.diagnostic(`relative differences webgpu vs wasm: ${worst.join(", ")}`);
  } finally {
    free(made);
    if (finalBackend) await useBackend(finalBackend);
  }
}

const read = async (t: tf.Tensor | null): Promise<Float32Array> => Float32Array.from(t ? await t.data() : []);

/** Every captured tensor of a forward pass: the output and the named layers' activations. */
async function forwardHooks(model: AnyModel, x: tf.Tensor, layers: string[]): Promise<Numbers> {
  const fe = new FeatureExtractor(model, layers);
  try {
    const f = fe.extract(x);
    const out: Numbers = { output: await read(f.output) };
    for (const l of layers) out[l] = await read(f.features[l]);
    return out;
  } finally {
    fe.dispose();
  }
}

/** dy captured by backward hooks at `layers` during one gradient to the input, and that gradient. */
async function backwardHooks(model: tf.LayersModel, x: tf.Tensor, layers: string[], classes: number[]): Promise<Numbers> {
  const dys: Record<string, tf.Tensor> = {};
  const handles = layers.map((l) => registerBackwardHook(findLayer(model, l), (_layer, dy, index) => {
    if (index === 0) dys[l] = tf.keep(dy.clone());
  }));
  try {
    const gx = tf.tidy(() => tf.grad((xx: tf.Tensor) => tf.sum(pick(model.apply(xx) as tf.Tensor, classes)))(x));
    const out: Numbers = { inputGradient: await read(gx) };
    gx.dispose();
    for (const l of layers) out[`dy:${l}`] = await read(dys[l]);
    return out;
  } finally {
    handles.forEach((h) => h.remove());
    tf.dispose(Object.values(dys));
  }
}

describe("webgpu agrees with wasm", () => {
  before(async () => {
    info = await backendInfo();
  });
  const needsWebgpu = (t: TestContext): boolean => {
    if (info.available.includes("webgpu")) return true;
    t.skip(`no WebGPU adapter: ${info.unavailable.webgpu}`);
    return false;
  };

  const models = [
    { name: "sequential", make: () => smallSequential(4, 12), size: 12, layers: ["conv1", "conv2", "relu2", "conv3"] },
    { name: "residual", make: () => smallResidual(3, 10), size: 10, layers: ["stem", "dw", "proj", "skip_add", "block_out"] },
    { name: "nested", make: () => smallNested(3, 10), size: 10, layers: ["backbone/b_conv1", "backbone/b_conv2", "backbone"] },
  ];

  for (const m of models) {
    it(`${m.name}: forward hooks (every layer's activation) and backward hooks (dy at every layer, the input gradient)`, async (t) => {
      if (!needsWebgpu(t)) return;
      await compareBackends(t, () => ({ model: m.make(), x: randomImages(2, m.size, 3) }), async ({ model, x }) => ({
        ...(await forwardHooks(model, x, m.layers)),
        ...(await backwardHooks(model, x, m.layers, [1, 0])),
      }), ({ model, x }) => {
        x.dispose();
        model.dispose();
      });
    });
  }

  for (const m of models.slice(0, 2)) {
    it(`${m.name}: every CAM method (heatmap, raw map, weights, scores, predictions), batch of 2`, async (t) => {
      if (!needsWebgpu(t)) return;
      await compareBackends(t, () => ({ model: m.make(), x: randomImages(2, m.size, 11) }), async ({ model, x }) => {
        const out: Numbers = {};
        for (const method of Object.keys(CAM_METHODS) as CamMethodName[]) {
          // lightcam needs a layer with a kernel (or a conv right before it): the residual model's
          // default layer follows an Add, which lightcam refuses by design — its conv "proj" then.
          const layer = method === "lightcam" && m.name === "residual" ? "proj" : undefined;
          const r = await cam(model, x, { method, layer, target: [0, 2], batchSize: 4 });
          out[`${method}.heatmap`] = await read(r.heatmap);
          out[`${method}.raw`] = await read(r.raw);
          out[`${method}.weights`] = await read(r.weights);
          out[`${method}.scores`] = r.scores;
          out[`${method}.top1`] = r.predictions.map((p) => p[0].classIndex);
          out[`${method}.probabilities`] = r.predictions.flatMap((p) => p.map((q) => q.probability));
          r.dispose();
        }
        return out;
      }, ({ model, x }) => {
        x.dispose();
        model.dispose();
      });
    });
  }

  it("two layers fused, a target function, guided backprop and guided Grad-CAM", async (t) => {
    if (!needsWebgpu(t)) return;
    await compareBackends(t, () => ({ model: smallSequential(4, 12), x: randomImages(2, 12, 13) }), async ({ model, x }) => {
      const fused = await cam(model, x, { layer: ["conv1", "conv3"], method: "layercam" });
      const fn = await cam(model, x, { target: (out: tf.Tensor) => tf.sub(tf.slice(out, [0, 1], [-1, 1]), tf.slice(out, [0, 2], [-1, 1])).reshape([-1]) as tf.Tensor1D });
      const gb = await guidedBackprop(model, x, { target: 3 });
      const gg = await guidedGradCam(model, x, { target: 3 });
      const out: Numbers = {
        "fused.heatmap": await read(fused.heatmap),
        "targetFn.heatmap": await read(fn.heatmap),
        "targetFn.scores": fn.scores,
        "guidedBackprop": await read(gb.gradients),
        "guidedGradCam": await read(gg.guided),
      };
      for (const r of [fused, fn, gb, gg]) r.dispose();
      return out;
    }, ({ model, x }) => {
      x.dispose();
      model.dispose();
    });
  });

  it("gradient health and the metrics (deletion/insertion curves, confidence change, pointing game)", async (t) => {
    if (!needsWebgpu(t)) return;
    const make = () => ({
      model: smallResidual(3, 10),
      x: randomImages(2, 10, 17),
      // Distinct saliency values: the pixel order, hence the curves, cannot depend on ties.
      heat: tf.randomUniform([2, 10, 10], 0, 1, "float32", 19) as tf.Tensor3D,
      masks: tf.tidy(() => tf.cast(tf.greater(tf.randomUniform([2, 10, 10], 0, 1, "float32", 23), 0.5), "float32")),
    });
    await compareBackends(t, make, async ({ model, x, heat, masks }) => {
      const health = await gradientHealth(model, x);
      const del = await deletionCurve(model, x, heat, { steps: 10 });
      const ins = await insertionCurve(model, x, heat, { steps: 10 });
      const conf = await confidenceChange(model, x, heat);
      const point = await pointingGame(heat, masks, { tolerance: 1 });
      return {
        "health.norms": health.layers.map((l) => l.norm),
        "health.loss": [health.loss],
        "deletion.curves": del.curves.flat(),
        "deletion.auc": del.auc,
        "insertion.curves": ins.curves.flat(),
        "confidence.original": conf.original,
        "confidence.explained": conf.explained,
        "pointing.points": point.points.flatMap((p) => [p.x, p.y]),
        "pointing.hits": point.hits.map(Number),
      };
    }, (m) => {
      tf.dispose([m.x, m.heat, m.masks]);
      m.model.dispose();
    });
  });

  it("ROAD (noisy linear imputation from a coarse level), relevance accuracy, sparseness, complexity, map similarity", async (t) => {
    if (!needsWebgpu(t)) return;
    const make = () => ({
      // 20 px: the imputation solves a coarse 10 px level first, then the full one.
      model: smallResidual(3, 20),
      x: randomImages(2, 20, 29),
      heat: tf.randomUniform([2, 20, 20], 0, 1, "float32", 31) as tf.Tensor3D,
      other: tf.randomUniform([2, 20, 20], -1, 1, "float32", 37) as tf.Tensor3D,
      masks: tf.tidy(() => tf.cast(tf.greater(tf.randomUniform([2, 20, 20], 0, 1, "float32", 41), 0.6), "float32")),
    });
    await compareBackends(t, make, async ({ model, x, heat, other, masks }) => {
      // A tight solve: the two backends sum in different orders, and a loose solve leaves them apart.
      const r = await road(model, x, heat, { percentiles: [10, 50, 90], tolerance: 1e-6 });
      const loc = await relevanceAccuracy(heat, masks);
      const sim = await mapSimilarity(heat, other);
      return {
        "road.morf": r.morf.curves.flat(),
        "road.lerf": r.lerf.curves.flat(),
        "relevance.mass": loc.mass,
        "relevance.rank": loc.rank,
        sparseness: (await sparseness(other)).scores,
        complexity: (await complexity(other)).scores,
        "similarity.spearman": sim.spearman,
        "similarity.spearmanAbs": sim.spearmanAbs,
        "similarity.ssim": sim.ssim,
      };
    }, (m) => {
      tf.dispose([m.x, m.heat, m.other, m.masks]);
      m.model.dispose();
    });
  });
});
