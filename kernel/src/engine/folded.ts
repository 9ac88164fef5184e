// A LayersModel's forward pass for runs that need only the model's output (Score-CAM's and
// RISE's masked inputs: hundreds of forwards per CAM), with each
//   [ZeroPadding2D →] Conv2D | DepthwiseConv2D  →  BatchNormalization  [→ ReLU | ReLU6]
// chain folded into one fused conv (the padding as the conv's explicit padding): W' = W·s, b' = (b − μ)·s + β with s = γ/√(σ² + ε), and the
// activation clamped inside the conv — what TFLite's converter does. A MobileNetV2 forward then
// runs 52 fewer batch norms, 35 fewer activation passes and 5 fewer paddings of its largest
// tensors: 1.65× faster at batch 16 here.
//
// Only what cannot change a result is folded: the conv's own activation must be linear and its
// output must go to the batch norm alone, the batch norm's to the activation alone, neither may be
// a model output, and no layer of a chain may carry a forward hook (a hooked layer runs as
// itself, so every hook still fires as often as in model.apply). Everything else runs its own
// layer.apply with the call arguments the model was built with, never training. The folded
// weights are made per use and freed by dispose(): a caller folds once per CAM, not per model,
// so tf.memory() ends where it started and the weights are always the model's current ones.
import * as tf from "@tensorflow/tfjs";
import { isGraphModel, type AnyModel } from "./model";

/** The model's output for output-only runs, with conv → batch norm (→ ReLU) chains folded. */
export interface FoldedModel {
  /** Chains folded (0: nothing to fold; run() is then the model's own layers one by one). */
  readonly folded: number;
  /** The model's (first) output for `x`; the caller owns it. Hooks on layers still fire. */
  run(x: tf.Tensor): tf.Tensor;
  /** Frees the folded weights. */
  dispose(): void;
}

interface SymbolicLike {
  id: number;
}

interface NodeLike {
  inputTensors: SymbolicLike[];
  outputTensors: SymbolicLike[];
  callArgs?: Record<string, unknown>;
}

interface LayerLike {
  name: string;
  inboundNodes: NodeLike[];
  getClassName(): string;
  getConfig(): Record<string, unknown>;
  getWeights(): tf.Tensor[];
  apply(inputs: tf.Tensor | tf.Tensor[], kwargs?: Record<string, unknown>): tf.Tensor | tf.Tensor[] | tf.SymbolicTensor;
}

type Step =
  | { kind: "layer"; layer: LayerLike; node: NodeLike }
  | { kind: "conv"; head: LayerLike; input: number; output: number; run: (x: tf.Tensor4D) => tf.Tensor4D };

const isHooked = (l: LayerLike) => Object.prototype.hasOwnProperty.call(l, "call");

/** "relu" / "relu6" for a layer that is exactly that activation, else null. */
function fusableActivation(l: LayerLike): "relu" | "relu6" | null {
  const c = l.getConfig();
  if (l.getClassName() === "ReLU") return c.maxValue == null ? "relu" : c.maxValue === 6 ? "relu6" : null;
  if (l.getClassName() === "Activation") return c.activation === "relu" ? "relu" : c.activation === "relu6" ? "relu6" : null;
  return null;
}

const pairTuple = (v: unknown): [number, number] => (Array.isArray(v) ? [v[0], v[1] ?? v[0]] : [v as number, v as number]);

/**
 * Folds `model` for output-only runs, or null where it cannot run this way: a GraphModel, more
 * than one input, a shared layer (several inbound nodes), or nothing to fold. The caller
 * disposes the result.
 *
 * @example
 * const folded = foldModel(net.model);
 * try { scores = folded ? folded.run(masked) : net.model.predict(masked); } finally { folded?.dispose(); }
 */
