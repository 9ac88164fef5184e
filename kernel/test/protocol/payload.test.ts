import { test } from "node:test";
import assert from "node:assert/strict";
import { checkActivationsPayload, checkHeatmapPayload, checkLayersPayload } from "../../src/protocol";

const b64 = (n: number) => Buffer.alloc(n).toString("base64");
const heatmap = () => ({
  version: 2,
  session: { handle: "h3", kernelInstance: "k-1" },
  image: { width: 2, height: 2, data: b64(12) },
  cam: { width: 1, height: 1, scale: 1, offset: 0, data: b64(1) },
  method: "gradcam",
  layer: "conv",
  classIndex: 3,
  predictions: [{ classIndex: 3, label: "<b>cat</b>", score: 4.2, probability: 0.9 }],
  methods: ["gradcam"],
  layers: ["conv"],
});

test("a well-formed heatmap payload passes, strings untouched", () => {
  const r = checkHeatmapPayload(heatmap());
  assert.ok(r.ok);
  assert.equal(r.ok && r.payload.predictions[0].label, "<b>cat</b>");
});

test("the CAM's raw range is optional (older outputs lack it) and kept when present", () => {
  const r = checkHeatmapPayload({ ...heatmap(), camRange: { min: 0, max: 0.186 } });
  assert.deepEqual(r.ok && r.payload.camRange, { min: 0, max: 0.186 });
  const old = checkHeatmapPayload(heatmap());
  assert.ok(old.ok && old.payload.camRange === undefined);
});

test("prefetched CAMs are optional (older outputs lack them), kept when present, and checked field by field", () => {
  const entry = { classIndex: 5, cam: { width: 1, height: 1, scale: 1, offset: 0, data: b64(1) }, camRange: { min: 0, max: 2 } };
  const r = checkHeatmapPayload({ ...heatmap(), prefetched: [entry] });
  assert.deepEqual(r.ok && r.payload.prefetched, [entry]);
  const bad = checkHeatmapPayload({ ...heatmap(), prefetched: [{ ...entry, cam: { ...entry.cam, width: 0 } }] });
  assert.ok(!bad.ok && /prefetched\[0\]\.cam/.test(bad.reason), bad.ok ? "accepted" : bad.reason);
  const range = checkHeatmapPayload({ ...heatmap(), prefetched: [{ ...entry, camRange: { min: 3, max: 2 } }] });
  assert.ok(!range.ok && /prefetched\[0\]\.camRange\.min \(3\) must not exceed/.test(range.reason));
  const index = checkHeatmapPayload({ ...heatmap(), prefetched: [{ ...entry, classIndex: 1.5 }] });
  assert.ok(!index.ok && /prefetched\[0\]\.classIndex/.test(index.reason));
});

test("a version 1 heatmap payload (a notebook saved before) reads as the current shape", () => {
  const r = checkHeatmapPayload({ ...heatmap(), version: 1, predictions: [{ index: 3, label: "cat", probability: 0.9 }] });
  assert.ok(r.ok);
  assert.deepEqual(r.ok && r.payload.predictions, [{ classIndex: 3, label: "cat", score: 0.9, probability: 0.9 }]);
});

test("a payload without session (reopened notebook, saved file) is fine and has session null", () => {
  const p = { ...heatmap(), session: undefined };
  const r = checkHeatmapPayload(p);
  assert.ok(r.ok && r.payload.session === null);
});

test("malformed payloads are refused with the field that is wrong", () => {
  const cases: Array<[unknown, RegExp]> = [
    [null, /the heatmap payload must be an object/],
    [{ ...heatmap(), version: 3 }, /newer camlab \(payload version 3\); this extension reads version 2/],
    [{ ...heatmap(), cam: { ...heatmap().cam, width: 0 } }, /cam.width must be an integer >= 1/],
    [{ ...heatmap(), predictions: [{ classIndex: 1, label: 5, score: 1, probability: 1 }] }, /predictions\[0\].label must be a string/],
    [{ ...heatmap(), predictions: [{ index: 1, label: "a", probability: 1 }] }, /predictions\[0\].classIndex must be an integer/],
    [{ ...heatmap(), session: { handle: 7 } }, /session.handle must be a string/],
    [{ ...heatmap(), camRange: { min: "0", max: 1 } }, /camRange.min must be a number/],
    [{ ...heatmap(), camRange: { min: 2, max: 1 } }, /camRange.min \(2\) must not exceed camRange.max \(1\)/],
  ];
  for (const [x, re] of cases) {
    const r = checkHeatmapPayload(x);
    assert.ok(!r.ok);
    assert.match(!r.ok ? r.reason : "", re);
  }
});

test("activations: tiles and tileChannels must pair up; histogram edges = counts + 1", () => {
  const base = {
    version: 1,
    session: null,
    layer: "conv",
    shape: [2, 2, 3],
    channels: [{ index: 0, mean: 0, max: 0, sparsity: 0 }],
    tileChannels: [0],
    tiles: [{ width: 2, height: 2, scale: 1, offset: 0, data: b64(4) }],
    pageSize: 8,
    histogram: { edges: [0, 1], counts: [4] },
  };
  assert.ok(checkActivationsPayload(base).ok);
  const r1 = checkActivationsPayload({ ...base, tileChannels: [0, 1] });
  assert.match(!r1.ok ? r1.reason : "", /tileChannels \(2\) and tiles \(1\)/);
  const r2 = checkActivationsPayload({ ...base, histogram: { edges: [0, 1], counts: [1, 2] } });
  assert.match(!r2.ok ? r2.reason : "", /one more edge than counts/);
  const r3 = checkActivationsPayload({ ...base, shape: [2, 3] });
  assert.match(!r3.ok ? r3.reason : "", /\[height, width, channels\]/);
});

test("layers: inbound names must be strings", () => {
  const base = { version: 1, session: null, modelName: "m", layers: [{ name: "a", className: "Dense", outputShape: [3], params: 12, trainable: true, inbound: [], spatial: false }] };
  assert.ok(checkLayersPayload(base).ok);
  const r = checkLayersPayload({ ...base, layers: [{ ...base.layers[0], inbound: [1] }] });
  assert.match(!r.ok ? r.reason : "", /layers\[0\].inbound\[0\] must be a string/);
});
