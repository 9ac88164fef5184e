// The heatmap overlay: the input image with the CAM blended on top. Opacity and colormap are
// client-side only; a class in the top-k list, a method or a layer asks the kernel for one CAM
// at feature-map resolution ("cam.compute"), which is upsampled and coloured here. A second pane
// compares two methods or two classes side by side; the view exports as PNG.
import { type CamRange, type HeatmapPayload, colormap, COLORMAP_NAMES, DEFAULT_COLORMAP, DEFAULT_OPACITY, isColormapName, type ColormapName, decodeBase64, fromBuffer, fromSnapshot, type QuantizedMap } from "../protocol";
import { clear, h, labelled, select } from "../dom";
import type { InteractionMeter, LiveBinding } from "../live";
import { SessionError } from "../session";
import { CamPane, type CamChoice, type InputImage } from "./CamPane";
import { composeFigure, downloadCanvas, figureFileName, type FigurePanel } from "./exportPng";

export class HeatmapOverlay {
  readonly node = h("div", { cls: "camlab-heatmap-overlay" });
  private readonly image: InputImage;
  private readonly panes: CamPane[] = [];
  private readonly panesBox = h("div", { cls: "camlab-panes", testid: "camlab-panes" });
  private readonly classList = h("ol", { cls: "camlab-class-list", testid: "camlab-class-list", attrs: { "aria-label": "top predictions" } });
  private readonly opacity = h("input", { cls: "camlab-opacity", testid: "camlab-opacity", attrs: { type: "range", min: "0", max: "100", step: "1", "aria-label": "CAM opacity" } });
  private readonly cmapSelect: HTMLSelectElement;
  private readonly compare = h("input", { cls: "camlab-compare", testid: "camlab-compare", attrs: { type: "checkbox" } });
  private readonly exportButton = h("button", { cls: "camlab-button", testid: "camlab-export-png", text: "Export PNG" });
  private readonly hint = h("div", { cls: "camlab-hint", testid: "camlab-heatmap-hint" });
  /** The kernel's PNG fallback uses the same colormap and opacity, so the first frame matches it. */
  private cmap: ColormapName = DEFAULT_COLORMAP;
  private active: CamPane;
  private readonly snapshotCam: QuantizedMap;
  /** The layers a CAM can use for this model and input, asked of the kernel once live (null: not yet). */
  private camLayers: string[] | null = null;
  private askedLayers = false;
  /** CAMs the payload carries for its method and layer, by class: drawn without the kernel. */
  private readonly localCams = new Map<number, { cam: QuantizedMap; range: CamRange | null }>();
  /** Each pane's selectors and the option lists they were built with. */
  private readonly headers = new Map<CamPane, { menus: string; method: HTMLSelectElement; layer: HTMLSelectElement; cls: HTMLSelectElement }>();

  constructor(
    private readonly payload: HeatmapPayload,
    private readonly binding: LiveBinding,
    private readonly meter: InteractionMeter,
  ) {
    const rgb = decodeBase64(payload.image.data);
    const need = payload.image.width * payload.image.height * 3;
    if (rgb.length !== need) throw new Error(`image: ${payload.image.width}x${payload.image.height} RGB needs ${need} bytes, the data holds ${rgb.length}`);
    this.image = { width: payload.image.width, height: payload.image.height, rgb };
    this.snapshotCam = fromSnapshot(payload.cam, "cam");
    this.localCams.set(payload.classIndex, { cam: this.snapshotCam, range: payload.camRange ?? null });
    for (const [i, p] of (payload.prefetched ?? []).entries()) {
      this.localCams.set(p.classIndex, { cam: fromSnapshot(p.cam, `prefetched[${i}].cam`), range: p.camRange ?? null });
    }
    this.opacity.value = String(Math.round(DEFAULT_OPACITY * 100));
    this.cmapSelect = select("camlab-colormap", "colormap", COLORMAP_NAMES.map((n) => [n, n] as const), this.cmap);

    const first: CamChoice = { method: payload.method, layer: payload.layer, classIndex: payload.classIndex, label: this.labelOf(payload.classIndex) };
    this.active = this.addPane("a", first, this.snapshotCam, payload.camRange ?? null);

    this.opacity.addEventListener("input", () => this.redrawAll());
    this.cmapSelect.addEventListener("change", () => {
      if (isColormapName(this.cmapSelect.value)) this.cmap = this.cmapSelect.value;
      this.redrawAll();
    });
    this.compare.addEventListener("change", () => void this.setCompare(this.compare.checked));
    this.exportButton.addEventListener("click", () => void this.exportPng());

    const toolbar = h("div", { cls: "camlab-toolbar" }, [
      labelled("opacity", this.opacity),
      labelled("colormap", this.cmapSelect),
      labelled("compare side by side", this.compare),
      this.exportButton,
    ]);
    const side = h("div", { cls: "camlab-predictions" }, [h("div", { cls: "camlab-subtitle", text: "Top predictions (click to explain)" }), this.classList]);
    this.node.append(toolbar, this.hint, h("div", { cls: "camlab-heatmap-body" }, [this.panesBox, side]));
    this.hint.hidden = true;
    this.renderClassList();
    this.redrawAll();
    // Selectors that need the kernel are enabled only while live data is available.
    binding.onChange((state) => {
      this.panes.forEach((p) => this.renderPaneHeader(p));
      if (state === "live") void this.askUsableLayers();
    });
  }

