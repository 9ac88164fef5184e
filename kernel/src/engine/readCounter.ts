// Counts what leaves the backend. Every read of tensor values into JavaScript — `t.data()`,
// `t.array()`, `t.bytes()`, `t.dataSync()`, `t.arraySync()`, `tf.print`, a tensor moving to
// another backend — goes through `tf.engine().read` (async) or `tf.engine().readSync`. Wrapping
// those two while a counter is active records each read with its size, whether it was
// synchronous, and whether the bytes had to come out of backend memory.
//
// Uses: tests that assert residency ("cam() reads only the predictions and the scores"), and a
// guard that fails on synchronous reads, which WebGPU in Node cannot do.
import * as tf from "@tensorflow/tfjs";

/** One read of tensor values out of the backend: its dtype, shape, bytes and how it happened. */
export interface TensorRead {
  /** True for readSync (dataSync/arraySync/bufferSync, or a tensor moving between backends). */
  sync: boolean;
  dtype: tf.DataType;
  shape: number[];
  /** Bytes the backend holds for the tensor (elements × bytes per element). */
  bytes: number;
  /** The backend that held the tensor. */
  backend: string;
  /**
   * True when the values had to be copied out of backend memory: a GPU buffer mapped for reading
   * (webgpu), the WebAssembly heap (wasm), libtensorflow's memory (tensorflow). False when the
   * backend already held them as a JavaScript array: the cpu backend, or a webgpu tensor that
   * was read before or was made from JavaScript data and never went to the GPU.
   */
  fromDevice: boolean;
  /** Call stack of the read (only with `captureStacks`). */
  stack?: string;
}

/** Options of countReads: what to do on a synchronous read, whether to keep stacks. */
export interface ReadCounterOptions {
  /**
   * "throw" makes a synchronous read fail at once; a function is called with the read before it
   * happens and may throw (a guard that only objects to some callers). Default "record".
   */
  onSyncRead?: "record" | "throw" | ((read: TensorRead) => void);
  /** Keep the call stack of every read (for messages that say where a read came from). */
  captureStacks?: boolean;
}

/** Totals of the reads a counter saw. */
export interface ReadSummary {
  /** Number of reads. */
  count: number;
  /** Total bytes read. */
  bytes: number;
  /** Reads whose values came out of backend memory (see TensorRead.fromDevice). */
  deviceReads: number;
  deviceBytes: number;
  /** Synchronous reads. */
  syncReads: number;
}

/** A running count of backend reads (from countReads); stop it to unwrap the engine. */
export interface ReadCounter extends ReadSummary {
  /** Reads recorded so far, in call order. */
  readonly reads: readonly TensorRead[];
  /** One line per read: "float32[1,5] 20 B (device, async)". */
  describe(): string;
  /** Forgets what was recorded; keeps counting. */
  reset(): void;
  /** Stops counting (idempotent); the engine's read functions are restored when no counter is left. */
  stop(): void;
  [Symbol.dispose](): void;
}

interface EngineInternals {
  read(dataId: object): Promise<tf.backend_util.BackendValues>;
  readSync(dataId: object): tf.backend_util.BackendValues;
  state: { tensorInfo: WeakMap<object, { backend: tf.KernelBackend; bytes: number; dtype: tf.DataType; shape: number[] }> };
}

interface Listener {
  record(read: TensorRead): void;
  options: ReadCounterOptions;
}

const listeners = new Set<Listener>();
let restore: (() => void) | null = null;

/** The name under which tfjs registered `backend` ("webgpu", "wasm", …). */
function backendName(backend: tf.KernelBackend): string {
  for (const name of ["webgpu", "wasm", "cpu", "tensorflow", "webgl"]) {
    if (tf.engine().registry[name] === backend) return name;
  }
  return "unknown";
}

/** Whether reading `dataId` from `backend` copies it out of backend memory (see TensorRead.fromDevice). */
export function readComesFromDevice(backend: tf.KernelBackend, dataId: object): boolean {
  const name = backendName(backend);
  if (name === "cpu") return false;
  if (name === "webgpu") {
    const data = (backend as unknown as { tensorMap?: { get(id: object): { values: unknown } | undefined } }).tensorMap?.get(dataId);
    return data?.values == null;
  }
  return true;
}

function describeRead(r: TensorRead): string {
  return `${r.dtype}[${r.shape.join(",")}] ${r.bytes} B (${r.backend}, ${r.fromDevice ? "device" : "host copy"}, ${r.sync ? "SYNC" : "async"})`;
}

