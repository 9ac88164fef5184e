import { test } from "node:test";
import assert from "node:assert/strict";
import { decodeBase64, dequantize, fromBuffer, fromSnapshot, valueAt } from "../../src/protocol";

test("base64 decoding matches Node's own decoder, with and without padding", () => {
  const bytes = Uint8Array.from({ length: 257 }, (_, i) => (i * 37 + 11) % 256);
  for (const n of [0, 1, 2, 3, 100, 257]) {
    const b64 = Buffer.from(bytes.subarray(0, n)).toString("base64");
    assert.deepEqual([...decodeBase64(b64)], [...bytes.subarray(0, n)]);
    assert.deepEqual([...decodeBase64(b64.replace(/=+$/, ""))], [...bytes.subarray(0, n)]);
  }
});

test("dequantize gives offset + scale * byte / 255 for every byte", () => {
  const bytes = Uint8Array.from({ length: 256 }, (_, i) => i);
  const map = fromBuffer({ width: 16, height: 16, scale: 3.5, offset: -1.25 }, bytes);
  const values = dequantize(map);
  for (let b = 0; b < 256; b++) assert.ok(Math.abs(values[b] - (-1.25 + (3.5 * b) / 255)) < 1e-6);
  assert.equal(values[0], -1.25);
  assert.ok(Math.abs(values[255] - 2.25) < 1e-6);
  // valueAt indexes row-major: (x=3, y=2) is byte 2*16+3.
  assert.ok(Math.abs(valueAt(map, 3, 2) - (-1.25 + (3.5 * 35) / 255)) < 1e-12);
  assert.throws(() => valueAt(map, 16, 0), /outside the 16x16 map/);
});

test("a snapshot whose data does not match its size is refused with both numbers", () => {
  const data = Buffer.from(new Uint8Array(5)).toString("base64");
  assert.throws(() => fromSnapshot({ width: 2, height: 3, scale: 1, offset: 0, data }), /2x3 needs 6 bytes, the data holds 5/);
  assert.throws(() => fromSnapshot({ width: 0, height: 3, scale: 1, offset: 0, data }), /positive integers/);
  assert.throws(() => fromSnapshot({ width: 1, height: 1, scale: NaN, offset: 0, data: "AA==" }), /finite/);
});

test("fromBuffer slices tile i of a page and copies it", () => {
  const page = Uint8Array.from({ length: 3 * 4 }, (_, i) => i);
  const second = fromBuffer({ width: 2, height: 2, scale: 1, offset: 0 }, page, 4);
  assert.deepEqual([...second.bytes], [4, 5, 6, 7]);
  page[4] = 99;
  assert.equal(second.bytes[0], 4);
  assert.throws(() => fromBuffer({ width: 2, height: 2, scale: 1, offset: 0 }, page, 10), /needs bytes \[10, 14\) but the buffer holds 12/);
});