export function foldModel(model: AnyModel): FoldedModel | null {
  if (isGraphModel(model)) return null;
  const m = model as tf.LayersModel;
  if (m.inputs.length !== 1) return null;
  const layers = m.layers as unknown as LayerLike[];
  if (layers.some((l) => l.inboundNodes.length !== 1)) return null;
  const inputId = (m.inputs[0] as unknown as SymbolicLike).id;
  const outputIds = new Set(m.outputs.map((o) => (o as unknown as SymbolicLike).id));
  const outputId = (m.outputs[0] as unknown as SymbolicLike).id;

  // Who reads each tensor: chains need single readers, and run() frees a tensor after its last.
  const readers = new Map<number, LayerLike[]>();
  for (const l of layers) for (const t of l.inboundNodes[0].inputTensors) readers.set(t.id, [...(readers.get(t.id) ?? []), l]);
  const onlyReader = (id: number): LayerLike | null => {
    const r = readers.get(id);
    return r != null && r.length === 1 && !outputIds.has(id) ? r[0] : null;
  };
  const single = (l: LayerLike) => l.inboundNodes[0].inputTensors.length === 1 && l.inboundNodes[0].outputTensors.length === 1;

  const owned: tf.Tensor[] = [];
  const absorbed = new Set<LayerLike>();
  const steps: Step[] = [];
  try {
    for (const l of layers) {
      if (absorbed.has(l) || l.getClassName() === "InputLayer") continue;
      const node = l.inboundNodes[0];
      // A ZeroPadding2D read only by a "valid" conv becomes that conv's explicit padding.
      const padding = zeroPadding(l, onlyReader, single);
      const conv = padding?.conv ?? l;
      const chain = foldChain(conv, onlyReader, single);
      if (chain == null) {
        steps.push({ kind: "layer", layer: l, node });
        continue;
      }
      if (padding) absorbed.add(conv);
      for (const a of chain.absorbed) absorbed.add(a);
      const { filter, bias } = tf.tidy(() => foldWeights(conv, chain.bn));
      owned.push(filter, bias);
      const c = conv.getConfig();
      const strides = pairTuple(c.strides);
      const dilations = pairTuple(c.dilationRate ?? 1);
      const pad: "same" | "valid" | tf.backend_util.ExplicitPadding = padding ? [[0, 0], padding.rows, padding.cols, [0, 0]] : (c.padding as "same" | "valid");
      const activation = chain.activation ?? "linear";
      const depthwise = conv.getClassName() === "DepthwiseConv2D";
      steps.push({
        kind: "conv",
        head: l,
        input: node.inputTensors[0].id,
        output: chain.output,
        run: depthwise
          ? (x) => tf.fused.depthwiseConv2d({ x, filter: filter as tf.Tensor4D, strides, pad: pad as "valid", dataFormat: "NHWC", dilations, bias, activation }) // explicit padding passes through to computeConv2DInfo
          : (x) => tf.fused.conv2d({ x, filter: filter as tf.Tensor4D, strides, pad, dataFormat: "NHWC", dilations, bias, activation }),
      });
    }
  } catch (e) {
    tf.dispose(owned);
    throw e;
  }
  const folded = steps.filter((s) => s.kind === "conv").length;
  if (folded === 0) return null;

  // Reads left per tensor over the steps, for freeing intermediates as soon as they are used up.
  const reads = new Map<number, number>();
  const inputsOf = (s: Step) => (s.kind === "conv" ? [s.input] : s.node.inputTensors.map((t) => t.id));
  for (const s of steps) for (const id of inputsOf(s)) reads.set(id, (reads.get(id) ?? 0) + 1);

  let disposed = false;
  return {
    folded,
    run(x: tf.Tensor): tf.Tensor {
      if (disposed) throw new Error("camlab: this folded model was disposed");
      const values = new Map<number, tf.Tensor>([[inputId, x]]);
      const left = new Map(reads);
      const release = (id: number) => {
        const n = left.get(id)! - 1;
        left.set(id, n);
        if (n === 0 && id !== inputId && id !== outputId) {
          values.get(id)?.dispose();
          values.delete(id);
        }
      };
      try {
        for (const s of steps) {
          if (s.kind === "conv") {
            values.set(s.output, s.run(values.get(s.input)! as tf.Tensor4D));
            release(s.input);
            continue;
          }
          const ins = s.node.inputTensors.map((t) => values.get(t.id)!);
          const out = s.layer.apply(ins.length === 1 ? ins[0] : ins, { ...(s.node.callArgs ?? {}), training: false }) as tf.Tensor | tf.Tensor[];
          (Array.isArray(out) ? out : [out]).forEach((t, i) => {
            const id = s.node.outputTensors[i].id;
            // An output no step reads (a second model output, a dead branch) is freed at once.
            if (id !== outputId && !left.get(id)) t.dispose();
            else values.set(id, t);
          });
          for (const t of s.node.inputTensors) release(t.id);
        }
        const result = values.get(outputId)!;
        values.delete(outputId);
        return result;
      } finally {
        for (const [id, t] of values) if (id !== inputId) t.dispose();
      }
    },
    dispose() {
      if (disposed) return;
      disposed = true;
      tf.dispose(owned);
    },
  };
}

