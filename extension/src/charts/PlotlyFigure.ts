// A renderer for plotly figures (application/vnd.plotly.v1+json: { data, layout, config? }), so
// notebooks can show interactive charts (camlab's metric tables and curves) with the plotly.js
// this extension already loads lazily. Registered as not safe: plotly labels may carry HTML and
// links, so JupyterLab uses it only for trusted outputs and shows the bundle's image otherwise.
import type { IRenderMime } from "@jupyterlab/rendermime-interfaces";
import { Widget } from "@lumino/widgets";
import { loadPlotly, themeVar } from "./plotly";
import { watchTheme } from "./theme";

export const PLOTLY_MIME = "application/vnd.plotly.v1+json";

interface Figure {
  data: unknown[];
  layout?: Record<string, unknown>;
  config?: Record<string, unknown>;
}

function asFigure(x: unknown): Figure | string {
  if (typeof x !== "object" || x === null || Array.isArray(x)) return "a plotly figure must be an object { data, layout }";
  const f = x as Record<string, unknown>;
  if (!Array.isArray(f.data)) return "a plotly figure needs a data array";
  if (f.layout !== undefined && (typeof f.layout !== "object" || f.layout === null)) return "layout must be an object";
  return { data: f.data, layout: f.layout as Record<string, unknown> | undefined, config: f.config as Record<string, unknown> | undefined };
}

/** A plotly figure in a notebook output, in the theme's colours (redrawn when the theme changes). */
export class PlotlyFigure extends Widget implements IRenderMime.IRenderer {
  private drawn = false;
  private figure: Figure | null = null;
  private stopWatchingTheme: (() => void) | null = null;

  constructor() {
    super();
    this.addClass("camlab-plotly");
    this.node.dataset.testid = "camlab-plotly";
  }

  async renderModel(model: IRenderMime.IMimeModel): Promise<void> {
    const fig = asFigure(model.data[PLOTLY_MIME]);
    if (typeof fig === "string") {
      this.node.textContent = `This chart cannot be shown: ${fig}.`;
      this.node.dataset.state = "error";
      return;
    }
    this.figure = fig;
    this.stopWatchingTheme ??= watchTheme(() => {
      if (this.drawn && this.figure) void this.draw(this.figure);
    });
    await this.draw(fig);
  }

  /** Draws `fig` with the theme's current text and grid colours (the figure's own win). */
  private async draw(fig: Figure): Promise<void> {
    try {
      const Plotly = await loadPlotly();
      const font = themeVar("--jp-ui-font-color1");
      const grid = themeVar("--jp-border-color2");
      const layout = {
        paper_bgcolor: "rgba(0,0,0,0)",
        plot_bgcolor: "rgba(0,0,0,0)",
        ...(fig.layout ?? {}),
        font: { ...(font ? { color: font } : {}), ...((fig.layout?.font as object) ?? {}) },
        xaxis: { gridcolor: grid, ...((fig.layout?.xaxis as object) ?? {}) },
        yaxis: { gridcolor: grid, ...((fig.layout?.yaxis as object) ?? {}) },
      };
      await Plotly.newPlot(this.node, fig.data as never, layout as never, { displaylogo: false, responsive: true, ...(fig.config ?? {}) } as never);
      this.drawn = true;
      this.node.dataset.state = "drawn";
    } catch (e) {
      this.node.textContent = `Chart unavailable: ${e instanceof Error ? e.message : String(e)}`;
      this.node.dataset.state = "error";
    }
  }

  dispose(): void {
    if (this.isDisposed) return;
    this.stopWatchingTheme?.();
    if (this.drawn) void loadPlotly().then((P) => P.purge(this.node), () => undefined);
    super.dispose();
  }
}

/** Plotly figures rank just below camlab's own views; not safe (see above). */
export const plotlyRendererFactory: IRenderMime.IRendererFactory = {
  safe: false,
  mimeTypes: [PLOTLY_MIME],
  defaultRank: 30,
  createRenderer: () => new PlotlyFigure(),
};
