import { test } from "node:test";
import assert from "node:assert/strict";
import { colormap, COLORMAP_NAMES, lutIndex } from "../../src/protocol";

const rgb = (lut: Uint8Array, i: number) => [lut[i * 3], lut[i * 3 + 1], lut[i * 3 + 2]];
const luminance = ([r, g, b]: number[]) => 0.2126 * r + 0.7152 * g + 0.0722 * b;

test("jet follows matplotlib's segment data", () => {
  const jet = colormap("jet");
  assert.deepEqual(rgb(jet, 0), [0, 0, 128]); // blue 0.5 at 0
  assert.deepEqual(rgb(jet, 255), [128, 0, 0]); // red 0.5 at 1
  // At t = 128/255 (≈ 0.502): r = (t-0.35)/0.31, g = 1, b = 1 - (t-0.34)/0.31.
  const t = 128 / 255;
  assert.deepEqual(rgb(jet, 128), [Math.round(255 * ((t - 0.35) / 0.31)), 255, Math.round(255 * (1 - (t - 0.34) / 0.31))]);
});

test("viridis and inferno start and end at matplotlib's colours and brighten monotonically", () => {
  assert.deepEqual(rgb(colormap("viridis"), 0), [0x44, 0x01, 0x54]);
  assert.deepEqual(rgb(colormap("viridis"), 255), [0xfd, 0xe7, 0x25]);
  assert.deepEqual(rgb(colormap("inferno"), 0), [0x00, 0x00, 0x04]);
  assert.deepEqual(rgb(colormap("inferno"), 255), [0xfc, 0xff, 0xa4]);
  for (const name of ["viridis", "inferno", "gray"] as const) {
    const lut = colormap(name);
    for (let i = 1; i < 256; i++) {
      assert.ok(luminance(rgb(lut, i)) >= luminance(rgb(lut, i - 1)) - 0.5, `${name} darkens at ${i}`);
    }
  }
});

test("gray is the identity and every map has 256 RGB entries", () => {
  const gray = colormap("gray");
  for (let i = 0; i < 256; i++) assert.deepEqual(rgb(gray, i), [i, i, i]);
  for (const n of COLORMAP_NAMES) assert.equal(colormap(n).length, 768);
  assert.throws(() => colormap("rainbow" as never), /unknown colormap "rainbow"; choose one of jet, viridis, inferno, gray/);
});

test("values map to LUT entries by rounding, clamped, NaN to 0", () => {
  assert.equal(lutIndex(0), 0);
  assert.equal(lutIndex(1), 255);
  assert.equal(lutIndex(0.5), 128);
  assert.equal(lutIndex(-3), 0);
  assert.equal(lutIndex(7), 255);
  assert.equal(lutIndex(NaN), 0);
});
