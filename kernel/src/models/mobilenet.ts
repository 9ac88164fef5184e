// The real pretrained MobileNetV2 that ships inside the `nsfwjs` npm package (MIT): a Keras
// LayersModel (standard layer names: Conv_1, out_relu, block_16_project, …) plus a converted
// GraphModel of the same family. Both load offline from the package's bundled JS files.
// Its classifier head has 5 classes; camlab's notebooks work with the neutral ones
// (Drawing vs Neutral photo).
import * as path from "path";
import * as tf from "@tensorflow/tfjs";
import { ensureBackend } from "../engine/backend";
import { declareInputRange } from "../engine/inputContract";

/** What the input check says when a MobileNetV2 is given values outside 0–1. */
const PREPROCESS_FIX = "use net.preprocess(img), which divides 0–255 pixels by 255 and resizes to 224×224";

/** The 5 classes of nsfwjs's MobileNetV2 head. */
export const MOBILENET_V2_LABELS: readonly string[] = ["Drawing", "Hentai", "Neutral", "Porn", "Sexy"];
/** Side in pixels of the images the MobileNetV2 takes. */
export const MOBILENET_V2_INPUT_SIZE = 224;

/** A loaded pretrained model with its labels, input size and preprocessing. */
export interface PretrainedModel<M extends tf.LayersModel | tf.GraphModel> {
  model: M;
  labels: readonly string[];
  /** [height, width] the model expects. */
  inputSize: [number, number];
  /** What the model outputs: logits (default for the LayersModel) or softmax probabilities. */
  output: "logits" | "probabilities";
  /** Image [h, w, 3] or batch [b, h, w, 3] with values 0–255 → model input (÷255, bilinear resize). */
  preprocess(image: tf.Tensor3D | tf.Tensor4D): tf.Tensor4D;
}

interface ModelJson {
  modelTopology: { model_config?: { config: { layers: { class_name: string; config: { name: string; activation?: string } }[] } } } & Record<string, unknown>;
  weightsManifest: { paths: string[]; weights: tf.io.WeightsManifestEntry[] }[];
  format?: string;
  generatedBy?: string;
  convertedBy?: string;
}

function bundledModelDir(name: string): string {
  // nsfwjs's package "exports" hides dist/models; resolve its entry point and walk to them.
  return path.join(path.dirname(require.resolve("nsfwjs")), "..", "models", name);
}

function loadArtifacts(name: string): tf.io.ModelArtifacts & { json: ModelJson } {
  const dir = bundledModelDir(name);
  const modJson = require(path.join(dir, "model.min.js")) as { default?: ModelJson } & ModelJson;
  const json = (modJson.default ?? modJson) as ModelJson;
  const parts: Uint8Array[] = [];
  const specs: tf.io.WeightsManifestEntry[] = [];
  for (const group of json.weightsManifest) {
    for (const p of group.paths) {
      const mod = require(path.join(dir, `${p}.min.js`)) as { default?: string };
      const b64 = typeof mod === "string" ? mod : mod.default;
      if (typeof b64 !== "string") throw new Error(`camlab: weight bundle ${p} of nsfwjs ${name} is not a base64 string`);
      parts.push(new Uint8Array(Buffer.from(b64, "base64")));
    }
    specs.push(...group.weights);
  }
  const total = parts.reduce((s, p) => s + p.byteLength, 0);
  const weightData = new Uint8Array(total);
  let offset = 0;
  for (const p of parts) {
    weightData.set(p, offset);
    offset += p.byteLength;
  }
  return { json, modelTopology: json.modelTopology, weightSpecs: specs, weightData: weightData.buffer, format: json.format, generatedBy: json.generatedBy, convertedBy: json.convertedBy };
}

function preprocessFor(size: number): (image: tf.Tensor3D | tf.Tensor4D) => tf.Tensor4D {
  return (image) => {
    if (!(image instanceof tf.Tensor) || (image.rank !== 3 && image.rank !== 4) || image.shape[image.rank - 1] !== 3) {
      throw new Error(`camlab: preprocess expects an RGB image [h, w, 3] or batch [b, h, w, 3] with values 0–255, got ${image instanceof tf.Tensor ? `shape [${image.shape.join(", ")}]` : typeof image}`);
    }
    return tf.tidy(() => {
      const batch = (image.rank === 3 ? tf.expandDims(image, 0) : image) as tf.Tensor4D;
      const scaled = tf.div(tf.cast(batch, "float32"), 255) as tf.Tensor4D;
      // nsfwjs resizes with aligned corners; keep its preprocessing so the weights see what they were trained on.
      return batch.shape[1] === size && batch.shape[2] === size ? scaled : tf.image.resizeBilinear(scaled, [size, size], true);
    });
  };
}

/** Options of `loadMobileNetV2()`. */
export interface LoadMobileNetV2Options {
  /** "logits" (default) removes the head's softmax so CAMs explain logits, as PyTorch CAMs do. */
  output?: "logits" | "probabilities";
}

/** Loads the pretrained MobileNetV2 LayersModel offline (~0.3 s). Dispose with model.dispose(). */
export async function loadMobileNetV2(options: LoadMobileNetV2Options = {}): Promise<PretrainedModel<tf.LayersModel>> {
  const output = options.output ?? "logits";
  if (output !== "logits" && output !== "probabilities") throw new Error(`camlab.loadMobileNetV2: output must be "logits" or "probabilities", got ${JSON.stringify(output)}`);
  await ensureBackend();
  const a = loadArtifacts("mobilenet_v2");
  const topology = JSON.parse(JSON.stringify(a.modelTopology)) as ModelJson["modelTopology"];
  if (output === "logits") {
    const layers = topology.model_config!.config.layers;
    const head = layers[layers.length - 1];
    if (head.config.activation !== "softmax") throw new Error(`camlab: expected nsfwjs MobileNetV2's head to end in softmax, found ${head.config.activation}`);
    head.config.activation = "linear";
  }
  const model = await tf.loadLayersModel(tf.io.fromMemory({ modelTopology: topology, weightSpecs: a.weightSpecs, weightData: a.weightData }));
  // Trained on pixels ÷ 255 (nsfwjs's preprocessing): the input check refuses raw 0–255 images.
  declareInputRange(model, [0, 1], PREPROCESS_FIX);
  return { model, labels: MOBILENET_V2_LABELS, inputSize: [MOBILENET_V2_INPUT_SIZE, MOBILENET_V2_INPUT_SIZE], output, preprocess: preprocessFor(MOBILENET_V2_INPUT_SIZE) };
}

/**
 * Loads nsfwjs's MobileNetV2 GraphModel ("mobilenet_v2_mid", a TF-Hub MobileNetV2 with a
 * 5-class head, softmax probabilities) offline. Node names come from the converted graph.
 */
export async function loadMobileNetV2Graph(): Promise<PretrainedModel<tf.GraphModel>> {
  await ensureBackend();
  const a = loadArtifacts("mobilenet_v2_mid");
  const model = await tf.loadGraphModel(tf.io.fromMemory({ modelTopology: a.modelTopology, weightSpecs: a.weightSpecs, weightData: a.weightData, format: a.format, generatedBy: a.generatedBy, convertedBy: a.convertedBy }));
  declareInputRange(model, [0, 1], PREPROCESS_FIX);
  return { model, labels: MOBILENET_V2_LABELS, inputSize: [MOBILENET_V2_INPUT_SIZE, MOBILENET_V2_INPUT_SIZE], output: "probabilities", preprocess: preprocessFor(MOBILENET_V2_INPUT_SIZE) };
}