export function syncReadError(r: TensorRead): Error {
  return new Error(
    `camlab: synchronous read of a ${describeRead(r)} — use \`await t.data()\` / \`await t.array()\`: WebGPU in Node allows only asynchronous reads, so engine and session code never read synchronously.`,
  );
}

function install(): void {
  if (restore != null) return;
  const engine = tf.engine() as unknown as EngineInternals;
  const ownRead = Object.prototype.hasOwnProperty.call(engine, "read");
  const ownReadSync = Object.prototype.hasOwnProperty.call(engine, "readSync");
  const origRead = engine.read;
  const origReadSync = engine.readSync;
  const note = (dataId: object, sync: boolean): TensorRead | null => {
    const info = engine.state.tensorInfo.get(dataId);
    if (info == null) return null; // tfjs itself will throw for an unknown tensor
    const read: TensorRead = {
      sync,
      dtype: info.dtype,
      shape: [...info.shape],
      bytes: info.bytes,
      backend: backendName(info.backend),
      fromDevice: readComesFromDevice(info.backend, dataId),
    };
    if ([...listeners].some((l) => l.options.captureStacks)) read.stack = new Error().stack?.split("\n").slice(3).join("\n");
    return read;
  };
  engine.read = function (this: EngineInternals, dataId: object) {
    const r = note(dataId, false);
    if (r != null) for (const l of listeners) l.record(r);
    return origRead.call(this, dataId);
  };
  engine.readSync = function (this: EngineInternals, dataId: object) {
    const r = note(dataId, true);
    if (r != null) {
      for (const l of listeners) l.record(r);
      for (const l of [...listeners]) {
        const on = l.options.onSyncRead;
        if (on === "throw") throw syncReadError(r);
        if (typeof on === "function") on(r);
      }
    }
    return origReadSync.call(this, dataId);
  };
  restore = () => {
    // Put back exactly what was there: an own property, or nothing (the prototype's method).
    if (ownRead) engine.read = origRead;
    else delete (engine as Partial<EngineInternals>).read;
    if (ownReadSync) engine.readSync = origReadSync;
    else delete (engine as Partial<EngineInternals>).readSync;
  };
}

function summarize(reads: readonly TensorRead[]): ReadSummary {
  let bytes = 0, deviceReads = 0, deviceBytes = 0, syncReads = 0;
  for (const r of reads) {
    bytes += r.bytes;
    if (r.fromDevice) {
      deviceReads++;
      deviceBytes += r.bytes;
    }
    if (r.sync) syncReads++;
  }
  return { count: reads.length, bytes, deviceReads, deviceBytes, syncReads };
}

/**
 * Starts counting tensor reads (every backend, every caller) until `stop()` / `dispose`.
 * Several counters may be active at once; each sees every read.
 *
 *   using reads = countReads();
 *   const r = await cam(model, x);
 *   reads.count  // 3: the output for the predictions, the scores, the classes
 */
export function countReads(options: ReadCounterOptions = {}): ReadCounter {
  const reads: TensorRead[] = [];
  const listener: Listener = { record: (r) => void reads.push(r), options };
  listeners.add(listener);
  install();
  const stop = (): void => {
    if (!listeners.delete(listener)) return;
    if (listeners.size === 0 && restore != null) {
      restore();
      restore = null;
    }
  };
  return {
    get reads() {
      return reads;
    },
    get count() {
      return reads.length;
    },
    get bytes() {
      return summarize(reads).bytes;
    },
    get deviceReads() {
      return summarize(reads).deviceReads;
    },
    get deviceBytes() {
      return summarize(reads).deviceBytes;
    },
    get syncReads() {
      return summarize(reads).syncReads;
    },
    describe: () => (reads.length === 0 ? "no reads" : reads.map(describeRead).join("\n")),
    reset: () => void reads.splice(0),
    stop,
    [Symbol.dispose]: stop,
  };
}

/** Runs `body` and returns its value with the reads it made (reads from concurrent work included). */
export async function measureReads<T>(body: () => T | Promise<T>, options: ReadCounterOptions = {}): Promise<{ value: T; reads: TensorRead[] } & ReadSummary> {
  const counter = countReads(options);
  try {
    const value = await body();
    return { value, reads: [...counter.reads], ...summarize(counter.reads) };
  } finally {
    counter.stop();
  }
}

/** Number of counters active now (0 when the engine's read functions are untouched). */
export function activeReadCounters(): number {
  return listeners.size;
}
