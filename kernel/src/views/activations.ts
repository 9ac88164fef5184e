// The activation browser display: one layer's channels for the bound input as small tiles
// (first page in the snapshot; the widget pages through the rest over the session), per-channel
// statistics for sorting, and a histogram of all values.
import * as tf from "@tensorflow/tfjs";
import type { DisplayHandle } from "../display/display";
import { findLayer, type AnyModel } from "../engine/model";
import { checkModelArg } from "../hooks/run";
import { ACTIVATIONS_MIME, PAYLOAD_VERSION, colorizeBytes, colormap, DEFAULT_COLORMAP, histogramEdges, pageSizeForBudget, toSnapshot, type ActivationsPayload } from "../protocol";
import { quantizeChannels } from "../session/quantize";
import { montage, pngBase64, rgbFromRgba } from "./raster";
import { CamlabView, buildBoundView } from "./view";

/** Options of activationsView / showActivations. */
export interface ActivationsOptions {
  /** Class names (used when the widget links to CAMs). */
  labels?: readonly string[];
  /** Histogram bins (default 40). */
  bins?: number;
  modelName?: string;
}

/** Histogram of every value of `x` with equal-width bins between its min and max; one read. */
export async function histogram(x: tf.Tensor, bins: number): Promise<{ edges: number[]; counts: number[] }> {
  if (!Number.isInteger(bins) || bins < 1 || bins > 1000) throw new Error(`camlab: histogram bins must be an integer from 1 to 1000, got ${bins}`);
  // Counts of values below each inner edge, by comparison on the backend (no host copy of x).
  const stats = tf.tidy(() => {
    const flat = tf.reshape(x, [-1]);
    const lo = tf.min(flat), hi = tf.max(flat);
    const step = tf.div(tf.sub(hi, lo), bins);
    // x < edge counted as sum(step(edge − x)): float ops only (bool casts misbehave on tfjs-webgpu).
    const below = Array.from({ length: bins - 1 }, (_, i) => tf.sum(tf.step(tf.sub(tf.add(lo, tf.mul(step, i + 1)), flat))));
    return tf.stack([lo, hi, ...below]);
  });
  let v: Float32Array;
  try {
    v = (await stats.data()) as Float32Array;
  } finally {
    stats.dispose();
  }
  const [lo, hi] = [v[0], v[1]];
  const edges = histogramEdges(lo, hi, bins);
  const cumulative = [0, ...Array.from(v.subarray(2)), x.size];
  const counts = Array.from({ length: bins }, (_, i) => cumulative[i + 1] - cumulative[i]);
  return { edges, counts };
}

/** The activation browser display (application/vnd.camlab.activations+json, a PNG montage and text). */
export class ActivationsView extends CamlabView<ActivationsPayload> {}

/**
 * The activation browser of one layer for one input: every channel's statistics, the first page of tiles, a histogram; the widget pages through the rest live.
 * @param model the model
 * @param input one input [1, …]
 * @param layer the layer name (a wrong one lists the closest names)
 * @returns a view to display (or `.show()`)
 * @example display(await camlab.activationsView(net, x, "block_6_expand_relu"))
 */
export async function activationsView(model: AnyModel, input: tf.Tensor, layer: string, options: ActivationsOptions = {}): Promise<ActivationsView> {
  checkModelArg(model, "activationsView");
  if (typeof layer !== "string") throw new TypeError(`camlab.activationsView: layer must be a layer name (string), got ${layer === null ? "null" : typeof layer}`);
  findLayer(model, layer);
  return buildBoundView("activationsView", model, input, options, async (bound, ref) => {
    const act = bound.activation(layer);
    const [h, w, c] = act.shape;
    const channels = await bound.channelSummaries(layer, true);
    const pageSize = pageSizeForBudget(h, w);
    const first = channels.slice(0, pageSize).map((r) => r.index);
    const { headers, bytes } = await quantizeChannels(act, first);
    const tileBytes = headers.map((_, i) => bytes.subarray(i * h * w, (i + 1) * h * w));
    const tiles = headers.map((hd, i) => toSnapshot(hd, tileBytes[i]));
    const hist = await histogram(act, options.bins ?? 40);
    const scale = Math.max(1, Math.ceil(32 / Math.max(h, w)));
    // Tiles coloured by their bytes (0 = the channel's minimum, 255 = its maximum), as the widget's tiles are.
    const lut = colormap(DEFAULT_COLORMAP);
    const png = pngBase64(montage(tileBytes.map((b) => {
      const rgba = new Uint8ClampedArray(b.length * 4);
      colorizeBytes(rgba, b, lut);
      return rgbFromRgba(w, h, rgba);
    }), 8, scale));
    const strongest = [...channels].sort((a, b) => b.mean - a.mean).slice(0, 5);
    const text = `activations of ${layer}: ${h}×${w}×${c}; strongest channels by mean: ` + strongest.map((s) => `#${s.index} (${s.mean.toPrecision(3)})`).join(", ");
    return new ActivationsView(ACTIVATIONS_MIME, {
      version: PAYLOAD_VERSION,
      session: ref,
      layer,
      shape: [h, w, c],
      channels,
      tileChannels: first,
      tiles,
      pageSize,
      histogram: hist,
    }, png, text);
  });
}

/** Shows the activation browser of one layer in the cell's output. */
export async function showActivations(model: AnyModel, input: tf.Tensor, layer: string, options: ActivationsOptions = {}): Promise<DisplayHandle> {
  return (await activationsView(model, input, layer, options)).show();
}
