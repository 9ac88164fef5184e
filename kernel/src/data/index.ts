// Data that works offline: image decoding, bundled photos, MNIST and the shapes dataset.
export { loadImage, decodeImage, assetPath } from "./image";
export type { LoadImageOptions } from "./image";
