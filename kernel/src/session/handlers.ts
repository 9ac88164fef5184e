// The session operations: one function per named op of the "camlab.session" protocol, each
// answering from a bound model with the minimum the widget needs — numbers as JSON, pixels as
// uint8 buffers at feature-map resolution. Arguments arrive validated in form (validate.ts);
// here they are checked against the model (layer exists, channel in range, class in range).
import * as tf from "@tensorflow/tfjs";
import { backendInfo } from "../engine/backend";
import { findLayer } from "../engine/model";
import { sortChannelRows, type OpArgs, type OpName, type OpResults } from "../protocol";
import type { BoundModel } from "./bound";
import { confusionHandlers } from "./confusionHandlers";
import { quantizeChannels, quantizeMap } from "./quantize";
import { BadRequest } from "./validate";

/** The handle is not (or no longer) in the registry. */
export class HandleGone extends Error {
  constructor(readonly code: "evicted" | "unknown_handle", message: string) {
    super(message);
  }
}

/** What an operation handler returns: the JSON result and its binary buffers. */
export interface OpOutcome<K extends OpName = OpName> {
  result: OpResults[K];
  buffers: ArrayBufferView[];
}

/** Facts about the session itself (not about one bound model). */
export interface SessionFacts {
  kernelInstance: string;
  registryBytes: number;
  registryBudgetBytes: number;
  handles: number;
}

function checkLayer(bound: BoundModel, layer: string, op: string): void {
  try {
    findLayer(bound.model, layer);
  } catch (e) {
    throw new BadRequest(`${op}: ${(e as Error).message}`);
  }
}

type Handler<K extends OpName> = (bound: BoundModel, args: OpArgs[K], facts: SessionFacts) => Promise<OpOutcome<K>>;

const handlers: { [K in OpName]: Handler<K> } = {
  async "session.info"(_bound, _args, facts) {
    const info = await backendInfo();
    const mem = tf.memory();
    return {
      result: {
        kernelInstance: facts.kernelInstance,
        backend: info.name,
        ...(info.device ? { device: info.device } : {}),
        numTensors: mem.numTensors,
        numBytes: mem.numBytes,
        registryBytes: facts.registryBytes,
        registryBudgetBytes: facts.registryBudgetBytes,
        handles: facts.handles,
      },
      buffers: [],
    };
  },

  async "layers.describe"(bound) {
    return { result: { layers: bound.layers() }, buffers: [] };
  },

  async "activations.page"(bound, { layer, offset, count, sort }) {
    checkLayer(bound, layer, "activations.page");
    const act = bound.activation(layer);
    const [h, w, c] = act.shape;
    if (offset >= c) throw new BadRequest(`activations.page: offset ${offset} is past the last channel; layer "${layer}" has ${c} channels (offsets 0–${c - 1})`);
    const key = sort ?? "index";
    const rows = sortChannelRows(await bound.channelSummaries(layer, key === "camWeight"), key);
    const page = rows.slice(offset, offset + count);
    const { headers, bytes } = await quantizeChannels(act, page.map((r) => r.index));
    return { result: { layer, shape: [h, w, c], channels: page, tiles: headers }, buffers: [bytes] };
  },

  async "activations.channel"(bound, { layer, channel }) {
    checkLayer(bound, layer, "activations.channel");
    const act = bound.activation(layer);
    const c = act.shape[2];
    if (channel >= c) throw new BadRequest(`activations.channel: channel ${channel} does not exist; layer "${layer}" has ${c} channels (0–${c - 1})`);
    const map = tf.tidy(() => tf.squeeze(tf.slice(act, [0, 0, channel], [-1, -1, 1]), [2]) as tf.Tensor2D);
    try {
      const q = await quantizeMap(map);
      return { result: { layer, channel, ...q.header }, buffers: [q.bytes] };
    } finally {
      map.dispose();
    }
  },

  async "cam.compute"(bound, { method, layer, classIndex }) {
    // The one check of method and layer for this request; camMap and cam's core trust the plan.
    let plan;
    try {
      plan = bound.planMap(method, layer, classIndex, "cam.compute");
    } catch (e) {
      throw new BadRequest((e as Error).message);
    }
    const classes = await bound.classCount();
    if (classes === 0) throw new BadRequest("cam.compute: the model's output is not [batch, classes], so there is no class to pick; compute this CAM in a cell with a target function");
    if (classIndex >= classes) throw new BadRequest(`cam.compute: class ${classIndex} does not exist; the model has ${classes} classes (0–${classes - 1})`);
    const q = await bound.camMap(plan);
    return { result: { method: plan.method.name, layer, classIndex, label: bound.label(classIndex), rawMin: q.raw.min, rawMax: q.raw.max, ...q.header }, buffers: [q.bytes] };
  },

  async "predictions.topk"(bound, { k }) {
    return { result: { predictions: await bound.predictions(k) }, buffers: [] };
  },

  async "layers.usable"(bound) {
    const { camLayers, activationLayers } = bound.usable();
    return { result: { camLayers: [...camLayers], activationLayers: [...activationLayers] }, buffers: [] };
  },

  ...confusionHandlers,
};

/** Runs one validated operation against a bound model. */
export function runOp<K extends OpName>(op: K, bound: BoundModel, args: OpArgs[K], facts: SessionFacts): Promise<OpOutcome<K>> {
  return (handlers[op] as Handler<K>)(bound, args, facts);
}
