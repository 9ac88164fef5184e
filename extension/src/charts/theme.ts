// Theme changes, for what CSS cannot restyle: charts drawn with colours read from the theme's
// variables (plotly writes them into its SVG) keep the old theme's colours until they are redrawn.
// JupyterLab's theme manager sets data-jp-theme-name and data-jp-theme-light on <body> once the
// new theme's CSS has loaded, so a change of those attributes means the variables now hold the
// new colours.

const THEME_ATTRIBUTES = ["data-jp-theme-name", "data-jp-theme-light"];

/**
 * Calls `redraw` after every JupyterLab theme switch (light ↔ dark, or any other theme), at the next
 * animation frame so the new theme's styles are in effect. Returns the function that stops watching.
 * @example const stop = watchTheme(() => chart.redraw()); // later: stop()
 */
export function watchTheme(redraw: () => void, body: HTMLElement = document.body): () => void {
  let frame = 0;
  const observer = new MutationObserver(() => {
    if (frame) return; // both attributes change together: one redraw
    frame = requestAnimationFrame(() => {
      frame = 0;
      redraw();
    });
  });
  observer.observe(body, { attributes: true, attributeFilter: THEME_ATTRIBUTES });
  return () => {
    observer.disconnect();
    if (frame) cancelAnimationFrame(frame);
    frame = 0;
  };
}
