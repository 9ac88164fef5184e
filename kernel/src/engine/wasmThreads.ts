// Multithreaded wasm in Node: tfjs-backend-wasm 4.22's threaded SIMD build, loaded by camlab.
//
// Why the stock package runs on one thread in Node, and what this file does about each cause:
// 1. tfjs's WASM_HAS_MULTITHREAD_SUPPORT flag returns false whenever IS_NODE, so its loader never
//    picks the threaded build. → We load wasm-out/tfjs-backend-wasm-threaded-simd.js ourselves and
//    hand tfjs a BackendWasm built on it (the package exports BackendWasm and setThreadsCount).
// 2. Its loader gives Emscripten a Blob URL for the pthread worker script; worker_threads cannot
//    start one. → locateFile points at wasmThreadWorker.js (the same script, from a file), and
//    mainScriptUrlOrBlob at the factory's own file, which the workers importScripts (fs + eval).
// 3. Even loaded that way, init_with_threads_count(n) gives 1 thread on a 2-core machine: the C++
//    side (src/cc/backend.cc) computes, in a static initialiser, num_cores =
//    emscripten_num_logical_cores() / 2 ("x86 has 2 hyperthreads per core") and caps the pool at
//    min(n, 8, num_cores); in Node emscripten_num_logical_cores is os.cpus().length = 2, so the
//    cap is 1 whatever n is. → Our instantiateWasm hands the module an
//    emscripten_num_logical_cores import that returns 2·n, so the cap is n (at most 8, the build's
//    maximum). navigator.hardwareConcurrency plays no part in Node (emscripten asks `os`).
// 4. pthreadpool_create (called from the main thread) waits, blocking, until every thread has
//    started; a pthread only starts on a worker whose "loaded" message the main thread has already
//    received. So workers cannot be made on demand inside that call (it would deadlock): they must
//    be preloaded. The build preloads 8 (PTHREAD_POOL_SIZE); we preload n-1 (the calling thread is
//    the pool's n-th) by changing that one constant in the factory source we evaluate — never in
//    node_modules — which saves starting and instantiating workers that would never run.
// 5. Exit: Emscripten unrefs idle workers in Node but ref()s a worker when it runs a pthread, and
//    pthreadpool's threads live for the process, so a script would never exit. → After the pool is
//    made we unref its workers. They hold no zeromq socket, so the process may exit under them
//    (heartbeatWorker.ts's rule is about workers holding sockets).
//
// Why the default stays 1 thread (measured 2026-12-01, 2-core AMD EPYC VM, Node 20.20, shared):
// with 2 threads the results are bit-identical and a large op's work really is split (a
// 112×112×64→128 conv: 121 ms of CPU on one thread → 54 + 52 ms on two), but every parallelised
// op pays a fixed cost of ~0.5–1 ms with both threads busy (pthreadpool spin-waits): a
// 100k-element Relu takes 36 µs single-threaded and ~0.5 ms (p10) / ~1 ms (mean) on 2 threads;
// `node --no-liftoff` only partly helps (p10 30 µs, p50 0.55 ms), so wasm tier-up is part of it.
// MobileNetV2 at batch 1 is ~200 such small ops, so on 2 threads its forward and Grad-CAM took
// 0.9–1.3× the stock single-threaded build's time at load ~1.3 (no gain) and up to 3× at load ~8
// (others' tests running). So threads are opt-in: CAMLAB_THREADS=N (or "auto" = every core)
// until that per-op cost is understood.
// Re-measured 2026-12-01 by `npm run bench` (bench-engine --scaling, load average 1.2–2.1; the
// results file is scripts/bench/results/engine-2026-12-01T20-29-26Z.json), after wasmKernels.ts
// moved batch norm from a single-threaded loop onto XNNPACK's (threaded) Mul/Add: speed-up
// 1 → 2 threads (time on 1 ÷ time on 2), forward / Grad-CAM: 0.84× / 1.00× at batch 1, 1.87× /
// 1.47× at batch 8, 1.84× / 1.58× at batch 32, 1.67× / 1.34× at batch 1 on 448×448. Batches now
// gain, but a widget's requests are batch 1, where 2 threads are no faster or slower: the
// default stays 1 thread, and Score-CAM's batches reach the other cores through model replicas
// in worker threads instead (replicas.ts), which need no threaded build.
import * as tf from "@tensorflow/tfjs";
import { readFileSync } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as vm from "node:vm";

/** The threaded build's own maximum (backend.cc caps the pool at 8). */
export const WASM_MAX_THREADS = 8;

