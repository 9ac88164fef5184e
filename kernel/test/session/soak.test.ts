// A long session on the real MobileNetV2: every layer's activations paged ends with tf.memory()
// where it started once the registry is cleared (the cached activations are its budgeted entries).
import { before, describe, it } from "node:test";
import * as assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { ensureBackend } from "../../src/engine";
import { loadMobileNetV2 } from "../../src/models";
import { Session } from "../../src/session";
import { randomImages } from "../engine/fixtures";

describe("session soak on MobileNetV2", () => {
  before(async () => {
    await ensureBackend();
  });

  it("paging through every layer of MobileNetV2 leaves tf.memory() as it was", async () => {
    const net = await loadMobileNetV2();
    const img = randomImages(1, 224, 8);
    const m0 = tf.memory();
    const session = new Session(1024 * 1024 * 1024, "mobilenet");
    const h = session.bind(net.model, img, { labels: net.labels });
    const layers = (await session.dispatch("layers.describe", h, {})).result as { layers: { name: string; outputShape: (number | null)[] }[] };
    let pages = 0;
    for (const l of layers.layers) {
      if (l.outputShape.length === 0) continue;
      const out = await session.dispatch("activations.page", h, { layer: l.name, offset: 0, count: 4, sort: "mean" });
      assert.ok((out.buffers[0] as Uint8Array).length > 0);
      pages++;
    }
    assert.ok(pages > 150, `paged ${pages} layers`);
    const held = session.stats().bytes;
    assert.ok(held > img.size * 4, "the cached activations are the registry's budgeted entries");
    session.clear();
    const m1 = tf.memory();
    assert.equal(m1.numTensors, m0.numTensors);
    assert.equal(m1.numBytes, m0.numBytes);
    img.dispose();
    net.model.dispose();
  });
});
