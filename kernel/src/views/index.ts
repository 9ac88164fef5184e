// Displays: the three widgets' views (layer browser, activation browser, heatmap overlay), each
// a MIME bundle with a session handle plus PNG/text fallbacks, and the raster helpers behind the
// fallbacks (also handy for pictures in notebooks).
export { CamlabView } from "./view";
export { heatmapView, showHeatmap, HeatmapView, type HeatmapOptions } from "./heatmap";
export { activationsView, showActivations, ActivationsView, histogram, pageSizeFor, type ActivationsOptions } from "./activations";
export { layersView, showLayers, LayersView, type LayersOptions } from "./layers";
export { imageToRgb, batchOfOne } from "./image";
export { viridis, resizeBilinear, overlay, colorize, montage, pngBase64, type Rgb } from "./raster";
