// The gradient family on the input against its paper formulas computed here (tf.grad on the
// model for the gradients, float64 host arithmetic for the rest): to 1e-5. Plus Integrated
// Gradients' completeness, option errors before any kernel, cancellation and leaks.
import { after, before, describe, it } from "node:test";
import * as assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { Cancelled, ensureBackend, runWork, softmaxProbability, type Progress } from "../../src/engine";
import { attribute, gradientXInput, integratedGradientsMethod, saliency, smoothGrad, varGrad } from "../../src/attribution";
import { randomImages, smallSequential } from "../engine/fixtures";
import * as ref from "./reference";

const SIZE = 12;
const CLASSES = [1, 3];

describe("input attributions vs their formulas", () => {
  let model: tf.Sequential;
  let x: tf.Tensor4D;
  let xs: ref.Batch;
  let G: ref.Batch;

  before(async () => {
    await ensureBackend();
    model = smallSequential(4, SIZE);
    x = randomImages(2, SIZE, 17);
    xs = (await x.array()) as ref.Batch;
    G = await ref.inputGradients(model, xs, CLASSES);
  });

  after(() => {
    x.dispose();
    model.dispose();
  });

  async function run(options: Parameters<typeof attribute>[2]) {
    const n0 = tf.memory().numTensors;
    const r = await attribute(model, x, { target: CLASSES, ...options });
    const out = { attributions: (await r.attributions.array()) as ref.Batch, map: (await r.map.array()) as number[][][], targets: r.targets, scores: r.scores, method: r.method };
    r.dispose();
    r.dispose(); // idempotent
    assert.equal(tf.memory().numTensors, n0, "tensor count changed");
    return out;
  }

  it("saliency: |∂S/∂x| and the max over channels (Simonyan et al. 2014)", async () => {
    const r = await run({ method: "saliency" });
    assert.deepEqual(r.targets, CLASSES);
    const expected = ref.map4(G, Math.abs);
    assert.ok(ref.relErr(r.attributions, expected) <= 1e-5, `rel err ${ref.relErr(r.attributions, expected)}`);
    assert.ok(ref.relErr(r.map, ref.maxAbsOverChannels(expected)) <= 1e-5);
  });

  it("gradient × input: x ⊙ ∂S/∂x, summed over channels", async () => {
    const r = await run({ method: "gradientxinput" });
    const expected = ref.map4(G, (g, [b, i, j, c]) => g * xs[b][i][j][c]);
    assert.ok(ref.relErr(r.attributions, expected) <= 1e-5, `rel err ${ref.relErr(r.attributions, expected)}`);
    assert.ok(ref.relErr(r.map, ref.sumOverChannels(expected)) <= 1e-5);
  });

  it("integrated gradients: Eq. 3 with a tensor baseline, 12 steps in runs of 2 steps", async () => {
    const baseline = tf.randomUniform([1, SIZE, SIZE, 3], 0, 0.3, "float32", 5);
    const bl = ((await baseline.array()) as ref.Batch)[0];
    const r = await run({ method: "integratedgradients", baseline, steps: 12, batchSize: 4 });
    const expected = await ref.integratedGradients(model, xs, [bl, bl], CLASSES, 12);
    assert.ok(ref.relErr(r.attributions, expected) <= 1e-5, `rel err ${ref.relErr(r.attributions, expected)}`);
    assert.ok(ref.relErr(r.map, ref.sumOverChannels(expected)) <= 1e-5);
    assert.ok(!baseline.isDisposed, "the caller's baseline is left alone");
    baseline.dispose();
  });

  it("integrated gradients: completeness — Σ attributions = F(x) − F(0) within 1% at 64 steps (class logit and softmax probability)", async () => {
    const zero = tf.zerosLike(x);
    for (const [target, f] of [
      [CLASSES, (o: tf.Tensor) => tf.sum(tf.mul(o, tf.oneHot(CLASSES, 4)), -1)],
      [softmaxProbability(1), (o: tf.Tensor) => tf.slice(tf.softmax(o), [0, 1], [-1, 1]).reshape([-1])],
    ] as const) {
      const r = await run({ method: "integratedgradients", target, steps: 64 });
      const fx = tf.tidy(() => f(model.predict(x) as tf.Tensor)), f0 = tf.tidy(() => f(model.predict(zero) as tf.Tensor));
      const [vx, v0] = [await fx.data(), await f0.data()];
      fx.dispose();
      f0.dispose();
      for (let b = 0; b < 2; b++) {
        const total = r.attributions[b].flat(2).reduce((s, v) => s + v, 0);
        const delta = vx[b] - v0[b];
        assert.ok(Math.abs(delta) > 1e-3, "a meaningful difference to explain");
        assert.ok(Math.abs(total - delta) <= 0.01 * Math.abs(delta), `image ${b}: Σ attributions ${total} vs F(x) − F(0) = ${delta}`);
      }
    }
    zero.dispose();
  });

  async function smoothReference(inner: (g: ref.Batch, points: ref.Batch) => ref.Batch, samples: number, noise: number, seed: number) {
    const all: ref.Batch[] = [];
    for (let s = 0; s < samples; s++) {
      const eps = tf.randomNormal([2, SIZE, SIZE, 3], 0, 1, "float32", seed + s);
      const e = (await eps.array()) as ref.Batch;
      eps.dispose();
      const range = xs.map((img) => Math.max(...img.flat(2)) - Math.min(...img.flat(2)));
      const noisy = ref.map4(xs, (v, [b, i, j, c]) => v + noise * range[b] * e[b][i][j][c]);
      all.push(inner(await ref.inputGradients(model, noisy, CLASSES), noisy));
    }
    // Smilkov et al. 2017 Eq. 1: the mean; VarGrad: the (1/n) variance.
    const mean = ref.map4(all[0], (_, [b, i, j, c]) => all.reduce((s, a) => s + a[b][i][j][c], 0) / samples);
    const variance = ref.map4(all[0], (_, [b, i, j, c]) => all.reduce((s, a) => s + (a[b][i][j][c] - mean[b][i][j][c]) ** 2, 0) / samples);
    return { mean, variance };
  }

  it("smoothGrad(saliency): the mean of |∇| over seeded noisy copies (Smilkov et al. 2017); same call, same result", async () => {
    const method = smoothGrad(saliency, { samples: 5, noise: 0.1, seed: 3 });
    const r = await run({ method });
    assert.equal(r.method, "smoothgrad(saliency)");
    const { mean } = await smoothReference((g) => ref.map4(g, Math.abs), 5, 0.1, 3);
    assert.ok(ref.relErr(r.attributions, mean) <= 1e-5, `rel err ${ref.relErr(r.attributions, mean)}`);
    assert.ok(ref.relErr(r.map, ref.maxAbsOverChannels(mean)) <= 1e-5);
    const again = await run({ method });
    assert.deepEqual(again.attributions, r.attributions, "seeded: deterministic");
  });

  it("varGrad(gradient × input) and { smooth: { kind: 'vargrad' } }: the variance over the noisy copies (Adebayo et al. 2018)", async () => {
    const { variance } = await smoothReference((g, p) => ref.map4(g, (v, [b, i, j, c]) => v * p[b][i][j][c]), 4, 0.2, 11);
    const a = await run({ method: varGrad(gradientXInput, { samples: 4, noise: 0.2, seed: 11 }) });
    const b = await run({ method: "gradientxinput", smooth: { kind: "vargrad", samples: 4, noise: 0.2, seed: 11 } });
    for (const r of [a, b]) assert.ok(ref.relErr(r.attributions, variance) <= 1e-5, `rel err ${ref.relErr(r.attributions, variance)}`);
  });

  it("smoothGrad around integrated gradients runs IG on every noisy copy", async () => {
    const r = await run({ method: smoothGrad(integratedGradientsMethod, { samples: 2, seed: 1 }), steps: 4 });
    assert.equal(r.method, "smoothgrad(integratedgradients)");
    assert.deepEqual([r.attributions.length, r.attributions[0].length], [2, SIZE]);
  });

  it("top-1 by default: the classes come from the unmodified input", async () => {
    const r = await attribute(model, x);
    const logits = (await (model.predict(x) as tf.Tensor).array()) as number[][];
    assert.deepEqual(r.targets, logits.map((row) => row.indexOf(Math.max(...row))));
    r.dispose();
  });

  it("bad options: clear errors before any kernel runs, nothing allocated", async () => {
    const cases: [Parameters<typeof attribute>[2], RegExp][] = [
      [{ method: "gradcam" as never }, /unknown method "gradcam"; use one of saliency, gradientxinput, integratedgradients/],
      [{ method: "saliency", steps: 8 }, /`steps` applies to method "integratedgradients" only, got method "saliency"/],
      [{ method: "gradientxinput", baseline: 0 }, /`baseline` applies to method "integratedgradients" only/],
      [{ method: "integratedgradients", steps: 0 }, /steps must be a positive integer .*got 0/],
      [{ method: "integratedgradients", steps: 2.5 }, /steps must be a positive integer/],
      [{ method: "integratedgradients", baseline: NaN }, /baseline must be a finite number or a tensor, got NaN/],
      [{ batchSize: -1 }, /batchSize must be a positive integer .*got -1/],
      [{ smooth: { samples: 0 } }, /samples must be a positive integer .*got 0/],
      [{ smooth: { noise: -0.1 } }, /noise must be a finite number ≥ 0/],
      [{ smooth: { kind: "median" as never } }, /smooth.kind must be "smoothgrad" or "vargrad", got "median"/],
    ];
    for (const [options, message] of cases) {
      const n0 = tf.memory().numTensors;
      await assert.rejects(attribute(model, x, options), message);
      assert.equal(tf.memory().numTensors, n0);
    }
    assert.throws(() => smoothGrad({} as never), /the first argument must be an attribution method/);
    const wrong = tf.zeros([1, 5, 5, 3]), flat = tf.zeros([2, 12, 3]);
    const n0 = tf.memory().numTensors;
    await assert.rejects(attribute(model, x, { method: "integratedgradients", baseline: wrong }), /baseline must be a number or a tensor \[1 or 2, 12, 12, 3\] .*got shape \[1, 5, 5, 3\]/);
    await assert.rejects(attribute(model, x, { target: 9 }), /class index 9 is out of range; the model has 4 classes/);
    await assert.rejects(attribute(model, flat as never), /input must be an image batch/);
    assert.equal(tf.memory().numTensors, n0);
    wrong.dispose();
    flat.dispose();
  });

  it("a target function that throws mid-way leaves no tensor behind", async () => {
    let calls = 0;
    const target = (o: tf.Tensor) => {
      if (++calls > 3) throw new Error("boom");
      return tf.slice(o, [0, 0], [-1, 1]).reshape([-1]);
    };
    const n0 = tf.memory().numTensors;
    await assert.rejects(attribute(model, x, { method: "integratedgradients", target, steps: 8, batchSize: 2 }), /boom/);
    assert.equal(tf.memory().numTensors, n0);
  });

  it("cancellable with progress: an abort after the first report stops IG and SmoothGrad with no leak", async () => {
    for (const options of [{ method: "integratedgradients", steps: 64, batchSize: 2 }, { smooth: { samples: 20 } }] as const) {
      const controller = new AbortController();
      const reports: Progress[] = [];
      const n0 = tf.memory().numTensors;
      await assert.rejects(
        runWork({ signal: controller.signal, progressIntervalMs: 0, onProgress: (p) => (reports.push(p), p.done > 0 && controller.abort()) }, () => attribute(model, x, options)),
        (e: unknown) => e instanceof Cancelled,
      );
      assert.equal(tf.memory().numTensors, n0);
      assert.ok(reports.length >= 1 && reports.every((p) => p.done < p.total), JSON.stringify(reports));
    }
  });
});
