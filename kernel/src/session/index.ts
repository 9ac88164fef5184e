// The kernel session: bound models kept resident for live widgets (registry with a byte budget
// and LRU eviction) and the "camlab.session" comm target that serves them. Importing camlab in a
// kernel registers the target, so widgets of a reopened notebook get a clear answer even before
// any cell ran.
import { currentSession } from "./session";

export { Session, currentSession, type SessionStats } from "./session";
export { BoundModel, usableLayers, type BindOptions, type UsableLayers } from "./bound";
export { TensorRegistry, DEFAULT_BUDGET_BYTES, instanceTag, tensorBytes, type Lookup, type RegistryEntry, type RegistryOptions } from "./registry";
export { HandleGone, runOp, type OpOutcome, type SessionFacts } from "./handlers";
export { RequestServer, serveRequest, type ReplyChannel, type OpDispatcher, type RequestServerOptions } from "./server";
export { parseRequest, cancelTargetOf, BadRequest, MAX_PAGE_CHANNELS, MAX_TOPK, MAX_CELL_PAGE } from "./validate";
export { ConfusionBound, THUMB_SIDE, type CamPair, type ConfusionBindOptions, type OverlayBuilder } from "./confusionBound";
export { confusionHandlers, type ConfusionOp } from "./confusionHandlers";
export { quantizeMap, quantizeChannels, type Quantized } from "./quantize";

currentSession();
