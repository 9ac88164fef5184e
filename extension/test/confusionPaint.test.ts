// The confusion gallery's thumbnails go through the shared core's blend at opacity 0, which must
// be the picture itself: each RGB byte in place, alpha 255 (checked against the bytes given).
import { test } from "node:test";
import assert from "node:assert/strict";
import { paintRgb } from "../src/confusion/ConfusionGallery";

test("paintRgb draws RGB bytes as opaque RGBA pixels, unchanged", () => {
  const width = 5, height = 3;
  const rgb = Uint8Array.from({ length: width * height * 3 }, (_, i) => (i * 53 + 7) % 256);
  let frame: Uint8ClampedArray | null = null;
  const ctx = {
    createImageData: (w: number, h: number) => ({ width: w, height: h, data: new Uint8ClampedArray(w * h * 4) }),
    putImageData: (img: { data: Uint8ClampedArray }) => {
      frame = img.data;
    },
  };
  const canvas = { width: 0, height: 0, getContext: () => ctx } as unknown as HTMLCanvasElement;
  paintRgb(canvas, width, height, rgb);
  assert.equal(canvas.width, width);
  assert.equal(canvas.height, height);
  const want = new Uint8ClampedArray(width * height * 4);
  for (let i = 0; i < width * height; i++) want.set([rgb[3 * i], rgb[3 * i + 1], rgb[3 * i + 2], 255], 4 * i);
  assert.deepEqual(Array.from(frame!), Array.from(want));
});
