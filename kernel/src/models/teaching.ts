// Small teaching models: a tiny MNIST CNN and a shapes classifier, with a plain trainer. Both end
// in logits (no softmax) so CAMs explain class scores; the loss applies the softmax.
import * as tf from "@tensorflow/tfjs";
import { ensureBackend } from "../engine/backend";
import { currentSignal, reportProgress, throwIfCancelled } from "../engine/work";

const init = (seed: number) => tf.initializers.heNormal({ seed });

/** 28×28×1 → conv(8) → pool → conv(16) "conv2" → pool → flatten → dense(10) logits. */
export function buildMnistCnn(options: { seed?: number } = {}): tf.Sequential {
  const s = options.seed ?? 1;
  return tf.sequential({
    name: "mnist_cnn",
    layers: [
      tf.layers.conv2d({ inputShape: [28, 28, 1], filters: 8, kernelSize: 3, activation: "relu", padding: "same", kernelInitializer: init(s), name: "conv1" }),
      tf.layers.maxPooling2d({ poolSize: 2, name: "pool1" }),
      tf.layers.conv2d({ filters: 16, kernelSize: 3, activation: "relu", padding: "same", kernelInitializer: init(s + 1), name: "conv2" }),
      tf.layers.maxPooling2d({ poolSize: 2, name: "pool2" }),
      tf.layers.flatten({ name: "flatten" }),
      tf.layers.dense({ units: 10, kernelInitializer: tf.initializers.glorotUniform({ seed: s + 2 }), name: "logits" }),
    ],
  });
}

/** size×size×3 → conv(16) → pool → conv(32) → pool → conv(32) "last_conv" → GAP → dense logits. */
export function buildShapesClassifier(options: { size?: number; classes?: number; seed?: number } = {}): tf.Sequential {
  const size = options.size ?? 32, classes = options.classes ?? 3, s = options.seed ?? 1;
  return tf.sequential({
    name: "shapes_cnn",
    layers: [
      tf.layers.conv2d({ inputShape: [size, size, 3], filters: 16, kernelSize: 3, activation: "relu", padding: "same", kernelInitializer: init(s), name: "conv1" }),
      tf.layers.maxPooling2d({ poolSize: 2, name: "pool1" }),
      tf.layers.conv2d({ filters: 32, kernelSize: 3, activation: "relu", padding: "same", kernelInitializer: init(s + 1), name: "conv2" }),
      tf.layers.maxPooling2d({ poolSize: 2, name: "pool2" }),
      tf.layers.conv2d({ filters: 32, kernelSize: 3, activation: "relu", padding: "same", kernelInitializer: init(s + 2), name: "last_conv" }),
      // Global average pooling (the CAM architecture): Grad-CAM is then exactly each position's
      // contribution to the logit. It trains slower than max pooling (an average dilutes one
      // small object over 64 positions): use learningRate 0.01 and ~16 epochs.
      tf.layers.globalAveragePooling2d({ name: "gap" }),
      tf.layers.dense({ units: classes, kernelInitializer: tf.initializers.glorotUniform({ seed: s + 3 }), name: "logits" }),
    ],
  });
}

/** Options of `trainClassifier`. */
export interface TrainOptions {
  epochs?: number;
  batchSize?: number;
  learningRate?: number;
  /** Called after each epoch with its mean loss and accuracy. */
  onEpochEnd?: (epoch: number, loss: number, accuracy: number) => void;
}

/** Mean loss and accuracy per epoch. */
export interface TrainHistory {
  loss: number[];
  accuracy: number[];
}

/**
 * Trains a logits classifier with Adam and softmax cross-entropy (no shuffling: deterministic).
 * Reports progress per batch ("trainClassifier: batches") and stops at the end of the batch
 * running when the work scope is cancelled (an interrupt), throwing `Cancelled`; the weights then
 * hold the batches trained so far.
 */
export async function trainClassifier(model: tf.LayersModel, images: tf.Tensor4D, labels: tf.Tensor1D, options: TrainOptions = {}): Promise<TrainHistory> {
  await ensureBackend();
  const classes = model.outputs[0].shape[1];
  if (typeof classes !== "number") throw new Error("camlab.trainClassifier: the model must output [batch, classes]");
  if (images.shape[0] !== labels.shape[0]) throw new Error(`camlab.trainClassifier: ${images.shape[0]} images but ${labels.shape[0]} labels`);
  model.compile({
    optimizer: tf.train.adam(options.learningRate ?? 0.003),
    loss: (yTrue: tf.Tensor, yPred: tf.Tensor) => tf.losses.softmaxCrossEntropy(yTrue, yPred),
    metrics: ["categoricalAccuracy"],
  });
  const oneHot = tf.tidy(() => tf.oneHot(tf.cast(labels, "int32") as tf.Tensor1D, classes));
  const epochs = options.epochs ?? 5, batchSize = options.batchSize ?? 32;
  const total = epochs * Math.ceil(images.shape[0] / batchSize);
  const label = "trainClassifier: batches";
  let done = 0;
  try {
    throwIfCancelled(label);
    const h = await model.fit(images, oneHot, {
      epochs,
      batchSize,
      shuffle: false,
      verbose: 0,
      // Yield to the event loop after every batch: on webgpu (Dawn) finished GPU work is only
      // released between tasks, and a fit() that never yields exhausts the driver's memory maps.
      yieldEvery: "batch",
      callbacks: {
        onBatchEnd: () => {
          reportProgress(label, ++done, total);
          // tfjs's own way to stop fit() cleanly: it finishes the batch and frees its tensors.
          if (currentSignal()?.aborted) model.stopTraining = true;
        },
        ...(options.onEpochEnd ? { onEpochEnd: (e: number, logs?: tf.Logs) => options.onEpochEnd!(e, logs?.loss ?? NaN, logs?.categoricalAccuracy ?? NaN) } : {}),
      },
    });
    throwIfCancelled(`${label} (${done} of ${total} done)`);
    return { loss: h.history.loss as number[], accuracy: h.history.categoricalAccuracy as number[] };
  } finally {
    oneHot.dispose();
  }
}

/** Fraction of images whose top-1 class equals the label. */
export async function accuracy(model: tf.LayersModel, images: tf.Tensor4D, labels: tf.Tensor1D): Promise<number> {
  const hits = tf.tidy(() => tf.sum(tf.cast(tf.equal(tf.argMax(model.predict(images, { batchSize: 256 }) as tf.Tensor, -1), tf.cast(labels, "int32")), "float32")));
  const v = (await hits.data())[0];
  hits.dispose();
  return v / images.shape[0];
}
