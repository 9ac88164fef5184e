// The heatmap overlay display: the input with a CAM blended on top, the top-k predictions, and a
// session handle so the widget can ask for another class / method / layer. The CAM travels at
// feature-map resolution; the browser upsamples and colours it.
import type * as tf from "@tensorflow/tfjs";
import { planCam, planForTarget } from "../cam/plan";
import { CAM_METHODS, type CamMethodName } from "../cam/registry";
import { defaultCamLayer, type AnyModel } from "../engine/model";
import { checkModelArg } from "../hooks/run";
import { colormap, DEFAULT_COLORMAP, DEFAULT_OPACITY, encodeBase64, HEATMAP_MIME, PAYLOAD_VERSION, renderOverlay, toSnapshot, type HeatmapPayload, type PrefetchedCam } from "../protocol";
import { imageToRgb } from "./image";
import { pngBase64, rgbFromRgba } from "./raster";
import { CamlabView, buildBoundView } from "./view";
import type { DisplayHandle } from "../display/display";

/** Options of heatmapView / showHeatmap. */
export interface HeatmapOptions {
  /** CAM method (default "gradcam"). */
  method?: CamMethodName;
  /** Layer to explain (default: the last layer with a spatial output). */
  layer?: string;
  /** Class to explain (default: the top-1 prediction). */
  classIndex?: number;
  /** Class names, e.g. the `labels` of loadMobileNetV2(). */
  labels?: readonly string[];
  /** The picture to draw on, [h, w, 3] with values 0–255 or 0–1 (default: the model input). */
  image?: tf.Tensor;
  /** Predictions listed (default 5). */
  topK?: number;
  /** Offer only these classes in the widget's list (e.g. the neutral classes of a model); default all. */
  classes?: readonly number[];
  /** Also compute the CAMs of the other listed classes now and send them with the display, so clicking one draws at once, without the kernel (default true). */
  prefetch?: boolean;
  /** Name shown for the model. */
  modelName?: string;
}

/** The heatmap overlay display (application/vnd.camlab.heatmap+json, a PNG of the first frame and text). */
export class HeatmapView extends CamlabView<HeatmapPayload> {}

/**
 * The heatmap overlay of one input: a CAM blended on the image, the top-k predictions, and a session handle so the widget can switch class, method and layer live.
 * @param model the model (its output [batch, classes])
 * @param input one input [1, …]
 * @param options method (default "gradcam"), layer (default the last spatial one), classIndex (default the top-1), labels, classes offered
 * @returns a view to display (or `.show()`)
 * @example display(await camlab.heatmapView(net, x, { labels: net.labels, classes: [0, 2] }))
 */
export async function heatmapView(model: AnyModel, input: tf.Tensor, options: HeatmapOptions = {}): Promise<HeatmapView> {
  checkModelArg(model, "heatmapView");
  const layer = options.layer ?? defaultCamLayer(model);
  // Method and layer are resolved here, once, for every class the view computes.
  const plan = planCam(model, { method: options.method ?? "gradcam", layer }, "camlab.heatmapView");
  const method = plan.method.name;
  return buildBoundView("heatmapView", model, input, options, async (bound, ref) => {
    const k = options.topK ?? 5;
    const classCount = await bound.classCount();
    if (classCount === 0) throw new Error("camlab.heatmapView: the model's output is not [batch, classes]; use camlab.cam with a target function for other outputs");
    const offered = options.classes;
    if (offered != null && (!Array.isArray(offered) || offered.length === 0 || offered.some((c) => !Number.isInteger(c) || c < 0 || c >= classCount))) {
      throw new Error(`camlab.heatmapView: classes must be a non-empty list of class indices from 0 to ${classCount - 1}, got ${JSON.stringify(offered)}`);
    }
    const ranked = await bound.predictions(classCount);
    const predictions = (offered ? ranked.filter((p) => offered.includes(p.classIndex)) : ranked).slice(0, k);
    const classIndex = options.classIndex ?? predictions[0].classIndex;
    if (!Number.isInteger(classIndex) || classIndex < 0 || classIndex >= classCount) {
      throw new Error(`camlab.heatmapView: classIndex must be an integer from 0 to ${classCount - 1}, got ${classIndex}`);
    }
    const q = await bound.camMap(planForTarget(plan, classIndex));
    // The other listed classes' CAMs go into the payload too (a few dozen bytes each at
    // feature-map resolution): the widget switches among them without a round trip to the kernel.
    const prefetched: PrefetchedCam[] = [];
    if (options.prefetch !== false) {
      for (const p of predictions) {
        if (p.classIndex === classIndex) continue;
        const other = await bound.camMap(planForTarget(plan, p.classIndex));
        prefetched.push({ classIndex: p.classIndex, cam: toSnapshot(other.header, other.bytes), camRange: other.raw });
      }
    }
    const rgb = await imageToRgb(options.image ?? bound.input!, "heatmapView");
    // The widget's first frame, pixel for pixel: same function, colormap and opacity.
    const pixels = renderOverlay({ width: rgb.width, height: rgb.height, rgb: rgb.data }, { ...q.header, bytes: q.bytes }, colormap(DEFAULT_COLORMAP), DEFAULT_OPACITY);
    const png = pngBase64(rgbFromRgba(rgb.width, rgb.height, pixels));
    const label = bound.label(classIndex);
    const prob = ranked.find((p) => p.classIndex === classIndex)!.probability;
    const text = `${method} heatmap of "${label}" (class ${classIndex}, p=${prob.toFixed(3)}) at layer ${layer}; top-${predictions.length}: ` +
      predictions.map((p) => `${p.label} ${p.probability.toFixed(3)}`).join(", ");
    // The same list the live widget gets from layers.usable: layers a CAM can use, never the input.
    const layers = [...bound.usable().camLayers];
    return new HeatmapView(HEATMAP_MIME, {
      version: PAYLOAD_VERSION,
      session: ref,
      image: { width: rgb.width, height: rgb.height, data: encodeBase64(rgb.data) },
      cam: toSnapshot(q.header, q.bytes),
      camRange: q.raw,
      method,
      layer,
      classIndex,
      predictions,
      methods: Object.keys(CAM_METHODS),
      layers: layers.includes(layer) ? layers : [...layers, layer], // the user's explicit choice stays listed
      ...(prefetched.length > 0 ? { prefetched } : {}),
    }, png, text);
  });
}

/** Shows the heatmap overlay in the cell's output (one call, like Python's show_*). */
export async function showHeatmap(model: AnyModel, input: tf.Tensor, options: HeatmapOptions = {}): Promise<DisplayHandle> {
  return (await heatmapView(model, input, options)).show();
}
