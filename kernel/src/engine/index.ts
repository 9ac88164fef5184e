// Backend choice and model introspection. Code above engine/ never names a backend.
export { backendInfo, useBackend, ensureBackend, BACKEND_PREFERENCE, guardBackend, isWasmCrash, BackendCrashed, wasmCrashState } from "./backend";
export type { BackendInfo, BackendName, WebGpuAdapter } from "./backend";
export { countReads, measureReads, activeReadCounters } from "./readCounter";
export type { ReadCounter, ReadCounterOptions, ReadSummary, TensorRead } from "./readCounter";
export { describeLayers, findLayer, layerNames, graphNode, defaultCamLayer, spatialLayerNames, isGraphModel, isLayersModel, isGraphNode, layerOutputShape, targetName, modelInputNames } from "./model";
export type { AnyModel, Layer, GraphNode, HookTarget, LayerDescription } from "./model";
export { closestNames } from "./names";
export { classScore, softmaxProbability, resolveTarget, binaryScore, rawOutput, segmentationTarget, detectionTarget } from "./targets";
export type { Target, TargetFn, ResolvedTarget, DetectionTargetOptions } from "./targets";
export { graphNodeOrder } from "./model";
export { registerWasmKernels } from "./wasmKernels";
export { installUnfusedConvWhileRecording } from "./unfusedConv";
export { releaseAbandonedTape, withTapeCleanup } from "./tape";
export { installFastBatchNormGradient } from "./batchNormGradient";
export { installFastClipGradient, nextFloat32 } from "./clipGradient";
export { runWork, checkpoint, reportProgress, throwIfCancelled, currentSignal, Cancelled } from "./work";
export type { Progress, WorkScope } from "./work";
// The input contract: every engine call that runs a model checks its input here first.
export { checkModelInput, checkInputShape, checkModelArg, inputSignature, describeSignature, declareInputRange, MAX_INPUT_BYTES } from "./inputContract";
export type { InputSignature, InputCheckOptions } from "./inputContract";
export { checkModelInputs, explainedInputIndex } from "./modelInputs";
export type { ModelInputs, CheckedInputs } from "./modelInputs";
export { modelTail } from "./tail";
export type { ModelTail } from "./tail";
export { foldModel, type FoldedModel } from "./folded";
export { runBatches, startReplicas, endReplicas, replicaCount, REPLICA_MIN_BATCHES, REPLICA_MIN_BATCH_VALUES, type BatchRunStats } from "./replicas";
