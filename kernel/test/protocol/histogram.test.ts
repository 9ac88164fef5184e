import { test } from "node:test";
import assert from "node:assert/strict";
import { histogramOfMaps } from "../../src/protocol";
import { fromBuffer, type QuantizedMap } from "../../src/protocol";

const realValues = (m: QuantizedMap) => [...m.bytes].map((b) => m.offset + (m.scale * b) / 255);

test("counts match binning the dequantized values one by one", () => {
  const a = fromBuffer({ width: 3, height: 2, scale: 2, offset: -1 }, Uint8Array.from([0, 10, 128, 200, 255, 255]));
  const b = fromBuffer({ width: 2, height: 2, scale: 0.5, offset: 0.25 }, Uint8Array.from([0, 51, 102, 255]));
  const hist = histogramOfMaps([a, b], 8);
  const values = [...realValues(a), ...realValues(b)];
  const lo = Math.min(...values);
  const hi = Math.max(...values);
  assert.ok(Math.abs(hist.edges[0] - lo) < 1e-6 && Math.abs(hist.edges[8] - hi) < 1e-6);
  const expected = new Array(8).fill(0);
  for (const v of values) {
    let k = 0;
    while (k < 7 && v >= hist.edges[k + 1]) k++;
    expected[k]++;
  }
  assert.deepEqual(hist.counts, expected);
  assert.equal(hist.counts.reduce((s, c) => s + c, 0), 10);
});

test("no maps give an empty histogram; a constant map gets one non-empty bin", () => {
  assert.deepEqual(histogramOfMaps([]), { edges: [], counts: [] });
  const flat = fromBuffer({ width: 2, height: 1, scale: 0, offset: 3 }, Uint8Array.from([7, 7]));
  const hist = histogramOfMaps([flat], 4);
  assert.deepEqual(hist.counts, [2, 0, 0, 0]);
  assert.throws(() => histogramOfMaps([flat], 0), /bins must be a positive integer/);
});
