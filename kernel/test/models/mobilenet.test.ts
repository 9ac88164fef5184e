// The pretrained MobileNetV2 from nsfwjs, offline: layer model and graph model, on the bundled
// cat photo (chelsea.png, CC0).
import { after, before, describe, it } from "node:test";
import * as assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { defaultCamLayer, describeLayers, ensureBackend, findLayer } from "../../src/engine";
import { activeHookCount, FeatureExtractor, registerForwardHook } from "../../src/hooks";
import { cam } from "../../src/cam";
import { loadMobileNetV2, loadMobileNetV2Graph, MOBILENET_V2_LABELS, type PretrainedModel } from "../../src/models";
import { assetPath, loadImage } from "../../src/data";
import { pick, relErr } from "../engine/fixtures";

/** Where the heatmap peaks, in the 224×224 model frame. */
async function peak(heatmap: tf.Tensor): Promise<{ y: number; x: number }> {
  const v = await heatmap.data();
  let best = 0;
  for (let i = 1; i < 224 * 224; i++) if (v[i] > v[best]) best = i;
  return { y: Math.floor(best / 224), x: best % 224 };
}

// The cat's face (eyes, nose, cheeks) in chelsea.png (451×300), mapped to the 224×224 input.
const FACE = { x0: (100 / 451) * 224, x1: (360 / 451) * 224, y0: (40 / 300) * 224, y1: (260 / 300) * 224 };

describe("MobileNetV2 from nsfwjs", () => {
  let net: PretrainedModel<tf.LayersModel>;
  let x: tf.Tensor4D;

  before(async () => {
    await ensureBackend();
    net = await loadMobileNetV2();
    const img = await loadImage(assetPath("chelsea.png"));
    x = net.preprocess(img);
    img.dispose();
  });

  after(() => {
    x.dispose();
    net.model.dispose();
  });

  it("is a real MobileNetV2: standard layer names, 2.2M+ parameters, 5-class head", () => {
    const rows = describeLayers(net.model);
    const names = rows.map((r) => r.name);
    for (const n of ["Conv1", "expanded_conv_depthwise", "block_16_project", "Conv_1", "out_relu"]) assert.ok(names.includes(n), n);
    assert.deepEqual(rows.find((r) => r.name === "out_relu")!.outputShape, [null, 7, 7, 1280]);
    assert.ok(net.model.countParams() > 2.2e6, String(net.model.countParams()));
    assert.deepEqual(net.model.outputs[0].shape, [null, 5]);
    assert.deepEqual(net.labels, MOBILENET_V2_LABELS);
    assert.equal(defaultCamLayer(net.model), "out_relu");
  });

  it("the cat photo is a Neutral photo; logits and the shipped softmax head agree", async () => {
    const probs = await loadMobileNetV2({ output: "probabilities" });
    const [logits, p] = tf.tidy(() => [tf.softmax(net.model.predict(x) as tf.Tensor), probs.model.predict(x) as tf.Tensor]);
    const pv = await p.data();
    assert.ok(relErr(await logits.data(), pv) < 1e-5);
    assert.equal(net.labels[pv.indexOf(Math.max(...pv))], "Neutral");
    assert.ok(pv[2] > 0.8, `P(Neutral) = ${pv[2]}`);
    logits.dispose();
    p.dispose();
    probs.model.dispose();
  });

  it("Grad-CAM lands on the cat's face and leaves no tensors or hooks behind", async () => {
    const n0 = tf.memory().numTensors;
    const r = await cam(net.model, x, { labels: net.labels });
    assert.equal(r.predictions[0][0].label, "Neutral");
    assert.deepEqual(r.raw.shape, [1, 7, 7]);
    const pk = await peak(r.heatmap);
    assert.ok(pk.x >= FACE.x0 && pk.x <= FACE.x1 && pk.y >= FACE.y0 && pk.y <= FACE.y1, `peak at ${JSON.stringify(pk)}`);
    r.dispose();
    assert.equal(tf.memory().numTensors, n0);
    assert.equal(activeHookCount(), 0);
  });

  it("GraphModel: hooks on nodes, default layer, Grad-CAM equal to a feed-the-node split", async () => {
    const g = await loadMobileNetV2Graph();
    try {
      const node = defaultCamLayer(g.model);
      assert.match(node, /Relu6$|relu/i);
      const n0 = tf.memory().numTensors;
      const executor = (g.model as unknown as { executor: object }).executor;
      const r = await cam(g.model, x, { layer: node, target: 2 });
      assert.ok(!Object.prototype.hasOwnProperty.call(executor, "execute"), "the executor is restored");
      assert.equal(r.raw.rank, 3);
      // Reference: A by executing up to the node; dS/dA by feeding A into the node.
      const a = g.model.execute(x, node) as tf.Tensor;
      const grad = tf.tidy(() => tf.grad((aa: tf.Tensor) => tf.sum(pick(g.model.execute({ [node]: aa }, g.model.outputNodes[0]) as tf.Tensor, [2])))(a));
      const A = (await a.array()) as number[][][][], G = (await grad.array()) as number[][][][];
      const c = A[0][0][0].length;
      const w = new Array(c).fill(0);
      G[0].forEach((row) => row.forEach((px) => px.forEach((v, k) => (w[k] += v / (A[0].length * A[0][0].length)))));
      const expected = A[0].flat().map((px) => Math.max(0, px.reduce((s, v, k) => s + v * w[k], 0)));
      assert.ok(relErr(await r.raw.data(), expected) < 1e-4, `rel err ${relErr(await r.raw.data(), expected)}`);
      a.dispose();
      grad.dispose();
      r.dispose();
      // FeatureExtractor and a replacing forward hook on a node.
      const direct = g.model.execute(x, node) as tf.Tensor; // before hooking: hooks see every execution
      const fx = new FeatureExtractor(g.model, [node]);
      const f = fx.extract(x);
      assert.equal(relErr(await f.features[node].data(), await direct.data()), 0);
      direct.dispose();
      fx.dispose();
      const h = registerForwardHook(findLayer(g.model, node), (_l, _i, out) => tf.zerosLike(out as tf.Tensor));
      const zeroed = tf.tidy(() => g.model.predict(x) as tf.Tensor);
      const uniform = tf.tidy(() => g.model.execute({ [node]: tf.zeros(A.length ? [1, A[0].length, A[0][0].length, c] : [1]) }, g.model.outputNodes[0]) as tf.Tensor);
      h.remove();
      assert.ok(relErr(await zeroed.data(), await uniform.data()) < 1e-6, "the replaced output flows into the rest of the graph");
      zeroed.dispose();
      uniform.dispose();
      assert.equal(tf.memory().numTensors, n0);
      assert.equal(activeHookCount(), 0);
    } finally {
      g.model.dispose();
    }
  });
});
