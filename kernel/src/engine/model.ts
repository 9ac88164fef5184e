// Model introspection shared by hooks, CAMs and the extension: which model kind we hold, its
// layers (or GraphModel nodes) in execution order, their shapes and parameters, and name lookup
// with helpful errors. LayersModel nests (a model used as a layer) are walked with "/" paths.
import * as tf from "@tensorflow/tfjs";
import { closestNames } from "./names";

/** A TensorFlow.js model camlab can hook: a LayersModel (Keras-style) or a GraphModel (converted SavedModel). */
export type AnyModel = tf.LayersModel | tf.GraphModel;
/** A layer of a LayersModel. */
export type Layer = tf.layers.Layer;

/** A node of a GraphModel, addressed like a layer (hooks, CAM layers, feature extraction). */
export interface GraphNode {
  readonly kind: "graph-node";
  readonly model: tf.GraphModel;
  readonly name: string;
  readonly op: string;
}

/** What hooks attach to: a layer of a LayersModel or a node of a GraphModel. */
export type HookTarget = Layer | GraphNode;

/** What describeLayers says of one layer or node (the model's view; the layer browser's rows are
 *  the protocol's LayerInfo, made from these by the session). */
export interface LayerDescription {
  /** Name to pass to findLayer/cam/FeatureExtractor ("outer/inner" inside nested models). */
  name: string;
  /** Keras class (Conv2D, Dense…) or, for a GraphModel node, its op (Conv2D, Relu6…). */
  className: string;
  /** Output shape with null for the batch; null when unknown (GraphModel) or ambiguous. */
  outputShape: (number | null)[] | null;
  params: number;
  trainable: boolean;
  /** Names of the layers/nodes feeding this one. */
  inbound: string[];
  /** Nesting depth: 0 for the model's own layers, 1 inside a nested model, … */
  depth: number;
}

interface GraphInternals {
  executor: { graph: { nodes: { [name: string]: GraphNodeInternal } | GraphNodeInternal[] } & Record<string, unknown> };
  weights: { [name: string]: tf.Tensor[] };
}
interface GraphNodeInternal {
  name: string;
  op: string;
  inputs: GraphNodeInternal[];
}

/**
 * The names of a model's inputs, in the order it takes them (a LayersModel's input layer names, a
 * GraphModel's input node names).
 * @example modelInputNames(twoBranch) // ["image", "tokens"]
 */
export function modelInputNames(model: AnyModel): string[] {
  // A Sequential reports no inputNames, a GraphModel may carry no input info: one input then.
  const names = isGraphModel(model) ? model.inputs.map((i) => i.name) : (model as tf.LayersModel).inputs.map((i) => i.name);
  return names.length ? names : ["input"];
}

/** True for a tf.GraphModel (hooks attach to its nodes by name). */
export function isGraphModel(m: unknown): m is tf.GraphModel {
  return m instanceof tf.GraphModel;
}
/** True for a tf.LayersModel (hooks wrap its layers' call). */
export function isLayersModel(m: unknown): m is tf.LayersModel {
  return m instanceof tf.LayersModel;
}
/** True for a GraphModel node handle (as returned by graphNode / findLayer on a GraphModel). */
export function isGraphNode(t: unknown): t is GraphNode {
  return typeof t === "object" && t != null && (t as GraphNode).kind === "graph-node";
}

function checkModel(model: unknown, fn: string): asserts model is AnyModel {
  if (!isLayersModel(model) && !isGraphModel(model)) {
    throw new TypeError(`camlab.${fn}: expected a tf.LayersModel (tf.sequential/tf.model/loadLayersModel) or a tf.GraphModel, got ${model === null ? "null" : typeof model}`);
  }
}

/** All layers of a LayersModel in order, nested models expanded after the nesting layer. */
function walkLayers(model: tf.LayersModel): { path: string; layer: Layer; depth: number }[] {
  const out: { path: string; layer: Layer; depth: number }[] = [];
  const visit = (m: tf.LayersModel, prefix: string, depth: number) => {
    for (const layer of m.layers) {
      const path = prefix + layer.name;
      out.push({ path, layer, depth });
      if (layer instanceof tf.LayersModel) visit(layer, path + "/", depth + 1);
    }
  };
  visit(model, "", 0);
  return out;
}

/**
 * Paths of the layers whose `call` is patched on the layer itself: a forward or backward hook
 * (hooks/register.ts puts one there) or the user's own patch. Work that leaves the main thread
 * (a model replica in a worker, engine/replicas.ts) would not run them, so it stays here then.
 */
export function patchedLayerPaths(model: tf.LayersModel): string[] {
  return walkLayers(model).filter((l) => Object.prototype.hasOwnProperty.call(l.layer, "call")).map((l) => l.path);
}

/** GraphModel nodes that compute something (no Const/Placeholder), in topological order. */
function graphNodes(model: tf.GraphModel): GraphNodeInternal[] {
  const g = (model as unknown as GraphInternals).executor.graph;
  const all: GraphNodeInternal[] = Array.isArray(g.nodes) ? g.nodes : Object.values(g.nodes);
  const order: GraphNodeInternal[] = [];
  const seen = new Set<string>();
  const visit = (n: GraphNodeInternal) => {
    if (seen.has(n.name)) return;
    seen.add(n.name);
    for (const i of n.inputs) visit(i);
    order.push(n);
  };
  for (const n of all) visit(n);
  return order.filter((n) => n.op !== "Const" && n.op !== "Placeholder");
}

/** The node of a GraphModel with this name; a wrong name fails listing the closest names. */
export function graphNode(model: tf.GraphModel, name: string): GraphNode {
  const nodes = graphNodes(model);
  const n = nodes.find((x) => x.name === name);
  if (n == null) {
    throw new Error(`camlab: GraphModel has no node "${name}"; closest: ${closestNames(name, nodes.map((x) => x.name)).join(", ")}`);
  }
  return { kind: "graph-node", model, name: n.name, op: n.op };
}

