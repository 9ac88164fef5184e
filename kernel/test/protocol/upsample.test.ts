import { test } from "node:test";
import assert from "node:assert/strict";
import { upsampleBilinear } from "../../src/protocol";

test("2x2 -> 4x4 matches values worked out by hand (half-pixel centres, edges clamped)", () => {
  const out = upsampleBilinear({ width: 2, height: 2, values: Float32Array.from([0, 1, 2, 3]) }, 4, 4);
  const expected = [
    [0, 0.25, 0.75, 1],
    [0.5, 0.75, 1.25, 1.5],
    [1.5, 1.75, 2.25, 2.5],
    [2, 2.25, 2.75, 3],
  ].flat();
  assert.deepEqual([...out.values].map((v) => Math.round(v * 1e6) / 1e6), expected);
});

test("an affine field is reproduced exactly at every mapped (clamped) position", () => {
  // Bilinear interpolation is exact for f(x, y) = a + b x + c y, so the result must equal f at
  // the source coordinate each destination pixel maps to — an independent formula.
  const w = 7, hgt = 5, W = 224, H = 160;
  const f = (x: number, y: number) => 0.3 + 0.11 * x - 0.07 * y;
  const src = new Float32Array(w * hgt);
  for (let y = 0; y < hgt; y++) for (let x = 0; x < w; x++) src[y * w + x] = f(x, y);
  const out = upsampleBilinear({ width: w, height: hgt, values: src }, W, H);
  let worst = 0;
  for (let y = 0; y < H; y++) {
    const sy = Math.min(Math.max((y + 0.5) * (hgt / H) - 0.5, 0), hgt - 1);
    for (let x = 0; x < W; x++) {
      const sx = Math.min(Math.max((x + 0.5) * (w / W) - 0.5, 0), w - 1);
      worst = Math.max(worst, Math.abs(out.values[y * W + x] - f(sx, sy)));
    }
  }
  assert.ok(worst < 1e-5, `largest difference ${worst}`);
});

test("same size is the identity; a 1x1 map becomes a constant", () => {
  const src = Float32Array.from({ length: 12 }, (_, i) => Math.sin(i));
  assert.deepEqual([...upsampleBilinear({ width: 4, height: 3, values: src }, 4, 3).values], [...src]);
  const one = upsampleBilinear({ width: 1, height: 1, values: Float32Array.from([0.625]) }, 5, 3);
  assert.ok(one.values.every((v) => v === 0.625));
});

test("bad sizes are refused with what was expected", () => {
  assert.throws(() => upsampleBilinear({ width: 2, height: 2, values: new Float32Array(3) }, 4, 4), /needs 4 values, got 3/);
  assert.throws(() => upsampleBilinear({ width: 2, height: 2, values: new Float32Array(4) }, 0, 4), /positive integers/);
});
