// A histogram of activation values, drawn with plotly.js (loaded lazily). Its text, bar and grid
// colours come from the theme, so it is drawn again when the theme changes (charts/theme.ts).
import { h } from "../dom";
import type { Histogram } from "../protocol";
import { loadPlotly, themeVar } from "./plotly";
import { watchTheme } from "./theme";

/** The histogram beside the activation grid: a caption saying what it counts, and the bars. */
export class HistogramChart {
  readonly node = h("div", { cls: "camlab-histogram", testid: "camlab-histogram" });
  private readonly plot = h("div", { cls: "camlab-histogram-plot", testid: "camlab-histogram-plot" });
  private readonly caption = h("div", { cls: "camlab-caption", testid: "camlab-histogram-caption" });
  private shown: { hist: Histogram | null; what: string } | null = null;
  /** Bumped by every show(): a slow plotly load must not draw an older histogram over a newer one. */
  private generation = 0;
  private readonly stopWatchingTheme: () => void;

  constructor() {
    this.node.append(this.caption, this.plot);
    this.stopWatchingTheme = watchTheme(() => {
      if (this.shown && this.node.dataset.state === "drawn") void this.show(this.shown.hist, this.shown.what);
    });
  }

  /** Draws `hist`; `what` says which values it counts. Never throws: failures become text. */
  async show(hist: Histogram | null, what: string): Promise<void> {
    const generation = ++this.generation;
    this.shown = { hist, what };
    this.caption.textContent = what;
    if (!hist || hist.counts.length === 0) {
      if (this.node.dataset.state === "drawn") void loadPlotly().then((P) => P.purge(this.plot), () => undefined);
      this.plot.textContent = "No histogram for this view.";
      this.node.dataset.state = "empty";
      return;
    }
    const centers = hist.counts.map((_, i) => (hist.edges[i] + hist.edges[i + 1]) / 2);
    const widths = hist.counts.map((_, i) => hist.edges[i + 1] - hist.edges[i]);
    this.node.dataset.state = "loading";
    try {
      const Plotly = await loadPlotly();
      if (generation !== this.generation) return;
      const font = themeVar("--jp-ui-font-color1");
      const bar = themeVar("--jp-brand-color1");
      const grid = themeVar("--jp-border-color2");
      if (!this.plot.classList.contains("js-plotly-plot")) this.plot.textContent = "";
      // react, not newPlot: a page change updates the bars in place.
      await Plotly.react(
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
      if (generation !== this.generation) return;
      this.node.dataset.state = "drawn";
      // Which theme the drawn colours belong to (tests wait for the redraw after a switch).
      this.node.dataset.theme = document.body.dataset.jpThemeName ?? "";
    } catch (e) {
      if (generation !== this.generation) return;
      this.plot.textContent = `Histogram unavailable: ${e instanceof Error ? e.message : String(e)}`;
      this.node.dataset.state = "error";
    }
  }

  /** Stops following the theme and frees plotly's state for the plot. */
  dispose(): void {
    this.stopWatchingTheme();
    this.generation++;
    if (this.node.dataset.state !== "drawn") return; // never load plotly just to clean up
    void loadPlotly().then((P) => P.purge(this.plot), () => undefined);
  }
}
