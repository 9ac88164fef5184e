// The Grad-CAM family: one entry point `cam(model, input, { method, layer, target })`, one small
// module per method (methods/), the guided variants and top-k predictions.
export { cam, scaleToUnit } from "./base";
export type { CamOptions, CamResult, LayerCam } from "./base";
export type { CamContext, CamMethod, CamWeighting } from "./method";
export { CAM_METHODS, resolveMethod } from "./registry";
export type { CamMethodName } from "./registry";
export { guidedBackprop, guidedGradCam } from "./guided";
export type { GuidedBackpropResult, GuidedGradCamResult } from "./guided";
export { topK } from "./predictions";
export type { Prediction } from "./predictions";
export { firstComponentProjection } from "./methods/eigencam";
export { finerCam } from "./methods/finercam";
export type { FinerCamOptions } from "./methods/finercam";
export { rise, riseMasks } from "./methods/rise";
export type { RiseOptions } from "./methods/rise";
export { kpcaCam } from "./methods/kpcacam";
export type { KpcaCamOptions } from "./methods/kpcacam";
export { lightCam } from "./methods/lightcam";
export { fullGrad } from "./fullgrad";
export type { FullGradOptions, FullGradResult } from "./fullgrad";
export { camLayers } from "./layerMaps";
export type { LayerMaps } from "./layerMaps";
export { planCam, DEFAULT_MASK_BATCH } from "./plan";
export type { CamPlan } from "./plan";
export { tokenGrid } from "./reshape";
export type { LayerReshape, TokenGridOptions } from "./reshape";
