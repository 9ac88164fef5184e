// The confusion explorer: the matrix (counts or row-normalised) with precision and recall and the
// top confusions, drawn from the snapshot at once; with live data a cell opens a gallery of its
// examples ("confusion.cell"), an example its CAM pair ("confusion.pair"), and "Open in overlay"
// the full heatmap overlay of that example ("confusion.overlay", a display of its own).
import { COLORMAP_NAMES, DEFAULT_COLORMAP, DEFAULT_OPACITY, isColormapName, type ColormapName, type ConfusionItem, type ConfusionPayload } from "../protocol";
import { clear, h, labelled, select } from "../dom";
import { HeatmapOverlay } from "../heatmap/HeatmapOverlay";
import { InteractionMeter, StatusNote, type LiveBinding } from "../live";
import { SessionError } from "../session";
import { CamPairView } from "./CamPairView";
import { ConfusionGallery } from "./ConfusionGallery";
import { ConfusionMatrix } from "./ConfusionMatrix";

const pct = (v: number) => `${(v * 100).toFixed(1)}%`;

export class ConfusionExplorer {
  readonly node = h("div", { cls: "camlab-confusion" });
  private readonly matrix: ConfusionMatrix;
  private readonly gallery: ConfusionGallery;
  private readonly pair = new CamPairView();
  private readonly hint = h("div", { cls: "camlab-hint", testid: "camlab-confusion-hint" });
  private readonly normalise = h("input", { cls: "camlab-confusion-normalise", testid: "camlab-confusion-normalise", attrs: { type: "checkbox" } });
  private readonly cmapSelect: HTMLSelectElement;
  private readonly opacity = h("input", { cls: "camlab-opacity", testid: "camlab-opacity", attrs: { type: "range", min: "0", max: "100", step: "1", "aria-label": "CAM opacity" } });
  private readonly methodSelect: HTMLSelectElement;
  private readonly layerSelect: HTMLSelectElement;
  private readonly overlayButton = h("button", { cls: "camlab-button", testid: "camlab-confusion-open-overlay", text: "Open in overlay", attrs: { type: "button" } });
  private readonly overlayBox = h("div", { cls: "camlab-confusion-overlay", testid: "camlab-confusion-overlay" });
  private cmap: ColormapName = DEFAULT_COLORMAP;
  private overlayBinding: LiveBinding | null = null;

  constructor(
    private readonly payload: ConfusionPayload,
    private readonly binding: LiveBinding,
    private readonly meter: InteractionMeter,
  ) {
    this.matrix = new ConfusionMatrix(payload, (t, q) => void this.openCell(t, q, 0), this.cmap);
    this.gallery = new ConfusionGallery(payload.labels, payload.pageSize, (t, q, offset) => void this.openCell(t, q, offset), (item) => void this.openPair(item));
    this.cmapSelect = select("camlab-colormap", "colormap", COLORMAP_NAMES.map((n) => [n, n] as const), this.cmap);
    this.methodSelect = select("camlab-method", "CAM method", payload.methods.map((m) => [m, m] as const), payload.method);
    this.layerSelect = select("camlab-cam-layer", "CAM layer", payload.layers.map((l) => [l, l] as const), payload.layer);
    this.opacity.value = String(Math.round(DEFAULT_OPACITY * 100));
    this.normalise.addEventListener("change", () => this.matrix.setNormalised(this.normalise.checked));
    this.cmapSelect.addEventListener("change", () => {
      if (isColormapName(this.cmapSelect.value)) this.cmap = this.cmapSelect.value;
      this.matrix.setColormap(this.cmap);
      this.pair.draw(this.cmap, this.opacityValue());
    });
    this.opacity.addEventListener("input", () => this.pair.draw(this.cmap, this.opacityValue()));
    const again = () => {
      const shown = this.pair.shown;
      if (shown) void this.openPair({ index: shown.index, pTrue: shown.pTrue, pPredicted: shown.pPredicted, margin: 0, kept: true });
    };
    this.methodSelect.addEventListener("change", again);
    this.layerSelect.addEventListener("change", again);
    this.overlayButton.addEventListener("click", () => void this.openOverlay());
    this.pair.header.append(labelled("method", this.methodSelect), labelled("layer", this.layerSelect), labelled("opacity", this.opacity), this.overlayButton);

    const summary = h("div", { cls: "camlab-subtitle", testid: "camlab-confusion-summary", text: `${payload.modelName}: ${payload.total} examples, accuracy ${pct(payload.accuracy)} — click a cell for its examples` });
    const top = h("div", { cls: "camlab-confusion-top", testid: "camlab-confusion-top" }, [h("span", { cls: "camlab-control-label", text: payload.top.length ? "Top confusions:" : "No confusions." })]);
    for (const c of payload.top) {
      const b = h("button", { cls: "camlab-button camlab-confusion-top-item", testid: "camlab-confusion-top-item", text: `${payload.labels[c.truth]} → ${payload.labels[c.predicted]} (${c.count})`, data: { truth: String(c.truth), predicted: String(c.predicted) }, attrs: { type: "button" } });
      b.addEventListener("click", () => void this.openCell(c.truth, c.predicted, 0));
      top.appendChild(b);
    }
    const toolbar = h("div", { cls: "camlab-toolbar" }, [labelled("row-normalised", this.normalise), labelled("colormap", this.cmapSelect)]);
    this.hint.hidden = true;
    this.overlayBox.hidden = true;
    this.node.append(summary, toolbar, h("div", { cls: "camlab-confusion-body" }, [this.matrix.node, h("div", { cls: "camlab-confusion-side" }, [top, this.hint, this.gallery.node])]), this.pair.node, this.overlayBox);
    const setEnabled = () => {
      for (const s of [this.methodSelect, this.layerSelect, this.overlayButton]) s.disabled = !this.binding.isLive;
    };
    setEnabled();
    binding.onChange(setEnabled);
  }

