import { before, describe, it } from "node:test";
import * as assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { ensureBackend } from "../../src/engine";
import { loadMnist, makeShapes, SHAPE_CLASSES } from "../../src/data";

describe("generated and bundled datasets", () => {
  before(async () => {
    await ensureBackend();
  });

  it("shapes: deterministic, balanced, masks and boxes agree with the pixels", async () => {
    const a = makeShapes({ count: 30, size: 24, seed: 4 });
    const b = makeShapes({ count: 30, size: 24, seed: 4 });
    assert.deepEqual(await a.images.data(), await b.images.data());
    assert.deepEqual(a.classes, b.classes);
    assert.deepEqual(SHAPE_CLASSES.map((_, c) => a.classes.filter((k) => k === c).length), [10, 10, 10]);
    assert.deepEqual(Array.from(await a.labels.data()), a.classes);
    const masks = (await a.masks.array()) as number[][][];
    const imgs = (await a.images.array()) as number[][][][];
    for (let i = 0; i < 30; i++) {
      const box = a.boxes[i];
      let inMask = 0, meanIn = 0, meanOut = 0, nOut = 0;
      masks[i].forEach((row, y) => row.forEach((v, x) => {
        const lum = imgs[i][y][x].reduce((s, c) => s + c, 0) / 3;
        if (v > 0) {
          inMask++;
          meanIn += lum;
          assert.ok(x >= box.x0 && x <= box.x1 && y >= box.y0 && y <= box.y1, "mask pixel outside its box");
        } else {
          meanOut += lum;
          nOut++;
        }
      }));
      assert.ok(inMask >= 9, `image ${i}: object too small (${inMask} px)`);
      // The object is drawn brighter than its background (fg = bg + 0.35…0.65).
      assert.ok(meanIn / inMask - meanOut / nOut > 0.25, `image ${i}: object not distinguishable`);
      const c = a.centres[i];
      assert.equal(masks[i][Math.floor(c.y)][Math.floor(c.x)], 1, "the centre is on the object");
    }
    assert.throws(() => makeShapes({ count: 0 }), /count must be a positive integer/);
    a.dispose();
    b.dispose();
  });

  it("MNIST: disjoint deterministic splits of 28×28 digits with labels", async () => {
    const n0 = tf.memory().numTensors;
    const d = loadMnist({ train: 200, test: 50, seed: 3 });
    assert.deepEqual(d.train.images.shape, [200, 28, 28, 1]);
    assert.deepEqual(d.test.labels.shape, [50]);
    const labels = Array.from(await d.train.labels.data());
    for (let k = 0; k < 10; k++) assert.equal(labels.filter((l) => l === k).length, 20);
    const px = await d.train.images.data();
    assert.ok(px.every((v) => v >= 0 && v <= 1));
    // No test image equals a training image.
    const key = (a: Float32Array | Int32Array | Uint8Array, i: number) => Array.from(a.subarray(i * 784, (i + 1) * 784)).join(",");
    const train = new Set(Array.from({ length: 200 }, (_, i) => key(px, i)));
    const tp = await d.test.images.data();
    for (let i = 0; i < 50; i++) assert.ok(!train.has(key(tp, i)));
    d.dispose();
    assert.equal(tf.memory().numTensors, n0);
    assert.throws(() => loadMnist({ train: 100000 }), /together ≤/);
  });
});
