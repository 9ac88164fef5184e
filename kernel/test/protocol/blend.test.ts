import { test } from "node:test";
import assert from "node:assert/strict";
import { blendInto, colorizeBytes } from "../../src/protocol";
import { colormap } from "../../src/protocol";

const image = Uint8Array.from([200, 100, 0, 10, 20, 30]); // two pixels
const cam = Float32Array.from([0, 1]);

test("opacity 0 shows the image, 1 the colormap, 0.25 the weighted mix", () => {
  const jet = colormap("jet");
  const out = new Uint8ClampedArray(8);
  blendInto(out, image, cam, jet, 0);
  assert.deepEqual([...out], [200, 100, 0, 255, 10, 20, 30, 255]);
  blendInto(out, image, cam, jet, 1);
  assert.deepEqual([...out], [0, 0, 128, 255, 128, 0, 0, 255]);
  blendInto(out, image, cam, jet, 0.25);
  const mix = (a: number, b: number) => Math.round(0.75 * a + 0.25 * b);
  assert.deepEqual([...out], [mix(200, 0), mix(100, 0), mix(0, 128), 255, mix(10, 128), mix(20, 0), mix(30, 0), 255]);
});

test("opacity outside [0, 1] is clamped; mismatched sizes are refused", () => {
  const gray = colormap("gray");
  const a = new Uint8ClampedArray(8);
  const b = new Uint8ClampedArray(8);
  blendInto(a, image, cam, gray, 3);
  blendInto(b, image, cam, gray, 1);
  assert.deepEqual([...a], [...b]);
  assert.throws(() => blendInto(new Uint8ClampedArray(8), image.subarray(0, 5), cam, gray, 0.5), /2 CAM values need 6 RGB bytes, got 5/);
  assert.throws(() => blendInto(new Uint8ClampedArray(4), image, cam, gray, 0.5), /RGBA target of 8 bytes, got 4/);
});

test("colorizeBytes paints each byte with its LUT entry", () => {
  const viridis = colormap("viridis");
  const out = new Uint8ClampedArray(8);
  colorizeBytes(out, Uint8Array.from([0, 255]), viridis);
  assert.deepEqual([...out], [0x44, 0x01, 0x54, 255, 0xfd, 0xe7, 0x25, 255]);
});
