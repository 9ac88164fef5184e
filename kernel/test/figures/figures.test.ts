// camlab.figures: charts carry a real PNG of their SVG (what an untrusted saved notebook shows),
// overlays use the shared core's colours, and the displays keep a text/plain form.
import { describe, it } from "node:test";
import * as assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { PNG } from "pngjs";
import { ensureBackend } from "../../src/engine";
import { JUPYTER_DISPLAY } from "../../src/display/mime";
import { figures } from "../../src";
import { colorAt, DEFAULT_COLORMAP } from "../../src/protocol";

type Bundle = Record<string, unknown>;
const bundleOf = (x: unknown): Bundle => (x as { [JUPYTER_DISPLAY](): Bundle })[JUPYTER_DISPLAY]();

describe("figures", () => {
  it("a line chart's bundle: plotly, SVG, and a PNG of the SVG at its size with the lines drawn", () => {
    const chart = figures.lineChart([{ name: "a", x: [0, 1, 2, 3], y: [0, 1, 0.5, 2] }, { name: "b", x: [0, 1, 2, 3], y: [2, 1, 1.5, 0] }], { title: "two lines", width: 300, height: 200 });
    const b = bundleOf(chart);
    assert.deepEqual(Object.keys(b).sort(), ["application/vnd.plotly.v1+json", "image/png", "image/svg+xml", "text/plain"]);
    const png = PNG.sync.read(Buffer.from(b["image/png"] as string, "base64"));
    assert.deepEqual([png.width, png.height], [300, 200]);
    let dark = 0, blue = 0, orange = 0;
    for (let i = 0; i < png.width * png.height; i++) {
      const [r, g, bl] = [png.data[4 * i], png.data[4 * i + 1], png.data[4 * i + 2]];
      if (r + g + bl < 200) dark++; // axis labels and title text
      if (Math.abs(r - 0x1f) < 40 && Math.abs(g - 0x77) < 40 && bl > 150) blue++; // series a (#1f77b4)
      if (r > 200 && Math.abs(g - 0x7f) < 40 && bl < 60) orange++; // series b (#ff7f0e)
    }
    assert.ok(dark > 50, `text is drawn (${dark} dark pixels)`);
    assert.ok(blue > 100 && orange > 100, `both lines are drawn (${blue} blue, ${orange} orange pixels)`);
    assert.equal(bundleOf(chart)["image/png"], b["image/png"], "rasterised once");
  });

  it("bar and signal charts carry a non-blank PNG too", () => {
    for (const chart of [figures.barChart(["x", "y"], [{ name: "v", values: [1, 3] }]), figures.signalChart([0, 1, 0, 2, 1], { heat: [0, 0.5, 1, 0.5, 0] })]) {
      const png = PNG.sync.read(Buffer.from(bundleOf(chart)["image/png"] as string, "base64"));
      const colours = new Set<number>();
      for (let i = 0; i < png.width * png.height; i++) colours.add((png.data[4 * i] << 16) | (png.data[4 * i + 1] << 8) | png.data[4 * i + 2]);
      assert.ok(colours.size > 5, `${colours.size} colours`);
    }
  });

  it("overlay(image, camResult) blends the CAM with the default colormap; overlayPixels at opacity 1 is the colormap", async () => {
    await ensureBackend();
    const before = tf.memory().numTensors;
    const image = tf.zeros([4, 4, 3]);
    const heat = tf.ones([1, 2, 2]);
    const px = await figures.overlayPixels(await figures.imagePixels(image), heat, 1);
    assert.deepEqual(Array.from(px.data.subarray(0, 3)), colorAt(DEFAULT_COLORMAP, 1));
    const fakeCam = { method: "gradcam", layers: ["conv"], targets: [1, 2], heatmap: tf.tidy(() => tf.stack([heat.squeeze([0]), heat.squeeze([0])])) };
    const b = bundleOf(await figures.overlay(image, fakeCam as never, { index: 1 }));
    assert.ok(typeof b["image/jpeg"] === "string");
    assert.match(String(b["text/plain"]), /gradcam · conv · class 2/);
    await assert.rejects(figures.overlay(image, fakeCam as never, { index: 2 }), /index must be an image of the batch \(0–1\), got 2/);
    tf.dispose([image, heat, fakeCam.heatmap]);
    assert.equal(tf.memory().numTensors, before);
  });
});
