// The layer browser display: the model's layers (type, output shape, parameters, inbound edges)
// and, when an input is bound, the gradient health of every layer for it (NaN/Inf counts and
// norms, so the browser can badge broken or vanishing layers).
import type * as tf from "@tensorflow/tfjs";
import type { DisplayHandle } from "../display/display";
import type { AnyModel } from "../engine/model";
import type { Target } from "../engine/targets";
import { gradientHealth } from "../hooks/health";
import { checkModelArg } from "../hooks/run";
import { LAYERS_MIME, PAYLOAD_VERSION, type LayerGradientHealth, type LayerInfo, type LayersPayload } from "../protocol";
import { pngBase64, type Rgb } from "./raster";
import { CamlabView, buildBoundView } from "./view";

/** Options of layersView / showLayers. */
export interface LayersOptions {
  /** Check gradients for the bound input (default true when an input is given). */
  health?: boolean;
  /** What the health check differentiates (default: the top-1 class score). */
  target?: Target;
  labels?: readonly string[];
  modelName?: string;
}

/** The layer browser display (application/vnd.camlab.layers+json, a PNG strip and a text table). */
export class LayersView extends CamlabView<LayersPayload> {}

const STATUS_RGB: Record<LayerGradientHealth["status"] | "none", [number, number, number]> = {
  ok: [76, 175, 80], vanishing: [255, 193, 7], exploding: [255, 112, 67], inf: [229, 57, 53], nan: [183, 28, 28], none: [189, 189, 189],
};

/**
 * The PNG fallback: one column per layer in order, its height the log of the layer's parameter
 * count, its colour the gradient status (grey when not checked) — a model's shape at a glance.
 */
function layerStrip(layers: LayerInfo[], health: Map<string, LayerGradientHealth>): Rgb {
  const col = Math.max(2, Math.min(8, Math.floor(800 / Math.max(1, layers.length))));
  const width = Math.max(1, layers.length * col), height = 80;
  const data = new Uint8Array(width * height * 3).fill(255);
  const maxLog = Math.max(1, ...layers.map((l) => Math.log10(l.params + 1)));
  layers.forEach((l, i) => {
    const bar = Math.max(3, Math.round(((Math.log10(l.params + 1) / maxLog) * (height - 4))));
    const rgb = STATUS_RGB[health.get(l.name)?.status ?? "none"];
    for (let y = height - bar; y < height; y++) {
      for (let x = i * col; x < (i + 1) * col - (col > 2 ? 1 : 0); x++) data.set(rgb, (y * width + x) * 3);
    }
  });
  return { width, height, data };
}

function summaryText(modelName: string, layers: LayerInfo[], health: LayerGradientHealth[] | undefined, firstNaN: string | null): string {
  const params = layers.reduce((s, l) => s + l.params, 0);
  const lines = [`${modelName}: ${layers.length} layers, ${params.toLocaleString("en-US")} parameters`];
  const shape = (s: (number | null)[]) => `[${s.map((d) => (d == null ? "?" : d)).join(", ")}]`;
  for (const l of layers) lines.push(`  ${l.name.padEnd(28)} ${l.className.padEnd(22)} ${shape(l.outputShape).padEnd(16)} ${String(l.params).padStart(9)}`);
  if (health) {
    const bad = health.filter((h) => h.status !== "ok");
    lines.push(bad.length ? `gradient problems: ${bad.map((h) => `${h.layer} (${h.status})`).join(", ")}` : "gradients: all layers ok");
    if (firstNaN) lines.push(`first NaN gradient (walking back from the output): ${firstNaN}`);
  }
  return lines.join("\n");
}

/**
 * The layer browser of a model: every layer's class, output shape and parameters; with an input, each layer's gradient health and live activations.
 * @param model the model
 * @param input optional input [1, …] to bind
 * @returns a view to display (or `.show()`)
 * @example display(await camlab.layersView(net, x))
 */
export async function layersView(model: AnyModel, input?: tf.Tensor | null, options: LayersOptions = {}): Promise<LayersView> {
  checkModelArg(model, "layersView");
  return buildBoundView("layersView", model, input ?? null, options, async (bound, ref) => {
    const layers = bound.layers();
    let health: LayerGradientHealth[] | undefined;
    let firstNaN: string | null = null;
    if (bound.input && options.health !== false) {
      const report = await gradientHealth(model, bound.input, { target: options.target });
      health = report.layers.map((l) => ({ layer: l.layer, nanCount: l.nanCount, infCount: l.infCount, gradNorm: l.norm, status: l.status }));
      firstNaN = report.firstNaN;
    }
    const png = pngBase64(layerStrip(layers, new Map((health ?? []).map((h) => [h.layer, h]))));
    return new LayersView(LAYERS_MIME, {
      version: PAYLOAD_VERSION,
      session: ref,
      modelName: bound.modelName,
      layers,
      ...(health ? { health } : {}),
    }, png, summaryText(bound.modelName, layers, health, firstNaN));
  });
}

/** Shows the layer browser in the cell's output. */
export async function showLayers(model: AnyModel, input?: tf.Tensor | null, options: LayersOptions = {}): Promise<DisplayHandle> {
  return (await layersView(model, input, options)).show();
}