  /** The layer menu offers what works for this input: the kernel probes the model once. */
  private async askUsableLayers(): Promise<void> {
    if (this.askedLayers) return;
    this.askedLayers = true;
    try {
      const out = await this.binding.call("layers.usable", {});
      if (!Array.isArray(out.result.camLayers) || out.result.camLayers.length === 0) return;
      this.camLayers = out.result.camLayers;
      this.node.dataset.layerSource = "kernel";
      this.panes.forEach((p) => this.renderPaneHeader(p));
    } catch {
      this.askedLayers = false; // an older kernel, or a busy one: the payload's list stays; ask again when live next
    }
  }

  private labelOf(classIndex: number): string {
    return this.payload.predictions.find((p) => p.classIndex === classIndex)?.label ?? "";
  }

  private addPane(name: "a" | "b", choice: CamChoice, cam: QuantizedMap, range: CamRange | null): CamPane {
    const pane = new CamPane(name, this.image, choice, cam, range);
    this.panes.push(pane);
    this.panesBox.appendChild(pane.node);
    pane.node.addEventListener("click", () => this.activate(pane));
    this.renderPaneHeader(pane);
    return pane;
  }

  private activate(pane: CamPane): void {
    this.active = pane;
    for (const p of this.panes) p.node.dataset.active = String(p === pane);
    this.renderClassList();
  }

  /**
   * Method / layer / class selectors of one pane (each change asks for one CAM). They are rebuilt
   * only when what they offer changes (the kernel's layer list, live or not, a choice outside the
   * lists); a new CAM of the same lists only moves their values: rebuilding the layer menu's
   * hundred-odd options on every class switch cost 3–4 ms of it.
   */
  private renderPaneHeader(pane: CamPane): void {
    const c = pane.choice;
    const methods = this.payload.methods.includes(c.method) ? this.payload.methods : [c.method, ...this.payload.methods];
    const offered = this.camLayers ?? this.payload.layers;
    const layers = offered.includes(c.layer) ? offered : [c.layer, ...offered];
    const classes = this.payload.predictions.map((p) => [String(p.classIndex), `${p.label ?? "class"} (${p.classIndex})`] as const);
    if (!this.payload.predictions.some((p) => p.classIndex === c.classIndex)) classes.unshift([String(c.classIndex), `${c.label || "class"} (${c.classIndex})`]);
    const live = this.binding.isLive;
    const menus = JSON.stringify([methods, layers, classes, live]);
    pane.node.dataset.active = String(pane === this.active);
    const built = this.headers.get(pane);
    if (built && built.menus === menus) {
      built.method.value = c.method;
      built.layer.value = c.layer;
      built.cls.value = String(c.classIndex);
      return;
    }
    clear(pane.header);
    const method = select("camlab-method", "CAM method", methods.map((m) => [m, m] as const), c.method);
    const layer = select("camlab-cam-layer", "CAM layer", layers.map((l) => [l, l] as const), c.layer);
    const cls = select("camlab-class-select", "class", classes, String(c.classIndex));
    for (const s of [method, layer, cls]) {
      s.dataset.pane = pane.name;
      s.disabled = !live;
      if (s.disabled) s.title = "needs live data from the kernel";
    }
    method.addEventListener("change", () => void this.recompute(pane, { ...pane.choice, method: method.value }, "select-method"));
    layer.addEventListener("change", () => void this.recompute(pane, { ...pane.choice, layer: layer.value }, "select-cam-layer"));
    cls.addEventListener("change", () => {
      const idx = Number(cls.value);
      void this.recompute(pane, { ...pane.choice, classIndex: idx, label: this.labelOf(idx) }, "select-class");
    });
    pane.header.append(labelled("method", method), labelled("layer", layer), labelled("class", cls));
    this.headers.set(pane, { menus, method, layer, cls });
  }

