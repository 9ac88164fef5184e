import { test } from "node:test";
import assert from "node:assert/strict";
import { canSortLocally, pageCount, pageSizeForBudget, pageSlice, sortChannels } from "../../src/protocol";
import type { ChannelSummary } from "../../src/protocol";

const ch: ChannelSummary[] = [
  { index: 0, mean: 0.5, max: 2, sparsity: 0.1, camWeight: 0.3 },
  { index: 1, mean: 0.9, max: 1, sparsity: 0.5 },
  { index: 2, mean: 0.5, max: 3, sparsity: NaN, camWeight: -0.2 },
  { index: 3, mean: 0.1, max: 3, sparsity: 0.9, camWeight: 0.8 },
];

test("statistics sort high first, ties by index; index sorts ascending", () => {
  assert.deepEqual(sortChannels(ch, "mean"), [1, 0, 2, 3]);
  assert.deepEqual(sortChannels(ch, "max"), [2, 3, 0, 1]);
  assert.deepEqual(sortChannels([...ch].reverse(), "index"), [0, 1, 2, 3]);
});

test("channels lacking the statistic (absent or NaN) come last, by index", () => {
  assert.deepEqual(sortChannels(ch, "camWeight"), [3, 0, 2, 1]);
  assert.deepEqual(sortChannels(ch, "sparsity"), [3, 1, 0, 2]);
});

test("the browser sorts alone only when it has the statistic for every channel", () => {
  assert.equal(canSortLocally(ch, 4, "mean"), true);
  assert.equal(canSortLocally(ch, 4, "camWeight"), false);
  assert.equal(canSortLocally(ch, 8, "mean"), false);
  assert.equal(canSortLocally([], 8, "index"), false);
});

test("paging: counts, slices, clamping to the last page", () => {
  const order = Array.from({ length: 10 }, (_, i) => i);
  assert.equal(pageCount(10, 4), 3);
  assert.equal(pageCount(0, 4), 1);
  assert.deepEqual(pageSlice(order, 0, 4), [0, 1, 2, 3]);
  assert.deepEqual(pageSlice(order, 2, 4), [8, 9]);
  assert.deepEqual(pageSlice(order, 9, 4), [8, 9]);
});

test("page size keeps a page of uint8 tiles within the byte budget", () => {
  // MobileNetV2: 112x112 (12544 bytes per tile) up to 7x7 (49 bytes).
  assert.equal(pageSizeForBudget(112, 112), 4);
  assert.ok(pageSizeForBudget(112, 112) * 112 * 112 <= 56 * 1024);
  assert.equal(pageSizeForBudget(56, 56), 18);
  assert.equal(pageSizeForBudget(7, 7), 48);
  assert.equal(pageSizeForBudget(1000, 1000), 1);
});
