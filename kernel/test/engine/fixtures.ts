// Small seeded models and independent reference computations shared by the engine tests.
import * as assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";

export const seeded = (seed: number) => tf.initializers.glorotUniform({ seed });
const biasInit = (seed: number) => tf.initializers.randomUniform({ minval: -0.1, maxval: 0.1, seed });

/** Sequential CNN: conv(relu) → conv(linear: the fused-conv trap) → relu → conv → GAP → dense. */
export function smallSequential(classes = 4, size = 12): tf.Sequential {
  return tf.sequential({
    name: "small_seq",
    layers: [
      tf.layers.conv2d({ inputShape: [size, size, 3], filters: 6, kernelSize: 3, padding: "same", activation: "relu", kernelInitializer: seeded(1), biasInitializer: biasInit(11), name: "conv1" }),
      tf.layers.conv2d({ filters: 8, kernelSize: 3, strides: 2, padding: "same", kernelInitializer: seeded(2), biasInitializer: biasInit(12), name: "conv2" }),
      tf.layers.reLU({ name: "relu2" }),
      tf.layers.conv2d({ filters: 8, kernelSize: 3, padding: "valid", activation: "relu", kernelInitializer: seeded(3), biasInitializer: biasInit(13), name: "conv3" }),
      tf.layers.globalAveragePooling2d({ name: "gap" }),
      tf.layers.dense({ units: classes, kernelInitializer: seeded(4), biasInitializer: biasInit(14), name: "logits" }),
    ],
  });
}

/** Functional model with a skip connection (Add) and a depthwise conv. */
export function smallResidual(classes = 3, size = 10): tf.LayersModel {
  const input = tf.input({ shape: [size, size, 3], name: "image" });
  const stem = tf.layers.conv2d({ filters: 6, kernelSize: 3, padding: "same", activation: "relu", kernelInitializer: seeded(21), biasInitializer: biasInit(31), name: "stem" }).apply(input) as tf.SymbolicTensor;
  const dw = tf.layers.depthwiseConv2d({ kernelSize: 3, padding: "same", depthwiseInitializer: seeded(22), biasInitializer: biasInit(32), name: "dw" }).apply(stem) as tf.SymbolicTensor;
  const proj = tf.layers.conv2d({ filters: 6, kernelSize: 1, kernelInitializer: seeded(23), biasInitializer: biasInit(33), name: "proj" }).apply(dw) as tf.SymbolicTensor;
  const add = tf.layers.add({ name: "skip_add" }).apply([stem, proj]) as tf.SymbolicTensor;
  const act = tf.layers.activation({ activation: "relu", name: "block_out" }).apply(add) as tf.SymbolicTensor;
  const gap = tf.layers.globalAveragePooling2d({ name: "gap" }).apply(act) as tf.SymbolicTensor;
  const out = tf.layers.dense({ units: classes, kernelInitializer: seeded(24), biasInitializer: biasInit(34), name: "logits" }).apply(gap) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: out, name: "small_residual" });
}

/** A model that uses another model as a layer ("backbone"). */
export function smallNested(classes = 3, size = 10): tf.LayersModel {
  const bIn = tf.input({ shape: [size, size, 3] });
  const b1 = tf.layers.conv2d({ filters: 5, kernelSize: 3, padding: "same", activation: "relu", kernelInitializer: seeded(41), name: "b_conv1" }).apply(bIn) as tf.SymbolicTensor;
  const b2 = tf.layers.conv2d({ filters: 7, kernelSize: 3, padding: "same", activation: "relu", kernelInitializer: seeded(42), name: "b_conv2" }).apply(b1) as tf.SymbolicTensor;
  const backbone = tf.model({ inputs: bIn, outputs: b2, name: "backbone" });
  const input = tf.input({ shape: [size, size, 3], name: "image" });
  const feats = backbone.apply(input) as tf.SymbolicTensor;
  const gap = tf.layers.globalAveragePooling2d({ name: "gap" }).apply(feats) as tf.SymbolicTensor;
  const out = tf.layers.dense({ units: classes, kernelInitializer: seeded(43), name: "logits" }).apply(gap) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: out, name: "small_nested" });
}

export function randomImages(batch: number, size: number, seed = 7): tf.Tensor4D {
  return tf.randomUniform([batch, size, size, 3], 0, 1, "float32", seed) as tf.Tensor4D;
}

/** Max |a − b| over max(1, |b|max): relative to the reference's scale. */
export function relErr(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`length ${a.length} vs ${b.length}`);
  let scale = 1e-12;
  for (let i = 0; i < b.length; i++) scale = Math.max(scale, Math.abs(b[i]));
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m / scale;
}

/**
 * Splits a Sequential model at `layerName`: head = layers up to and including it (as a model
 * sharing the weights), tail = the remaining layers applied to a fresh input. Both run the very
 * same layer objects, so they compute exactly what the full model computes.
 */
export function splitSequential(model: tf.Sequential, layerName: string): { head: tf.LayersModel; tail: (a: tf.Tensor) => tf.Tensor } {
  const idx = model.layers.findIndex((l) => l.name === layerName);
  if (idx < 0) throw new Error(`no layer ${layerName}`);
  const head = tf.model({ inputs: model.inputs, outputs: model.layers[idx].output as tf.SymbolicTensor });
  const rest = model.layers.slice(idx + 1);
  const tail = (a: tf.Tensor) => rest.reduce((t, l) => l.apply(t) as tf.Tensor, a);
  return { head, tail };
}

/** Picks class `c[i]` of row i: Σ out ⊙ onehot. */
export function pick(out: tf.Tensor, classes: number[]): tf.Tensor1D {
  return tf.sum(tf.mul(out, tf.oneHot(tf.tensor1d(classes, "int32"), out.shape[1] as number)), -1) as tf.Tensor1D;
}

export async function arr4(t: tf.Tensor): Promise<number[][][][]> {
  return (await t.array()) as number[][][][];
}

/** A layer whose backward pass turns every gradient into NaN (a stand-in for log(0) in a model). */
export class PoisonGradient extends tf.layers.Layer {
  static className = "PoisonGradient";
  call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    const x = Array.isArray(inputs) ? inputs[0] : inputs;
    const f = tf.customGrad(((v: tf.Tensor) => ({ value: tf.clone(v), gradFunc: (dy: tf.Tensor) => [tf.mul(dy, NaN)] })) as unknown as Parameters<typeof tf.customGrad>[0]);
    return f(x) as tf.Tensor;
  }
}

/** Counts the model's runs (each `apply`): a refused input makes none; a cancelled Score-CAM stops within one. */
export function countRuns(model: tf.LayersModel): { runs: number; restore(): void } {
  const original = model.apply.bind(model);
  const counter = { runs: 0, restore: () => void (model.apply = original) };
  model.apply = ((...a: Parameters<tf.LayersModel["apply"]>) => {
    counter.runs++;
    return original(...a);
  }) as tf.LayersModel["apply"];
  return counter;
}

/** Asserts that `run` rejects with `pattern` without running a single kernel or leaving a tensor. */
export async function rejectsBeforeKernels(run: () => Promise<unknown>, pattern: RegExp): Promise<void> {
  const n0 = tf.memory().numTensors;
  let error: unknown = null;
  const info = await tf.profile(async () => {
    try {
      await run();
    } catch (e) {
      error = e;
    }
  });
  assert.ok(error instanceof Error, `expected an error matching ${pattern}`);
  assert.match((error as Error).message, pattern);
  assert.deepEqual(info.kernelNames, [], `no kernel ran before the error (${info.kernelNames.join(", ")})`);
  assert.equal(tf.memory().numTensors, n0);
}
