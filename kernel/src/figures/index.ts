// camlab.figures: the static figure layer for notebooks (what pytorch-grad-cam's utils/image.py is
// to its users): read numbers out of tensors, turn tensors into pictures, show galleries, tables
// and charts. Everything displays itself through the rich display protocol with a text/plain
// fallback; charts carry a PNG as well, so a saved notebook shows them untrusted.
//   import * as camlab from "camlab";
//   const { picture, gallery, table, overlay, lineChart } = camlab.figures;
export {
  values, value, shade, diverging, cssColor, imagePixels, mapPixels, overlayPixels, overlay, enlarge, channelTiles, heatRows,
  type Pixels, type MapOptions, type OverlayOptions,
} from "./pixels";
export {
  escapeHtml, jpegBase64, imageBytes, picture, html, gallery, table, tokenChips, confusionMatrix,
  type ImageFormat, type HtmlView, type GalleryItem, type GalleryOptions, type TableOptions,
} from "./html";
export { lineChart, barChart, signalChart, chartImg, svgToPngBase64, type Chart, type ChartOptions, type Series, type SignalOptions } from "./charts";
