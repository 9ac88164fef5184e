// What a confusion explorer keeps resident in the session: the model (the user's; referenced) and
// the sweep's host-side result — predictions, margins and the kept inputs of the mistakes. No
// backend tensor lives here between requests: a thumbnail page or a CAM pair makes its tensors
// from the kept host copies and frees them before it replies.
import * as tf from "@tensorflow/tfjs";
import { cam } from "../cam/base";
import type { AnyModel } from "../engine/model";
import type { Confusions } from "../explore/confusions";
import type { HeatmapPayload, PictureSize } from "../protocol";
import { imageToRgb } from "../views/image";
import { BoundModel, type BindOptions } from "./bound";
import { quantizeMap, type Quantized } from "./quantize";

/** Longest side of a gallery thumbnail, in pixels (an MNIST digit travels at its 28×28). */
export const THUMB_SIDE = 64;

/** Masked inputs per model run for the pair's Score-CAM / Ablation-CAM: a Cancel lands within one run. */
const PAIR_CAM_BATCH = 8;

/** Most CAM pairs kept per explorer (a few KB each): going back to an image costs no compute. */
const PAIR_CACHE_ENTRIES = 32;

/** The CAMs of one example for its true and predicted class, on one scale, with its picture. */
export interface CamPair {
  image: PictureSize;
  rgb: Uint8Array;
  truth: Quantized;
  predicted: Quantized;
}

/** Builds the heatmap overlay of one input (given by the view: the session must not import views' displays). */
export type OverlayBuilder = (input: tf.Tensor, choice: { method: string; layer: string; classIndex: number }) => Promise<HeatmapPayload>;

/** Options of binding a confusion explorer: class names, model name and how to open an overlay. */
export interface ConfusionBindOptions extends BindOptions {
  overlay?: OverlayBuilder;
}

/** A confusion explorer's session entry: the model and the sweep's result, serving galleries and CAM pairs. */
export class ConfusionBound extends BoundModel {
  private readonly pairs = new Map<string, CamPair>();
  private readonly overlayBuilder: OverlayBuilder | null;

  constructor(model: AnyModel, readonly confusions: Confusions, options: ConfusionBindOptions = {}) {
    super(model, null, { labels: options.labels ?? confusions.labels, modelName: options.modelName });
    this.overlayBuilder = options.overlay ?? null;
  }

  /** Host bytes of the kept inputs (what this entry holds; it owns no backend tensor between requests). */
  override get bytes(): number {
    return super.bytes + this.confusions.keptBytes;
  }

  /** Whether the inputs are pictures ([h, w, 1|3|4]) the gallery and the CAM pair can show. */
  get hasPictures(): boolean {
    const s = this.confusions.inputShape;
    return s.length === 3 && [1, 3, 4].includes(s[2]);
  }

  /** The kept input of example `index` as a tensor [1, …] (the caller disposes it); throws when it was not kept. */
  input1(index: number): tf.Tensor {
    const x = this.confusions.inputTensor(index);
    if (!x) throw new Error(`example ${index} has no kept input (the explorer keeps ${index < this.confusions.total ? "the mistakes' inputs only; pass keep: \"all\" to keep every input" : `${this.confusions.total} examples, 0–${this.confusions.total - 1}`})`);
    return x;
  }

  /** RGB thumbnails (at most THUMB_SIDE on a side) of kept examples, concatenated in order, and their size. */
  async thumbnails(indices: readonly number[]): Promise<{ size: PictureSize; bytes: Uint8Array }> {
    const parts: Uint8Array[] = [];
    let size: PictureSize = { width: 0, height: 0 };
    for (const i of indices) {
      const x = this.input1(i);
      try {
        const rgb = await imageToRgb(x, "confusion.cell", THUMB_SIDE);
        size = { width: rgb.width, height: rgb.height };
        parts.push(rgb.data);
      } finally {
        x.dispose();
      }
    }
    const bytes = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
    let at = 0;
    for (const p of parts) {
      bytes.set(p, at);
      at += p.length;
    }
    return { size, bytes };
  }

  /**
   * The CAMs of example `index` for its true and its predicted class (one gradient pass for both:
   * the input twice, one target each), divided by the larger of the two maxima so that the two
   * maps and their difference compare on one scale. Host-cached.
   */
  async pair(index: number, method: string, layer: string): Promise<CamPair> {
    const key = JSON.stringify([index, method, layer]);
    const hit = this.pairs.get(key);
    if (hit) return hit;
    const t = this.confusions.truth[index], p = this.confusions.predicted[index];
    const x = this.input1(index);
    let result: Awaited<ReturnType<typeof cam>> | null = null;
    try {
      const both = tf.concat([x, x]);
      try {
        result = await cam(this.model, both, { method: method as never, layer, target: [t, p], batchSize: PAIR_CAM_BATCH });
      } finally {
        both.dispose();
      }
      const raw = result.raw;
      const [truthMap, predMap] = tf.tidy(() => {
        // Maps are ≥ 0 (ReLU'd); one shared maximum keeps their ratio.
        const unit = tf.div(raw, tf.maximum(tf.max(raw), 1e-12));
        return tf.unstack(unit) as tf.Tensor2D[];
      });
      let truth: Quantized, predicted: Quantized;
      try {
        [truth, predicted] = await Promise.all([quantizeMap(truthMap), quantizeMap(predMap)]);
      } finally {
        tf.dispose([truthMap, predMap]);
      }
      const rgb = await imageToRgb(x, "confusion.pair");
      const out: CamPair = { image: { width: rgb.width, height: rgb.height }, rgb: rgb.data, truth, predicted };
      this.pairs.set(key, out);
      while (this.pairs.size > PAIR_CACHE_ENTRIES) this.pairs.delete(this.pairs.keys().next().value as string);
      return out;
    } finally {
      result?.dispose();
      x.dispose();
    }
  }

  /** The heatmap overlay payload of example `index` (a new session entry of its own). */
  async overlay(index: number, method: string, layer: string): Promise<HeatmapPayload> {
    if (!this.overlayBuilder) throw new Error("this explorer was bound without an overlay builder");
    const x = this.input1(index);
    try {
      return await this.overlayBuilder(x, { method, layer, classIndex: this.confusions.predicted[index] });
    } finally {
      x.dispose();
    }
  }

  override release(): void {
    super.release();
    this.pairs.clear();
  }
}
