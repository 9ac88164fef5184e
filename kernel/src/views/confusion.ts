// The confusion explorer display: the confusion matrix of a model over labelled data, live in
// JupyterLab (click a cell → a gallery of its examples by confidence margin → one example's CAMs
// for its true and its predicted class), with a PNG and a text form that keep the matrix and the
// top confusions in a saved notebook. The sweep is explore/confusions.ts; what stays resident is
// its host-side result (session/confusionBound.ts).
import { CAM_METHODS, type CamMethodName } from "../cam/registry";
import { guardBackend } from "../engine/backend";
import { checkModelArg } from "../engine/inputContract";
import { defaultCamLayer, findLayer, spatialLayerNames, type AnyModel } from "../engine/model";
import { sweep, type ConfusionOptions, type Confusions } from "../explore/confusions";
import type { ConfusionData } from "../explore/batches";
import { svgToPngBase64 } from "../figures/charts";
import { escapeHtml } from "../figures/html";
import { cssColor, shade } from "../figures/pixels";
import { CONFUSION_MIME, PAYLOAD_VERSION, confusionShades, type ConfusionPayload } from "../protocol";
import { ConfusionBound } from "../session/confusionBound";
import { currentSession } from "../session/session";
import type { DisplayHandle } from "../display/display";
import { heatmapView } from "./heatmap";
import { CamlabView, sessionRef } from "./view";

/** Gallery images per page unless asked otherwise. */
export const DEFAULT_GALLERY_PAGE = 12;

/** Options of confusionView / showConfusion: the sweep's, plus the CAM pair's method and layer. */
export interface ConfusionViewOptions extends ConfusionOptions {
  /** CAM method of the pair view (default "gradcam"); the widget's menu offers the others. */
  method?: CamMethodName;
  /** CAM layer of the pair view (default: the last layer with a spatial output). */
  layer?: string;
  /** Name shown for the model. */
  modelName?: string;
  /** Gallery images per page (default 12, at most 64). */
  pageSize?: number;
  /** Confusions listed in the snapshot's text and PNG (default 5). */
  top?: number;
}

/** The confusion explorer display (application/vnd.camlab.confusion+json, a PNG of the matrix and text). */
export class ConfusionView extends CamlabView<ConfusionPayload> {
  constructor(payload: ConfusionPayload, png: string, text: string, /** The sweep's result (for scripts). */ readonly confusions: Confusions) {
    super(CONFUSION_MIME, payload, png, text);
  }
}

function isConfusions(x: unknown): x is Confusions {
  return typeof x === "object" && x !== null && Array.isArray((x as Confusions).counts) && typeof (x as Confusions).cell === "function";
}

const pct = (v: number | null) => (v == null ? "—" : `${(v * 100).toFixed(1)}%`);

/** The snapshot's text: accuracy, the matrix (rows true, columns predicted), rates and top confusions. */
export function confusionText(c: Confusions, modelName: string, top: number): string {
  const w = Math.max(5, ...c.labels.map((l) => l.length), ...c.counts.flat().map((v) => String(v).length));
  const pad = (s: string) => s.padStart(w);
  const lines = [
    `Confusion matrix of ${modelName} on ${c.total} examples: accuracy ${pct(c.accuracy)} (rows: true class, columns: predicted)`,
    `${pad("")} ${c.labels.map(pad).join(" ")} ${pad("prec")} ${pad("recall")}`.trimEnd(),
    ...c.counts.map((row, t) => `${pad(c.labels[t])} ${row.map((v) => pad(String(v))).join(" ")} ${pad(pct(c.precision[t]))} ${pad(pct(c.recall[t]))}`),
  ];
  const pairs = c.topConfusions(top);
  lines.push(pairs.length ? `Top confusions: ${pairs.map((p) => `${c.labels[p.truth]} → ${c.labels[p.predicted]} (${p.count})`).join(", ")}` : "No confusions: every example was predicted right.");
  return lines.join("\n");
}

/**
 * The snapshot's picture, as SVG rasterised to PNG: the matrix with its mistakes shaded by count
 * (protocol's confusionShades, as the widget shades them) and the right answers plain, counts in
 * the cells when they fit, precision and recall per class, and the top confusions below.
 */
