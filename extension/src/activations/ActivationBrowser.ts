// The activation browser: one layer's channels for the bound input as a grid of small canvases,
// paged, sortable by statistic, a click zooms a channel, and a histogram of the values on the page
// shown (recounted from the page's tiles on every page change and sort), or of the whole layer.
// Sorting happens here, from per-channel statistics; the kernel is asked only for tiles the
// browser has not seen yet (one "activations.page" request per new page).
import { type ChannelSortKey, type ChannelSummary, type OpResults, colormap, COLORMAP_NAMES, DEFAULT_COLORMAP, isColormapName, type ColormapName, histogramOfMaps, type Histogram, fromBuffer, type QuantizedMap, canSortLocally, pageCount, pageSlice, SORT_KEYS, sortChannels } from "../protocol";
import { clear, h, labelled, select } from "../dom";
import { HistogramChart } from "../charts/HistogramChart";
import { formatCompact, formatFull } from "../format";
import type { Interaction, InteractionMeter, LiveBinding } from "../live";
import { SessionError } from "../session";
import { ChannelZoom } from "./ChannelZoom";
import { drawMap } from "./tiles";
import { SHOW_WORK_AFTER_MS } from "../progress";

const SORT_LABELS: Record<ChannelSortKey, string> = {
  index: "channel index",
  mean: "mean (high first)",
  max: "max (high first)",
  sparsity: "sparsity (high first)",
  camWeight: "Grad-CAM weight (high first)",
};

/** What the histogram counts: the channels on the page shown, or every value of the layer. */
type HistogramScope = "page" | "layer";

/** What an activation browser shows: a layer's shape, channel statistics, the tiles at hand. */
export interface ActivationSource {
  layer: string;
  /** [height, width, channels] */
  shape: [number, number, number];
  summaries: readonly ChannelSummary[];
  /** Tiles already at hand, by channel index. */
  tiles: ReadonlyMap<number, QuantizedMap>;
  pageSize: number;
  /** A histogram of all the layer's values, when the kernel made one. */
  histogram: Histogram | null;
}

/** Tiles and summaries of an "activations.page" reply. */
export function tilesFromPage(result: OpResults["activations.page"], buffer: Uint8Array | undefined): Map<number, QuantizedMap> {
  const tiles = new Map<number, QuantizedMap>();
  if (result.tiles.length !== result.channels.length) {
    throw new Error(`activations.page reply lists ${result.channels.length} channels but ${result.tiles.length} tile headers`);
  }
  let offset = 0;
  result.tiles.forEach((t, i) => {
    if (!buffer) throw new Error("activations.page reply came without its tile buffer");
    tiles.set(result.channels[i].index, fromBuffer(t, buffer, offset, `tile of channel ${result.channels[i].index}`));
    offset += t.width * t.height;
  });
  return tiles;
}

export class ActivationBrowser {
  readonly node = h("div", { cls: "camlab-activation-browser", testid: "camlab-activation-browser" });
  private busyTimer: ReturnType<typeof setTimeout> | null = null;
  private readonly grid = h("div", { cls: "camlab-activation-grid", testid: "camlab-activation-grid" });
  private readonly pageLabel = h("span", { cls: "camlab-page-label", testid: "camlab-page-label" });
  private readonly prev = h("button", { cls: "camlab-button", testid: "camlab-page-prev", text: "‹ prev" });
  private readonly next = h("button", { cls: "camlab-button", testid: "camlab-page-next", text: "next ›" });
  private readonly sortSelect: HTMLSelectElement;
  private readonly cmapSelect: HTMLSelectElement;
  /** Offered only when the kernel sent a histogram of the whole layer (a snapshot display). */
  private readonly scopeSelect: HTMLSelectElement | null;
  private scope: HistogramScope = "page";
  private readonly gridNote = h("div", { cls: "camlab-grid-note", testid: "camlab-grid-note" });
  private readonly zoom = new ChannelZoom();
  private readonly histogram = new HistogramChart();
  private readonly summaries = new Map<number, ChannelSummary>();
  private readonly tiles = new Map<number, QuantizedMap>();
  /** Channel order of pages the kernel sorted, by `${key}:${page}`. */
  private readonly pageOrders = new Map<string, number[]>();
  private key: ChannelSortKey = "index";
  private page = 0;
  private cmap: ColormapName = DEFAULT_COLORMAP;
  readonly layer: string;
  readonly total: number;
  private readonly pageSize: number;