  /** The top-k list, built once; a switch moves only the selected mark. */
  private renderClassList(): void {
    if (this.classList.childElementCount === 0) {
      for (const p of this.payload.predictions) {
        const b = h("button", { cls: "camlab-class-item", testid: "camlab-class-item", data: { classIndex: String(p.classIndex) } }, [
          h("span", { cls: "camlab-class-label", text: p.label ?? `class ${p.classIndex}` }),
          h("span", { cls: "camlab-class-prob", text: `${(p.probability * 100).toFixed(1)}%` }),
        ]);
        b.addEventListener("click", () => void this.recompute(this.active, { ...this.active.choice, classIndex: p.classIndex, label: p.label ?? "" }, "select-class"));
        this.classList.appendChild(h("li", {}, [b]));
      }
    }
    const shown = String(this.active.choice.classIndex);
    for (const b of this.classList.querySelectorAll<HTMLButtonElement>(".camlab-class-item")) {
      const selected = b.dataset.classIndex === shown;
      b.classList.toggle("camlab-class-item--selected", selected);
      b.setAttribute("aria-pressed", String(selected));
    }
  }

  /** The CAM of `choice` when the payload carries it (its method and layer, a listed class). */
  private localCam(choice: CamChoice): { cam: QuantizedMap; range: CamRange | null } | null {
    if (choice.method !== this.payload.method || choice.layer !== this.payload.layer) return null;
    return this.localCams.get(choice.classIndex) ?? null;
  }

  /** Asks the kernel for the CAM of `choice` (or takes it from the payload) and redraws `pane`; measured click → canvas. */
  private async recompute(pane: CamPane, choice: CamChoice, kind: string): Promise<void> {
    const interaction = this.meter.begin(kind);
    const local = this.localCam(choice);
    if (local) {
      // Whatever the pane was waiting for is superseded (its request is cancelled).
      pane.work.supersede();
      pane.node.dataset.busy = "false";
      pane.setCam(choice, local.cam, local.range);
      pane.draw(colormap(this.cmap), this.opacityValue());
      this.node.dataset.lastSource = "payload";
      interaction.done();
      this.hint.hidden = true;
      this.renderPaneHeader(pane);
      this.renderClassList();
      return;
    }
    if (!this.binding.isLive) {
      this.showHint("Another class, method or layer needs live data from the kernel, which is unavailable for this output.");
      this.renderPaneHeader(pane); // put the selectors back to what is shown
      return;
    }
    const signal = pane.work.start(`${choice.method} · ${choice.layer} · class ${choice.classIndex}: waiting for the kernel…`);
    pane.node.dataset.busy = "true";
    try {
      const out = await this.binding.call(
        "cam.compute",
        { method: choice.method, layer: choice.layer, classIndex: choice.classIndex },
        { signal, onProgress: (p) => pane.work.progress(p) },
      );
      interaction.add(out);
      if (!interaction.current) return;
      this.node.dataset.lastSource = "kernel";
      const buf = out.buffers[0];
      if (!buf) throw new Error("cam.compute reply came without its buffer");
      const r = out.result;
      pane.setCam({ method: r.method, layer: r.layer, classIndex: r.classIndex, label: r.label || this.labelOf(r.classIndex) }, fromBuffer(r, buf, 0, "cam"), rawRange(r));
      pane.draw(colormap(this.cmap), this.opacityValue());
      interaction.done();
      this.hint.hidden = true;
      this.renderPaneHeader(pane);
      this.renderClassList();
    } catch (e) {
      if (e instanceof SessionError && e.code === "cancelled") {
        const at = Number(pane.work.node.dataset.cancelledAt);
        if (Number.isFinite(at)) this.node.dataset.lastCancelMs = (performance.now() - at).toFixed(0);
        if (!interaction.current) return;
        this.showHint(`Cancelled ${choice.method} on ${choice.layer}; the pane still shows ${pane.choice.method} on ${pane.choice.layer}.`);
        this.renderPaneHeader(pane);
        return;
      }
      if (!interaction.current) return;
      this.showHint(`Could not compute that CAM: ${e instanceof Error ? e.message : String(e)}`);
      this.renderPaneHeader(pane);
    } finally {
      pane.work.stop(signal);
      if (!pane.work.active) pane.node.dataset.busy = "false";
    }
  }