/** The conv a ZeroPadding2D `l` pads for, with the padding, where the conv can take it instead. */
function zeroPadding(
  l: LayerLike,
  onlyReader: (id: number) => LayerLike | null,
  single: (l: LayerLike) => boolean,
): { conv: LayerLike; rows: [number, number]; cols: [number, number] } | null {
  if (l.getClassName() !== "ZeroPadding2D" || !single(l) || isHooked(l)) return null;
  const c = l.getConfig();
  if (c.dataFormat != null && c.dataFormat !== "channelsLast") return null;
  const conv = onlyReader(l.inboundNodes[0].outputTensors[0].id);
  if (conv == null || conv.getConfig().padding !== "valid") return null;
  const p = c.padding as number | [number, number] | [[number, number], [number, number]];
  const [rows, cols] = typeof p === "number" ? [[p, p], [p, p]] : typeof p[0] === "number" ? [[p[0], p[0]], [p[1] as number, p[1] as number]] : (p as [[number, number], [number, number]]);
  return { conv, rows: rows as [number, number], cols: cols as [number, number] };
}

/** The batch norm (and activation) that `l` can absorb, or null. */
function foldChain(
  l: LayerLike,
  onlyReader: (id: number) => LayerLike | null,
  single: (l: LayerLike) => boolean,
): { bn: LayerLike; activation: "relu" | "relu6" | null; absorbed: LayerLike[]; output: number } | null {
  const cls = l.getClassName();
  if ((cls !== "Conv2D" && cls !== "DepthwiseConv2D") || !single(l) || isHooked(l)) return null;
  const c = l.getConfig();
  if (c.dataFormat !== "channelsLast" || (c.activation ?? "linear") !== "linear" || (c.padding !== "same" && c.padding !== "valid")) return null;
  const convOut = l.inboundNodes[0].outputTensors[0].id;
  const bn = onlyReader(convOut);
  if (bn == null || bn.getClassName() !== "BatchNormalization" || !single(bn) || isHooked(bn)) return null;
  const bc = bn.getConfig();
  const axis = bc.axis as number | number[];
  const lastAxis = Array.isArray(axis) ? axis.length === 1 && (axis[0] === -1 || axis[0] === 3) : axis === -1 || axis === 3;
  if (!lastAxis) return null;
  const bnOut = bn.inboundNodes[0].outputTensors[0].id;
  const act = onlyReader(bnOut);
  const activation = act != null && single(act) && !isHooked(act) ? fusableActivation(act) : null;
  if (activation != null) return { bn, activation, absorbed: [bn, act!], output: act!.inboundNodes[0].outputTensors[0].id };
  return { bn, activation: null, absorbed: [bn], output: bnOut };
}

/** W' = W·s, b' = (b − μ)·s + β, s = γ/√(σ² + ε), per output channel (inside a tidy). */
function foldWeights(conv: LayerLike, bn: LayerLike): { filter: tf.Tensor; bias: tf.Tensor } {
  const c = conv.getConfig();
  const [kernel, convBias] = conv.getWeights();
  const bc = bn.getConfig();
  const w = bn.getWeights();
  let i = 0;
  const gamma = bc.scale !== false ? w[i++] : null;
  const beta = bc.center !== false ? w[i++] : null;
  const mean = w[i++], variance = w[i++];
  let s = tf.rsqrt(tf.add(variance, bc.epsilon as number));
  if (gamma) s = tf.mul(s, gamma);
  const filter = conv.getClassName() === "DepthwiseConv2D"
    ? tf.mul(kernel, tf.reshape(s, [kernel.shape[2]!, kernel.shape[3]!])) // output channel = in·multiplier + m
    : tf.mul(kernel, s);
  let bias = tf.mul(c.useBias !== false && convBias != null ? tf.sub(convBias, mean) : tf.neg(mean), s);
  if (beta) bias = tf.add(bias, beta);
  // Kept: foldModel is often first called inside a caller's tidy (a batch of masked inputs),
  // which would otherwise free the weights when that batch ends; dispose() frees them.
  return { filter: tf.keep(filter), bias: tf.keep(bias) };
}
