// Backend choice and model introspection. Code above engine/ never names a backend.
export { backendInfo, useBackend, ensureBackend, BACKEND_PREFERENCE } from "./backend";
export type { BackendInfo, BackendName, WebGpuAdapter } from "./backend";
export { countReads, measureReads, activeReadCounters } from "./readCounter";
export type { ReadCounter, ReadCounterOptions, ReadSummary, TensorRead } from "./readCounter";
export { describeLayers, findLayer, layerNames, graphNode, defaultCamLayer, spatialLayerNames, isGraphModel, isLayersModel, isGraphNode, layerOutputShape, targetName } from "./model";
export type { AnyModel, Layer, GraphNode, HookTarget, LayerInfo } from "./model";
export { closestNames } from "./names";
export { classScore, softmaxProbability, resolveTarget } from "./targets";
export type { Target, TargetFn, ResolvedTarget } from "./targets";
export { graphNodeOrder } from "./model";
export { registerWasmGradientKernels } from "./wasmGradients";
export { installUnfusedConvWhileRecording } from "./unfusedConv";
export { releaseAbandonedTape, withTapeCleanup } from "./tape";
export { installFastBatchNormGradient } from "./batchNormGradient";
