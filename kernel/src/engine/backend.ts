// Backend choice: best present first (tensorflow > webgpu > wasm > cpu), overridable by the
// CAMLAB_BACKEND environment variable or `await useBackend(name)`. tfjs falls back silently when
// a backend fails to initialise; we compare what we asked for with what we got and report it.
// A WebGPU adapter that is a software rasteriser on the CPU (llvmpipe, SwiftShader) is available
// on request but not chosen automatically: wasm is several times faster on the same CPU.
import * as tf from "@tensorflow/tfjs";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import * as path from "node:path";
import { pathToFileURL } from "node:url";
import { installUnfusedConvWhileRecording } from "./unfusedConv";
import { installFastBatchNormGradient } from "./batchNormGradient";
import { installFastClipGradient } from "./clipGradient";
import { registerWasmKernels } from "./wasmKernels";
import { installThreadedWasm, wasmThreadState } from "./wasmThreads";

/** The backends camlab knows, by tfjs name. */
export type BackendName = "tensorflow" | "webgpu" | "wasm" | "cpu";
/** Automatic choice order, best first (a software WebGPU adapter is skipped). */
export const BACKEND_PREFERENCE: readonly BackendName[] = ["tensorflow", "webgpu", "wasm", "cpu"];

/** What `backendInfo()` reports. */
export interface BackendInfo {
  /** The backend tfjs actually runs on now. */
  name: string;
  /** What was asked for (CAMLAB_BACKEND, useBackend, or the automatic choice). */
  requested: string;
  /** True when tfjs ended up on a different backend than requested. */
  fellBack: boolean;
  /** Device / adapter description where the backend tells us (on webgpu: the adapter's name). */
  device: string | null;
  /** The WebGPU adapter Dawn found, whether or not webgpu runs now; null when there is none. */
  adapter: WebGpuAdapter | null;
  /** Backends that could be initialised in this process, best first. */
  available: BackendName[];
  /** Why each preferred backend is unavailable (missing package, no GPU adapter…). */
  unavailable: Partial<Record<BackendName, string>>;
  /**
   * Threads the backend computes with: on wasm, XNNPACK's pool (CAMLAB_THREADS=N or auto = every
   * core, at most 8; default 1 = the single-threaded build, see wasmThreads.ts); 1 on cpu; null
   * where tfjs does not say (GPU backends).
   */
  threads: number | null;
  /** Extra facts: wasm SIMD/threads, gradient kernels camlab registered. */
  notes: string[];
}

/** The WebGPU adapter Dawn found. */
export interface WebGpuAdapter {
  /** What the driver calls the adapter, e.g. "NVIDIA H100 80GB HBM3" or "llvmpipe: Mesa 25.0.7 (LLVM 15.0.6)". */
  name: string;
  vendor: string;
  architecture: string;
  /** True for a software rasteriser running on the CPU (llvmpipe, SwiftShader, WARP). */
  software: boolean;
}

// Package names are held in variables so TypeScript does not try to resolve optional packages.
const optionalRequire = (name: string): unknown => require(name);

interface Probe {
  ok: boolean;
  reason?: string;
  device?: string;
  adapter?: WebGpuAdapter;
}

const probes = new Map<BackendName, Promise<Probe>>();
const notes: string[] = [];
let state: { requested: string; device: string | null } | null = null;
let initPromise: Promise<BackendInfo> | null = null;

function describeError(e: unknown): string {
  return e instanceof Error ? e.message.split("\n")[0] : String(e);
}

async function probeTensorflow(): Promise<Probe> {
  for (const pkg of ["@tensorflow/tfjs-node-gpu", "@tensorflow/tfjs-node"]) {
    try {
      optionalRequire(pkg);
      return { ok: true, device: pkg === "@tensorflow/tfjs-node-gpu" ? "libtensorflow (CUDA)" : "libtensorflow (CPU)" };
    } catch {
      /* try the next one */
    }
  }
  return { ok: false, reason: "install @tensorflow/tfjs-node (or -gpu) 4.22.0 next to camlab to enable it" };
}

/**
 * On Linux Dawn reaches the GPU through the Vulkan loader (libvulkan.so.1). Looking for it first
 * gives a clear reason when it is missing, and keeps Dawn from printing a warning in every
 * process of a machine without Vulkan.
 */