export function confusionSvg(c: Confusions, modelName: string, top: number): string {
  const k = c.classes;
  const cell = Math.max(6, Math.min(40, Math.floor(440 / k)));
  const labelW = Math.min(120, 12 + 7 * Math.max(...c.labels.map((l) => l.length)));
  const left = labelW + 8, topY = 48 + labelW;
  const rates = 2 * 70;
  const pairs = c.topConfusions(top);
  const width = Math.max(left + k * cell + rates + 16, 420), height = topY + k * cell + 28 + 16 * (pairs.length + 1);
  const shades = confusionShades(c.counts);
  const parts: string[] = [`<rect width="${width}" height="${height}" fill="white"/>`];
  parts.push(`<text x="8" y="18" font-size="14" font-weight="bold">${escapeHtml(`${modelName}: ${c.total} examples, accuracy ${pct(c.accuracy)}`)}</text>`);
  parts.push(`<text x="8" y="36" font-size="11" fill="#444">rows: true class · columns: predicted · colour: a mistake's count, relative to the largest</text>`);
  c.labels.forEach((l, j) => {
    const x = left + j * cell + cell / 2 + 4;
    parts.push(`<text transform="translate(${x} ${topY - 6}) rotate(-90)" font-size="11">${escapeHtml(l.slice(0, 16))}</text>`);
    parts.push(`<text x="${left - 6}" y="${topY + j * cell + cell / 2 + 4}" text-anchor="end" font-size="11">${escapeHtml(l.slice(0, 16))}</text>`);
  });
  parts.push(`<text x="${left + k * cell + 8}" y="${topY - 6}" font-size="11" font-weight="bold">precision</text>`);
  parts.push(`<text x="${left + k * cell + 78}" y="${topY - 6}" font-size="11" font-weight="bold">recall</text>`);
  c.counts.forEach((row, t) => {
    row.forEach((v, p) => {
      const f = shades[t][p];
      const x = left + p * cell, y = topY + t * cell;
      const fill = f != null ? cssColor(shade(f)) : t === p ? "#e8e8e8" : "#f7f7f7";
      parts.push(`<rect x="${x}" y="${y}" width="${cell}" height="${cell}" fill="${fill}" stroke="${t === p ? "#888" : "#fff"}"/>`);
      if (cell >= 20 && v > 0) parts.push(`<text x="${x + cell / 2}" y="${y + cell / 2 + 4}" text-anchor="middle" font-size="${cell >= 30 ? 11 : 9}" fill="${f != null && f <= 0.55 ? "white" : "black"}"${t === p ? ' font-weight="bold"' : ""}>${v}</text>`);
    });
    const y = topY + t * cell + cell / 2 + 4;
    parts.push(`<text x="${left + k * cell + 8}" y="${y}" font-size="11">${pct(c.precision[t])}</text>`);
    parts.push(`<text x="${left + k * cell + 78}" y="${y}" font-size="11">${pct(c.recall[t])}</text>`);
  });
  const listY = topY + k * cell + 24;
  parts.push(`<text x="8" y="${listY}" font-size="12" font-weight="bold">${pairs.length ? "Top confusions (true → predicted)" : "No confusions"}</text>`);
  pairs.forEach((q, i) => parts.push(`<text x="16" y="${listY + 16 * (i + 1)}" font-size="11">${escapeHtml(`${c.labels[q.truth]} → ${c.labels[q.predicted]}: ${q.count}`)}</text>`));
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="DejaVu Sans, Arial, sans-serif">${parts.join("")}</svg>`;
}

/**
 * The confusion explorer of `model` over labelled `data`: sweeps it in batches (progress in the
 * cell, interruptible), keeps the predictions and the mistakes' inputs in the session, and
 * returns a display — the matrix (counts or row-normalised) with precision/recall; a cell opens a
 * gallery of its examples by confidence margin; an example shows its CAMs for the true and the
 * predicted class and their difference, and opens as a full heatmap overlay.
 * @param model a classifier, output [batch, classes]
 * @param data tensors `{x, y}`, a tf.data Dataset, an async iterable of `{x, y}` batches, or the result of `confusions()`
 * @param options labels, batchSize, keep, method (default "gradcam"), layer (default the last spatial one), pageSize, top
 * @returns a view to display (or `.show()`); `.confusions` holds the sweep's numbers
 * @example display(await camlab.confusionView(net, { x: test.images, y: test.labels }, { labels: digits }))
 */
export async function confusionView(model: AnyModel, data: ConfusionData | Confusions, options: ConfusionViewOptions = {}): Promise<ConfusionView> {
  const fn = "showConfusion";
  checkModelArg(model, fn);
  const method = options.method ?? "gradcam";
  if (!(method in CAM_METHODS)) throw new Error(`camlab.${fn}: unknown method "${method}"; known methods: ${Object.keys(CAM_METHODS).join(", ")}`);
  // The layer is checked before the sweep: a typo must not cost a pass over the data.
  const layer = options.layer ?? defaultCamLayer(model);
  findLayer(model, layer);
  const pageSize = options.pageSize ?? DEFAULT_GALLERY_PAGE;
  if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > 64) throw new Error(`camlab.${fn}: pageSize must be an integer from 1 to 64, got ${pageSize}`);
  const c = isConfusions(data) ? data : await guardBackend(fn, () => sweep(model, data, options, fn));
  const modelName = options.modelName ?? (model as { name?: string }).name ?? "model";
  const bound = new ConfusionBound(model, c, {
    labels: c.labels,
    modelName,
    overlay: async (input, choice) => (await heatmapView(model, input, { ...choice, method: choice.method as CamMethodName, labels: c.labels, modelName })).payload,
  });
  const session = currentSession();
  const handle = session.registry.add(bound, bound.bytes, () => bound.release());
  try {
    return buildView(c, handle, { modelName, method, layer, pageSize, top: options.top ?? 5, layers: spatialLayerNames(model) });
  } catch (e) {
    session.evict(handle); // a failed display leaves nothing resident
    throw e;
  }
}

function buildView(c: Confusions, handle: string, o: { modelName: string; method: string; layer: string; pageSize: number; top: number; layers: string[] }): ConfusionView {
  const { modelName, method, layer, pageSize, top, layers } = o;
  const payload: ConfusionPayload = {
    version: PAYLOAD_VERSION,
    session: sessionRef(handle),
    modelName,
    labels: c.labels,
    counts: c.counts,
    total: c.total,
    accuracy: c.accuracy,
    precision: c.precision,
    recall: c.recall,
    top: c.topConfusions(top),
    kept: c.keep,
    method,
    layer,
    methods: Object.keys(CAM_METHODS),
    layers: layers.includes(layer) ? layers : [...layers, layer],
    pageSize,
  };
  return new ConfusionView(payload, svgToPngBase64(confusionSvg(c, modelName, top)), confusionText(c, modelName, top), c);
}

/** Shows the confusion explorer in the cell's output (one call, like Python's show_*); see confusionView. */
export async function showConfusion(model: AnyModel, data: ConfusionData | Confusions, options: ConfusionViewOptions = {}): Promise<DisplayHandle> {
  return (await confusionView(model, data, options)).show();
}