  private opacityValue(): number {
    return Number(this.opacity.value) / 100;
  }

  private showHint(text: string): void {
    this.hint.textContent = text;
    this.hint.hidden = false;
  }

  /** A page of a cell's examples; measured click → thumbnails drawn. */
  async openCell(truth: number, predicted: number, offset: number): Promise<void> {
    this.matrix.select(truth, predicted);
    const interaction = this.meter.begin("confusion-cell");
    if (!this.binding.isLive) {
      this.showHint("The examples of a cell need live data from the kernel, which is unavailable for this output: re-run the cell.");
      return;
    }
    if (this.payload.counts[truth][predicted] === 0) {
      this.showHint(`No example of true ${this.payload.labels[truth]} was predicted as ${this.payload.labels[predicted]}.`);
      return;
    }
    const signal = this.gallery.work.start(`examples of ${this.payload.labels[truth]} → ${this.payload.labels[predicted]}: waiting for the kernel…`);
    try {
      const out = await this.binding.call("confusion.cell", { truth, predicted, offset, count: this.payload.pageSize }, { signal, onProgress: (p) => this.gallery.work.progress(p) });
      interaction.add(out);
      if (!interaction.current) return;
      this.gallery.show(out.result, out.buffers[0] ?? new Uint8Array(0));
      this.hint.hidden = true;
      interaction.done();
    } catch (e) {
      if (!interaction.current) return;
      this.showHint(e instanceof SessionError && e.code === "cancelled" ? "Cancelled." : `Could not load the examples: ${e instanceof Error ? e.message : String(e)}`);
    } finally {
      this.gallery.work.stop(signal);
    }
  }

  /** The CAM pair of one example; measured click → the three canvases drawn. */
  async openPair(item: ConfusionItem): Promise<void> {
    const interaction = this.meter.begin("confusion-pair");
    if (!this.binding.isLive || !item.kept) return;
    const method = this.methodSelect.value, layer = this.layerSelect.value;
    this.pair.node.hidden = false;
    const signal = this.pair.work.start(`${method} · ${layer} · example #${item.index}: waiting for the kernel…`);
    this.pair.node.dataset.busy = "true";
    try {
      const out = await this.binding.call("confusion.pair", { index: item.index, method, layer }, { signal, onProgress: (p) => this.pair.work.progress(p) });
      interaction.add(out);
      if (!interaction.current) return;
      this.pair.show(out.result, out.buffers, this.cmap, this.opacityValue());
      this.hint.hidden = true;
      interaction.done();
    } catch (e) {
      if (!interaction.current) return;
      const shown = this.pair.shown;
      if (shown) {
        // Put the menus back to what the panes show.
        this.methodSelect.value = shown.method;
        this.layerSelect.value = shown.layer;
      }
      this.showHint(e instanceof SessionError && e.code === "cancelled" ? `Cancelled ${method} on ${layer}.` : `Could not compute the CAMs: ${e instanceof Error ? e.message : String(e)}`);
    } finally {
      this.pair.work.stop(signal);
      this.pair.node.dataset.busy = "false";
    }
  }

  /** The full heatmap overlay of the example shown, as a live display of its own below. */
  private async openOverlay(): Promise<void> {
    const shown = this.pair.shown;
    if (!shown || !this.binding.isLive) return;
    const interaction = this.meter.begin("confusion-overlay");
    this.overlayButton.disabled = true;
    try {
      const out = await this.binding.call("confusion.overlay", { index: shown.index, method: this.methodSelect.value, layer: this.layerSelect.value });
      interaction.add(out);
      const p = out.result.payload;
      if (!p.session) throw new Error("the overlay came without a session handle");
      this.overlayBinding?.dispose();
      clear(this.overlayBox);
      const root = h("div", { cls: "camlab-widget camlab-heatmap", testid: "camlab-heatmap" });
      const note = new StatusNote();
      const binding = this.binding.sibling(p.session, note, root);
      this.overlayBinding = binding;
      root.append(note.node, new HeatmapOverlay(p, binding, new InteractionMeter(root)).node);
      this.overlayBox.append(h("div", { cls: "camlab-subtitle", text: `Heatmap overlay of example #${shown.index}` }), root);
      this.overlayBox.hidden = false;
      interaction.done();
      await binding.start();
    } catch (e) {
      this.showHint(`Could not open the overlay: ${e instanceof Error ? e.message : String(e)}`);
    } finally {
      this.overlayButton.disabled = !this.binding.isLive;
    }
  }

  dispose(): void {
    this.overlayBinding?.dispose();
    this.overlayBinding = null;
  }
}
