// One channel enlarged, with the real value under the pointer read out (from the quantized map:
// offset + scale * byte / 255). Zooming and hovering are browser-only.
import { colormap, type ColormapName, valueAt, type QuantizedMap } from "../protocol";
import { h } from "../dom";
import { formatNumber } from "../format";
import { drawMap } from "./tiles";

export class ChannelZoom {
  readonly node = h("div", { cls: "camlab-zoom", testid: "camlab-zoom" });
  private readonly title = h("div", { cls: "camlab-zoom-title", testid: "camlab-zoom-title" });
  private readonly canvas = h("canvas", { cls: "camlab-zoom-canvas", testid: "camlab-zoom-canvas" });
  private readonly readout = h("div", { cls: "camlab-zoom-readout", testid: "camlab-zoom-readout", text: "Hover over the channel to read values." });
  private map: QuantizedMap | null = null;
  private channel = -1;

  constructor() {
    this.node.hidden = true;
    this.node.append(this.title, this.canvas, this.readout);
    this.canvas.addEventListener("mousemove", (e) => this.readAt(e));
    this.canvas.addEventListener("mouseleave", () => {
      if (this.map) this.readout.textContent = `range ${formatNumber(this.map.offset)} … ${formatNumber(this.map.offset + this.map.scale)}`;
    });
  }

  get shownChannel(): number {
    return this.channel;
  }

  show(layer: string, channel: number, map: QuantizedMap, cmap: ColormapName, source: string): void {
    this.map = map;
    this.channel = channel;
    this.node.hidden = false;
    this.node.dataset.channel = String(channel);
    this.title.textContent = `${layer} · channel ${channel} · ${map.width}×${map.height} (${source})`;
    drawMap(this.canvas, map, colormap(cmap));
    this.readout.textContent = `range ${formatNumber(map.offset)} … ${formatNumber(map.offset + map.scale)}`;
  }

  recolor(cmap: ColormapName): void {
    if (this.map) drawMap(this.canvas, this.map, colormap(cmap));
  }

  private readAt(e: MouseEvent): void {
    const m = this.map;
    if (!m) return;
    const r = this.canvas.getBoundingClientRect();
    if (r.width === 0 || r.height === 0) return;
    const x = Math.min(m.width - 1, Math.max(0, Math.floor(((e.clientX - r.left) / r.width) * m.width)));
    const y = Math.min(m.height - 1, Math.max(0, Math.floor(((e.clientY - r.top) / r.height) * m.height)));
    const v = valueAt(m, x, y);
    this.readout.dataset.x = String(x);
    this.readout.dataset.y = String(y);
    this.readout.dataset.value = String(v);
    this.readout.textContent = `channel ${this.channel} at (x ${x}, y ${y}): ${formatNumber(v)}`;
  }
}
