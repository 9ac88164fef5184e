import { test } from "node:test";
import assert from "node:assert/strict";
import { consumersOf, filterLayers, formatShape, healthBadges } from "../src/layers/layerTree";
import type { LayerInfo } from "../src/protocol";

const layer = (name: string, inbound: string[]): LayerInfo => ({ name, className: "Conv2D", outputShape: [7, 7, 8], params: 10, trainable: true, inbound, spatial: true });
const layers = [layer("input_1", []), layer("block1_conv", ["input_1"]), layer("block1_add", ["input_1", "block1_conv"]), layer("<img src=x onerror=alert(1)>", ["block1_add"])];

test("search by name is a case-insensitive substring match", () => {
  assert.deepEqual(filterLayers(layers, "BLOCK1").map((l) => l.name), ["block1_conv", "block1_add"]);
  assert.equal(filterLayers(layers, "  ").length, 4);
  assert.deepEqual(filterLayers(layers, "<img").map((l) => l.name), ["<img src=x onerror=alert(1)>"]);
});

test("consumers invert inbound edges (skip connections included)", () => {
  const c = consumersOf(layers);
  assert.deepEqual(c.get("input_1"), ["block1_conv", "block1_add"]);
  assert.deepEqual(c.get("block1_add"), ["<img src=x onerror=alert(1)>"]);
  assert.deepEqual(c.get("<img src=x onerror=alert(1)>"), []);
});

test("badges only for unhealthy gradients, with the counts in the title", () => {
  const b = healthBadges([
    { layer: "a", nanCount: 0, infCount: 0, gradNorm: 1.5, status: "ok" },
    { layer: "b", nanCount: 3, infCount: 0, gradNorm: NaN, status: "nan" },
    { layer: "c", nanCount: 0, infCount: 0, gradNorm: 1e-9, status: "vanishing" },
  ]);
  assert.deepEqual([...b.keys()], ["b", "c"]);
  assert.equal(b.get("b")!.text, "NaN");
  assert.match(b.get("b")!.title, /3 NaN values/);
  assert.match(b.get("c")!.title, /vanishing: \|grad\| = 1\.00e-9/);
  assert.equal(healthBadges(undefined).size, 0);
});

test("shapes print unknown sizes as ?", () => {
  assert.equal(formatShape([null, 7, 7, 1280]), "[?, 7, 7, 1280]");
});
