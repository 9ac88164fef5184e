// The live heatmap canvas draws with the shared core: a pane's frame is protocol's renderOverlay
// of the same CAM, image, colormap and opacity — the function behind the kernel's saved PNG
// (kernel/test/views checks that side), so the PNG and the first live frame are the same pixels.
import { test } from "node:test";
import assert from "node:assert/strict";
import { paintOverlay, type PaneContext } from "../src/heatmap/CamPane";
import { colormap, DEFAULT_COLORMAP, DEFAULT_OPACITY, prepareOverlay, renderOverlay, type QuantizedMap } from "../src/protocol";

function fakeContext(): PaneContext & { frame: Uint8ClampedArray | null } {
  const ctx = {
    frame: null as Uint8ClampedArray | null,
    createImageData: (w: number, h: number) => ({ width: w, height: h, data: new Uint8ClampedArray(w * h * 4), colorSpace: "srgb" }) as ImageData,
    putImageData: (img: ImageData) => {
      ctx.frame = img.data;
    },
  };
  return ctx as unknown as PaneContext & { frame: Uint8ClampedArray | null };
}

test("a pane's canvas frame equals renderOverlay (the kernel's PNG function) at the defaults and after a change", () => {
  const width = 9, height = 7;
  const rgb = Uint8Array.from({ length: width * height * 3 }, (_, i) => (i * 37) % 256);
  const cam: QuantizedMap = { width: 3, height: 2, scale: 1, offset: 0, bytes: Uint8Array.from([0, 40, 255, 128, 7, 200]) };
  const image = { width, height, rgb };
  const prepared = prepareOverlay(image, cam);
  for (const [name, opacity] of [[DEFAULT_COLORMAP, DEFAULT_OPACITY], ["jet", 0.8]] as const) {
    const ctx = fakeContext();
    paintOverlay(ctx, prepared, colormap(name), opacity);
    assert.deepEqual(Array.from(ctx.frame!), Array.from(renderOverlay(image, cam, colormap(name), opacity)), `${name} at ${opacity}`);
  }
});
