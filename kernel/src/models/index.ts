// Models that work offline: the pretrained MobileNetV2 from nsfwjs and small teaching models.
export { loadMobileNetV2, loadMobileNetV2Graph, MOBILENET_V2_LABELS, MOBILENET_V2_INPUT_SIZE } from "./mobilenet";
export type { PretrainedModel, LoadMobileNetV2Options } from "./mobilenet";
export { buildMnistCnn, buildShapesClassifier, trainClassifier, accuracy } from "./teaching";
export type { TrainOptions, TrainHistory } from "./teaching";
export { buildTinyVit } from "./tinyVit";
export type { TinyVitOptions } from "./tinyVit";
