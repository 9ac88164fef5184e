// The part of plotly.js this extension uses (the package ships no types).
declare module "plotly.js-dist-min" {
  interface PlotlyStatic {
    newPlot(el: HTMLElement, data: unknown[], layout?: Record<string, unknown>, config?: Record<string, unknown>): Promise<unknown>;
    /** Like newPlot, but updates an existing plot in place (same arguments). */
    react(el: HTMLElement, data: unknown[], layout?: Record<string, unknown>, config?: Record<string, unknown>): Promise<unknown>;
    purge(el: HTMLElement): void;
  }
  const Plotly: PlotlyStatic;
  export default Plotly;
}