function vulkanLoaderMissing(): boolean {
  if (process.platform !== "linux") return false;
  const dirs = (process.env.LD_LIBRARY_PATH ?? "").split(":").filter(Boolean);
  const triplet = process.arch === "arm64" ? "aarch64-linux-gnu" : "x86_64-linux-gnu";
  dirs.push(`/lib/${triplet}`, `/usr/lib/${triplet}`, "/usr/lib64", "/lib64", "/usr/lib", "/lib", "/usr/local/lib");
  try {
    for (const f of readdirSync("/etc/ld.so.conf.d")) {
      if (!f.endsWith(".conf")) continue;
      for (const line of readFileSync(path.join("/etc/ld.so.conf.d", f), "utf8").split("\n")) {
        const d = line.trim();
        if (d.startsWith("/")) dirs.push(d);
      }
    }
  } catch {
    /* no ld.so.conf.d: the standard folders are enough */
  }
  return !dirs.some((d) => existsSync(path.join(d, "libvulkan.so.1")));
}

interface DawnModule {
  create(flags: string[]): unknown;
  globals: object;
}

/** npm `webgpu` is an ES module: require() loads it on Node >= 20.19, import() on older ones. */
async function loadDawn(): Promise<DawnModule> {
  try {
    return optionalRequire("webgpu") as DawnModule;
  } catch (e) {
    if ((e as { code?: string }).code !== "ERR_REQUIRE_ESM") throw e;
    // A real dynamic import: TypeScript would turn `import()` into require() under CommonJS.
    const importEsm = new Function("u", "return import(u)") as (u: string) => Promise<DawnModule>;
    return importEsm(pathToFileURL(require.resolve("webgpu")).href);
  }
}

type GpuAdapterLike = {
  info?: { vendor?: string; architecture?: string; device?: string; description?: string; isFallbackAdapter?: boolean };
  isFallbackAdapter?: boolean;
};

/** Name, vendor and software-or-not of a WebGPU adapter (from `adapter.info`). */
export function describeAdapter(adapter: GpuAdapterLike): WebGpuAdapter {
  const i = adapter.info ?? {};
  const vendor = i.vendor ?? "";
  const architecture = i.architecture ?? "";
  const name = i.description || [vendor, architecture, i.device].filter(Boolean).join(" ") || "WebGPU adapter";
  const software = i.isFallbackAdapter === true || adapter.isFallbackAdapter === true || architecture === "software"
    || /llvmpipe|lavapipe|swiftshader|microsoft basic render|warp/i.test(`${name} ${i.device ?? ""}`);
  return { name, vendor, architecture, software };
}

async function probeWebgpu(): Promise<Probe> {
  try {
    const g = globalThis as unknown as { navigator?: { gpu?: { requestAdapter(o?: object): Promise<unknown> } } };
    if (g.navigator?.gpu == null) {
      try {
        require.resolve("webgpu");
      } catch {
        return { ok: false, reason: "npm package `webgpu` (Dawn) is not installed" };
      }
      if (vulkanLoaderMissing()) return { ok: false, reason: "no Vulkan loader (libvulkan.so.1): install libvulkan1 and the GPU's Vulkan driver" };
      // Dawn's node binding (npm `webgpu`): expose its globals and a navigator.gpu, as a browser would.
      const dawn = await loadDawn();
      Object.assign(globalThis, dawn.globals);
      Object.defineProperty(globalThis, "navigator", { value: { gpu: dawn.create([]) }, configurable: true, writable: true });
    }
    // The same request tfjs-backend-webgpu makes, so both see the same adapter.
    const adapter = (await g.navigator!.gpu!.requestAdapter({ powerPreference: "high-performance" })) as GpuAdapterLike | null;
    if (adapter == null) return { ok: false, reason: "no WebGPU adapter (Dawn found no GPU with a Vulkan driver)" };
    // Registers the backend only when navigator.gpu exists at load time, hence after the lines above.
    optionalRequire("@tensorflow/tfjs-backend-webgpu");
    const a = describeAdapter(adapter);
    return { ok: true, adapter: a, device: a.software ? `${a.name} (software rasteriser on the CPU)` : a.name };
  } catch (e) {
    return { ok: false, reason: `webgpu unavailable: ${describeError(e)}` };
  }
}

interface WebGpuBackendInternals {
  readSync(dataId: object): unknown;
  tensorMap: { get(dataId: object): { values: unknown; dtype: string } | undefined };
}
const guardedBackends = new WeakSet<object>();

