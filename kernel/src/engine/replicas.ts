// Every core for batchy output-only work: Score-CAM's masked inputs run on the main thread AND on
// copies of the model in worker threads (replicaWorker.ts), one per further core. tfjs-wasm's own
// threads do not pay off at these op sizes (wasmThreads.ts), but whole batches do: each replica
// runs a batch alone on its core, with nothing shared but the input and the output.
//
// When: on the wasm backend, with CAMLAB_WORKERS (default: the cores the main thread's wasm
// leaves free — cores − 1, or cores − CAMLAB_THREADS — at most 7; 0 turns it off), for a LayersModel whose topology rebuilds from JSON (no custom layer classes) and
// that has no hooked layer (a replica would not run the hook), and only
// for work large enough to repay a replica's start (about a second, overlapped with the main
// thread's own batches): at least 3 batches of at least 2²⁰ input values each. Otherwise every
// batch runs on the main thread, as before.
//
// Results are those of the main thread: the same weights, kernels and folding; batches are
// delivered in order; a replica's failure sends its batch back to the main thread. Between
// batches the caller's callback runs (a checkpoint: progress, Interrupt); when it throws, work
// still in flight is dropped as it arrives. Replicas are kept per model while its weights are
// the same tensors (a Variable.assign or setWeights makes new ones and new replicas), ended after
// five minutes unused, and never keep the process alive.
import * as tf from "@tensorflow/tfjs";
import { Worker } from "node:worker_threads";
import * as path from "node:path";
import { isGraphModel, patchedLayerPaths, type AnyModel } from "./model";
import { coreCount, wasmThreadState } from "./wasmThreads";
import { throwIfCancelled } from "./work";
import type { ReplicaReply, ReplicaRequest } from "./replicaWorker";

/** Batches below this many input values run on the main thread (a 224×224×3 image is 150528). */
export const REPLICA_MIN_BATCH_VALUES = 1 << 20;
/** Fewer batches than this run on the main thread. */
export const REPLICA_MIN_BATCHES = 3;
const IDLE_MS = 5 * 60_000; // a notebook's next Score-CAM usually comes within minutes; a replica starts in ~1–2 s

/**
 * Worker threads wanted: CAMLAB_WORKERS=N (0 = none), or "auto"/unset = the cores the main
 * thread's wasm does not use (cores − CAMLAB_THREADS), at most 7.
 */
export function replicaCount(): number {
  const raw = process.env.CAMLAB_WORKERS?.trim();
  if (raw == null || raw === "" || raw === "auto") return Math.max(0, Math.min(7, coreCount() - (wasmThreadState()?.threads ?? 1)));
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0) throw new Error(`camlab: CAMLAB_WORKERS must be a whole number of worker threads (0 = none) or "auto", got "${raw}"`);
  return Math.min(n, 31);
}

class Replica {
  busy = false;
  dead = false;
  private next = 1;
  private pending = new Map<number, { resolve: (r: { shape: number[]; values: Float32Array }) => void; reject: (e: Error) => void }>();
  readonly ready: Promise<void>;

  constructor(private readonly worker: Worker, load: Extract<ReplicaRequest, { type: "load" }>) {
    worker.unref();
    this.ready = new Promise((resolve, reject) => {
      const onReply = (m: ReplicaReply) => {
        if (m.type === "ready") return resolve();
        if (m.type === "error" && m.id == null) return reject(new Error(m.message));
        const p = m.type === "output" || m.type === "error" ? this.pending.get(m.id!) : undefined;
        if (p == null) return;
        this.pending.delete(m.id!);
        if (this.pending.size === 0) worker.unref();
        if (m.type === "output") p.resolve({ shape: m.shape, values: m.values });
        else p.reject(new Error(m.message));
      };
      worker.on("message", onReply);
      const fail = (e: Error) => {
        this.dead = true;
        reject(e);
        for (const p of this.pending.values()) p.reject(e);
        this.pending.clear();
      };
      worker.on("error", fail);
      worker.on("exit", (code) => fail(new Error(`camlab: a model replica's worker exited (code ${code})`)));
    });
    this.ready.catch(() => undefined);
    worker.postMessage(load, load.weights.map((w) => w.values));
  }

  /** The model output for one batch; the worker holds the process open while it runs. */
  run(shape: number[], values: Float32Array): Promise<{ shape: number[]; values: Float32Array }> {
    const id = this.next++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.ref();
      this.worker.postMessage({ type: "run", id, shape, values } satisfies ReplicaRequest, [values.buffer as ArrayBuffer]);
    });
  }

  end(): void {
    this.dead = true;
    void this.worker.terminate();
  }
}

interface ReplicaSet {
  weights: object[]; // the weights' data ids when the replicas were made
  replicas: Replica[];
  timer: NodeJS.Timeout | null;
}

const sets = new WeakMap<object, ReplicaSet | null>();

const weightIds = (m: tf.LayersModel) => m.weights.map((w) => (w.read() as unknown as { dataId: object }).dataId);

