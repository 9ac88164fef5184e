// Data that works offline: image decoding, bundled photos, MNIST and the shapes dataset.
export { loadImage, decodeImage, assetPath } from "./image";
export type { LoadImageOptions } from "./image";
export { loadMnist } from "./mnist";
export type { MnistData, MnistSplit, LoadMnistOptions } from "./mnist";
export { makeShapes, SHAPE_CLASSES } from "./shapes";
export type { ShapesDataset, ShapesOptions, ShapeClass, Box } from "./shapes";
export { seededRandom } from "./random";
export type { Rng } from "./random";
