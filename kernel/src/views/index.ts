// Displays: the three widgets' views (layer browser, activation browser, heatmap overlay), each
// a MIME bundle with a session handle plus PNG/text fallbacks, and the raster helpers behind the
// fallbacks (also handy for pictures in notebooks).
export { CamlabView } from "./view";
export { heatmapView, showHeatmap, HeatmapView, type HeatmapOptions } from "./heatmap";
export { activationsView, showActivations, ActivationsView, histogram, type ActivationsOptions } from "./activations";
export { layersView, showLayers, LayersView, type LayersOptions } from "./layers";
export { confusionView, showConfusion, ConfusionView, confusionText, confusionSvg, DEFAULT_GALLERY_PAGE, type ConfusionViewOptions } from "./confusion";
export { imageToRgb, batchOfOne } from "./image";
export { PortableView, setPortableViews, portableViewsMode, portableAssets, PORTABLE_ASSETS_DIR, type PortableViewsMode, type PortableViewState } from "./portable";
export { montage, pngBase64, rgbFromRgba, type Rgb } from "./raster";
// The shared render core (protocol/): the same colormaps, upsampling and blending the widgets draw with.
export {
  colormap, colorAt, COLORMAP_NAMES, DEFAULT_COLORMAP, DEFAULT_OPACITY, isColormapName, lutIndex, upsampleBilinear,
  blendInto, colorizeBytes, rowNormalised, camDifference, renderOverlay, prepareOverlay, drawOverlay, histogramEdges, histogramOfMaps, pageSizeForBudget,
  sortChannels, sortChannelRows, encodeBase64, decodeBase64, dequantize, fromSnapshot, toSnapshot,
  type ColormapName, type Lut, type FloatMap, type QuantizedMap, type RgbPixels, type PreparedOverlay, type Histogram,
} from "../protocol";