  constructor(
    private readonly src: ActivationSource,
    private readonly binding: LiveBinding,
    private readonly meter: InteractionMeter,
  ) {
    this.layer = src.layer;
    this.total = src.shape[2];
    this.pageSize = Math.max(1, src.pageSize);
    for (const s of src.summaries) this.summaries.set(s.index, s);
    for (const [c, t] of src.tiles) this.tiles.set(c, t);
    this.node.dataset.layer = src.layer;

    this.sortSelect = select("camlab-sort", "sort channels by", SORT_KEYS.map((k) => [k, SORT_LABELS[k]] as const), this.key);
    this.cmapSelect = select("camlab-tile-colormap", "tile colormap", COLORMAP_NAMES.map((n) => [n, n] as const), this.cmap);
    this.scopeSelect = src.histogram
      ? select("camlab-histogram-scope", "histogram of", [["page", "channels on this page"], ["layer", "all values of the layer"]], this.scope)
      : null;
    this.scopeSelect?.addEventListener("change", () => {
      this.scope = this.scopeSelect!.value === "layer" ? "layer" : "page";
      this.showHistogram();
    });
    this.sortSelect.addEventListener("change", () => {
      this.key = this.sortSelect.value as ChannelSortKey;
      this.page = 0;
      void this.showPage(this.meter.begin("sort"));
    });
    this.cmapSelect.addEventListener("change", () => {
      if (isColormapName(this.cmapSelect.value)) this.cmap = this.cmapSelect.value;
      this.recolor();
    });
    this.prev.addEventListener("click", () => {
      this.page = Math.max(0, this.page - 1);
      void this.showPage(this.meter.begin("page"));
    });
    this.next.addEventListener("click", () => {
      this.page = Math.min(pageCount(this.total, this.pageSize) - 1, this.page + 1);
      void this.showPage(this.meter.begin("page"));
    });

    const [hgt, wid, ch] = src.shape;
    const header = h("div", { cls: "camlab-subtitle", text: `${src.layer} — ${ch} channels of ${hgt}×${wid}` });
    const toolbar = h("div", { cls: "camlab-toolbar" }, [
      labelled("sort", this.sortSelect),
      labelled("colormap", this.cmapSelect),
      ...(this.scopeSelect ? [labelled("histogram", this.scopeSelect)] : []),
      h("span", { cls: "camlab-pager" }, [this.prev, this.pageLabel, this.next]),
    ]);
    const side = h("div", { cls: "camlab-activation-side" }, [this.zoom.node, this.histogram.node]);
    this.node.append(header, toolbar, this.gridNote, h("div", { cls: "camlab-activation-body" }, [this.grid, side]));
    this.gridNote.hidden = true;
    // When live data turns up after the snapshot was drawn, fill in the tiles it lacked.
    this.stopListening = binding.onChange((state) => {
      if (state === "live" && this.grid.querySelector('[data-missing="true"]')) void this.showPage(null);
    });
  }

  private readonly stopListening: () => void;

  /** Draws the first page and its histogram (from what is at hand: no request). */
  renderInitial(): void {
    void this.showPage(null);
  }

  /** The channels the grid shows now, in grid order. */
  private shownChannels: number[] = [];

  /**
   * Draws the histogram the scope asks for: the kernel's count of every value of the layer, or the
   * values of the channels on the page shown, counted from their tiles with the shared core's
   * binning (histogramOfMaps) — so it changes with the page and the sort, and says which channels.
   */
  private showHistogram(): void {
    if (this.scope === "layer" && this.src.histogram) {
      this.histogram.node.dataset.scope = "layer";
      delete this.histogram.node.dataset.channels;
      void this.histogram.show(this.src.histogram, `All ${this.src.shape.join("×")} values of ${this.layer} (counted by the kernel)`);
      return;
    }
    const counted = this.shownChannels.filter((c) => this.tiles.has(c));
    const absent = this.shownChannels.length - counted.length;
    this.histogram.node.dataset.scope = "page";
    this.histogram.node.dataset.channels = counted.join(",");
    void this.histogram.show(histogramOfMaps(counted.map((c) => this.tiles.get(c)!)), this.pageHistogramLabel(counted, absent));
  }