/** Names accepted by findLayer, in execution order. */
export function layerNames(model: AnyModel): string[] {
  checkModel(model, "layerNames");
  return isGraphModel(model) ? graphNodes(model).map((n) => n.name) : walkLayers(model).map((l) => l.path);
}

/**
 * The layer (or GraphModel node) called `name`. Nested layers may be named by path
 * ("backbone/conv2") or, when unambiguous, by their own name. Unknown → error with closest names.
 */
export function findLayer(model: AnyModel, name: string): HookTarget {
  checkModel(model, "findLayer");
  if (typeof name !== "string" || name.length === 0) throw new TypeError(`camlab.findLayer: layer name must be a non-empty string, got ${JSON.stringify(name)}`);
  if (isGraphModel(model)) return graphNode(model, name);
  const all = walkLayers(model);
  const byPath = all.find((l) => l.path === name);
  if (byPath) return byPath.layer;
  const byName = all.filter((l) => l.layer.name === name);
  if (byName.length === 1) return byName[0].layer;
  if (byName.length > 1) throw new Error(`camlab: layer name "${name}" is ambiguous; use one of ${byName.map((l) => l.path).join(", ")}`);
  throw new Error(`camlab: model "${model.name}" has no layer "${name}"; closest: ${closestNames(name, all.map((l) => l.path)).join(", ")}`);
}

/** The name of a hook target (layer or graph node), as findLayer accepts it. */
export function targetName(t: HookTarget): string {
  return isGraphNode(t) ? t.name : t.name;
}

/** Output shape of a layer, or null when it cannot be known without running the model. */
export function layerOutputShape(t: HookTarget): (number | null)[] | null {
  if (isGraphNode(t)) return null;
  try {
    const s = t.outputShape;
    if (Array.isArray(s) && (s.length === 0 || !Array.isArray(s[0]))) return s as (number | null)[];
    return null;
  } catch {
    return null; // a shared layer with several inbound nodes has no single output shape
  }
}

/** One row per layer/node: the table the layers browser shows. */
export function describeLayers(model: AnyModel): LayerDescription[] {
  checkModel(model, "describeLayers");
  if (isGraphModel(model)) {
    const weights = (model as unknown as GraphInternals).weights;
    return graphNodes(model).map((n) => {
      const consts = n.inputs.filter((i) => i.op === "Const");
      const params = consts.reduce((s, c) => s + (weights[c.name]?.reduce((a, t) => a + t.size, 0) ?? 0), 0);
      return {
        name: n.name,
        className: n.op,
        outputShape: null,
        params,
        trainable: false,
        inbound: n.inputs.filter((i) => i.op !== "Const").map((i) => i.name),
        depth: 0,
      };
    });
  }
  return walkLayers(model).map(({ path, layer, depth }) => {
    const prefix = path.slice(0, path.length - layer.name.length);
    const inbound = new Set<string>();
    for (const node of layer.inboundNodes) for (const l of node.inboundLayers) inbound.add(prefix + l.name);
    return {
      name: path,
      className: layer.getClassName(),
      outputShape: layerOutputShape(layer),
      params: layer.countParams(),
      trainable: layer.trainable,
      inbound: [...inbound],
      depth,
    };
  });
}

// Pooling ops are left out: a graph usually ends in a global pool whose output is 1×1.
const SPATIAL_OPS = new Set(["Conv2D", "_FusedConv2D", "FusedConv2D", "DepthwiseConv2dNative", "FusedDepthwiseConv2dNative", "Relu", "Relu6", "Elu", "LeakyRelu", "Add", "AddV2", "BiasAdd", "FusedBatchNorm", "FusedBatchNormV3"]);

/**
 * Default CAM layer: the last layer whose output is a spatial map [batch, h, w, channels] with
 * more than one position. For a GraphModel (no static shapes) the last conv-like node on the
 * path back from the output; its rank is checked when the CAM runs.
 */
export function defaultCamLayer(model: AnyModel): string {
  checkModel(model, "defaultCamLayer");
  if (isGraphModel(model)) {
    const nodes = graphNodes(model);
    const byName = new Map(nodes.map((n) => [n.name, n]));
    const outName = model.outputNodes[0];
    let n: GraphNodeInternal | undefined = byName.get(outName.split(":")[0]);
    while (n != null && !SPATIAL_OPS.has(n.op)) n = n.inputs.find((i) => i.op !== "Const" && i.op !== "Placeholder");
    if (n == null) throw new Error("camlab: found no conv-like node on the path back from the GraphModel's output; pass { layer } explicitly");
    return n.name;
  }
  const top = model.layers;
  for (let i = top.length - 1; i >= 0; i--) {
    const s = layerOutputShape(top[i]);
    if (s != null && s.length === 4 && (s[1] ?? 2) * (s[2] ?? 2) > 1) return top[i].name;
  }
  throw new Error(`camlab: model "${model.name}" has no layer with a spatial output [batch, height, width, channels]; CAM methods need one`);
}

/** Layers with spatial output, for error messages and pickers. */
export function spatialLayerNames(model: AnyModel): string[] {
  if (isGraphModel(model)) return graphNodes(model).filter((n) => SPATIAL_OPS.has(n.op)).map((n) => n.name);
  return walkLayers(model).filter((l) => layerOutputShape(l.layer)?.length === 4).map((l) => l.path);
}

/** Position of each computing GraphModel node in topological order (for ordering hooks). */
export function graphNodeOrder(model: tf.GraphModel): Map<string, number> {
  return new Map(graphNodes(model).map((n, i) => [n.name, i]));
}
