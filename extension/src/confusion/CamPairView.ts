// One example side by side: its CAM for the true class, for the predicted class (the two on one
// scale, as the kernel sends them) and their difference (red: the true class's evidence is
// stronger, blue: the predicted class's). Colormap and opacity are local; method and layer ask
// the kernel again.
import { camDifference, colormap, fromBuffer, prepareOverlay, type ColormapName, type OpResults, type PreparedOverlay } from "../protocol";
import { clear, h } from "../dom";
import { WorkIndicator } from "../progress";
import { paintOverlay } from "../heatmap/CamPane";

/** The difference map always uses jet: 0.5 (no difference) is its green middle, the ends are red and blue. */
const DIFFERENCE_COLORMAP: ColormapName = "jet";

export class CamPairView {
  readonly node = h("div", { cls: "camlab-confusion-pair", testid: "camlab-confusion-pair" });
  readonly work = new WorkIndicator();
  readonly header = h("div", { cls: "camlab-toolbar" });
  private readonly title = h("div", { cls: "camlab-subtitle", testid: "camlab-confusion-pair-title" });
  private readonly panes = h("div", { cls: "camlab-panes" });
  readonly canvases = {
    truth: h("canvas", { cls: "camlab-heatmap-canvas", testid: "camlab-confusion-cam", data: { role: "truth" } }),
    predicted: h("canvas", { cls: "camlab-heatmap-canvas", testid: "camlab-confusion-cam", data: { role: "predicted" } }),
    difference: h("canvas", { cls: "camlab-heatmap-canvas", testid: "camlab-confusion-cam", data: { role: "difference" } }),
  };
  private readonly captions = {
    truth: h("div", { cls: "camlab-caption" }),
    predicted: h("div", { cls: "camlab-caption" }),
    difference: h("div", { cls: "camlab-caption", text: "difference: red where the true class's map is stronger, blue where the predicted class's is" }),
  };
  private prepared: { truth: PreparedOverlay; predicted: PreparedOverlay; difference: PreparedOverlay } | null = null;
  shown: OpResults["confusion.pair"] | null = null;

  constructor() {
    for (const role of ["truth", "predicted", "difference"] as const) {
      this.panes.appendChild(h("div", { cls: "camlab-pane", data: { role } }, [this.canvases[role], this.captions[role]]));
    }
    this.node.append(this.title, this.header, this.work.node, this.panes);
    this.node.hidden = true;
  }

  show(pair: OpResults["confusion.pair"], buffers: Uint8Array[], cmap: ColormapName, opacity: number): void {
    const [rgb, tBytes, pBytes] = buffers;
    const { width, height } = pair.image;
    if (!rgb || rgb.length !== width * height * 3) throw new Error(`confusion.pair: the image needs ${width * height * 3} bytes, got ${rgb?.length ?? 0}`);
    const image = { width, height, rgb: rgb.slice() };
    const truth = fromBuffer(pair.truthCam, tBytes ?? new Uint8Array(0), 0, "true-class CAM");
    const predicted = fromBuffer(pair.predictedCam, pBytes ?? new Uint8Array(0), 0, "predicted-class CAM");
    this.prepared = { truth: prepareOverlay(image, truth), predicted: prepareOverlay(image, predicted), difference: prepareOverlay(image, camDifference(truth, predicted)) };
    this.shown = pair;
    this.node.hidden = false;
    this.node.dataset.index = String(pair.index);
    this.node.dataset.method = pair.method;
    this.node.dataset.layer = pair.layer;
    this.title.textContent = `Example #${pair.index}: true ${pair.truthLabel} (p ${pair.pTrue.toFixed(3)}), predicted ${pair.predictedLabel} (p ${pair.pPredicted.toFixed(3)}) · ${pair.method} at ${pair.layer}`;
    this.captions.truth.textContent = `CAM for the true class: ${pair.truthLabel}`;
    this.captions.predicted.textContent = `CAM for the predicted class: ${pair.predictedLabel}`;
    this.draw(cmap, opacity);
  }

  draw(cmap: ColormapName, opacity: number): void {
    if (!this.prepared) return;
    const lut = colormap(cmap);
    for (const role of ["truth", "predicted", "difference"] as const) {
      const canvas = this.canvases[role];
      const p = this.prepared[role];
      canvas.width = p.image.width;
      canvas.height = p.image.height;
      const ctx = canvas.getContext("2d");
      if (ctx) paintOverlay(ctx, p, role === "difference" ? colormap(DIFFERENCE_COLORMAP) : lut, opacity);
    }
  }

  hide(): void {
    this.node.hidden = true;
    this.prepared = null;
    this.shown = null;
    clear(this.title);
  }
}
