// Backend choice: best present first (tensorflow > webgpu > wasm > cpu), overridable by the
// CAMLAB_BACKEND environment variable or `await useBackend(name)`. tfjs falls back silently when
// a backend fails to initialise; we compare what we asked for with what we got and report it.
import * as tf from "@tensorflow/tfjs";
import { installUnfusedConvWhileRecording } from "./unfusedConv";
import { installFastBatchNormGradient } from "./batchNormGradient";
import { registerWasmGradientKernels } from "./wasmGradients";

export type BackendName = "tensorflow" | "webgpu" | "wasm" | "cpu";
export const BACKEND_PREFERENCE: readonly BackendName[] = ["tensorflow", "webgpu", "wasm", "cpu"];

export interface BackendInfo {
  /** The backend tfjs actually runs on now. */
  name: string;
  /** What was asked for (CAMLAB_BACKEND, useBackend, or the automatic choice). */
  requested: string;
  /** True when tfjs ended up on a different backend than requested. */
  fellBack: boolean;
  /** Device / adapter description where the backend tells us. */
  device: string | null;
  /** Backends that could be initialised in this process, best first. */
  available: BackendName[];
  /** Why each preferred backend is unavailable (missing package, no GPU adapter…). */
  unavailable: Partial<Record<BackendName, string>>;
  /** Extra facts: wasm SIMD/threads, gradient kernels camlab registered. */
  notes: string[];
}

// Package names are held in variables so TypeScript does not try to resolve optional packages.
const optionalRequire = (name: string): unknown => require(name);

interface Probe {
  ok: boolean;
  reason?: string;
  device?: string;
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

async function probeWebgpu(): Promise<Probe> {
  try {
    const g = globalThis as unknown as { navigator?: { gpu?: { requestAdapter(): Promise<unknown> } } };
    if (g.navigator?.gpu == null) {
      // Dawn's node binding (npm `webgpu`): expose its globals and a navigator.gpu, as a browser would.
      const dawn = optionalRequire("webgpu") as { create(flags: string[]): unknown; globals: object };
      Object.assign(globalThis, dawn.globals);
      Object.defineProperty(globalThis, "navigator", { value: { gpu: dawn.create([]) }, configurable: true, writable: true });
    }
    const adapter = (await g.navigator!.gpu!.requestAdapter()) as { info?: { vendor?: string; architecture?: string; description?: string } } | null;
    if (adapter == null) return { ok: false, reason: "no WebGPU adapter (no GPU or Vulkan driver)" };
    optionalRequire("@tensorflow/tfjs-backend-webgpu");
    const i = adapter.info ?? {};
    return { ok: true, device: [i.vendor, i.architecture, i.description].filter(Boolean).join(" ") || "WebGPU adapter" };
  } catch (e) {
    return { ok: false, reason: `webgpu unavailable: ${describeError(e)}` };
  }
}

async function probeWasm(): Promise<Probe> {
  try {
    require("@tensorflow/tfjs-backend-wasm");
    const added = registerWasmGradientKernels();
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
  const wasmNotes: string[] = [];
  if (name === "wasm") {
    const flag = (f: string): string => {
      try {
        return tf.env().getBool(f) ? "on" : "off";
      } catch {
        return "unknown";
      }
    };
    wasmNotes.push(`wasm SIMD ${flag("WASM_HAS_SIMD_SUPPORT")}, threads ${flag("WASM_HAS_MULTITHREAD_SUPPORT")}`);
  }
  return {
    name,
    requested,
    fellBack: name !== requested,
    device: name === requested ? state?.device ?? null : (await probe(name as BackendName)).device ?? null,
    available,
    unavailable,
    notes: [...notes, ...wasmNotes],
  };
}

/**
 * Switches tfjs to `name` and returns the resulting info. Throws (naming the reason) when the
 * backend is unavailable; when tfjs itself falls back, the info says `fellBack: true`.
 */
function installGradientFixes(): void {
  installUnfusedConvWhileRecording();
  installFastBatchNormGradient();
}

export async function useBackend(name: BackendName | string): Promise<BackendInfo> {
  installGradientFixes();
  const wanted = checkName(name, "useBackend");
  const p = await probe(wanted);
  if (!p.ok) throw new Error(`camlab: backend "${wanted}" is unavailable: ${p.reason}`);
  // tfjs logs and returns false (keeping the old backend) when initialisation fails.
  const ok = await tf.setBackend(wanted);
  await tf.ready();
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
    const ok = await tf.setBackend(n);
    if (ok && tf.getBackend() === n) {
      await tf.ready();
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
  return initPromise;
}

/** Which backend the engine runs on, the device where known, and whether tfjs fell back. */
export async function backendInfo(): Promise<BackendInfo> {
  await ensureBackend();
  return collectInfo();
}