/** The model's replicas (starting, or ready), or null where they cannot or should not run. */
async function replicasFor(model: AnyModel): Promise<Replica[] | null> {
  const n = replicaCount();
  if (n < 1 || isGraphModel(model) || tf.getBackend() !== "wasm") return null;
  const m = model as tf.LayersModel;
  // A hooked layer runs only here: a replica rebuilt from JSON has no hooks, so its batches would
  // skip them (a NaN watch, a feature capture) without a word.
  if (patchedLayerPaths(m).length > 0) return null;
  let set = sets.get(m);
  if (set === null) return null; // its topology did not rebuild in a worker
  const ids = weightIds(m);
  if (set != null && (set.weights.length !== ids.length || set.weights.some((id, i) => id !== ids[i]) || set.replicas.every((r) => r.dead))) {
    for (const r of set.replicas) r.end();
    set = undefined;
  }
  if (set == null) {
    let topology: object;
    try {
      topology = JSON.parse(JSON.stringify(m.toJSON(null, false))) as object;
    } catch {
      sets.set(m, null);
      return null;
    }
    // Each replica gets its own copy (transferred, not cloned): what data() resolves to may be
    // tfjs's own values for the tensor, which must not be detached.
    const weights = await Promise.all(m.getWeights().map(async (w) => ({ shape: w.shape, dtype: w.dtype, values: (await w.data()) as Float32Array })));
    const file = path.join(__dirname, "replicaWorker.js");
    const replicas = Array.from({ length: n }, () => new Replica(new Worker(file), {
      type: "load",
      topology,
      weights: weights.map((w) => ({ shape: w.shape, dtype: w.dtype, values: w.values.slice().buffer as ArrayBuffer })),
    }));
    set = { weights: ids, replicas, timer: null };
    sets.set(m, set);
    // A topology the worker cannot rebuild (a custom layer class): never try this model again.
    const s = set;
    void Promise.allSettled(replicas.map((r) => r.ready)).then((rs) => {
      if (rs.every((r) => r.status === "rejected") && sets.get(m) === s) sets.set(m, null);
    });
  }
  if (set.timer) clearTimeout(set.timer);
  const s = set;
  set.timer = setTimeout(() => {
    for (const r of s.replicas) r.end();
    if (sets.get(m) === s) sets.delete(m);
  }, IDLE_MS);
  set.timer.unref();
  return set.replicas;
}

/**
 * Starts the model's replicas now rather than at the first large batch run, and resolves with
 * how many are ready (0 where they cannot run: see the file comment). Optional: runBatches
 * starts them itself and uses each as soon as it is ready.
 */
export async function startReplicas(model: AnyModel): Promise<number> {
  const replicas = await replicasFor(model);
  if (replicas == null) return 0;
  const rs = await Promise.allSettled(replicas.map((r) => r.ready));
  return rs.filter((r) => r.status === "fulfilled").length;
}

/** Ends a model's replicas now (tests; otherwise they end after five minutes unused). */
export function endReplicas(model: AnyModel): void {
  const set = sets.get(model);
  if (set) {
    if (set.timer) clearTimeout(set.timer);
    for (const r of set.replicas) r.end();
  }
  sets.delete(model);
}

/** What runBatches did, for tests and the bench. */
export interface BatchRunStats {
  /** Batches run on the main thread. */
  main: number;
  /** Batches run by replicas. */
  replicas: number;
}

/**
 * Runs `count` batches of inputs through `model`, in order: `input(j)` makes batch j (a fresh
 * tensor of about `valuesPerBatch` values, disposed here), `local(x)` is the model on the main thread, and `deliver(j, out)`
 * receives batch j's output (it owns it; awaited before the next delivery, so it is the place
 * for a checkpoint). Large work is shared with the model's replicas (see the file comment).
 */
export async function runBatches(
  model: AnyModel,
  count: number,
  valuesPerBatch: number,
  input: (j: number) => tf.Tensor,
  local: (x: tf.Tensor) => tf.Tensor,
  deliver: (j: number, out: tf.Tensor) => Promise<void>,
): Promise<BatchRunStats> {
  const stats: BatchRunStats = { main: 0, replicas: 0 };
  const runHere = (j: number) => {
    stats.main++;
    return tf.tidy(() => local(input(j)));
  };
  let replicas: Replica[] | null = null;
  if (count >= REPLICA_MIN_BATCHES && valuesPerBatch >= REPLICA_MIN_BATCH_VALUES) replicas = await replicasFor(model);
  if (replicas == null) {
    for (let j = 0; j < count; j++) await deliver(j, runHere(j));
    return stats;
  }
  const done = new Map<number, tf.Tensor>();
  const inFlight = new Set<Promise<void>>();
  let next = 0;
  let stopped = false;
  const flush = async () => {
    while (done.has(next)) {
      const out = done.get(next)!;
      done.delete(next);
      await deliver(next++, out);
    }
  };
  const ready = new Set<Replica>();
  for (const r of replicas) r.ready.then(() => ready.add(r), () => undefined);
  try {
    for (let j = 0; j < count; j++) {
      const free = [...ready].find((r) => !r.busy && !r.dead);
      if (free != null) {
        const x = input(j);
        let values: Float32Array;
        try {
          values = (await x.data()) as Float32Array;
        } finally {
          x.dispose();
        }
        free.busy = true;
        const shape = x.shape;
        const p = free.run(shape, values).then(
          (r) => {
            free.busy = false;
            stats.replicas++;
            if (!stopped) done.set(j, tf.tensor(r.values, r.shape, "float32"));
          },
          () => {
            // The replica failed: its batch runs here (unless the work was stopped meanwhile).
            free.busy = false;
            if (!stopped) done.set(j, runHere(j));
          },
        );
        inFlight.add(p);
        void p.finally(() => inFlight.delete(p));
        continue;
      }
      done.set(j, runHere(j));
      await flush();
      // A turn of the event loop: replicas' replies are messages, read only between batches. And
      // an Interrupt stops here even while a replica still holds an earlier batch, so nothing
      // could be delivered (and checkpointed) yet: a stop lands within one batch, as without them.
      await new Promise<void>((resolve) => setImmediate(resolve));
      throwIfCancelled(`masked inputs (${next} of ${count} batches done)`);
    }
    while (inFlight.size > 0) {
      await Promise.race(inFlight);
      await flush();
    }
    await flush();
    return stats;
  } finally {
    stopped = true;
    for (const t of done.values()) t.dispose();
  }
}