/**
 * WebGPU in Node cannot map a GPU buffer synchronously: tfjs's readSync falls into a canvas path
 * that fails with "OffscreenCanvas is not defined". Say what happened and what to do instead.
 */
function guardWebgpuReadSync(): void {
  const backend = tf.findBackend("webgpu") as unknown as WebGpuBackendInternals | null;
  if (backend == null || guardedBackends.has(backend) || typeof OffscreenCanvas !== "undefined") return;
  guardedBackends.add(backend);
  const readSync = backend.readSync;
  backend.readSync = function (this: WebGpuBackendInternals, dataId: object) {
    const data = this.tensorMap.get(dataId);
    if (data != null && data.values == null && data.dtype !== "string" && data.dtype !== "complex64") {
      throw new Error(
        "camlab: synchronous read (dataSync/arraySync/bufferSync) of a tensor held on the GPU; WebGPU in Node allows only " +
          "asynchronous reads: use `await t.data()` or `await t.array()`. (A tensor made on webgpu also cannot move to " +
          "another backend after useBackend(): make it again there; model weights are carried over.)",
      );
    }
    return readSync.call(this, dataId);
  };
}

/**
 * Before leaving webgpu: tfjs moves a tensor to the new backend with a synchronous read, which
 * webgpu cannot do for data on the GPU. Reading the variables (model weights) asynchronously
 * first leaves a host copy that the move can use.
 */
async function cacheVariablesOnHost(): Promise<void> {
  const backend = tf.findBackend("webgpu") as unknown as WebGpuBackendInternals | null;
  if (backend == null) return;
  const engine = tf.engine() as unknown as { state: { tensorInfo: WeakMap<object, { backend: unknown }> } };
  const pending: Promise<unknown>[] = [];
  for (const v of Object.values(tf.engine().registeredVariables)) {
    if (v.isDisposed || engine.state.tensorInfo.get(v.dataId)?.backend !== backend) continue;
    if (backend.tensorMap.get(v.dataId)?.values == null) pending.push(v.data());
  }
  await Promise.all(pending);
}

async function probeWasm(): Promise<Probe> {
  try {
    require("@tensorflow/tfjs-backend-wasm");
    // Multithreaded in Node (wasmThreads.ts): swaps in camlab's factory before tfjs first uses it.
    installThreadedWasm();
    const added = registerWasmKernels();
    if (added.length > 0) notes.push(`wasm: camlab registered backprop kernels ${added.join(", ")}`);
    return { ok: true, device: "WebAssembly (XNNPACK)" };
  } catch (e) {
    return { ok: false, reason: `@tensorflow/tfjs-backend-wasm failed to load: ${describeError(e)}` };
  }
}

function probe(name: BackendName): Promise<Probe> {
  let p = probes.get(name);
  if (p == null) {
    p = name === "tensorflow" ? probeTensorflow() : name === "webgpu" ? probeWebgpu() : name === "wasm" ? probeWasm() : Promise.resolve({ ok: true, device: "JavaScript" });
    probes.set(name, p);
  }
  return p;
}

function checkName(name: string, source: string): BackendName {
  if ((BACKEND_PREFERENCE as readonly string[]).includes(name)) return name as BackendName;
  throw new Error(`camlab: unknown backend "${name}" (from ${source}); expected one of ${BACKEND_PREFERENCE.join(", ")}`);
}

async function collectInfo(): Promise<BackendInfo> {
  const available: BackendName[] = [];
  const unavailable: Partial<Record<BackendName, string>> = {};
  for (const n of BACKEND_PREFERENCE) {
    const r = await probe(n);
    if (r.ok) available.push(n);
    else unavailable[n] = r.reason ?? "unavailable";
  }
  const name = tf.getBackend();
  const requested = state?.requested ?? name;
  const gpu = await probe("webgpu");
  const wasmNotes: string[] = [];
  if (name === "wasm") {
    const flag = (f: string): string => {
      try {
        return tf.env().getBool(f) ? "on" : "off";
      } catch {
        return "unknown";
      }
    };
    const t = wasmThreadState();
    wasmNotes.push(
      t == null
        ? `wasm SIMD ${flag("WASM_HAS_SIMD_SUPPORT")}, threads ${flag("WASM_HAS_MULTITHREAD_SUPPORT")}`
        : `wasm SIMD ${flag("WASM_HAS_SIMD_SUPPORT")}, ${t.build} build, ${t.threads} thread${t.threads === 1 ? "" : "s"} ` +
            `(asked ${t.requested}, ${t.source === "CAMLAB_THREADS" ? "by CAMLAB_THREADS" : "the default; CAMLAB_THREADS=N or auto for more"}` +
            `${t.loadMs != null ? `; loaded in ${t.loadMs} ms` : ""})`,
    );
    if (t?.error) wasmNotes.push(`wasm threads: ${t.error}`);
  }
  const threads = name === "wasm" ? wasmThreadState()?.threads ?? 1 : name === "cpu" ? 1 : null;
  return {
    name,
    requested,
    fellBack: name !== requested,
    device: name === requested ? state?.device ?? null : (await probe(name as BackendName)).device ?? null,
    adapter: gpu.adapter ?? null,
    available,
    unavailable,
    threads,
    notes: [...notes, ...wasmNotes],
  };
}

