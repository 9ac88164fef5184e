// The fused-conv trap (BACKENDS.md): `tf.fused.conv2d` / `tf.fused.depthwiseConv2d` with a
// linear activation stay fused while gradients are recorded, and the fused gradient ALWAYS
// computes the filter gradient too — 46 of 50 s on cpu, and a "kernel not registered" failure on
// wasm before its backprop kernels existed. While a gradient tape is recording we run the same
// maths unfused (conv + bias + activation), whose per-input gradients are lazy, so asking for
// dL/dx no longer pays for dL/dW. Outside recording the fused kernels keep their speed.
import * as tf from "@tensorflow/tfjs";

type FusedConvArgs = Parameters<typeof tf.fused.conv2d>[0];
type FusedDepthwiseArgs = Parameters<typeof tf.fused.depthwiseConv2d>[0];

let installed = false;

function recording(): boolean {
  return (tf.engine().state as unknown as { gradientDepth: number }).gradientDepth > 0;
}

function activate(y: tf.Tensor4D, args: FusedConvArgs | FusedDepthwiseArgs): tf.Tensor4D {
  const a = args.activation ?? "linear";
  switch (a) {
    case "linear":
      return y;
    case "relu":
      return tf.relu(y);
    case "relu6":
      return tf.relu6(y);
    case "elu":
      return tf.elu(y);
    case "sigmoid":
      return tf.sigmoid(y);
    case "leakyrelu":
      return tf.leakyRelu(y, args.leakyreluAlpha ?? 0.2);
    case "prelu":
      return tf.prelu(y, args.preluActivationWeights as tf.Tensor) as tf.Tensor4D;
    default:
      throw new Error(`camlab: unfused conv does not know activation "${String(a)}"`);
  }
}

/** Installs the unfused-while-recording path once per process; idempotent. */
export function installUnfusedConvWhileRecording(): void {
  if (installed) return;
  installed = true;
  const fused = tf.fused as { conv2d: typeof tf.fused.conv2d; depthwiseConv2d: typeof tf.fused.depthwiseConv2d };
  const fusedConv2d = fused.conv2d;
  const fusedDepthwise = fused.depthwiseConv2d;
  fused.conv2d = ((args: FusedConvArgs) => {
    if (!recording() || (args.dataFormat ?? "NHWC") !== "NHWC") return fusedConv2d(args);
    let y = tf.conv2d(args.x as tf.Tensor4D, args.filter as tf.Tensor4D, args.strides, args.pad,
      "NHWC", args.dilations, args.dimRoundingMode);
    if (args.bias != null) y = tf.add(y, args.bias as tf.Tensor) as tf.Tensor4D;
    return activate(y, args);
  }) as typeof tf.fused.conv2d;
  fused.depthwiseConv2d = ((args: FusedDepthwiseArgs) => {
    if (!recording() || (args.dataFormat ?? "NHWC") !== "NHWC") return fusedDepthwise(args);
    let y = tf.depthwiseConv2d(args.x as tf.Tensor4D, args.filter as tf.Tensor4D, args.strides,
      args.pad, "NHWC", args.dilations, args.dimRoundingMode);
    if (args.bias != null) y = tf.add(y, args.bias as tf.Tensor) as tf.Tensor4D;
    return activate(y, args);
  }) as typeof tf.fused.depthwiseConv2d;
}
