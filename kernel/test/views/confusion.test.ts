// The confusion explorer display and its session operations: the snapshot's matrix against
// counts made here from the model's own predictions (read and argmaxed by plain loops), a cell's
// page against the sweep's order and the inputs' pixels, a CAM pair against two separate cam()
// calls scaled by their joint maximum, the overlay's payload, and bad requests.
import { before, describe, it } from "node:test";
import * as assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { PNG } from "pngjs";
import { ensureBackend } from "../../src/engine";
import { cam } from "../../src/cam";
import { confusions } from "../../src/explore";
import { confusionView } from "../../src/views";
import { currentSession, parseRequest } from "../../src/session";
import { camDifference, checkConfusionPayload, checkHeatmapPayload, fromBuffer, type OpResults } from "../../src/protocol";
import { randomImages, smallResidual } from "../engine/fixtures";

const LABELS = ["red", "green", "blue"];

async function setup() {
  const model = smallResidual(3, 12);
  const x = randomImages(30, 12, 21);
  // Labels chosen so that there are mistakes and right answers: the model's argmax, shifted for every third image.
  const logits = (await (model.predict(x) as tf.Tensor).array()) as number[][];
  const pred = logits.map((r) => r.indexOf(Math.max(...r)));
  const truth = pred.map((p, i) => (i % 3 === 0 ? (p + 1) % 3 : p));
  return { model, x, pred, truth, logits };
}

async function op<K extends keyof OpResults>(handle: string, name: K, args: unknown): Promise<{ result: OpResults[K]; buffers: Uint8Array[] }> {
  const out = await currentSession().dispatch(name, handle, parseRequest({ id: "t", op: name, handle, args }).args);
  return { result: out.result as OpResults[K], buffers: out.buffers as Uint8Array[] };
}

