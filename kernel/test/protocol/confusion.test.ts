// The confusion explorer's part of the shared core: its payload check, the row-normalised matrix
// and the CAM pair's difference map, against values written out here.
import { describe, it } from "node:test";
import * as assert from "node:assert/strict";
import { camDifference, checkConfusionPayload, confusionShades, PAYLOAD_VERSION, rowNormalised, type ConfusionPayload } from "../../src/protocol";

const good = (): ConfusionPayload => ({
  version: PAYLOAD_VERSION,
  session: { handle: "h1-00000000", kernelInstance: "k" },
  modelName: "m",
  labels: ["a", "b"],
  counts: [[3, 1], [0, 2]],
  total: 6,
  accuracy: 5 / 6,
  precision: [1, 2 / 3],
  recall: [3 / 4, 1],
  top: [{ truth: 0, predicted: 1, count: 1 }],
  kept: "mistakes",
  method: "gradcam",
  layer: "conv",
  methods: ["gradcam"],
  layers: ["conv"],
  pageSize: 12,
});

describe("confusion payload and numbers (protocol/confusion.ts)", () => {
  it("a good payload passes; each malformed field is named", () => {
    assert.ok(checkConfusionPayload(good()).ok);
    const bad: [string, (p: Record<string, unknown>) => void, RegExp][] = [
      ["rows", (p) => (p.counts = [[1, 2]]), /counts must have one row per class \(2\), got 1/],
      ["columns", (p) => (p.counts = [[1], [2, 3]]), /counts\[0\] must have one entry per class \(2\), got 1/],
      ["a fractional count", (p) => (p.counts = [[1.5, 0], [0, 1]]), /counts\[0\]\[0\] must be an integer >= 0/],
      ["precision length", (p) => (p.precision = [1]), /precision must have one entry per class \(2\), got 1/],
      ["a top pair outside", (p) => (p.top = [{ truth: 2, predicted: 0, count: 1 }]), /top\[0\].truth must be a class index below 2/],
      ["kept", (p) => (p.kept = "some"), /kept must be "mistakes", "all" or "none"/],
      ["newer version", (p) => (p.version = PAYLOAD_VERSION + 1), /made by a newer camlab/],
      ["page size", (p) => (p.pageSize = 0), /pageSize must be an integer >= 1/],
    ];
    for (const [what, spoil, message] of bad) {
      const p = good() as unknown as Record<string, unknown>;
      spoil(p);
      const r = checkConfusionPayload(p);
      assert.equal(r.ok, false, what);
      if (!r.ok) assert.match(r.reason, message, what);
    }
    // null rates (a class never predicted / absent) are allowed.
    assert.ok(checkConfusionPayload({ ...good(), precision: [null, 1] }).ok);
  });

  it("rowNormalised divides each row by its sum; an empty row stays zero", () => {
    assert.deepEqual(rowNormalised([[3, 1], [0, 0], [2, 6]]), [[0.75, 0.25], [0, 0], [0.25, 0.75]]);
  });

  it("confusionShades: off-diagonal counts over the largest off-diagonal count; the diagonal and empty cells unshaded", () => {
    assert.deepEqual(confusionShades([[50, 4, 0], [2, 40, 8], [0, 1, 30]]), [[null, 0.5, null], [0.25, null, 1], [null, 0.125, null]]);
    assert.deepEqual(confusionShades([[3, 0], [0, 2]]), [[null, null], [null, null]], "no mistakes: nothing shaded");
  });

  it("camDifference is (a − b + 1) / 2 on the maps' real values, 0.5 where they agree", () => {
    // a: values 0, 1, 0.5, 0.2 (scale 1); b: 0, 0, 1, 0.2 (scale 1, offset 0).
    const q = (vs: number[]) => ({ width: 2, height: 2, scale: 1, offset: 0, bytes: Uint8Array.from(vs.map((v) => Math.round(v * 255))) });
    const d = camDifference(q([0, 1, 0.5, 0.2]), q([0, 0, 1, 0.2]));
    assert.deepEqual([...d.bytes], [128, 255, 64, 128].map((v, i) => (i === 2 ? Math.round(((Math.round(0.5 * 255) / 255 - 1 + 1) / 2) * 255) : v)));
    assert.equal(d.scale, 1);
    assert.equal(d.offset, 0);
    assert.throws(() => camDifference(q([0, 0, 0, 0]), { width: 1, height: 4, scale: 1, offset: 0, bytes: new Uint8Array(4) }), /must have one size, got 2x2 and 1x4/);
  });
});