/** What the wasm backend runs on now, for backendInfo(). */
export interface WasmThreadState {
  /** Threads XNNPACK's pool uses (1 = the stock single-threaded SIMD build). */
  threads: number;
  /** What was asked for: CAMLAB_THREADS, else 1. */
  requested: number;
  /** Where `requested` came from. */
  source: "CAMLAB_THREADS" | "default";
  /** Which Emscripten build runs. */
  build: "threaded-simd" | "simd (stock loader)";
  /** Why the threaded build is not used, when it was wanted and failed. */
  error: string | null;
  /** Milliseconds the threaded module took to load (workers included). */
  loadMs: number | null;
}

let state: WasmThreadState | null = null;

/** Cores this process may use: os.availableParallelism() where Node has it, else os.cpus(). */
export function coreCount(): number {
  const o = os as unknown as { availableParallelism?: () => number };
  return Math.max(1, typeof o.availableParallelism === "function" ? o.availableParallelism() : os.cpus().length);
}

/**
 * Threads wanted: CAMLAB_THREADS=N, or "auto" for every core (capped at the build's maximum, 8);
 * unset or 1 = the stock single-threaded build (see the top of this file for why that is the
 * default). A malformed value throws, naming what is accepted.
 */
export function wantedThreads(env: Record<string, string | undefined> = process.env): { threads: number; source: WasmThreadState["source"] } {
  const raw = env.CAMLAB_THREADS?.trim().toLowerCase();
  if (!raw) return { threads: 1, source: "default" };
  if (raw === "auto") return { threads: Math.min(coreCount(), WASM_MAX_THREADS), source: "CAMLAB_THREADS" };
  if (!/^\d+$/.test(raw) || Number(raw) < 1) {
    throw new Error(`camlab: CAMLAB_THREADS="${env.CAMLAB_THREADS?.trim()}" is neither a positive integer nor "auto" (1 = single-threaded wasm, up to ${WASM_MAX_THREADS}; auto = every core)`);
  }
  return { threads: Math.min(Number(raw), WASM_MAX_THREADS), source: "CAMLAB_THREADS" };
}

/** The wasm backend's thread facts (null before the wasm backend was first initialised). */
export function wasmThreadState(): WasmThreadState | null {
  return state;
}

interface PThreadWorker {
  unref(): void;
}
interface ThreadedModule {
  cwrap(name: string, ret: string | null, args: string[]): (...a: unknown[]) => unknown;
  PThread: { runningWorkers: PThreadWorker[]; unusedWorkers: PThreadWorker[] };
  tfjs?: Record<string, unknown>;
}
type Factory = (config: Record<string, unknown>) => Promise<ThreadedModule>;

interface WasmPackage {
  BackendWasm: new (module: unknown) => tf.KernelBackend;
  setThreadsCount(n: number): void;
  getThreadsCount(): number;
}

function packageDir(): string {
  return path.dirname(require.resolve("@tensorflow/tfjs-backend-wasm/package.json"));
}

/** The threaded factory, evaluated from its file with a preload pool of `poolSize` workers. */
function threadedFactory(mainScript: string, poolSize: number): Factory {
  const original = readFileSync(mainScript, "utf8");
  const marker = "var pthreadPoolSize=8;";
  // Should a later build spell it differently, keep its own pool size (8): slower to load, same result.
  const src = original.includes(marker) ? original.replace(marker, `var pthreadPoolSize=${poolSize};`) : original;
  const wrapper = vm.runInThisContext(`(function (exports, require, module, __filename, __dirname) {${src}\n})`, { filename: mainScript }) as (
    e: object, r: NodeRequire, m: { exports: unknown }, f: string, d: string,
  ) => void;
  const mod: { exports: unknown } = { exports: {} };
  wrapper(mod.exports as object, require, mod, mainScript, path.dirname(mainScript));
  if (typeof mod.exports !== "function") throw new Error(`${path.basename(mainScript)} did not export its module factory`);
  return mod.exports as Factory;
}