  /** Says exactly which values the page histogram counts. */
  private pageHistogramLabel(counted: readonly number[], absent: number): string {
    const pages = pageCount(this.total, this.pageSize);
    const contiguous = counted.length > 0 && counted.every((c, i) => c === counted[0] + i);
    const which = this.key === "index" && contiguous ? `channels #${counted[0]}–#${counted[counted.length - 1]}` : `sorted by ${SORT_LABELS[this.key]}`;
    const missing = absent ? `; ${absent} channel${absent === 1 ? "" : "s"} without tiles not counted` : "";
    return `Values of the ${counted.length} channel${counted.length === 1 ? "" : "s"} on page ${this.page + 1} of ${pages} (${which}), from their 8-bit tiles${missing}`;
  }

  /** The order of this page's channels if known without asking the kernel. */
  private knownOrder(): number[] | null {
    const all = [...this.summaries.values()];
    if (canSortLocally(all, this.total, this.key)) return pageSlice(sortChannels(all, this.key), this.page, this.pageSize);
    const asked = this.pageOrders.get(`${this.key}:${this.page}`);
    if (asked) return asked;
    if (this.key === "index") {
      const start = this.page * this.pageSize;
      return Array.from({ length: Math.max(0, Math.min(this.total, start + this.pageSize) - start) }, (_, i) => start + i);
    }
    return null;
  }

  /** Shows the current page; asks the kernel for missing tiles when live. */
  async showPage(interaction: Interaction | null): Promise<void> {
    const order = this.knownOrder();
    const missing = order === null || order.some((c) => !this.tiles.has(c));
    if (missing && this.binding.isLive) {
      this.setBusy(true);
      try {
        const out = await this.binding.call("activations.page", {
          layer: this.layer,
          offset: this.page * this.pageSize,
          count: this.pageSize,
          sort: this.key,
        });
        interaction?.add(out);
        const got = tilesFromPage(out.result, out.buffers[0]);
        for (const s of out.result.channels) this.summaries.set(s.index, s);
        for (const [c, t] of got) this.tiles.set(c, t);
        // The kernel's order is authoritative for the tiles it sent.
        const kernelOrder = out.result.channels.map((s) => s.index);
        this.pageOrders.set(`${this.key}:${this.page}`, kernelOrder);
        if (interaction && !interaction.current) return;
        this.drawGrid(order && sameMembers(order, kernelOrder) ? order : kernelOrder, null);
        interaction?.done();
      } catch (e) {
        if (interaction && !interaction.current) return;
        this.drawGrid(order ?? this.fallbackOrder(), e instanceof SessionError ? "Tiles for this page could not be fetched (see the note above)." : String(e));
      } finally {
        this.setBusy(false);
      }
      return;
    }
    if (missing && order) {
      const absent = order.filter((c) => !this.tiles.has(c)).length;
      this.drawGrid(order, `${absent} of the ${order.length} channels on this page are not in the snapshot; their tiles need live data.`);
    } else if (missing) {
      this.drawGrid(this.fallbackOrder(), "This order needs live data; showing the snapshot's channels sorted among themselves.");
    } else {
      this.drawGrid(order!, null);
    }
    interaction?.done();
  }

  /** Without the kernel and without full statistics: the tiles at hand, sorted among themselves. */
  private fallbackOrder(): number[] {
    const known = [...this.tiles.keys()].map((c) => this.summaries.get(c) ?? { index: c, mean: NaN, max: NaN, sparsity: NaN });
    return pageSlice(sortChannels(known, this.key), 0, this.pageSize);
  }

  private drawGrid(order: number[], note: string | null): void {
    clear(this.grid);
    const lut = colormap(this.cmap);
    for (const c of order) {
      const map = this.tiles.get(c);
      const s = this.summaries.get(c);
      const canvas = h("canvas", { cls: "camlab-tile-canvas", testid: "camlab-tile-canvas" });
      const tile = h("button", { cls: "camlab-tile", testid: "camlab-tile", data: { channel: String(c) }, title: tileTitle(c, s) }, [
        canvas,
        tileCaption(c, this.key, s),
      ]);
      if (map) drawMap(canvas, map, lut);
      else {
        tile.classList.add("camlab-tile--missing");
        tile.dataset.missing = "true";
      }
      if (c === this.zoom.shownChannel) tile.classList.add("camlab-tile--selected");
      tile.addEventListener("click", () => void this.zoomTo(c));
      this.grid.appendChild(tile);
    }
    const pages = pageCount(this.total, this.pageSize);
    this.pageLabel.textContent = `page ${this.page + 1} of ${pages} (${this.total} channels)`;
    this.prev.disabled = this.page === 0;
    this.next.disabled = this.page >= pages - 1;
    this.node.dataset.page = String(this.page);
    this.node.dataset.sort = this.key;
    this.gridNote.hidden = note === null;
    this.gridNote.textContent = note ?? "";
    this.shownChannels = order;
    this.showHistogram();
  }

