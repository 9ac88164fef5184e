// The activation browser: one layer's channels for the bound input as a grid of small canvases,
// paged, sortable by statistic, a click zooms a channel, and a histogram of values.
// Sorting happens here, from per-channel statistics; the kernel is asked only for tiles the
// browser has not seen yet (one "activations.page" request per new page).
import { type ChannelSortKey, type ChannelSummary, type OpResults, colormap, COLORMAP_NAMES, DEFAULT_COLORMAP, isColormapName, type ColormapName, histogramOfMaps, type Histogram, fromBuffer, type QuantizedMap, canSortLocally, pageCount, pageSlice, SORT_KEYS, sortChannels } from "../protocol";
import { clear, h, labelled, select } from "../dom";
import { HistogramChart } from "../charts/HistogramChart";
import { formatNumber } from "../layers/layerTree";
import type { Interaction, InteractionMeter, LiveBinding } from "../live";
import { SessionError } from "../session";
import { ChannelZoom } from "./ChannelZoom";
import { drawMap } from "./tiles";

const SORT_LABELS: Record<ChannelSortKey, string> = {
  index: "channel index",
  mean: "mean (high first)",
  max: "max (high first)",
  sparsity: "sparsity (high first)",
  camWeight: "Grad-CAM weight (high first)",
};

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
  private readonly grid = h("div", { cls: "camlab-activation-grid", testid: "camlab-activation-grid" });
  private readonly pageLabel = h("span", { cls: "camlab-page-label", testid: "camlab-page-label" });
  private readonly prev = h("button", { cls: "camlab-button", testid: "camlab-page-prev", text: "‹ prev" });
  private readonly next = h("button", { cls: "camlab-button", testid: "camlab-page-next", text: "next ›" });
  private readonly sortSelect: HTMLSelectElement;
  private readonly cmapSelect: HTMLSelectElement;
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

  /** Draws the first page and the histogram (from what is at hand: no request). */
  renderInitial(): void {
    void this.showPage(null);
    if (this.src.histogram) {
      void this.histogram.show(this.src.histogram, "Histogram of all values of the layer");
    } else {
      const maps = [...this.tiles.values()];
      void this.histogram.show(histogramOfMaps(maps), `Histogram of the values of the ${maps.length} channels shown (quantized)`);
    }
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
        h("span", { cls: "camlab-tile-caption", text: `#${c}${s ? ` ${statText(this.key, s)}` : ""}` }),
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

  private setBusy(busy: boolean): void {
    this.node.classList.toggle("camlab-busy", busy);
    this.node.dataset.busy = String(busy);
  }

  dispose(): void {
    this.stopListening();
    this.histogram.dispose();
  }
}

function sameMembers(a: readonly number[], b: readonly number[]): boolean {
  if (a.length !== b.length) return false;
  const s = new Set(a);
  return b.every((x) => s.has(x));
}

function statText(key: ChannelSortKey, s: ChannelSummary): string {
  const k = key === "index" ? "mean" : key;
  const v = s[k];
  return typeof v === "number" ? `${k === "camWeight" ? "w" : k} ${formatNumber(v)}` : "";
}

function tileTitle(c: number, s: ChannelSummary | undefined): string {
  if (!s) return `channel ${c}`;
  const w = typeof s.camWeight === "number" ? `, Grad-CAM weight ${formatNumber(s.camWeight)}` : "";
  return `channel ${c}: mean ${formatNumber(s.mean)}, max ${formatNumber(s.max)}, sparsity ${formatNumber(s.sparsity)}${w}`;
}
