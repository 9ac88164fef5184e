// The confusion explorer's session operations: a page of a matrix cell (thumbnails + margins),
// the CAM pair of one example (true vs predicted class), and the full heatmap overlay of one
// example. Arguments arrive validated in form (validate.ts); here they are checked against the
// explorer's data (class in range, example kept, method known, layer present).
import { findLayer } from "../engine/model";
import { CAM_METHODS } from "../cam/registry";
import type { OpArgs, OpResults } from "../protocol";
import type { BoundModel } from "./bound";
import { ConfusionBound } from "./confusionBound";
import type { OpOutcome } from "./handlers";
import { BadRequest } from "./validate";

/** The operations of the confusion explorer. */
export type ConfusionOp = "confusion.cell" | "confusion.pair" | "confusion.overlay";

type Handler<K extends ConfusionOp> = (bound: BoundModel, args: OpArgs[K]) => Promise<OpOutcome<K>>;

function explorer(bound: BoundModel, op: string): ConfusionBound {
  if (!(bound instanceof ConfusionBound)) throw new BadRequest(`${op}: this handle belongs to another kind of display, not a confusion explorer`);
  return bound;
}

function checkIndex(b: ConfusionBound, index: number, op: string): void {
  const n = b.confusions.total;
  if (index >= n) throw new BadRequest(`${op}: example ${index} does not exist; the explorer swept ${n} examples (0–${n - 1})`);
  if (!b.hasPictures) throw new BadRequest(`${op}: the explorer's inputs have shape [${b.confusions.inputShape.join(", ")}], not pictures [height, width, 1|3|4]; compute CAMs of such inputs in a cell with camlab.cam`);
  if (b.confusions.kept[index] < 0) throw new BadRequest(`${op}: the input of example ${index} was not kept (the explorer keeps the mistakes' inputs; show it with keep: "all" to explore every example)`);
}

function checkCam(b: ConfusionBound, method: string, layer: string, op: string): void {
  if (!(method in CAM_METHODS)) throw new BadRequest(`${op}: unknown method "${method}"; known methods: ${Object.keys(CAM_METHODS).join(", ")}`);
  try {
    findLayer(b.model, layer);
  } catch (e) {
    throw new BadRequest(`${op}: ${(e as Error).message}`);
  }
}

/** The handlers, spread into the session's operation table (handlers.ts). */
export const confusionHandlers: { [K in ConfusionOp]: Handler<K> } = {
  async "confusion.cell"(bound, { truth, predicted, offset, count }) {
    const b = explorer(bound, "confusion.cell");
    const k = b.confusions.classes;
    if (truth >= k || predicted >= k) throw new BadRequest(`confusion.cell: cell (${truth}, ${predicted}) is outside the ${k}×${k} matrix; classes go from 0 to ${k - 1}`);
    const all = b.confusions.cell(truth, predicted);
    if (offset > 0 && offset >= all.length) throw new BadRequest(`confusion.cell: offset ${offset} is past the end of the cell, which holds ${all.length} example${all.length === 1 ? "" : "s"}`);
    const page = all.slice(offset, offset + count);
    const c = b.confusions;
    // Inputs that are not pictures (sequences) list their numbers without thumbnails.
    const items = page.map((index) => ({ index, pTrue: c.pTrue[index], pPredicted: c.pPredicted[index], margin: c.margin[index], kept: c.kept[index] >= 0 && b.hasPictures }));
    const { size, bytes } = await b.thumbnails(items.filter((i) => i.kept).map((i) => i.index));
    const result: OpResults["confusion.cell"] = { truth, predicted, size: all.length, offset, items, thumb: size };
    return { result, buffers: [bytes] };
  },

  async "confusion.pair"(bound, { index, method, layer }) {
    const b = explorer(bound, "confusion.pair");
    checkIndex(b, index, "confusion.pair");
    checkCam(b, method, layer, "confusion.pair");
    const pair = await b.pair(index, method, layer);
    const c = b.confusions;
    const result: OpResults["confusion.pair"] = {
      index,
      truth: c.truth[index],
      predicted: c.predicted[index],
      truthLabel: b.label(c.truth[index]),
      predictedLabel: b.label(c.predicted[index]),
      pTrue: c.pTrue[index],
      pPredicted: c.pPredicted[index],
      method,
      layer,
      image: pair.image,
      truthCam: pair.truth.header,
      predictedCam: pair.predicted.header,
    };
    return { result, buffers: [pair.rgb, pair.truth.bytes, pair.predicted.bytes] };
  },

  async "confusion.overlay"(bound, { index, method, layer }) {
    const b = explorer(bound, "confusion.overlay");
    checkIndex(b, index, "confusion.overlay");
    checkCam(b, method, layer, "confusion.overlay");
    return { result: { payload: await b.overlay(index, method, layer) }, buffers: [] };
  },
};
