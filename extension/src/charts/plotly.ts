// plotly.js is large (~3.5 MB): it is loaded on first use, in its own chunk, and only once.
import type PlotlyNs from "plotly.js-dist-min";

export type Plotly = typeof PlotlyNs;

let loading: Promise<Plotly> | null = null;

export function loadPlotly(): Promise<Plotly> {
  if (!loading) {
    loading = import("plotly.js-dist-min").then((m) => {
      const mod = m as unknown as { default?: Plotly } & Plotly;
      return mod.default ?? mod;
    });
    loading.catch(() => {
      loading = null; // let a later chart try again
    });
  }
  return loading;
}

/** A JupyterLab theme variable's current value (charts follow light and dark themes). */
export function themeVar(name: string, el: Element = document.body): string | undefined {
  const v = getComputedStyle(el).getPropertyValue(name).trim();
  return v || undefined;
}
