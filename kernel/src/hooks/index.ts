// Hooks: forward/backward hooks on layers and GraphModel nodes, managers, feature extraction,
// scoped lifetimes and the gradient health check.
export { registerForwardHook, registerBackwardHook, activeHookCount } from "./register";
export type { ForwardHook, BackwardHook, HookHandle } from "./register";
export { FeatureExtractor } from "./extractor";
export type { Features } from "./extractor";
export { HookManager } from "./manager";
export type { LayerFilter } from "./manager";
export { HookScope, withHooks } from "./scope";
export type { Disposable } from "./scope";
export { captureGradients } from "./capture";
export type { GradientCapture, LayerCapture } from "./capture";
export { gradientHealth } from "./health";
export type { GradientHealthReport, GradientHealthOptions, LayerGradientHealth } from "./health";
export { runModel } from "./run";