describe("confusionView and the confusion session operations", () => {
  before(async () => {
    await ensureBackend();
  });

  it("the snapshot: counts from the model's predictions, rates, top confusions, a PNG and text; nothing resident on the backend", async () => {
    const { model, x, pred, truth } = await setup();
    const n0 = tf.memory().numTensors;
    const view = await confusionView(model, { x, y: truth }, { labels: LABELS, batchSize: 7 });
    assert.equal(tf.memory().numTensors, n0, "the explorer keeps host copies only");
    const counts = [[0, 0, 0], [0, 0, 0], [0, 0, 0]];
    truth.forEach((t, i) => counts[t][pred[i]]++);
    const checked = checkConfusionPayload(view.payload);
    assert.ok(checked.ok, checked.ok ? "" : checked.reason);
    const p = view.payload;
    assert.deepEqual(p.counts, counts);
    assert.equal(p.total, 30);
    assert.equal(p.accuracy, 20 / 30);
    for (let c = 0; c < 3; c++) {
      const col = counts.reduce((s, r) => s + r[c], 0), row = counts[c].reduce((s, v) => s + v, 0);
      assert.equal(p.precision[c], col ? counts[c][c] / col : null);
      assert.equal(p.recall[c], row ? counts[c][c] / row : null);
    }
    const off = counts.flatMap((r, t) => r.map((count, q) => ({ truth: t, predicted: q, count }))).filter((e) => e.truth !== e.predicted && e.count > 0);
    assert.equal(p.top[0].count, Math.max(...off.map((e) => e.count)));
    assert.equal(p.method, "gradcam");
    assert.equal(p.layer, "block_out");
    const png = PNG.sync.read(Buffer.from(view.png, "base64"));
    assert.ok(png.width >= 300 && png.height >= 200, `PNG ${png.width}×${png.height}`);
    const colours = new Set<number>();
    for (let i = 0; i < png.data.length; i += 4) colours.add((png.data[i] << 16) | (png.data[i + 1] << 8) | png.data[i + 2]);
    assert.ok(colours.size > 20, "the PNG has shaded cells and text, not a blank");
    assert.match(view.text, /accuracy 66\.7%/);
    for (const [t, row] of counts.entries()) assert.match(view.text, new RegExp(`${LABELS[t]}\\s+${row.join("\\s+")}`));
    assert.match(view.text, /Top confusions: \w+ → \w+ \(\d+\)/);
    view.release();
    tf.dispose(x);
    model.dispose();
  });

  it("confusion.cell: a page of a cell in margin order, with the kept inputs' thumbnails", async () => {
    const { model, x, truth } = await setup();
    const c = await confusions(model, { x, y: truth });
    const view = await confusionView(model, c, { labels: LABELS });
    const h = view.handle!;
    const n0 = tf.memory().numTensors;
    const [t, q] = [c.topConfusions(1)[0].truth, c.topConfusions(1)[0].predicted];
    const expected = c.cell(t, q);
    const page = await op(h, "confusion.cell", { truth: t, predicted: q, offset: 0, count: 64 });
    assert.equal(tf.memory().numTensors, n0);
    assert.equal(page.result.size, expected.length);
    assert.deepEqual(page.result.items.map((i) => i.index), expected);
    for (let i = 1; i < page.result.items.length; i++) assert.ok(page.result.items[i - 1].margin >= page.result.items[i].margin, "most confident mistake first");
    assert.deepEqual(page.result.thumb, { width: 12, height: 12 });
    const bytes = page.buffers[0];
    assert.equal(bytes.length, expected.length * 12 * 12 * 3);
    // Thumbnail j is the input image, 0–1 values × 255, RGB row-major (an independent read of x).
    const xs = (await x.array()) as number[][][][];
    expected.forEach((index, j) => {
      for (const [yy, xx, ch] of [[0, 0, 0], [5, 7, 1], [11, 11, 2]]) {
        assert.equal(bytes[j * 432 + (yy * 12 + xx) * 3 + ch], Math.round(xs[index][yy][xx][ch] * 255));
      }
      assert.ok(Math.abs(page.result.items[j].pTrue - c.pTrue[index]) < 1e-9);
    });
    // The diagonal keeps no inputs by default: items come, thumbnails do not.
    const diag = await op(h, "confusion.cell", { truth: t, predicted: t, offset: 0, count: 3 });
    assert.ok(diag.result.items.every((i) => !i.kept));
    assert.equal(diag.buffers[0].length, 0);
    // Paging: offset 1, count 1 is the second of the cell.
    if (expected.length > 1) assert.deepEqual((await op(h, "confusion.cell", { truth: t, predicted: q, offset: 1, count: 1 })).result.items.map((i) => i.index), [expected[1]]);
    view.release();
    tf.dispose(x);
    model.dispose();
  });

  it("confusion.pair: the true and predicted classes' Grad-CAMs equal two separate cam() calls on one scale; they differ", async () => {
    const { model, x, truth } = await setup();
    const view = await confusionView(model, { x, y: truth }, { labels: LABELS });
    const c = view.confusions;
    // An untrained model's Grad-CAM can be zero (all ReLU'd away) for some images: take the first
    // mistake whose two classes' maps are both non-zero, found by separate cam() calls (the reference below).
    const referenceMaps = async (i: number, t: number, q: number) => {
      const one = tf.slice(x, [i], [1]);
      const maps: number[][] = [];
      for (const target of [t, q]) {
        const res = await cam(model, one, { method: "gradcam", layer: "block_out", target });
        maps.push(Array.from(await res.raw.data()));
        res.dispose();
      }
      one.dispose();
      return maps;
    };
    let index = -1;
    for (let i = 0; i < c.total && index < 0; i++) {
      if (c.kept[i] < 0) continue;
      const maps = await referenceMaps(i, c.truth[i], c.predicted[i]);
      if (Math.max(...maps[0]) > 0 && Math.max(...maps[1]) > 0) index = i;
    }
    assert.ok(index >= 0, "a mistake with non-zero CAMs for both classes");
    const n0 = tf.memory().numTensors;
    const pair = await op(view.handle!, "confusion.pair", { index, method: "gradcam", layer: "block_out" });
    assert.equal(tf.memory().numTensors, n0, "no tensor left by the pair");
    const r = pair.result;
    assert.equal(r.truth, truth[index]);
    assert.equal(r.predicted, c.predicted[index]);
    assert.notEqual(r.truth, r.predicted);
    assert.equal(r.truthLabel, LABELS[r.truth]);
    assert.equal(r.predictedLabel, LABELS[r.predicted]);
    assert.deepEqual(r.image, { width: 12, height: 12 });
    assert.equal(r.layer, "block_out");
    assert.equal(pair.buffers[0].length, 12 * 12 * 3);
    const mapT = fromBuffer(r.truthCam, pair.buffers[1]);
    const mapP = fromBuffer(r.predictedCam, pair.buffers[2]);
    // The reference: two calls, one class each, raw maps divided by the larger maximum.
    const refs = await referenceMaps(index, r.truth, r.predicted);
    const m = Math.max(...refs[0], ...refs[1]);
    assert.ok(m > 0, "the reference CAMs are not zero");
    const value = (mp: typeof mapT, i: number) => mp.offset + (mp.scale * mp.bytes[i]) / 255;
    assert.equal(mapT.width * mapT.height, refs[0].length);
    let diff = 0;
    for (let i = 0; i < refs[0].length; i++) {
      assert.ok(Math.abs(value(mapT, i) - refs[0][i] / m) <= 1 / 255 + 1e-6, `true-class CAM at ${i}: ${value(mapT, i)} vs ${refs[0][i] / m} (m ${m}; ${JSON.stringify(refs)})`);
      assert.ok(Math.abs(value(mapP, i) - refs[1][i] / m) <= 1 / 255 + 1e-6, `predicted-class CAM at ${i}`);
      diff = Math.max(diff, Math.abs(refs[0][i] - refs[1][i]) / m);
    }
    assert.ok(diff > 0.05, `the two classes' CAMs differ (max |Δ| ${diff.toFixed(3)})`);
    // The difference map of the shared core: (a − b + 1) / 2.
    const d = camDifference(mapT, mapP);
    for (let i = 0; i < refs[0].length; i++) assert.ok(Math.abs(d.bytes[i] / 255 - (value(mapT, i) - value(mapP, i) + 1) / 2) <= 1 / 255 + 1e-6);
    view.release();
    tf.dispose(x);
    model.dispose();
  });

  it("confusion.overlay: a full heatmap overlay of the example, live under a handle of its own", async () => {
    const { model, x, truth } = await setup();
    const view = await confusionView(model, { x, y: truth }, { labels: LABELS });
    const c = view.confusions;
    const index = c.truth.findIndex((t, i) => t !== c.predicted[i]);
    const out = await op(view.handle!, "confusion.overlay", { index, method: "gradcam", layer: "block_out" });
    const checked = checkHeatmapPayload(out.result.payload);
    assert.ok(checked.ok, checked.ok ? "" : checked.reason);
    const hp = out.result.payload;
    assert.equal(hp.classIndex, c.predicted[index]);
    assert.equal(hp.predictions[0].label, LABELS[c.predicted[index]]);
    assert.notEqual(hp.session!.handle, view.handle);
    const top = await currentSession().dispatch("predictions.topk", hp.session!.handle, { k: 1 });
    assert.equal((top.result as OpResults["predictions.topk"]).predictions[0].classIndex, c.predicted[index]);
    currentSession().evict(hp.session!.handle);
    view.release();
    tf.dispose(x);
    model.dispose();
  });

  it("inputs that are not pictures (sequences): the gallery lists numbers without thumbnails, the pair says why it cannot draw", async () => {
    const model = tf.sequential({ layers: [
      tf.layers.conv1d({ inputShape: [8, 2], filters: 4, kernelSize: 3, padding: "same", activation: "relu", name: "conv_t" }),
      tf.layers.globalAveragePooling1d({ name: "gap_t" }),
      tf.layers.dense({ units: 3, name: "logits" }),
    ] });
    const x = tf.randomNormal([20, 8, 2], 0, 1, "float32", 3);
    const y = Array.from({ length: 20 }, (_, i) => i % 3);
    const view = await confusionView(model, { x, y }, { layer: "conv_t" });
    const c = view.confusions;
    const [t, q] = (() => {
      for (let a = 0; a < 3; a++) for (let b = 0; b < 3; b++) if (a !== b && c.counts[a][b] > 0) return [a, b];
      throw new Error("no mistake");
    })();
    const page = await op(view.handle!, "confusion.cell", { truth: t, predicted: q, offset: 0, count: 8 });
    assert.equal(page.result.items.length, Math.min(8, c.counts[t][q]));
    assert.ok(page.result.items.every((i) => !i.kept));
    assert.equal(page.buffers[0].length, 0);
    await assert.rejects(op(view.handle!, "confusion.pair", { index: page.result.items[0].index, method: "gradcam", layer: "conv_t" }), /inputs have shape \[8, 2\], not pictures \[height, width, 1\|3\|4\]/);
    view.release();
    tf.dispose(x);
    model.dispose();
  });

  it("bad requests name what is wrong: outside the matrix, an input not kept, an unknown method or layer, another display's handle", async () => {
    const { model, x, truth } = await setup();
    const view = await confusionView(model, { x, y: truth }, { labels: LABELS });
    const h = view.handle!;
    const c = view.confusions;
    const right = c.truth.findIndex((t, i) => t === c.predicted[i]);
    const wrong = c.truth.findIndex((t, i) => t !== c.predicted[i]);
    const n0 = tf.memory().numTensors;
    await assert.rejects(op(h, "confusion.cell", { truth: 3, predicted: 0, offset: 0, count: 4 }), /cell \(3, 0\) is outside the 3×3 matrix; classes go from 0 to 2/);
    await assert.rejects(op(h, "confusion.cell", { truth: 0, predicted: 1, offset: 0, count: 65 }), /"count" must be an integer from 1 to 64/);
    await assert.rejects(op(h, "confusion.pair", { index: right, method: "gradcam", layer: "block_out" }), new RegExp(`the input of example ${right} was not kept`));
    await assert.rejects(op(h, "confusion.pair", { index: 30, method: "gradcam", layer: "block_out" }), /example 30 does not exist; the explorer swept 30 examples \(0–29\)/);
    await assert.rejects(op(h, "confusion.pair", { index: wrong, method: "magic", layer: "block_out" }), /unknown method "magic"; known methods: gradcam/);
    await assert.rejects(op(h, "confusion.pair", { index: wrong, method: "gradcam", layer: "conv9" }), /conv9/);
    assert.throws(() => parseRequest({ id: "t", op: "confusion.pair", handle: h, args: { index: 0, method: "gradcam" } }), /argument "layer" must be a non-empty string/);
    const other = currentSession().bind(model, tf.slice(x, [0], [1]));
    await assert.rejects(op(other, "confusion.cell", { truth: 0, predicted: 0, offset: 0, count: 1 }), /another kind of display, not a confusion explorer/);
    currentSession().evict(other);
    assert.ok(tf.memory().numTensors <= n0 + 1);
    // Bad options fail before the sweep.
    await assert.rejects(confusionView(model, { x, y: truth }, { layer: "conv9" }), /conv9/);
    await assert.rejects(confusionView(model, { x, y: truth }, { method: "magic" as never }), /unknown method "magic"/);
    await assert.rejects(confusionView(model, { x, y: truth }, { labels: ["a"] }), /labels has 1 name but the model outputs 3 classes/);
    view.release();
    tf.dispose(x);
    model.dispose();
  });
});
