// Attributions on the input — the gradient family: vanilla saliency, Gradient × Input,
// Integrated Gradients, and SmoothGrad / VarGrad around any of them. One entry point
// `attribute(model, input, { method, target })`, one small module per method (methods/).
export { attribute } from "./attribute";
export type { AttributionOptions, AttributionResult } from "./attribute";
export type { AttributionContext, AttributionMethod } from "./method";
export { ATTRIBUTION_METHODS, resolveAttributionMethod } from "./registry";
export type { AttributionMethodName } from "./registry";
export { saliency } from "./methods/saliency";
export { gradientXInput } from "./methods/gradientxinput";
export { integratedGradientsMethod } from "./methods/integratedgradients";
export { smoothGrad, varGrad, noisyInput } from "./smooth";
export type { SmoothOptions } from "./smooth";