/** The engine's gradient fixes (unfused conv while recording, lazy batch-norm gradient), once. */
function installGradientFixes(): void {
  installUnfusedConvWhileRecording();
  installFastBatchNormGradient();
  installFastClipGradient();
}

/**
 * Switches tfjs to `name` and returns the resulting info. Throws (naming the reason) when the
 * backend is unavailable; when tfjs itself falls back, the info says `fellBack: true`.
 */
export async function useBackend(name: BackendName | string): Promise<BackendInfo> {
  installGradientFixes();
  const wanted = checkName(name, "useBackend");
  const p = await probe(wanted);
  if (!p.ok) throw new Error(`camlab: backend "${wanted}" is unavailable: ${p.reason}`);
  if (tf.getBackend() === "webgpu" && wanted !== "webgpu") await cacheVariablesOnHost();
  // tfjs logs and returns false (keeping the old backend) when initialisation fails.
  const ok = await tf.setBackend(wanted);
  await tf.ready();
  if (tf.getBackend() === "webgpu") guardWebgpuReadSync();
  guardWasmInstance();
  state = { requested: wanted, device: p.device ?? null };
  const info = await collectInfo();
  if (!ok || info.fellBack) {
    notes.push(`asked for ${wanted} but tfjs runs on ${tf.getBackend()} (initialisation failed)`);
    const fallen = await collectInfo();
    initPromise = Promise.resolve(fallen);
    return fallen;
  }
  // An explicit choice wins over the automatic one that ensureBackend() would make.
  initPromise = Promise.resolve(info);
  return info;
}

async function chooseAtStart(): Promise<BackendInfo> {
  installGradientFixes();
  const fromEnv = process.env.CAMLAB_BACKEND?.trim();
  if (fromEnv) {
    const info = await useBackend(checkName(fromEnv, "CAMLAB_BACKEND"));
    return info;
  }
  for (const n of BACKEND_PREFERENCE) {
    const p = await probe(n);
    if (!p.ok) continue;
    if (n === "webgpu" && p.adapter?.software) {
      notes.push(`webgpu: its adapter is ${p.adapter.name}, a software rasteriser on the CPU, where wasm is faster; not chosen automatically (CAMLAB_BACKEND=webgpu or useBackend("webgpu") uses it)`);
      continue;
    }
    const ok = await tf.setBackend(n);
    if (ok && tf.getBackend() === n) {
      await tf.ready();
      if (n === "webgpu") guardWebgpuReadSync();
      guardWasmInstance();
      state = { requested: n, device: p.device ?? null };
      return collectInfo();
    }
    notes.push(`${n} was present but failed to initialise; trying the next backend`);
  }
  throw new Error("camlab: no TensorFlow.js backend could be initialised");
}

/** Picks the backend once per process (idempotent); every engine entry point awaits it. */
export function ensureBackend(): Promise<BackendInfo> {
  if (initPromise == null) {
    initPromise = chooseAtStart();
    initPromise.catch(() => {
      initPromise = null;
    });
  }
  // After a wasm crash, no engine call starts before the fresh backend is in place.
  return crash == null ? initPromise : initPromise.then(async (info) => (await settleCrash(), info));
}

/** Which backend the engine runs on, the device where known, and whether tfjs fell back. */
export async function backendInfo(): Promise<BackendInfo> {
  await ensureBackend();
  return collectInfo();
}

