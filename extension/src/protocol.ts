// The kernel's protocol contract (kernel/src/protocol), seen by the extension as TYPES ONLY.
// "camlab-protocol" resolves to declarations emitted by tsconfig.protocol.json, so no kernel
// runtime code can be bundled. The few runtime constants the extension needs are restated here
// with the contract's literal types: if the kernel changes one, this file stops compiling.
export type {
  ActivationsPayload,
  ChannelSortKey,
  ChannelSummary,
  HeatmapPayload,
  LayerGradientHealth,
  LayerInfo,
  LayersPayload,
  Prediction,
  QuantizedImage,
  RgbImage,
  SessionRef,
  OpArgs,
  OpName,
  OpResults,
  QuantHeader,
  SessionErrorCode,
  SessionReply,
  SessionRequest,
  CancelMessage,
  ProgressMessage,
  SessionEventMessage,
  WorkProgress,
} from "camlab-protocol";

type Contract = typeof import("camlab-protocol");

export const LAYERS_MIME: Contract["LAYERS_MIME"] = "application/vnd.camlab.layers+json";
export const ACTIVATIONS_MIME: Contract["ACTIVATIONS_MIME"] = "application/vnd.camlab.activations+json";
export const HEATMAP_MIME: Contract["HEATMAP_MIME"] = "application/vnd.camlab.heatmap+json";
export const SESSION_COMM_TARGET: Contract["SESSION_COMM_TARGET"] = "camlab.session";
/** The newest payload version this extension reads. */
export const PROTOCOL_VERSION: Contract["PROTOCOL_VERSION"] = 1;
