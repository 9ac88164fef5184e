// MIME types and their JSON payloads: the static snapshot a display carries.
// A snapshot holds enough to render without a kernel (saved notebook, reopened page);
// `session` lets a live widget ask the kernel for more over the "camlab.session" comm.
// Part of the shared core (see index.ts): the kernel writes these payloads, the extension reads them.

export const LAYERS_MIME = "application/vnd.camlab.layers+json";
export const ACTIVATIONS_MIME = "application/vnd.camlab.activations+json";
export const HEATMAP_MIME = "application/vnd.camlab.heatmap+json";
export const CONFUSION_MIME = "application/vnd.camlab.confusion+json";

/** Version of the MIME payloads' shape (not the Jupyter wire protocol's, jupyter/wire.ts): bumped
 *  when a payload changes incompatibly; renderers refuse newer versions with a message. */
export const PAYLOAD_VERSION = 2;

/** Where live data for a display lives in the kernel. */
export interface SessionRef {
  /** Opaque registry handle of the resident model + bound input (e.g. "h7"). */
  handle: string;
  /** Id of the kernel process that created the handle: after a restart the ids differ and the
   *  widget knows, without asking, that live data is gone. */
  kernelInstance: string;
}

/** A uint8-quantized 2-D array, base64 in JSON snapshots (value = byte / 255 * scale + offset). */
export interface QuantizedImage {
  width: number;
  height: number;
  /** real value = offset + scale * byte / 255 */
  scale: number;
  offset: number;
  /** base64 of width*height bytes, row-major. */
  data: string;
}

/** An RGB image, base64 of width*height*3 bytes, row-major. */
export interface RgbImage {
  width: number;
  height: number;
  data: string;
}

export interface LayerInfo {
  name: string;
  /** Keras class name, e.g. "Conv2D". */
  className: string;
  /** Output shape without the batch dimension; null entries for unknown sizes. */
  outputShape: (number | null)[];
  params: number;
  trainable: boolean;
  /** Names of the layers whose outputs feed this one. */
  inbound: string[];
  /** True when the output has spatial dimensions (a CAM target candidate). */
  spatial: boolean;
}

export interface LayerGradientHealth {
  layer: string;
  nanCount: number;
  infCount: number;
  /** L2 norm of d(target)/d(layer output). */
  gradNorm: number;
  status: "ok" | "nan" | "inf" | "vanishing" | "exploding";
}

export interface LayersPayload {
  version: number;
  session: SessionRef | null;
  modelName: string;
  layers: LayerInfo[];
  /** Present when gradients were captured for the bound input. */
  health?: LayerGradientHealth[];
}

export interface ChannelSummary {
  index: number;
  mean: number;
  max: number;
  /** Fraction of values that are exactly zero (after the layer's activation). */
  sparsity: number;
  /** Grad-CAM channel weight alpha_k for the bound input's top class, when computed. */
  camWeight?: number;
}

export type ChannelSortKey = "index" | "mean" | "max" | "sparsity" | "camWeight";

export interface ActivationsPayload {
  version: number;
  session: SessionRef | null;
  layer: string;
  /** [height, width, channels] of the layer output for the bound input. */
  shape: [number, number, number];
  /** Statistics for every channel (cheap; lets the browser sort without the kernel). */
  channels: ChannelSummary[];
  /** First page of tiles, in channel order given by `tileChannels`. */
  tileChannels: number[];
  tiles: QuantizedImage[];
  pageSize: number;
  /** Histogram of all values of the layer output. */
  histogram: { edges: number[]; counts: number[] };
}

/** One of the top-k classes of an image: the one shape for camlab.cam's results, the heatmap
 *  payload and the "predictions.topk" reply. */
export interface Prediction {
  classIndex: number;
  /** The class name; null when the model has no names (the session then sends "class <n>"). */
  label: string | null;
  /** The model's raw output for the class (logit or probability, as the model gives it). */
  score: number;
  /** Softmax of the output, or the output itself when it already is a distribution. */
  probability: number;
}

/** The value range of a CAM before its scaling to [0, 1]: 0 on the colour bar is `min`, 1 is `max`. */
export interface CamRange {
  min: number;
  max: number;
}

/** The heatmap overlay's snapshot: the image, one CAM, the top predictions and the selectors' choices. */
export interface HeatmapPayload {
  version: number;
  session: SessionRef | null;
  image: RgbImage;
  /** The CAM at feature-map resolution, in [0,1]; the browser upsamples and colours it. */
  cam: QuantizedImage;
  /** The CAM's smallest and largest value before it was scaled to [0, 1] (the colour bar's raw
   *  scale); absent in outputs saved by an older camlab. */
  camRange?: CamRange;
  method: string;
  layer: string;
  classIndex: number;
  predictions: Prediction[];
  /** Choices offered by the selectors. */
  methods: string[];
  layers: string[];
  /**
   * The CAMs of the other listed classes at the same method and layer (computed at display when
   * the view prefetches), so the widget switches among those classes without asking the kernel —
   * at once, and in a saved notebook too. Absent in outputs saved by an older camlab.
   */
  prefetched?: PrefetchedCam[];
}

/** One class's CAM carried in the heatmap payload (see HeatmapPayload.prefetched). */
export interface PrefetchedCam {
  classIndex: number;
  cam: QuantizedImage;
  camRange?: CamRange;
}

/** One off-diagonal cell of a confusion matrix: how often class `truth` was predicted as `predicted`. */
export interface ConfusionPairCount {
  truth: number;
  predicted: number;
  count: number;
}

/** The confusion explorer's snapshot: the matrix and its rates (enough to draw without a kernel). */
export interface ConfusionPayload {
  version: number;
  session: SessionRef | null;
  modelName: string;
  /** Class names, one per row/column. */
  labels: string[];
  /** counts[t][p]: examples of true class t predicted as p. */
  counts: number[][];
  total: number;
  accuracy: number;
  /** Per class; null for a class never predicted (precision) or absent from the data (recall). */
  precision: (number | null)[];
  recall: (number | null)[];
  /** The most frequent confusions, most frequent first. */
  top: ConfusionPairCount[];
  /** Which inputs the kernel kept for galleries and CAMs. */
  kept: "mistakes" | "all" | "none";
  /** The CAM pair's first method and layer, and the choices the menus offer. */
  method: string;
  layer: string;
  methods: string[];
  layers: string[];
  /** Gallery images per page. */
  pageSize: number;
}