  private async zoomTo(channel: number): Promise<void> {
    const interaction = this.meter.begin("zoom");
    for (const t of this.grid.querySelectorAll<HTMLElement>(".camlab-tile")) {
      t.classList.toggle("camlab-tile--selected", t.dataset.channel === String(channel));
    }
    if (this.binding.isLive) {
      try {
        const out = await this.binding.call("activations.channel", { layer: this.layer, channel });
        interaction.add(out);
        if (!interaction.current) return;
        const buf = out.buffers[0];
        if (!buf) throw new Error("activations.channel reply came without its buffer");
        this.zoom.show(this.layer, channel, fromBuffer(out.result, buf, 0, `channel ${channel}`), this.cmap, "live");
        interaction.done();
        return;
      } catch {
        // fall back to the tile at hand below; the note says what went wrong
      }
    }
    const tile = this.tiles.get(channel);
    if (tile && interaction.current) {
      this.zoom.show(this.layer, channel, tile, this.cmap, "snapshot tile");
      interaction.done();
    }
  }

  private recolor(): void {
    const lut = colormap(this.cmap);
    for (const t of this.grid.querySelectorAll<HTMLElement>(".camlab-tile")) {
      const map = this.tiles.get(Number(t.dataset.channel));
      const canvas = t.querySelector("canvas");
      if (map && canvas) drawMap(canvas, map, lut);
    }
    this.zoom.recolor(this.cmap);
  }

  /** data-busy at once; the dimmed look only once the request has run SHOW_WORK_AFTER_MS (see progress.ts). */
  private setBusy(busy: boolean): void {
    this.node.dataset.busy = String(busy);
    if (this.busyTimer !== null) clearTimeout(this.busyTimer);
    this.busyTimer = null;
    if (!busy) this.node.classList.remove("camlab-busy");
    else if (!this.node.classList.contains("camlab-busy")) {
      this.busyTimer = setTimeout(() => {
        this.busyTimer = null;
        this.node.classList.add("camlab-busy");
      }, SHOW_WORK_AFTER_MS);
    }
  }

  dispose(): void {
    if (this.busyTimer !== null) clearTimeout(this.busyTimer);
    this.stopListening();
    this.histogram.dispose();
  }
}

function sameMembers(a: readonly number[], b: readonly number[]): boolean {
  if (a.length !== b.length) return false;
  const s = new Set(a);
  return b.every((x) => s.has(x));
}

/**
 * "#17" over "mean 8.7e-4": the channel, then the statistic the grid is sorted by (mean for index
 * order) in a compact form that fits the tile; the value's exact digits are its title.
 */
function tileCaption(c: number, key: ChannelSortKey, s: ChannelSummary | undefined): HTMLElement {
  const caption = h("span", { cls: "camlab-tile-caption", testid: "camlab-tile-caption" }, [h("span", { cls: "camlab-tile-index", text: `#${c}` })]);
  // Spaces between the parts (not rendered in the flex layout) keep the text "#17 mean 8.7e-4"
  // for screen readers, copying and search.
  if (!s) return caption;
  const k = key === "index" ? "mean" : key;
  const v = s[k];
  if (typeof v !== "number" && k === "camWeight") return caption;
  caption.append(
    " ",
    h("span", { cls: "camlab-tile-stat" }, [
      h("span", { cls: "camlab-tile-stat-name", text: k === "camWeight" ? "w" : k }),
      document.createTextNode(" "),
      h("span", { cls: "camlab-tile-value", testid: "camlab-tile-value", text: formatCompact(v), title: `${STAT_NAMES[k]} ${formatFull(v)}`, data: { value: formatFull(v) } }),
    ]),
  );
  return caption;
}

const STAT_NAMES: Record<Exclude<ChannelSortKey, "index">, string> = { mean: "mean", max: "max", sparsity: "sparsity", camWeight: "Grad-CAM weight" };

/** Every statistic of a channel with all its digits (the tile's hover text). */
function tileTitle(c: number, s: ChannelSummary | undefined): string {
  if (!s) return `channel ${c}`;
  const w = typeof s.camWeight === "number" ? `, Grad-CAM weight ${formatFull(s.camWeight)}` : "";
  return `channel ${c}: mean ${formatFull(s.mean)}, max ${formatFull(s.max)}, sparsity ${formatFull(s.sparsity)}${w}`;
}
