// One model replica (engine/replicas.ts): a worker thread with its own tfjs on the stock
// single-threaded wasm build and camlab's wasm kernels, holding a copy of one LayersModel
// (topology JSON + weights), folded as the main thread folds it (engine/folded.ts). It answers
// "run" with the model's first output for a batch of inputs. Nothing here reads the main
// thread's tensors: inputs and outputs travel as transferred Float32Arrays.
import { parentPort } from "node:worker_threads";
import * as tf from "@tensorflow/tfjs";
import { registerWasmKernels } from "./wasmKernels";
import { foldModel, type FoldedModel } from "./folded";

/** A message from the main thread. */
export type ReplicaRequest =
  | { type: "load"; topology: object; weights: { shape: number[]; dtype: tf.DataType; values: ArrayBuffer }[] }
  | { type: "run"; id: number; shape: number[]; values: Float32Array };

/** A reply to the main thread. */
export type ReplicaReply =
  | { type: "ready" }
  | { type: "output"; id: number; shape: number[]; values: Float32Array }
  | { type: "error"; id: number | null; message: string };

let model: tf.LayersModel | null = null;
let folded: FoldedModel | null = null;

async function load(req: Extract<ReplicaRequest, { type: "load" }>): Promise<void> {
  require("@tensorflow/tfjs-backend-wasm");
  registerWasmKernels();
  tf.env().set("IS_TEST", true); // no "install tfjs-node" banner from each worker
  if (!(await tf.setBackend("wasm"))) throw new Error("the wasm backend did not start in the worker");
  model = await tf.models.modelFromJSON(req.topology as tf.io.ModelJSON["modelTopology"] as never);
  const weights = req.weights.map((w) => tf.tensor(new Float32Array(w.values), w.shape, w.dtype));
  model.setWeights(weights);
  tf.dispose(weights);
  folded = foldModel(model);
}

async function run(req: Extract<ReplicaRequest, { type: "run" }>): Promise<ReplicaReply> {
  const out = tf.tidy(() => {
    const x = tf.tensor(req.values, req.shape, "float32");
    if (folded) return folded.run(x);
    const y = model!.apply(x, { training: false }) as tf.Tensor | tf.Tensor[];
    return Array.isArray(y) ? y[0] : y;
  });
  try {
    return { type: "output", id: req.id, shape: out.shape, values: (await out.data()) as Float32Array };
  } finally {
    out.dispose();
  }
}

parentPort?.on("message", (req: ReplicaRequest) => {
  if (req.type === "load") {
    load(req).then(
      () => parentPort!.postMessage({ type: "ready" } satisfies ReplicaReply),
      (e) => parentPort!.postMessage({ type: "error", id: null, message: String((e as Error)?.message ?? e) } satisfies ReplicaReply),
    );
    return;
  }
  run(req).then(
    (reply) => parentPort!.postMessage(reply, reply.type === "output" ? [reply.values.buffer as ArrayBuffer] : []),
    (e) => parentPort!.postMessage({ type: "error", id: req.id, message: String((e as Error)?.message ?? e) } satisfies ReplicaReply),
  );
});
