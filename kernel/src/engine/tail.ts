// The part of a LayersModel after one layer, run on that layer's output: what a CAM needs when it
// already holds the layer's activations (a class switch in a widget), or feeds modified
// activations back (Ablation-CAM's ablated maps, FinerCAM, ShapleyCAM). For MobileNetV2 at
// out_relu that is a pooling and a dense layer instead of the whole network each time.
//
// A tail exists when everything after the layer depends on the input only through the layer's
// output: a skip connection from before the layer to after it (a residual block cut in the
// middle), a second model input joining later, or a shared layer makes it inseparable — then
// there is no tail and callers run the whole model as before.
import type * as tf from "@tensorflow/tfjs";
import { isGraphModel, isGraphNode, type AnyModel, type HookTarget } from "./model";

/** The model after one layer: `run(a)` gives the model's (first) output for that layer's output `a`. */
export interface ModelTail {
  /** The layer the tail starts after. */
  readonly layer: string;
  /** How many layers it runs (the whole model has `model.layers.length`). */
  readonly layers: number;
  /** The model output [batch, …] for the layer's output `a` [batch, …]; the caller owns it. */
  run(a: tf.Tensor): tf.Tensor;
}

interface NodeLike {
  inputTensors: { id: number }[];
  outputTensors: { id: number }[];
  callArgs?: Record<string, unknown>;
}

interface LayerLike {
  name: string;
  inboundNodes: NodeLike[];
  apply(inputs: tf.Tensor | tf.Tensor[], kwargs?: Record<string, unknown>): tf.Tensor | tf.Tensor[] | tf.SymbolicTensor;
}

const cache = new WeakMap<object, Map<string, ModelTail | null>>();

/**
 * The tail of `model` after `layer` (found with findLayer), or null when the rest of the model
 * also depends on something before the layer (see the file comment), for a GraphModel, or when
 * the layer is inside a nested model. Worked out once per model and layer, without running it.
 *
 * @example
 * const tail = modelTail(net.model, findLayer(net.model, "out_relu"));
 * const logits = tail?.run(activations); // the GAP and the dense layer only
 */
export function modelTail(model: AnyModel, layer: HookTarget): ModelTail | null {
  if (isGraphModel(model) || isGraphNode(layer)) return null;
  let perModel = cache.get(model);
  if (!perModel) cache.set(model, (perModel = new Map()));
  const key = (layer as tf.layers.Layer).name;
  if (!perModel.has(key)) perModel.set(key, buildTail(model as tf.LayersModel, layer as unknown as LayerLike));
  return perModel.get(key)!;
}

function buildTail(model: tf.LayersModel, start: LayerLike): ModelTail | null {
  const layers = model.layers as unknown as LayerLike[];
  const at = layers.indexOf(start);
  // Shared layers (several inbound nodes) make "the" node ambiguous: no tail.
  if (at < 0 || layers.some((l) => l.inboundNodes.length !== 1)) return null;
  const startOut = start.inboundNodes[0].outputTensors;
  if (startOut.length !== 1) return null;
  // A dry run over tensor ids, in the model's topological layer order: which layers can run from
  // the start layer's output alone, and whether the output is among what they make.
  const known = new Set<number>([startOut[0].id]);
  const steps: LayerLike[] = [];
  for (const l of layers.slice(at + 1)) {
    const ins = l.inboundNodes[0].inputTensors.map((t) => t.id);
    const have = ins.filter((id) => known.has(id)).length;
    if (have === 0) continue; // a branch that does not (yet) touch the tail
    if (have < ins.length) return null; // joined by something from before the layer
    steps.push(l);
    for (const t of l.inboundNodes[0].outputTensors) known.add(t.id);
  }
  // Every layer the output needs must be in `steps`: a branch skipped above that feeds a later
  // layer made that layer partial and returned null already; the output itself must be reached.
  const outId = (model.outputs[0] as unknown as { id: number }).id;
  if (!known.has(outId) || outId === startOut[0].id) return null;
  return {
    layer: start.name,
    layers: steps.length,
    run(a: tf.Tensor): tf.Tensor {
      const values = new Map<number, tf.Tensor>([[startOut[0].id, a]]);
      const made: tf.Tensor[] = [];
      try {
        for (const l of steps) {
          const node = l.inboundNodes[0];
          const ins = node.inputTensors.map((t) => values.get(t.id)!);
          // Inference: the same call arguments the model's graph was built with, never training.
          const out = l.apply(ins.length === 1 ? ins[0] : ins, { ...(node.callArgs ?? {}), training: false }) as tf.Tensor | tf.Tensor[];
          const outs = Array.isArray(out) ? out : [out];
          outs.forEach((t, i) => {
            values.set(node.outputTensors[i].id, t);
            made.push(t);
          });
        }
        const result = values.get(outId)!;
        for (const t of made) if (t !== result) t.dispose();
        return result;
      } catch (e) {
        for (const t of made) t.dispose();
        throw e;
      }
    },
  };
}
