// A histogram of activation values, drawn with plotly.js (loaded lazily).
import { h } from "../dom";
import type { Histogram } from "../protocol";
import { loadPlotly, themeVar } from "./plotly";

export class HistogramChart {
  readonly node = h("div", { cls: "camlab-histogram", testid: "camlab-histogram" });
  private readonly plot = h("div", { cls: "camlab-histogram-plot" });
  private readonly caption = h("div", { cls: "camlab-caption" });

  constructor() {
    this.node.append(this.caption, this.plot);
  }

  /** Draws `hist`; `what` says which values it counts. Never throws: failures become text. */
  async show(hist: Histogram | null, what: string): Promise<void> {
    this.caption.textContent = what;
    if (!hist || hist.counts.length === 0) {
      this.plot.textContent = "No histogram for this view.";
      this.node.dataset.state = "empty";
      return;
    }
    const centers = hist.counts.map((_, i) => (hist.edges[i] + hist.edges[i + 1]) / 2);
    const widths = hist.counts.map((_, i) => hist.edges[i + 1] - hist.edges[i]);
    this.node.dataset.state = "loading";
    try {
      const Plotly = await loadPlotly();
      const font = themeVar("--jp-ui-font-color1");
      const bar = themeVar("--jp-brand-color1");
      const grid = themeVar("--jp-border-color2");
      this.plot.textContent = "";
      await Plotly.newPlot(
        this.plot,
        [{ type: "bar", x: centers, y: hist.counts, width: widths, marker: bar ? { color: bar } : undefined, hovertemplate: "%{x:.4g}: %{y}<extra></extra>" }],
        {
          width: 360,
          height: 200,
          margin: { l: 48, r: 8, t: 8, b: 32 },
          paper_bgcolor: "rgba(0,0,0,0)",
          plot_bgcolor: "rgba(0,0,0,0)",
          font: font ? { color: font, size: 11 } : { size: 11 },
          xaxis: { title: { text: "value" }, gridcolor: grid },
          yaxis: { title: { text: "count" }, gridcolor: grid },
          bargap: 0,
        },
        { displayModeBar: false, responsive: false, staticPlot: false },
      );
      this.node.dataset.state = "drawn";
    } catch (e) {
      this.plot.textContent = `Histogram unavailable: ${e instanceof Error ? e.message : String(e)}`;
      this.node.dataset.state = "error";
    }
  }

  dispose(): void {
    if (this.node.dataset.state !== "drawn") return; // never load plotly just to clean up
    void loadPlotly().then((P) => P.purge(this.plot), () => undefined);
  }
}
