// The exported figure's pure parts: its file name says method, layer, class and probability with
// safe characters only; its caption names the same; the colour bar's pixels are the overlay's
// colormap and its labels the CAM's raw range, mapped linearly from the scaled 0–1.
import { test } from "node:test";
import assert from "node:assert/strict";
import { figureCaptionLines, figureFileName, fileNamePart, probabilityText, wrapText } from "../src/heatmap/exportPng";
import { colourBarLabels, colourBarPixels } from "../src/heatmap/ColourBar";
import { colormap } from "../src/protocol";

const choice = { method: "gradcam", layer: "out_relu", classIndex: 281, label: "tabby cat" };

test("the file name names method, layer, class and probability", () => {
  assert.equal(figureFileName([{ choice, score: { probability: 0.8712, raw: 9.1 } }]), "camlab-gradcam-out_relu-tabby_cat-0.87.png");
  assert.equal(
    figureFileName([{ choice, score: { probability: 0.8712, raw: 9.1 } }, { choice: { ...choice, method: "scorecam" }, score: null }]),
    "camlab-gradcam-out_relu-tabby_cat-0.87-vs-scorecam-out_relu-tabby_cat.png",
  );
  assert.equal(figureFileName([{ choice: { ...choice, label: "" }, score: null }]), "camlab-gradcam-out_relu-class281.png");
});

test("a small probability keeps two significant digits in the name", () => {
  assert.equal(probabilityText(0.8712), "0.87");
  assert.equal(probabilityText(0.0034), "0.0034");
  assert.equal(probabilityText(0.01), "0.01");
  assert.equal(probabilityText(0), "0.00");
  assert.equal(figureFileName([{ choice, score: { probability: 0.00341, raw: -2 } }]), "camlab-gradcam-out_relu-tabby_cat-0.0034.png");
});

test("file names are sanitised: no path, markup or control characters, bounded length", () => {
  const evil = { method: "gradcam", layer: "../../etc/passwd", classIndex: 1, label: '<img src=x onerror="a()">\n\u0000' };
  const name = figureFileName([{ choice: evil, score: { probability: 0.5, raw: 0 } }]);
  assert.match(name, /^[A-Za-z0-9._-]+\.png$/);
  assert.ok(!name.includes("..") && !name.includes("/"), name);
  assert.equal(fileNamePart("..hidden"), "hidden");
  const long = figureFileName([{ choice: { ...choice, label: "x".repeat(500) }, score: null }]);
  assert.ok(long.length <= 154, `${long.length} characters`);
});

test("the caption names method, layer, class and score", () => {
  assert.deepEqual(figureCaptionLines(choice, { probability: 0.8712, raw: 9.1 }), ["gradcam · layer out_relu", 'class "tabby cat" (281) · p = 0.871 · score 9.1']);
  assert.deepEqual(figureCaptionLines({ ...choice, label: "" }, null), ["gradcam · layer out_relu", "class (281)"]);
  assert.equal(figureCaptionLines(choice, { probability: 0.00143, raw: -2.06 })[1], 'class "tabby cat" (281) · p = 0.0014 · score -2.06');
});

test("caption lines wrap at spaces to the column width", () => {
  const ctx = { measureText: (s: string) => ({ width: s.length * 10 }) as TextMetrics };
  assert.deepEqual(wrapText(ctx, "aa bb cc dd", 50), ["aa bb", "cc dd"]);
  assert.deepEqual(wrapText(ctx, "averyveryverylongword x", 50), ["averyveryverylongword", "x"]);
});

test("the colour bar's pixels are the colormap from entry 0 to entry 255", () => {
  const lut = colormap("jet");
  const w = 256, h = 2;
  const px = colourBarPixels(lut, w, h);
  for (const x of [0, 1, 128, 255]) {
    for (let y = 0; y < h; y++) {
      const i = (y * w + x) * 4;
      assert.deepEqual([px[i], px[i + 1], px[i + 2], px[i + 3]], [lut[x * 3], lut[x * 3 + 1], lut[x * 3 + 2], 255], `column ${x}`);
    }
  }
});

test("colour bar labels: scaled 0, 0.5, 1; raw min, midpoint and max of the CAM", () => {
  const { scaled, raw } = colourBarLabels({ min: 0.0012, max: 3.41 });
  assert.deepEqual(scaled.map((l) => l.text), ["0", "0.5", "1"]);
  const [lo, mid, hi] = raw!.map((l) => Number(l.full));
  assert.equal(lo, 0.0012);
  assert.equal(hi, 3.41);
  assert.ok(Math.abs(mid - (0.0012 + 3.41) / 2) < 1e-12, `midpoint ${mid}`);
  assert.deepEqual(raw!.map((l) => l.text), ["1.2e-3", "1.71", "3.41"]);
  assert.equal(colourBarLabels(null).raw, null);
});