  private async setCompare(on: boolean): Promise<void> {
    if (!on) {
      const b = this.panes.find((p) => p.name === "b");
      if (b) {
        b.node.remove();
        this.panes.splice(this.panes.indexOf(b), 1);
        this.headers.delete(b);
      }
      this.activate(this.panes[0]);
      this.node.dataset.compare = "false";
      return;
    }
    if (this.panes.some((p) => p.name === "b")) return;
    const a = this.panes[0];
    // Start the comparison where it is most telling: another method if there is one, else the runner-up class.
    const otherMethod = this.payload.methods.find((m) => m !== a.choice.method);
    const otherClass = this.payload.predictions.find((p) => p.classIndex !== a.choice.classIndex);
    const choice: CamChoice = otherMethod
      ? { ...a.choice, method: otherMethod }
      : otherClass
        ? { ...a.choice, classIndex: otherClass.classIndex, label: otherClass.label ?? "" }
        : { ...a.choice };
    // Pane b starts as a copy of what pane a shows now (its CAM and scale), then changes.
    const b = this.addPane("b", a.choice, a.cam, a.colourBar.rawRange);
    b.draw(colormap(this.cmap), this.opacityValue());
    this.node.dataset.compare = "true";
    this.activate(b);
    if (choice.method !== a.choice.method || choice.classIndex !== a.choice.classIndex) {
      await this.recompute(b, choice, "compare");
    }
  }

  private opacityValue(): number {
    return Number(this.opacity.value) / 100;
  }

  private redrawAll(): void {
    const lut = colormap(this.cmap);
    const a = this.opacityValue();
    for (const p of this.panes) p.draw(lut, a);
    this.node.dataset.opacity = String(a);
    this.node.dataset.colormap = this.cmap;
  }

  private showHint(text: string): void {
    this.hint.textContent = text;
    this.hint.hidden = false;
  }

  /** Saves the labelled figure of what is shown (see exportPng.ts) as a PNG download. */
  private async exportPng(): Promise<void> {
    const lut = colormap(this.cmap);
    const panels: FigurePanel[] = this.panes.map((p) => {
      const pred = this.payload.predictions.find((q) => q.classIndex === p.choice.classIndex);
      return { choice: p.choice, score: pred ? { probability: pred.probability, raw: pred.score } : null, canvas: p.canvas, lut, range: p.colourBar.rawRange };
    });
    try {
      const name = figureFileName(panels);
      const bytes = await downloadCanvas(composeFigure(panels), name);
      this.node.dataset.lastExportBytes = String(bytes);
      this.node.dataset.lastExportName = name;
    } catch (e) {
      this.showHint(`Export failed: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
}

/** The raw range of a "cam.compute" reply (null from a kernel that did not send it). */
function rawRange(r: { rawMin?: number; rawMax?: number }): CamRange | null {
  return typeof r.rawMin === "number" && typeof r.rawMax === "number" ? { min: r.rawMin, max: r.rawMax } : null;
}
