import { before, describe, it } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "fs";
import * as tf from "@tensorflow/tfjs";
import { PNG } from "pngjs";
import * as jpeg from "jpeg-js";
import { ensureBackend } from "../../src/engine";
import { assetPath, loadImage } from "../../src/data";

/** A known 5×4 RGBA picture: a colour ramp, so every pixel differs. */
function picture(w = 5, h = 4): Uint8Array {
  const px = new Uint8Array(w * h * 4);
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++) {
      const i = 4 * (y * w + x);
      px.set([x * 50, y * 60, 255 - x * 20 - y * 10, 255], i);
    }
  return px;
}

describe("image loading", () => {
  before(async () => {
    await ensureBackend();
  });

  it("decodes a PNG buffer exactly and drops alpha", async () => {
    const png = new PNG({ width: 5, height: 4 });
    png.data = Buffer.from(picture());
    const t = await loadImage(PNG.sync.write(png));
    assert.deepEqual(t.shape, [4, 5, 3]);
    const v = await t.data();
    const src = picture();
    for (let i = 0; i < 20; i++) for (let c = 0; c < 3; c++) assert.equal(v[3 * i + c], src[4 * i + c]);
    t.dispose();
  });

  it("decodes a JPEG (quality 100) within compression error, from a file path", async () => {
    const w = 16, h = 8;
    const rgba = new Uint8Array(w * h * 4);
    for (let i = 0; i < w * h; i++) rgba.set([120, 60, 200, 255], 4 * i); // flat colour: JPEG keeps it closely
    const file = `/tmp/camlab-test-${process.pid}.jpg`;
    fs.writeFileSync(file, jpeg.encode({ data: rgba, width: w, height: h }, 100).data);
    try {
      const t = await loadImage(file);
      assert.deepEqual(t.shape, [8, 16, 3]);
      const v = await t.data();
      for (let i = 0; i < w * h; i++) [120, 60, 200].forEach((c, k) => assert.ok(Math.abs(v[3 * i + k] - c) <= 3, `pixel ${i} channel ${k}: ${v[3 * i + k]}`));
      t.dispose();
    } finally {
      fs.unlinkSync(file);
    }
  });

  it("loads the bundled cat photo and resizes it", async () => {
    const n0 = tf.memory().numTensors;
    const t = await loadImage(assetPath("chelsea.png"));
    assert.deepEqual(t.shape, [300, 451, 3]);
    const small = await loadImage(assetPath("chelsea.png"), { size: [30, 45] });
    assert.deepEqual(small.shape, [30, 45, 3]);
    assert.equal(small.dtype, "int32");
    t.dispose();
    small.dispose();
    assert.equal(tf.memory().numTensors, n0);
  });

  it("says what is wrong with bad input", async () => {
    await assert.rejects(loadImage(new Uint8Array([1, 2, 3, 4])), /neither PNG nor JPEG/);
    await assert.rejects(loadImage("/nonexistent/cat.png"), /cannot read \/nonexistent\/cat.png/);
    await assert.rejects(loadImage(42 as never), /expected a file path, Buffer\/Uint8Array or ArrayBuffer/);
  });
});
