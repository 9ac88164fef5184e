// Captions and names as a person reads them: compact numbers that fit a tile caption (at most six
// characters and a sign) and stay close to the value, titles with every digit, and layer names
// cut only after "_".
import { test } from "node:test";
import assert from "node:assert/strict";
import { formatCompact, formatFull, formatNumber, nameBreakPieces } from "../src/format";

test("compact numbers need at most 6 characters plus a sign (7 for a two-digit exponent), and stay within 5% of the value", () => {
  const values = [8.69e-4, -8.69e-4, 0.00999, 0.01, 0.0123, 0.123, 0.5, 1, 1.005, 12.345, 123.456, 999.4, 999.6, 1234.5, 9999.4, 9999.6, 12345, 1.5e7, 3.2e-12, 6, 0.531];
  for (const v of values) {
    const s = formatCompact(v);
    const limit = /e-?\d\d$/.test(s) ? 7 : 6;
    assert.ok(s.replace(/^-/, "").length <= limit, `${v} → "${s}" is ${s.length} characters`);
    const back = Number(s);
    assert.ok(Number.isFinite(back), `${v} → "${s}" reads back as a number`);
    assert.ok(Math.abs(back - v) <= 0.05 * Math.abs(v), `${v} → "${s}" (${back}) is within 5%`);
  }
});

test("compact forms: the issue's 8.69e-4, and each range's rule", () => {
  assert.equal(formatCompact(8.69e-4), "8.7e-4");
  assert.equal(formatCompact(-0.00123), "-1.2e-3");
  assert.equal(formatCompact(0.0123), "0.0123");
  assert.equal(formatCompact(0.5312), "0.531");
  assert.equal(formatCompact(6), "6");
  assert.equal(formatCompact(1234.5), "1235");
  assert.equal(formatCompact(123456), "1.2e5");
  assert.equal(formatCompact(0), "0");
  assert.equal(formatCompact(null), "n/a");
  assert.equal(formatCompact(NaN), "NaN");
  assert.equal(formatCompact(-Infinity), "−∞");
});

test("full values keep every digit (they read back as the same number)", () => {
  for (const v of [8.691234567e-4, 0.1 + 0.2, -3.0000001, 1e-30]) assert.equal(Number(formatFull(v)), v);
  assert.equal(formatFull(undefined), "not finite");
  assert.equal(formatNumber(8.69e-4), "8.69e-4");
});

test("layer names are cut only after an underscore (or a graph node's /), and the pieces join back", () => {
  assert.deepEqual(nameBreakPieces("block_16_expand_relu"), ["block_", "16_", "expand_", "relu"]);
  assert.deepEqual(nameBreakPieces("Conv1"), ["Conv1"]);
  assert.deepEqual(nameBreakPieces("MobilenetV2/expanded_conv/Relu6"), ["MobilenetV2/", "expanded_", "conv/", "Relu6"]);
  assert.deepEqual(nameBreakPieces("a__b_"), ["a__", "b_"]);
  assert.deepEqual(nameBreakPieces(""), []);
  for (const name of ["block_16_expand_relu", "_x_", "<img src=x onerror=alert(1)>", "a/b_c"]) {
    const pieces = nameBreakPieces(name);
    assert.equal(pieces.join(""), name);
    // Every piece but the last ends at a break point; no piece holds one inside a word.
    pieces.slice(0, -1).forEach((p) => assert.match(p, /[_/]$/));
    pieces.forEach((p) => assert.doesNotMatch(p, /[_/][^_/]/));
  }
});
