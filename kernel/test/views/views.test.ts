// The three displays: their MIME bundles (snapshot + PNG + text), snapshot numbers against
// independent computations, the session handle they leave behind, and no leaks on success or error.
import { after, before, describe, it } from "node:test";
import * as assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { PNG } from "pngjs";
import { ensureBackend } from "../../src/engine";
import { activeHookCount } from "../../src/hooks";
import { JUPYTER_DISPLAY } from "../../src/display";
import { currentSession } from "../../src/session";
import { activationsView, heatmapView, histogram, layersView } from "../../src/views";
import { ACTIVATIONS_MIME, HEATMAP_MIME, LAYERS_MIME, colorizeBytes, colormap, decodeBase64, DEFAULT_COLORMAP, DEFAULT_OPACITY, fromBuffer, fromSnapshot, renderOverlay, type QuantizedImage } from "../../src/protocol";
import { PoisonGradient, randomImages, smallResidual, smallSequential, splitSequential } from "../engine/fixtures";
import * as ref from "../cam/reference";

function bundleOf(view: { [JUPYTER_DISPLAY](): unknown }): Record<string, unknown> {
  return view[JUPYTER_DISPLAY]() as Record<string, unknown>;
}

function pngSize(b64: string): { width: number; height: number } {
  const png = PNG.sync.read(Buffer.from(b64, "base64"));
  return { width: png.width, height: png.height };
}

function values(q: QuantizedImage): number[] {
  return Array.from(Buffer.from(q.data, "base64"), (b) => q.offset + (q.scale * b) / 255);
}