// ---------------------------------------------------------------------------------------------
// A wasm backend that never stays broken.
//
// A wasm kernel fed a shape it does not handle (tfjs-wasm 4.22's AvgPool with a window larger
// than its input, reached by a 100×100 image in a 224×224 MobileNetV2) writes outside its buffers
// and traps — `RuntimeError: memory access out of bounds` — sometimes only later, in the next
// free(). Its heap is then corrupt: every later kernel, even a tensor's dispose(), may trap again,
// and the cleanup code of the failed call (tf.tidy's scope end, our finally blocks) traps too,
// leaving tfjs's scope stack half-unwound. So at the FIRST trap we latch: the crashed instance
// stops running wasm code (kernels fail fast, dispose only forgets its JS bookkeeping, so the
// failed call's cleanup completes and counts its tensors down), and a fresh wasm instance is
// registered under the same name. Tensors still alive — the model's weights, the user's images —
// move to it on first use through tfjs's own lazy move (DataStorage.get → engine.moveData), which
// copies their bytes out of the old heap with plain JS (HEAPU8.slice) and never calls into it.
// ---------------------------------------------------------------------------------------------

/** True for the errors a trapped WebAssembly module throws (and emscripten's abort). */
export function isWasmCrash(e: unknown): boolean {
  if (e instanceof BackendCrashed) return true;
  if (typeof WebAssembly !== "undefined" && e instanceof WebAssembly.RuntimeError) return true;
  const m = e instanceof Error ? e.message : String(e);
  return /memory access out of bounds|^Aborted\(|unreachable executed|table index is out of bounds/.test(m);
}

/** The wasm backend crashed; thrown (by cam() & co.) once a fresh backend has replaced it. */
export class BackendCrashed extends Error {
  constructor(message: string, readonly cause?: unknown) {
    super(message);
    this.name = "BackendCrashed";
  }
}

interface WasmBackendLike {
  disposeData(dataId: object, force?: boolean): boolean;
  move(dataId: object, values: unknown, shape: number[], dtype: string, refCount: number): void;
  dispose(): void;
  dataIdMap: { has(d: object): boolean; delete(d: object): void };
}

/** Crashed wasm instances (kept readable: live tensors copy their bytes out of them). */
const deadBackends = new WeakSet<object>();
const guardedWasm = new WeakSet<object>();
let kernelsWrapped = false;
let crash: { kernel: string; message: string; recovery: Promise<void> | null; recovered: boolean; error: string | null } | null = null;
/** How many times a crashed wasm backend was replaced in this process. */
let recoveries = 0;

function crashText(): string {
  return crash ? `RuntimeError: ${crash.message}${crash.kernel ? ` in wasm kernel ${crash.kernel}` : ""}` : "";
}

/** Marks `backend` dead at its first trap and starts replacing it (once). */
function latch(backend: object, kernel: string, e: unknown): never {
  if (!deadBackends.has(backend)) {
    deadBackends.add(backend);
    const b = backend as WasmBackendLike;
    // From now on the old heap is only read (by moves to the new backend), never written or freed.
    b.disposeData = function (this: WasmBackendLike, dataId: object) {
      this.dataIdMap.delete(dataId);
      return true;
    };
    b.move = () => {
      throw new BackendCrashed(`camlab: the wasm backend crashed (${crashText()}); camlab is replacing it — run the cell again`);
    };
    b.dispose = () => undefined;
    crash = { kernel, message: e instanceof Error ? e.message : String(e), recovery: null, recovered: false, error: null };
    const c = crash;
    // Replace it as soon as the failed call has unwound (its cleanup runs against the dead instance).
    c.recovery = new Promise<void>((resolve) => setImmediate(resolve)).then(() => replaceWasmBackend(backend)).then(
      () => void (c.recovered = true),
      (err) => void (c.error = describeError(err)),
    );
  }
  throw new BackendCrashed(`camlab: the wasm backend crashed (${crashText()}); camlab is replacing it — run the cell again`, e);
}

/**
 * Wraps every wasm kernel so a trap latches the backend (above) and a dead instance runs no more
 * wasm code. Kernel configs are tfjs's registry values, patched in place as guided.ts does with
 * gradients; one extra call per kernel (nanoseconds).
 */
function guardWasmKernels(): void {
  if (kernelsWrapped) return;
  kernelsWrapped = true;
  for (const k of tf.getKernelsForBackend("wasm")) {
    const cfg = k as { kernelFunc: tf.KernelFunc; kernelName: string };
    const run = cfg.kernelFunc;
    cfg.kernelFunc = (args) => {
      const backend = args.backend as object;
      if (deadBackends.has(backend)) {
        throw new BackendCrashed(`camlab: the wasm backend crashed (${crashText()}); camlab is replacing it — run the cell again`);
      }
      try {
        return run(args);
      } catch (e) {
        if (isWasmCrash(e)) latch(backend, cfg.kernelName, e);
        throw e;
      }
    };
  }
}

/** Latches the instance's own heap operations (tensor upload, free) too: a trap in free() is the usual second symptom. */
function guardWasmInstance(): void {
  if (tf.getBackend() !== "wasm") return;
  guardWasmKernels();
  const backend = tf.backend() as unknown as WasmBackendLike;
  if (guardedWasm.has(backend)) return;
  guardedWasm.add(backend);
  const disposeData = backend.disposeData, move = backend.move;
  backend.disposeData = function (this: WasmBackendLike, dataId: object, force?: boolean) {
    try {
      return disposeData.call(this, dataId, force);
    } catch (e) {
      if (!isWasmCrash(e)) throw e;
      this.dataIdMap.delete(dataId);
      // A dispose must not throw out of tidy's scope end (tfjs would leave the scope on its stack): latch, then report it later.
      try {
        latch(this, "free", e);
      } catch {
        /* reported by the engine call that awaits the recovery */
      }
      return true;
    }
  };
  backend.move = function (this: WasmBackendLike, ...a: Parameters<WasmBackendLike["move"]>) {
    try {
      return move.apply(this, a);
    } catch (e) {
      if (isWasmCrash(e)) latch(this, "malloc", e);
      throw e;
    }
  };
}

async function replaceWasmBackend(dead: object): Promise<void> {
  const engine = tf.engine() as unknown as { registry: Record<string, unknown>; registryFactory: Record<string, { factory: () => unknown; priority: number }> };
  const entry = engine.registryFactory.wasm;
  if (entry == null) throw new Error("the wasm backend factory is not registered");
  const wasActive = tf.getBackend() === "wasm" || engine.registry.wasm === dead;
  // removeBackend calls the instance's dispose (a no-op once dead) and forgets it; tensors that
  // still live on it keep a reference and move to the new instance on first use.
  tf.removeBackend("wasm");
  tf.registerBackend("wasm", entry.factory as () => tf.KernelBackend, entry.priority);
  if (wasActive) {
    const ok = await tf.setBackend("wasm");
    await tf.ready();
    if (!ok || tf.getBackend() !== "wasm") throw new Error(`tfjs could not start a new wasm backend (it runs on ${tf.getBackend()})`);
    guardWasmInstance();
  }
  recoveries++;
  notes.push(`wasm crashed (${crashText()}) and was replaced by a fresh instance (${recoveries} so far); tensors alive then were carried over`);
}

/**
 * Waits for a pending wasm replacement; throws "restart the kernel" when it failed. Every engine
 * entry passes here (ensureBackend), so nothing runs on a dead heap.
 */
async function settleCrash(): Promise<void> {
  if (crash == null) return;
  await crash.recovery;
  if (crash.error != null) {
    throw new BackendCrashed(`camlab: the wasm backend crashed (${crashText()}) and could not be replaced (${crash.error}); restart the kernel`);
  }
}

/**
 * Runs one public engine call: on a wasm crash inside it, waits until the fresh backend is in
 * place and throws one plain message saying what happened and what to do. `fn` names the call.
 */
export async function guardBackend<T>(fn: string, body: () => Promise<T>): Promise<T> {
  await ensureBackend();
  await settleCrash();
  const before = crash;
  try {
    return await body();
  } catch (e) {
    if (crash != null && (crash !== before || isWasmCrash(e))) {
      await settleCrash();
      throw new BackendCrashed(
        `camlab.${fn}: the wasm backend crashed during this call (${crashText()}: a kernel wrote outside its memory). ` +
          "camlab replaced it with a fresh wasm backend and carried your tensors and the model weights over; run the call again. " +
          "The weights were copied out of the crashed memory: if results look wrong, reload the model, or restart the kernel.",
        e,
      );
    }
    throw e;
  }
}

/** Crash bookkeeping for tests and backendInfo: how often wasm was replaced, and the last crash. */
export function wasmCrashState(): { recoveries: number; lastCrash: string | null } {
  return { recoveries, lastCrash: crash ? crashText() : null };
}
