// The comm protocol between a live widget and the kernel session, target "camlab.session".
// A fixed set of named operations with validated arguments — never code. Every request gets
// exactly one reply with the same id: a result (JSON header + binary buffers) or an error.
// Besides requests and replies, three kinds of message travel on the same comm:
//   widget → kernel  {cancel: id}                      stop that request (it replies "cancelled")
//   kernel → widget  {id, progress: {label, done, total}} while that request's work runs
//   kernel → widget  {event: "evicted", handles, kernelInstance}  unasked, when handles go

import type { ChannelSortKey, ChannelSummary, HeatmapPayload, LayerInfo, Prediction } from "./mime";

export const SESSION_COMM_TARGET = "camlab.session";

export interface OpArgs {
  /** Session facts: backend, memory, registry usage. */
  "session.info": Record<string, never>;
  /** The model's layers (same as the layers snapshot). */
  "layers.describe": Record<string, never>;
  /** A page of channel tiles of one layer for the bound input; one uint8 buffer, count*h*w bytes.
   *  `sort` orders channels before paging: "index" ascending, the statistics descending, ties by
   *  index, channels lacking the statistic last (the extension sorts snapshots the same way). */
  "activations.page": { layer: string; offset: number; count: number; sort?: ChannelSortKey };
  /** One channel at full feature-map resolution for zoom + hover read-out; one uint8 buffer. */
  "activations.channel": { layer: string; channel: number };
  /** CAM at feature-map resolution for a class / layer / method; one uint8 buffer. */
  "cam.compute": { method: string; layer: string; classIndex: number };
  /** Top-k predictions for the bound input. */
  "predictions.topk": { k: number };
  /** The layers the selectors may offer for this model and input (computed by running it once). */
  "layers.usable": Record<string, never>;
  /** Confusion explorer: one page of the examples of a matrix cell, sorted by confidence margin;
   *  one buffer, the RGB thumbnails of the page's kept examples in order. */
  "confusion.cell": { truth: number; predicted: number; offset: number; count: number };
  /** Confusion explorer: the CAMs of one example for its true and its predicted class, on one
   *  scale; three buffers: the RGB image, the true class's CAM bytes, the predicted class's. */
  "confusion.pair": { index: number; method: string; layer: string };
  /** Confusion explorer: the full heatmap overlay of one example (a new live display of its own). */
  "confusion.overlay": { index: number; method: string; layer: string };
}

export type OpName = keyof OpArgs;
export const OP_NAMES: readonly OpName[] = [
  "session.info",
  "layers.describe",
  "activations.page",
  "activations.channel",
  "cam.compute",
  "predictions.topk",
  "layers.usable",
  "confusion.cell",
  "confusion.pair",
  "confusion.overlay",
];

export interface QuantHeader {
  width: number;
  height: number;
  scale: number;
  offset: number;
}

export interface OpResults {
  "session.info": {
    /** Id of this kernel process, compared by widgets with SessionRef.kernelInstance: a display
     *  made by an earlier kernel (before a restart) must not be served by a reused handle name. */
    kernelInstance: string;
    backend: string;
    device?: string;
    numTensors: number;
    numBytes: number;
    registryBytes: number;
    registryBudgetBytes: number;
    handles: number;
  };
  "layers.describe": { layers: LayerInfo[] };
  "activations.page": {
    layer: string;
    shape: [number, number, number];
    /** Channel indices in the order their tiles appear in the buffer. */
    channels: ChannelSummary[];
    /** Per tile quantization; tile i occupies bytes [i*w*h, (i+1)*w*h). */
    tiles: QuantHeader[];
  };
  "activations.channel": { layer: string; channel: number } & QuantHeader;
  /** The map is scaled to [0, 1] before quantisation; rawMin/rawMax are its values before that
   *  scaling (after the method's ReLU), for the colour bar's raw scale. */
  "cam.compute": { method: string; layer: string; classIndex: number; label: string; rawMin: number; rawMax: number } & QuantHeader;
  "predictions.topk": { predictions: Prediction[] };
  "layers.usable": {
    /** Layers a CAM can use for this input — spatial outputs [batch, h, w, c] with h*w > 1 that
     *  ran, never an InputLayer — best first: the default CAM layer, then from the output back. */
    camLayers: string[];
    /** Layers whose activations the browser can show for this input (they ran, or are the input),
     *  in model order. */
    activationLayers: string[];
  };
  "confusion.cell": {
    truth: number;
    predicted: number;
    /** Examples in the cell (the page is [offset, offset + items.length)). */
    size: number;
    offset: number;
    items: ConfusionItem[];
    /** Every thumbnail's size; kept item j (in order) occupies bytes [j*w*h*3, (j+1)*w*h*3). */
    thumb: PictureSize;
  };
  "confusion.pair": {
    index: number;
    truth: number;
    predicted: number;
    truthLabel: string;
    predictedLabel: string;
    pTrue: number;
    pPredicted: number;
    method: string;
    layer: string;
    image: PictureSize;
    /** Both CAMs at feature-map resolution, divided by the larger maximum of the two (so their
     *  difference means something): values in [0, 1]. */
    truthCam: QuantHeader;
    predictedCam: QuantHeader;
  };
  "confusion.overlay": { payload: HeatmapPayload };
}

/** One example in a page of a confusion cell. */
export interface ConfusionItem {
  /** The example's position in the data. */
  index: number;
  pTrue: number;
  pPredicted: number;
  /** p(predicted) − p(true) for a mistake; p(true) − p(runner-up) for a right answer. */
  margin: number;
  /** Whether its thumbnail is in the reply's buffer (the kernel keeps the mistakes' inputs only, by default). */
  kept: boolean;
}

/** Width and height of an RGB picture in a reply buffer (width*height*3 bytes). */
export interface PictureSize {
  width: number;
  height: number;
}

export interface SessionRequest<K extends OpName = OpName> {
  id: string;
  op: K;
  handle: string;
  args: OpArgs[K];
}

export type SessionErrorCode =
  /** The handle existed but was evicted by the registry's memory budget: recompute in a cell. */
  | "evicted"
  /** The handle was never known to this kernel (e.g. after a restart). */
  | "unknown_handle"
  /** The request itself was malformed (unknown op, missing/invalid argument). */
  | "bad_request"
  /** The computation failed; message says why. */
  | "failed"
  /** The widget cancelled the request ({cancel: id}); the kernel stopped its work. */
  | "cancelled";

export type SessionReply<K extends OpName = OpName> =
  | { id: string; ok: true; op: K; result: OpResults[K] }
  | { id: string | null; ok: false; error: { code: SessionErrorCode; message: string } };

/** Widget → kernel: stop the request with this id (running or still queued). No reply of its own:
 *  the request itself replies, with error code "cancelled" when the work stopped. Widgets send it
 *  on the control channel, so it overtakes the shell queue the running request is blocking. */
export interface CancelMessage {
  cancel: string;
}

/** How far the work of a request has got: `done` of `total` units of `label`. */
export interface WorkProgress {
  label: string;
  done: number;
  total: number;
}

/** Kernel → widget while request `id` runs (at most every 100 ms per label). */
export interface ProgressMessage {
  id: string;
  progress: WorkProgress;
}

/** Kernel → widget, unasked: these handles of this kernel instance were evicted (their displays
 *  should say "recompute" now, not on their next click). */
export interface SessionEventMessage {
  event: "evicted";
  handles: string[];
  kernelInstance: string;
}