describe("views", () => {
  const model = smallSequential(4, 12);
  let x: tf.Tensor4D;
  let baseline: number;

  before(async () => {
    await ensureBackend();
    x = randomImages(1, 12, 5);
    baseline = tf.memory().numTensors;
  });

  after(() => {
    currentSession().clear();
    assert.equal(tf.memory().numTensors, baseline, "views hold tensors only through the session");
    assert.equal(activeHookCount(), 0);
    x.dispose();
  });

  it("heatmapView: Grad-CAM of the asked class at feature-map resolution, the input as the image, PNG + text fallbacks", async () => {
    const { head, tail } = splitSequential(model, "conv3");
    const cls = 2;
    const a = head.predict(x) as tf.Tensor;
    const g = tf.grad((aa: tf.Tensor) => tf.sum(tf.slice(tail(aa), [0, cls], [1, 1])))(a);
    const A = ((await a.array()) as ref.Img[])[0], G = ((await g.array()) as ref.Img[])[0];
    a.dispose();
    g.dispose();
    const rawMap = ref.relu2d(ref.weightedMap(A, ref.gradCamWeights(G))).flat();
    const want = ref.scaleUnit(ref.relu2d(ref.weightedMap(A, ref.gradCamWeights(G)))).flat();

    const view = await heatmapView(model, x, { layer: "conv3", classIndex: cls, labels: ["a", "b", "<b>c</b>", "d"] });
    const bundle = bundleOf(view);
    assert.deepEqual(Object.keys(bundle).sort(), [HEATMAP_MIME, "image/png", "text/plain"].sort());
    const p = view.payload;
    assert.equal(p.classIndex, cls);
    assert.equal(p.layer, "conv3");
    assert.deepEqual([p.cam.height, p.cam.width], [4, 4]);
    values(p.cam).forEach((v, i) => assert.ok(Math.abs(v - want[i]) <= 1 / 510 + 1e-4, `pixel ${i}: ${v} vs ${want[i]}`));
    // The colour bar's raw scale: the reference map's extremes before the scaling to [0, 1].
    const [lo, hi] = [Math.min(...rawMap), Math.max(...rawMap)];
    assert.ok(p.camRange && Math.abs(p.camRange.min - lo) <= 1e-5 * Math.max(1, lo) && Math.abs(p.camRange.max - hi) <= 1e-5 * Math.max(1, hi), `camRange ${JSON.stringify(p.camRange)} vs [${lo}, ${hi}]`);
    assert.deepEqual(p.predictions.map((q) => q.label).includes("<b>c</b>"), true, "labels travel as data, unescaped");
    assert.ok(p.methods.includes("scorecam") && p.layers.includes("conv3"));
    // The snapshot's layer menu is the live one (layers.usable): spatial maps the input runs through.
    assert.deepEqual(p.layers, ["conv3", "relu2", "conv2", "conv1"], "nearest the output first, as the live menu");
    // The image is the input itself (values in [0,1] → ×255).
    const pixels = Array.from(await x.data());
    const img = Buffer.from(p.image.data, "base64");
    assert.equal(img.length, 12 * 12 * 3);
    img.forEach((v, i) => assert.ok(Math.abs(v - pixels[i] * 255) <= 0.5 + 1e-6));
    assert.deepEqual(pngSize(bundle["image/png"] as string), { width: 12, height: 12 });
    assert.match(String(bundle["text/plain"]), /gradcam heatmap of "<b>c<\/b>" \(class 2, p=0\.\d+\) at layer conv3/);
    assert.equal(p.session!.kernelInstance, currentSession().kernelInstance);
    assert.ok(view.handle && currentSession().lookup(view.handle));
  });

  it("heatmapView's PNG is the shared core's renderOverlay of its own snapshot (the live canvas's first frame)", async () => {
    const view = await heatmapView(model, x, { layer: "conv2" });
    const p = view.payload;
    const png = PNG.sync.read(Buffer.from(bundleOf(view)["image/png"] as string, "base64"));
    const want = renderOverlay({ width: p.image.width, height: p.image.height, rgb: decodeBase64(p.image.data) }, fromSnapshot(p.cam), colormap(DEFAULT_COLORMAP), DEFAULT_OPACITY);
    assert.equal(png.data.length, want.length);
    // pngjs decodes to RGBA; the PNG is RGB, so alpha reads 255 as in the canvas frame.
    for (let i = 0; i < want.length; i++) assert.equal(png.data[i], want[i], `byte ${i} (pixel ${i >> 2})`);
    assert.ok(new Set(Array.from(want)).size > 10, "the frame is not flat");
  });

  it("activationsView's PNG tiles are colorizeBytes of the snapshot tiles (as the widget draws them)", async () => {
    const view = await activationsView(model, x, "conv1");
    const p = view.payload;
    const png = PNG.sync.read(Buffer.from(bundleOf(view)["image/png"] as string, "base64"));
    const [h, w] = p.shape;
    const scale = Math.max(1, Math.ceil(32 / Math.max(h, w)));
    const tile = fromSnapshot(p.tiles[0]);
    const rgba = new Uint8ClampedArray(h * w * 4);
    colorizeBytes(rgba, tile.bytes, colormap(DEFAULT_COLORMAP));
    // Tile 0 sits at the top-left of the montage, each source pixel a scale x scale block.
    for (let y = 0; y < h * scale; y++) for (let xx = 0; xx < w * scale; xx++) {
      const s = (Math.floor(y / scale) * w + Math.floor(xx / scale)) * 4, d = (y * png.width + xx) * 4;
      assert.deepEqual([png.data[d], png.data[d + 1], png.data[d + 2]], [rgba[s], rgba[s + 1], rgba[s + 2]], `montage pixel (${xx}, ${y})`);
    }
  });

  it("heatmapView prefetches the listed classes: asking for them later runs no model", async () => {
    const view = await heatmapView(model, x, { layer: "conv2", topK: 3 });
    let calls = 0;
    const original = model.apply.bind(model);
    model.apply = ((...args: Parameters<typeof model.apply>) => {
      calls++;
      return original(...args);
    }) as typeof model.apply;
    try {
      for (const p of view.payload.predictions) {
        await currentSession().dispatch("cam.compute", view.handle!, { method: "gradcam", layer: "conv2", classIndex: p.classIndex });
      }
    } finally {
      model.apply = original as typeof model.apply;
    }
    assert.equal(calls, 0);
  });

  it("heatmapView carries the other listed classes' CAMs: each equals cam.compute's for that class, and the Grad-CAM formula", async () => {
    const view = await heatmapView(model, x, { layer: "conv3", topK: 3 });
    const p = view.payload;
    const others = p.predictions.map((q) => q.classIndex).filter((c) => c !== p.classIndex);
    assert.deepEqual(p.prefetched?.map((e) => e.classIndex), others, "one per other listed class, in list order");
    const { head, tail } = splitSequential(model, "conv3");
    for (const e of p.prefetched!) {
      const out = await currentSession().dispatch("cam.compute", view.handle!, { method: "gradcam", layer: "conv3", classIndex: e.classIndex });
      const live = fromBuffer(out.result as never, out.buffers[0] as Uint8Array, 0, "cam");
      assert.deepEqual(Array.from(fromSnapshot(e.cam).bytes), Array.from(live.bytes), `class ${e.classIndex}: the bytes the widget would get live`);
      assert.deepEqual(e.camRange, { min: (out.result as { rawMin: number }).rawMin, max: (out.result as { rawMax: number }).rawMax });
      // And the formula, for the map itself.
      const a = head.predict(x) as tf.Tensor;
      const g = tf.grad((aa: tf.Tensor) => tf.sum(tf.slice(tail(aa), [0, e.classIndex], [1, 1])))(a);
      const A = ((await a.array()) as ref.Img[])[0], G = ((await g.array()) as ref.Img[])[0];
      tf.dispose([a, g]);
      const want = ref.scaleUnit(ref.relu2d(ref.weightedMap(A, ref.gradCamWeights(G)))).flat();
      values(e.cam).forEach((v, i) => assert.ok(Math.abs(v - want[i]) <= 1 / 510 + 1e-4, `class ${e.classIndex} pixel ${i}: ${v} vs ${want[i]}`));
    }
    assert.equal((await heatmapView(model, x, { layer: "conv3", topK: 3, prefetch: false })).payload.prefetched, undefined, "prefetch: false sends none");
  });

  it("activationsView: all channel statistics, the first page of tiles, a histogram of every value", async () => {
    const { head } = splitSequential(model, "conv1");
    const a = head.predict(x) as tf.Tensor4D;
    const A = ((await a.array()) as number[][][][])[0];
    a.dispose();
    const view = await activationsView(model, x, "conv1");
    const p = view.payload;
    assert.deepEqual(p.shape, [12, 12, 6]);
    assert.equal(p.channels.length, 6);
    assert.deepEqual(p.tileChannels, [0, 1, 2, 3, 4, 5], "6 tiles of 144 bytes fit one page");
    p.tiles.forEach((t, i) => {
      const want = A.flatMap((r) => r.map((px) => px[p.tileChannels[i]]));
      values(t).forEach((v, j) => assert.ok(Math.abs(v - want[j]) <= t.scale / 510 + 1e-5));
    });
    const flat = A.flat(2);
    const lo = Math.min(...flat), hi = Math.max(...flat);
    const { edges, counts } = p.histogram;
    assert.equal(counts.length, 40);
    assert.ok(Math.abs(edges[0] - lo) < 1e-6 && Math.abs(edges[40] - hi) < 1e-5);
    const hostCounts = new Array(40).fill(0);
    for (const v of flat) hostCounts[Math.min(39, Math.floor(((v - lo) / (hi - lo)) * 40))]++;
    // Values exactly on an inner edge may fall either side in float32: allow a difference of 1 per edge.
    assert.equal(counts.reduce((s, c) => s + c, 0), flat.length);
    counts.forEach((c, i) => assert.ok(Math.abs(c - hostCounts[i]) <= 2, `bin ${i}: ${c} vs ${hostCounts[i]}`));
    assert.ok(p.channels.every((c) => typeof c.camWeight === "number"), "Grad-CAM weights for sorting");
    const bundle = bundleOf(view);
    assert.equal(bundle[ACTIVATIONS_MIME], p);
    assert.ok(pngSize(bundle["image/png"] as string).width > 12);
    assert.match(String(bundle["text/plain"]), /^activations of conv1: 12×12×6/);
  });

  it("histogram() of a known vector", async () => {
    const t = tf.tensor1d([0, 1, 1, 2, 3, 3, 3, 4]);
    const h = await histogram(t, 4);
    t.dispose();
    assert.deepEqual(h.edges, [0, 1, 2, 3, 4]);
    assert.deepEqual(h.counts, [1, 2, 1, 4]);
  });

  it("layersView: layers with shapes, and the gradient health that names a NaN-producing layer", async () => {
    const poisoned = tf.sequential({
      name: "poisoned",
      layers: [
        tf.layers.conv2d({ inputShape: [8, 8, 3], filters: 4, kernelSize: 3, activation: "relu", name: "c1" }),
        tf.layers.conv2d({ filters: 4, kernelSize: 3, name: "c2" }),
        new PoisonGradient({ name: "log_of_zero" }),
        tf.layers.globalAveragePooling2d({ name: "gap" }),
        tf.layers.dense({ units: 3, name: "out" }),
      ],
    });
    const img = randomImages(1, 8, 9);
    const view = await layersView(poisoned, img);
    img.dispose();
    const p = view.payload;
    assert.deepEqual(p.layers.map((l) => l.name), ["c1", "c2", "log_of_zero", "gap", "out"]);
    assert.deepEqual(p.layers[1].outputShape, [4, 4, 4]);
    assert.equal(p.layers[1].params, 4 * 4 * 9 + 4);
    const health = new Map(p.health!.map((h) => [h.layer, h]));
    assert.equal(health.get("c2")!.status, "nan");
    assert.equal(health.get("c2")!.nanCount, 1 * 4 * 4 * 4);
    assert.equal(health.get("out")!.status, "ok");
    const bundle = bundleOf(view);
    assert.ok(bundle[LAYERS_MIME]);
    assert.match(String(bundle["text/plain"]), /first NaN gradient \(walking back from the output\): c2/);
    assert.deepEqual(pngSize(bundle["image/png"] as string).height, 80);
    // Without an input: the model only, no health, no input bound.
    const residual = smallResidual();
    const bare = await layersView(residual);
    assert.equal(bare.payload.health, undefined);
    assert.ok(bare.payload.layers.some((l) => l.name === "skip_add" && l.inbound.length === 2));
    view.release();
    bare.release();
    poisoned.dispose();
    residual.dispose();
  });

  it("bad input: clear errors, nothing leaked, nothing left in the session", async () => {
    const n0 = tf.memory().numTensors;
    const handles = currentSession().stats().handles;
    const batch2 = randomImages(2, 12, 1);
    await assert.rejects(heatmapView(model, batch2), /a display explains ONE input, got a batch of 2/);
    await assert.rejects(heatmapView(model, x, { layer: "conv_2" }), /conv_2[\s\S]*conv2/);
    await assert.rejects(heatmapView(model, x, { layer: "logits" }), /no channel|spatial/);
    await assert.rejects(heatmapView(model, x, { classIndex: 7 }), /classIndex must be an integer from 0 to 3, got 7/);
    await assert.rejects(heatmapView(model, x, { method: "magic" as never }), /unknown method "magic"/);
    await assert.rejects(activationsView(model, x, "nope"), /nope/);
    const flat = tf.zeros([12, 12]);
    await assert.rejects(activationsView(model, flat, "conv1"), /rank 4/);
    batch2.dispose();
    flat.dispose();
    assert.equal(tf.memory().numTensors, n0 + 0, "no tensors left behind by failed views");
    assert.equal(currentSession().stats().handles, handles, "failed views release their session entry");
    assert.equal(activeHookCount(), 0);
  });

  it("heatmapView can offer a subset of the classes (ranked by probability)", async () => {
    const out = model.predict(x) as tf.Tensor;
    const probs = ref.softmax(Array.from(await out.data()));
    out.dispose();
    const view = await heatmapView(model, x, { layer: "conv3", classes: [3, 1], prefetch: false });
    const want = [1, 3].sort((a, b) => probs[b] - probs[a]);
    assert.deepEqual(view.payload.predictions.map((p) => p.classIndex), want);
    view.payload.predictions.forEach((p) => assert.ok(Math.abs(p.probability - probs[p.classIndex]) < 1e-5));
    view.release();
    await assert.rejects(heatmapView(model, x, { classes: [4] }), /classes must be a non-empty list of class indices from 0 to 3, got \[4\]/);
  });

  it("a single image without the batch axis is accepted", async () => {
    const single = tf.squeeze(x, [0]);
    const view = await heatmapView(model, single, { layer: "conv3" });
    single.dispose();
    assert.deepEqual([view.payload.image.width, view.payload.image.height], [12, 12]);
    view.release();
  });
});
