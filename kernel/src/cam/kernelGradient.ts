// d(Σ layer output)/d(the layer's own kernel), per image — what the lightweight CAM weighs
// channels with. The layer's input is captured by a forward hook on one forward pass; the
// gradient is then taken with respect to the kernel variable, on the backend.
import * as tf from "@tensorflow/tfjs";
import { isGraphNode, type AnyModel, type HookTarget, type Layer } from "../engine/model";
import { withTapeCleanup } from "../engine/tape";
import { registerForwardHook } from "../hooks/register";
import { runModel } from "../hooks/run";

type WithKernels = tf.layers.Layer & { kernel?: { read(): tf.Variable }; depthwiseKernel?: { read(): tf.Variable }; pointwiseKernel?: { read(): tf.Variable } };

/** The kernel variable whose last axes give the layer's output channels, and how to fold it to [rows, channels]. */
function outputKernel(layer: WithKernels): { variable: tf.Variable; fold: (g: tf.Tensor) => tf.Tensor2D } | null {
  const cls = layer.getClassName();
  if (cls === "DepthwiseConv2D" && layer.depthwiseKernel) {
    // [kh, kw, cin, multiplier] → output channel c·multiplier + m: rows = kh·kw.
    return { variable: layer.depthwiseKernel.read(), fold: (g) => tf.reshape(g, [g.shape[0]! * g.shape[1]!, -1]) as tf.Tensor2D };
  }
  if (cls === "SeparableConv2D" && layer.pointwiseKernel) return { variable: layer.pointwiseKernel.read(), fold: (g) => tf.reshape(g, [-1, g.shape[g.rank - 1]]) as tf.Tensor2D };
  if (cls === "Conv2DTranspose" && layer.kernel) return { variable: layer.kernel.read(), fold: (g) => tf.reshape(tf.transpose(g, [0, 1, 3, 2]), [-1, g.shape[2]!]) as tf.Tensor2D };
  if (layer.kernel) return { variable: layer.kernel.read(), fold: (g) => tf.reshape(g, [-1, g.shape[g.rank - 1]]) as tf.Tensor2D };
  return null;
}

/** Layers that keep the channels one-to-one: between a kernel and the hooked layer, they carry its output. */
const CHANNELWISE = new Set(["BatchNormalization", "ReLU", "Activation", "LeakyReLU", "ELU", "ThresholdedReLU", "Softmax", "Dropout"]);

/**
 * The layers from the kernel layer to `layer`: [layer] when it has a kernel itself, else the
 * nearest kernel layer behind at most 3 single-input channel-wise layers (MobileNetV2's out_relu
 * ← Conv_1_bn ← Conv_1), so the layer's summed output is differentiated w.r.t. that kernel.
 */
function kernelChain(layer: WithKernels): WithKernels[] | null {
  const chain: WithKernels[] = [layer];
  let current = layer;
  for (let step = 0; step <= 3; step++) {
    if (outputKernel(current) != null) return chain;
    if (!CHANNELWISE.has(current.getClassName())) return null;
    const nodes = (current as unknown as { inboundNodes: { inboundLayers: WithKernels[] }[] }).inboundNodes;
    if (nodes?.length !== 1 || nodes[0].inboundLayers.length !== 1) return null;
    current = nodes[0].inboundLayers[0];
    chain.unshift(current);
  }
  return null;
}

/**
 * For each image of `x`, d(Σ of the layer's output)/d(its kernel) folded to [rows, channels]
 * (rows: the kernel's other axes), stacked [batch, rows, channels]; for a normalisation or
 * activation layer, the kernel of the convolution right before it. Throws, naming the layer, when
 * there is none (a pooling layer, an Add, a GraphModel node).
 */
export function layerKernelGradient(model: AnyModel, layer: HookTarget, name: string, x: tf.Tensor | tf.Tensor[]): tf.Tensor3D {
  if (isGraphNode(layer)) throw new Error(`camlab.cam: lightcam needs a layer with a kernel variable; "${name}" is a GraphModel node (its weights are constants); use a LayersModel or another method`);
  const chain = kernelChain(layer as WithKernels);
  if (chain == null) throw new Error(`camlab.cam: lightcam weighs channels by the gradient of the layer's output with respect to its own kernel, but layer "${name}" (${(layer as Layer).getClassName()}) has no kernel, nor a convolution right before it behind only normalisation/activation layers; pick the convolution or dense layer that produces this map`);
  const l = chain[0];
  const k = outputKernel(l)!;
  let input: tf.Tensor | null = null;
  const handle = registerForwardHook(l, (_l, inputs) => {
    const t = Array.isArray(inputs) ? inputs[0] : inputs;
    input?.dispose();
    input = tf.keep(t.clone());
  });
  try {
    tf.tidy(() => void runModel(model, x));
  } finally {
    handle.remove();
  }
  const captured = input as tf.Tensor | null;
  if (captured == null) throw new Error(`camlab.cam: layer "${name}" did not run for this input`);
  const { variable, fold } = k;
  const trainable = variable.trainable;
  try {
    variable.trainable = true;
    return tf.tidy(() => {
      const rows: tf.Tensor2D[] = [];
      for (let i = 0; i < captured.shape[0]; i++) {
        const xi = tf.slice(captured, [i], [1]);
        // Σ of the hooked layer's output, through the normalisation/activation layers after the kernel.
        const { value, grads } = withTapeCleanup(() => tf.variableGrads(() => tf.sum(chain.reduce((t, c) => c.apply(t) as tf.Tensor, xi as tf.Tensor)) as tf.Scalar, [variable]));
        value.dispose();
        rows.push(fold(grads[variable.name]));
      }
      return tf.stack(rows) as tf.Tensor3D;
    });
  } finally {
    variable.trainable = trainable;
    captured.dispose();
  }
}