/** Loads the threaded SIMD module with its workers ready for a pool of `threads`. */
async function loadThreadedModule(threads: number): Promise<ThreadedModule> {
  const wasmOut = path.join(packageDir(), "wasm-out");
  const mainScript = path.join(wasmOut, "tfjs-backend-wasm-threaded-simd.js");
  const wasmFile = path.join(wasmOut, "tfjs-backend-wasm-threaded-simd.wasm");
  const workerScript = path.join(__dirname, "wasmThreadWorker.js");
  const factory = threadedFactory(mainScript, Math.max(1, threads - 1)); // ≥ 1: the module waits for its pool to load
  let aborted: string | null = null;
  const module = await factory({
    mainScriptUrlOrBlob: mainScript,
    locateFile: (p: string, prefix: string) => (p.endsWith(".worker.js") ? workerScript : p.endsWith(".wasm") ? wasmFile : prefix + p),
    instantiateWasm(imports: { env: Record<string, unknown> }, receive: (i: WebAssembly.Instance, m: WebAssembly.Module) => void) {
      // backend.cc caps the pool at emscripten_num_logical_cores() / 2 (see the top of this file).
      imports.env.emscripten_num_logical_cores = () => 2 * threads;
      WebAssembly.instantiate(readFileSync(wasmFile), imports as WebAssembly.Imports).then(
        (r) => receive(r.instance, r.module),
        (e) => (aborted = String(e)),
      );
      return {};
    },
    onAbort: (what: unknown) => (aborted = String(what)),
    print: (s: string) => process.stdout.write(`${s}\n`),
    printErr: (s: string) => process.stderr.write(`${s}\n`),
  });
  if (aborted != null) throw new Error(`threaded wasm aborted: ${aborted}`);
  const w = module.cwrap.bind(module);
  // The same bridge tfjs's own loader builds (dist/tf-backend-wasm.node.js, init()).
  module.tfjs = {
    init: w("init", null, []),
    initWithThreadsCount: w("init_with_threads_count", null, ["number"]),
    getThreadsCount: w("get_threads_count", "number", []),
    registerTensor: w("register_tensor", null, ["number", "number", "number"]),
    disposeData: w("dispose_data", null, ["number"]),
    dispose: w("dispose", null, []),
  };
  return module;
}

interface RegistryFactory {
  factory: () => tf.KernelBackend | Promise<tf.KernelBackend>;
  priority: number;
}

let installed = false;

/**
 * Replaces the wasm backend's factory (before tfjs first initialises it) by one that builds the
 * backend on the threaded module with `wantedThreads()` threads (CAMLAB_THREADS); 1 thread, or a threaded module
 * that fails to load, uses the stock factory (single-threaded SIMD build), and says why.
 * Call after requiring @tensorflow/tfjs-backend-wasm. Idempotent.
 */
export function installThreadedWasm(): void {
  if (installed) return;
  const engine = tf.engine() as unknown as { registryFactory: Record<string, RegistryFactory>; registry: Record<string, unknown> };
  const stock = engine.registryFactory.wasm;
  if (stock == null || engine.registry.wasm != null) return; // not registered, or already running: leave it as it is
  installed = true;
  const pkg = require("@tensorflow/tfjs-backend-wasm") as WasmPackage;
  let wanted: ReturnType<typeof wantedThreads>;
  let envError: string | null = null;
  try {
    wanted = wantedThreads();
  } catch (e) {
    envError = `${(e as Error).message}; using 1 thread`;
    wanted = wantedThreads({});
  }
  const { threads, source } = wanted;
  const single = async (error: string | null): Promise<tf.KernelBackend> => {
    pkg.setThreadsCount(1);
    const backend = await stock.factory();
    state = { threads: 1, requested: threads, source, build: "simd (stock loader)", error, loadMs: null };
    return backend;
  };
  const factory = async (): Promise<tf.KernelBackend> => {
    if (threads <= 1) return single(envError);
    // The threaded build is also a SIMD build: without SIMD, the stock loader picks what runs.
    if (!(await tf.env().getAsync("WASM_HAS_SIMD_SUPPORT"))) return single("this runtime lacks wasm SIMD, which the threaded build needs");
    const t0 = performance.now();
    try {
      const module = await loadThreadedModule(threads);
      pkg.setThreadsCount(threads);
      const backend = new pkg.BackendWasm(module); // runs init_with_threads_count(threads)
      const got = pkg.getThreadsCount();
      // pthreadpool's threads live for the process: let it exit under them.
      for (const worker of module.PThread.runningWorkers) worker.unref();
      state = {
        threads: got, requested: threads, source, build: "threaded-simd",
        error: got === threads ? envError : `asked XNNPACK for ${threads} threads, got ${got}`, loadMs: Math.round(performance.now() - t0),
      };
      return backend;
    } catch (e) {
      return single(`threaded wasm failed to load (${e instanceof Error ? e.message.split("\n")[0] : String(e)}); running single-threaded`);
    }
  };
  tf.removeBackend("wasm");
  tf.registerBackend("wasm", factory, stock.priority);
}
