#!/usr/bin/env node
// Benchmark of the camlab engine on the real MobileNetV2 (nsfwjs's Keras model, 224×224, the
// bundled cat photo): forward, Grad-CAM, Score-CAM and a full backward to the input with a
// backward hook, median of several runs, on every backend present; the cost of the input check
// (engine/inputContract.ts) next to one Grad-CAM; how fast a Score-CAM at out_relu stops after
// abort() (median of 3; --no-cancel to skip). When /usr/bin/python3 can import torch, the same
// network (same topology and weights, exported here) runs in PyTorch in the same process tree at
// 1 thread and at every core: numbers are checked to agree, and every ratio is taken against
// PyTorch's faster thread count of this run (it swings with the load on the other cores).
//
// --scaling (what `npm run bench` passes) adds: images/s against batch size (--batches, default
// 1,8,32) and input size (--sizes, default 224,448: at 448 the same weights run with the final
// average pooling widened to the 14×14 map) for forward and Grad-CAM, camlab next to PyTorch;
// and the speed-up from 1 to N threads (--threads N, default every core up to 8) of tfjs-wasm's
// threaded build (CAMLAB_THREADS, engine/wasmThreads.ts). The build is chosen once per process, so
// each thread count runs in a child process of this script (--scaling-child); --no-threads runs
// the scaling cases on one thread only.
//
// Every run writes its results as JSON (machine: CPU model, cores, load average at the start, at
// each phase and at the end, versions) to .bench/engine-<date>.json (--json PATH to choose,
// --no-json to skip); scripts/bench/write-readme-tables.mjs turns one into the README's tables.
//
//   node scripts/bench-engine.mjs [--runs 7] [--backends wasm,cpu] [--scorecam-runs 1] [--no-torch]
//     [--torch-threads 1,2] [--no-cancel] [--scaling [--batches 1,8,32] [--sizes 224,448]
//     [--scaling-runs 3] [--threads N] [--no-threads]] [--json PATH | --no-json]
//
// Needs the kernel built (npm run build -w kernel). scripts/gpu-bundle.mjs ships this file alone
// (no scripts/bench/): the results file and the markdown tables come from scripts/bench/report.cjs,
// imported only when present, so that without it the plain table still prints.
import { createRequire } from "node:module";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const here = fileURLToPath(import.meta.url);
const root = path.resolve(path.dirname(here), "..");
const require = createRequire(path.join(root, "kernel", "package.json"));
const args = process.argv.slice(2);
const opt = (name, fallback) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : fallback;
};
const list = (s) => String(s).split(",").map(Number).filter((n) => Number.isFinite(n) && n > 0);
const CORES = typeof os.availableParallelism === "function" ? os.availableParallelism() : os.cpus().length;
const RUNS = Number(opt("runs", 7));
const SCORECAM_RUNS = Number(opt("scorecam-runs", 1));
const SCORECAM_LAYER = "block_16_project_BN"; // 320 channels: 320 masked forwards per Score-CAM
const SCORECAM_CHANNELS = 320;
const SCORECAM_BATCH = 8; // camlab's default (DEFAULT_MASK_BATCH): Cancel lands within a batch
const CAM_LAYER = "out_relu";
const SIZE = 224;
const SCALING = args.includes("--scaling") || args.includes("--scaling-child");
const BATCHES = list(opt("batches", "1,8,32"));
const SIZES = list(opt("sizes", "224,448"));
const SCALING_RUNS = Number(opt("scaling-runs", 3));
const THREADS_N = Math.min(Number(opt("threads", Math.min(CORES, 8))), 8); // the threaded build's maximum
const TORCH_THREADS = [...new Set(list(opt("torch-threads", `1,${CORES}`)))].sort((a, b) => a - b);
const python = "/usr/bin/python3";

let camlab, tf;
try {
  camlab = require("./dist/src/index.js");
  tf = require("@tensorflow/tfjs");
} catch (e) {
  console.error(`camlab is not built (${e.message.split("\n")[0]}); run: npm run build -w kernel`);
  process.exit(1);
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
async function time(fn, runs, warmup = 2) {
  for (let i = 0; i < warmup; i++) await fn();
  const ts = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    await fn();
    ts.push(performance.now() - t0);
  }
  return median(ts);
}
const fmt = (ms) => (ms == null ? "—" : ms >= 10000 ? `${(ms / 1000).toFixed(1)} s` : `${ms.toFixed(1)} ms`);

async function benchBackend(name, net, image) {
  await camlab.useBackend(name);
  const x = net.preprocess(image);
  const runs = name === "cpu" ? Math.min(RUNS, 3) : RUNS;
  const r = { threads: (await camlab.backendInfo()).threads };
  r.forwardMs = await time(async () => {
    const y = net.model.predict(x);
    await y.data();
    y.dispose();
  }, runs);
  r.gradcamMs = await time(async () => (await camlab.cam(net.model, x, { layer: CAM_LAYER })).dispose(), runs);
  // What a widget's class switch costs now: the CAM layer's output is held, only the model after
  // it (its tail: pooling + dense) runs forward and backward — next to the full pass above.
  {
    const fx = new camlab.FeatureExtractor(net.model, CAM_LAYER);
    const held = tf.keep(fx.extract(x).features[CAM_LAYER].clone());
    fx.dispose();
    const plan = camlab.planCam(net.model, { layer: CAM_LAYER, target: 2 });
    r.gradcamHeldMs = await time(async () => (await camlab.camLayers(net.model, x, plan, { activation: held })).dispose(), runs);
    r.gradcamRawMs = await time(async () => (await camlab.camLayers(net.model, x, plan)).dispose(), runs);
    r.tailLayers = camlab.modelTail(net.model, camlab.findLayer(net.model, CAM_LAYER))?.layers ?? 0;
    held.dispose();
  }
  // What every engine call adds before the model runs: shape/dtype checks and the finite test (Σ x·0, one 4-byte read),
  // for an input tensor not checked before (a fresh clone each run: a checked tensor is not read again).
  r.inputCheckMs = await time(async () => {
    const fresh = tf.clone(x);
    const y = await camlab.checkModelInput(net.model, fresh, "bench");
    if (y !== fresh) y.dispose();
    fresh.dispose();
  }, Math.max(runs, 20));
  if (!args.includes("--no-cancel") && name !== "cpu") r.cancel = await cancelLatency(net, x);
  // Full backward to the input with a backward hook capturing dL/d(out_relu) on the way.
  const layer = camlab.findLayer(net.model, CAM_LAYER);
  r.backwardHookMs = await time(async () => {
    let dy = null;
    const h = camlab.registerBackwardHook(layer, (_l, g) => void (dy = tf.keep(g.clone())));
    try {
      const gx = tf.tidy(() => tf.grad((xx) => tf.sum(tf.mul(net.model.apply(xx), tf.oneHot([2], 5))))(x));
      await gx.data();
      gx.dispose();
    } finally {
      h.remove();
      dy?.dispose();
    }
  }, runs);
  if (name === "cpu" && !args.includes("--scorecam-cpu")) {
    r.scorecamNote = `skipped on cpu (≈ ${fmt(SCORECAM_CHANNELS * r.forwardMs)} from ${SCORECAM_CHANNELS} forwards; --scorecam-cpu to run)`;
  } else if (SCORECAM_RUNS > 0) {
    const scorecam = async () => (await camlab.cam(net.model, x, { method: "scorecam", layer: SCORECAM_LAYER, batchSize: SCORECAM_BATCH })).dispose();
    // As a user gets it: the masked batches shared between the main thread and the model's
    // replicas in worker threads (engine/replicas.ts; started by this first call, not before).
    r.scorecamMs = await time(scorecam, SCORECAM_RUNS, 0);
    r.scorecamThreads = 1 + (name === "wasm" ? await camlab.startReplicas(net.model) : 0);
    camlab.endReplicas(net.model);
    if (r.scorecamThreads > 1) {
      // The same on the main thread alone, for the 1 → N speed-up.
      const saved = process.env.CAMLAB_WORKERS;
      process.env.CAMLAB_WORKERS = "0";
      try {
        r.scorecamMainOnlyMs = await time(scorecam, SCORECAM_RUNS, 0);
      } finally {
        if (saved == null) delete process.env.CAMLAB_WORKERS;
        else process.env.CAMLAB_WORKERS = saved;
      }
    }
  }
  const result = await camlab.cam(net.model, x, { layer: CAM_LAYER, target: 2 });
  const check = { raw: Array.from(await result.raw.data()) };
  const logits = tf.tidy(() => net.model.predict(x));
  check.logits = Array.from(await logits.data());
  logits.dispose();
  result.dispose();
  check.input = await x.data();
  x.dispose();
  return { r, check };
}

/**
 * Time from abort() to the rejection of a Score-CAM at out_relu (1280 channels, batches of 32
 * masked inputs), median of 3. The abort is due halfway through the second batch, as an interrupt
 * lands at any moment; while a batch runs, JavaScript does not (wasm blocks the thread), so the
 * work stops at the next checkpoint: the latency is what is left of the batch, at most one batch.
 */
async function cancelLatency(net, x) {
  const ms = [], batches = [];
  for (let i = 0; i < 3; i++) {
    const controller = new AbortController();
    let due = 0;
    const t0 = performance.now();
    const work = camlab.runWork({ signal: controller.signal, progressIntervalMs: 0, onProgress: (p) => {
      if (p.done > 0 && !due) {
        const batch = performance.now() - t0; // the first batch, with the gradient pass before it
        batches.push(batch);
        due = performance.now() + batch / 2;
        setTimeout(() => controller.abort(), batch / 2);
      }
    } }, () => camlab.cam(net.model, x, { method: "scorecam", layer: CAM_LAYER, batchSize: 32 }));
    const n0 = tf.memory().numTensors;
    try {
      (await work).dispose();
      throw new Error("Score-CAM was not cancelled");
    } catch (e) {
      if (!(e instanceof camlab.Cancelled)) throw e;
      ms.push(performance.now() - due);
    }
    if (tf.memory().numTensors !== n0) throw new Error(`cancelled Score-CAM left ${tf.memory().numTensors - n0} tensors`);
  }
  return { ms: median(ms), all: ms, batchMs: median(batches) };
}

// ---- scaling: batch and input size -------------------------------------------------------------

/**
 * The model at another square input size with the same weights. nsfwjs's MobileNetV2 ends in a
 * 7×7 average pooling over the 7×7 out_relu map (a global average) then Flatten + Dense, so at
 * 448 the pooling is widened to the 14×14 map: still a global average, and the head's weights fit.
 * Returns the tfjs model and its layers as exported to PyTorch.
 */
async function atInputSize(model, size) {
  if (size === SIZE) return model;
  const topology = model.toJSON(null, false);
  for (const l of topology.config.layers) {
    if (l.class_name === "InputLayer") l.config.batch_input_shape = [null, size, size, 3];
    if (l.class_name === "AveragePooling2D") {
      const k = (l.config.pool_size[0] * size) / SIZE;
      if (!Number.isInteger(k)) throw new Error(`input size ${size} is not a multiple of ${SIZE / l.config.pool_size[0]}`);
      l.config.pool_size = [k, k];
      l.config.strides = [k, k];
    }
  }
  const m = await tf.models.modelFromJSON(topology);
  m.setWeights(model.getWeights());
  return m;
}

/** The scaling input at `size`: the photo's preprocessed 224 input, resized bilinearly. */
function inputAtSize(x, size) {
  return size === SIZE ? x.clone() : tf.tidy(() => tf.image.resizeBilinear(x, [size, size]));
}

/**
 * Runs in a child (--scaling-child, CAMLAB_THREADS set by the parent): forward and Grad-CAM at
 * every batch × size case; prints one JSON line: what backendInfo reports and the timings.
 */
async function scalingChild() {
  const name = opt("backends", "wasm").split(",")[0];
  await camlab.useBackend(name);
  const info = await camlab.backendInfo();
  const state = name === "wasm" ? require("./dist/src/engine/wasmThreads.js").wasmThreadState() : null;
  const net = await camlab.loadMobileNetV2();
  const image = await camlab.loadImage(camlab.assetPath("chelsea.png"));
  const x = net.preprocess(image);
  const cases = [];
  for (const size of SIZES) {
    const model = await atInputSize(net.model, size);
    const x1 = inputAtSize(x, size);
    for (const batch of BATCHES) {
      if (size !== SIZE && batch !== 1) continue; // size scaling at batch 1 only: enough to see the trend, and cheap
      const xb = tf.tidy(() => tf.tile(x1, [batch, 1, 1, 1]));
      const forwardMs = await time(async () => {
        const y = model.predict(xb);
        await y.data();
        y.dispose();
      }, SCALING_RUNS, 1);
      const gradcamMs = await time(async () => (await camlab.cam(model, xb, { layer: CAM_LAYER, target: 2 })).dispose(), SCALING_RUNS, 1);
      cases.push({ batch, size, forwardMs, gradcamMs });
      xb.dispose();
    }
    x1.dispose();
    if (model !== net.model) model.dispose();
  }
  process.stdout.write(`\n${JSON.stringify({
    requested: Number(process.env.CAMLAB_THREADS ?? 1), threadsUsed: info.threads ?? 1,
    build: state?.build ?? info.name, error: state?.error ?? null, loadMs: state?.loadMs ?? null, cases,
  })}\n`);
}

/** The scaling cases that run: every batch at the model's size, batch 1 at the other sizes. */
function scalingCases() {
  return SIZES.flatMap((size) => (size === SIZE ? BATCHES.map((batch) => ({ batch, size })) : BATCHES.includes(1) ? [{ batch: 1, size }] : []));
}

/** One child per thread count (the wasm build is picked once per process). */
function runScalingChild(backend, threads) {
  const p = spawnSync(process.execPath, [here, "--scaling-child", "--backends", backend, "--batches", BATCHES.join(","), "--sizes", SIZES.join(","), "--scaling-runs", String(SCALING_RUNS)], {
    encoding: "utf8", maxBuffer: 16 << 20, env: { ...process.env, CAMLAB_BACKEND: backend, CAMLAB_THREADS: String(threads) },
  });
  if (p.status !== 0) throw new Error(`scaling child (CAMLAB_THREADS=${threads}) failed: ${(p.stderr || p.stdout).trim().split("\n").slice(-3).join(" | ")}`);
  return JSON.parse(p.stdout.trim().split("\n").pop());
}

// ---- PyTorch -----------------------------------------------------------------------------------

function torchAvailable() {
  if (args.includes("--no-torch") || !fs.existsSync(python)) return false;
  return spawnSync(python, ["-c", "import torch"], { stdio: "ignore" }).status === 0;
}

const layerSpecs = (model) => model.layers.map((l) => ({
  name: l.name,
  class_name: l.getClassName(),
  config: l.getConfig(),
  inbound: [...new Set(l.inboundNodes.flatMap((n) => n.inboundLayers.map((x) => x.name)))],
}));
const writeFloats = (file, data) => fs.writeFileSync(file, Buffer.from(new Float32Array(data).buffer));

/** Writes what torch_gradcam.py reads; `parts` says which timings it runs (main: batch 1; scaling). */
async function exportForTorch(net, input, dir, parts) {
  const weights = [];
  let offset = 0;
  const chunks = [];
  for (const w of net.model.weights) {
    const v = w.read().dataSync(); // a one-off export for the benchmark, not engine code
    weights.push({ name: w.name, shape: w.shape, offset });
    chunks.push(Buffer.from(new Float32Array(v).buffer));
    offset += v.length;
  }
  fs.writeFileSync(path.join(dir, "weights.bin"), Buffer.concat(chunks));
  writeFloats(path.join(dir, "input.bin"), input);
  const meta = {
    layers: layerSpecs(net.model), weights, input_shape: [1, SIZE, SIZE, 3], cam_layer: CAM_LAYER, target: 2,
    scorecam_layer: SCORECAM_RUNS > 0 ? SCORECAM_LAYER : null, scorecam_batch: SCORECAM_BATCH, scorecam_runs: SCORECAM_RUNS, threads: TORCH_THREADS,
    main: parts.main,
  };
  if (parts.scaling) {
    meta.scaling = { runs: SCALING_RUNS, cases: scalingCases(), sizes: {} };
    const x = tf.tensor(input, [1, SIZE, SIZE, 3]);
    for (const size of SIZES.filter((s) => s !== SIZE)) {
      const m = await atInputSize(net.model, size);
      const xs = inputAtSize(x, size);
      writeFloats(path.join(dir, `input-${size}.bin`), await xs.data());
      meta.scaling.sizes[size] = { layers: layerSpecs(m), input: `input-${size}.bin`, input_shape: [1, size, size, 3] };
      xs.dispose();
      m.dispose();
    }
    x.dispose();
  }
  fs.writeFileSync(path.join(dir, "model.json"), JSON.stringify(meta));
}

/**
 * Exports the network and input, runs scripts/bench/torch_gradcam.py for `parts` ({ main, scaling }),
 * checks its numbers against camlab's.
 */
async function runTorch(net, ref, parts) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "camlab-bench-"));
  try {
    await exportForTorch(net, ref.input, dir, parts);
    const p = spawnSync(python, [path.join(root, "scripts", "bench", "torch_gradcam.py"), dir, String(RUNS)], { encoding: "utf8", maxBuffer: 64 << 20 });
    if (p.status !== 0) throw new Error(p.stderr.trim().split("\n").slice(-3).join(" | "));
    const t = JSON.parse(p.stdout.trim().split("\n").pop());
    return {
      version: t.torch, threads: t.threads, timings: t.timings, scaling: t.scaling ?? null,
      agreement: { logits: maxRel(ref.logits, t.logits), gradcam: maxRel(ref.raw, t.raw), gradcamFull: maxRel(ref.raw, t.raw_full_backward) },
    };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

function maxRel(a, b) {
  let scale = 1e-12, m = 0;
  for (const v of b) scale = Math.max(scale, Math.abs(v));
  a.forEach((v, i) => (m = Math.max(m, Math.abs(v - b[i]))));
  return m / scale;
}

// ---- the run -----------------------------------------------------------------------------------

/** scripts/bench/report.cjs, or null where this file travels alone (scripts/gpu-bundle.mjs). */
async function loadReport() {
  const file = path.join(root, "scripts", "bench", "report.cjs");
  return fs.existsSync(file) ? (await import(pathToFileURL(file).href)).default : null;
}

async function main() {
  const report = await loadReport();
  const phases = [];
  const phase = (name) => phases.push({ name, at: new Date().toISOString(), load: os.loadavg().map((l) => Math.round(l * 100) / 100) });
  const machine = report ? report.machineInfo() : { cores: CORES, loadStart: os.loadavg() };
  const date = new Date();
  const info = await camlab.backendInfo();
  const wanted = opt("backends", null)?.split(",") ?? info.available;
  const backends = camlab.BACKEND_PREFERENCE.filter((b) => wanted.includes(b) && info.available.includes(b));
  console.log(`camlab engine benchmark — MobileNetV2 (nsfwjs, Keras, ${SIZE}×${SIZE}), chelsea.png, batch 1`);
  console.log(`machine: ${CORES} × ${os.cpus()[0]?.model ?? "cpu"}, Node ${process.version}, load average ${os.loadavg().map((l) => l.toFixed(1)).join(" ")}; backends present: ${info.available.join(", ")}`);
  console.log(`median of ${RUNS} runs after 2 warm-ups (cpu: ${Math.min(RUNS, 3)}); Score-CAM: ${SCORECAM_RUNS} run(s) at ${SCORECAM_LAYER} (${SCORECAM_CHANNELS} channels, batch ${SCORECAM_BATCH})${SCALING ? `; scaling: batches ${BATCHES.join(", ")}, sizes ${SIZES.join(", ")}, median of ${SCALING_RUNS}, 1 → ${THREADS_N} threads` : ""}\n`);
  const net = await camlab.loadMobileNetV2();
  const image = await camlab.loadImage(camlab.assetPath("chelsea.png"));
  const results = {};
  let scaling = null;
  let torch = null;
  let torchNote = `${python} cannot import torch (apt-get install python3-torch to enable it)`;
  const haveTorch = torchAvailable();
  // PyTorch's batch-1 part runs right after the first backend's, and its scaling part right after
  // camlab's scaling children, so that each pair is timed under (nearly) the same machine load.
  for (const [i, b] of backends.entries()) {
    phase(b);
    process.stdout.write(`  ${b} …`);
    const { r, check } = await benchBackend(b, net, image);
    results[b] = r;
    process.stdout.write(" done\n");
    if (i === 0 && haveTorch) {
      phase("pytorch");
      process.stdout.write("  pytorch …");
      try {
        torch = await runTorch(net, check, { main: true, scaling: false });
        torch.comparedWith = b;
        delete torch.scaling;
      } catch (e) {
        torchNote = `it failed: ${e.message}`;
      }
      process.stdout.write(" done\n");
    }
    if (i === 0 && SCALING) {
      const threadCounts = b === "wasm" && !args.includes("--no-threads") && THREADS_N > 1 ? [1, THREADS_N] : [1];
      scaling = { backend: b, threadsN: threadCounts[threadCounts.length - 1], camlab: [], torch: null, notes: [] };
      for (const n of threadCounts) {
        phase(`scaling ${b} ${n} thread(s)`);
        process.stdout.write(`  ${b} scaling, CAMLAB_THREADS=${n} …`);
        try {
          scaling.camlab.push(runScalingChild(b, n));
          process.stdout.write(" done\n");
        } catch (e) {
          scaling.notes.push(e.message);
          process.stdout.write(` failed: ${e.message}\n`);
        }
      }
      if (b === "wasm" && THREADS_N <= 1) scaling.notes.push("one core here (or --threads 1): no thread scaling");
      if (torch) {
        phase("pytorch scaling");
        process.stdout.write("  pytorch scaling …");
        try {
          scaling.torch = (await runTorch(net, check, { main: false, scaling: true })).scaling;
          process.stdout.write(" done\n");
        } catch (e) {
          scaling.notes.push(`PyTorch scaling failed: ${e.message}`);
          process.stdout.write(` failed: ${e.message}\n`);
        }
      }
    }
  }
  phase("end");
  // The plain table (scripts/gpu-check.mjs reads its backend rows: keep their shape).
  const rows = [["backend", "forward", `Grad-CAM (${CAM_LAYER})`, "Score-CAM", "backward to input + hook"]];
  for (const b of backends) {
    const r = results[b];
    rows.push([b, fmt(r.forwardMs), fmt(r.gradcamMs), r.scorecamNote ?? fmt(r.scorecamMs), fmt(r.backwardHookMs)]);
  }
  if (torch) {
    for (const t of torch.threads) {
      const at = (k) => torch.timings[k]?.[String(t)];
      rows.push([`pytorch ${torch.version} cpu (${t} thread${t === 1 ? "" : "s"})`, fmt(at("forward")), fmt(at("gradcam")), fmt(at("scorecam")), fmt(at("backward_hook"))]);
    }
  }
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  console.log("");
  for (const [i, r] of rows.entries()) {
    console.log("  " + r.map((c, j) => c.padEnd(widths[j])).join("  "));
    if (i === 0) console.log("  " + widths.map((w) => "-".repeat(w)).join("  "));
  }
  console.log("");
  for (const b of backends) {
    const r = results[b];
    console.log(`${b}: input check: ${r.inputCheckMs.toFixed(2)} ms = ${((100 * r.inputCheckMs) / r.gradcamMs).toFixed(2)}% of a Grad-CAM (${fmt(r.gradcamMs)})`);
    console.log(`${b}: a widget's class switch (Grad-CAM at ${CAM_LAYER} from its held output, the model's last ${r.tailLayers} layers only): ${fmt(r.gradcamHeldMs)} vs ${fmt(r.gradcamRawMs)} for the same raw map with the whole model — ${(r.gradcamRawMs / r.gradcamHeldMs).toFixed(1)}× faster`);
    if (r.cancel != null) console.log(`${b}: Score-CAM (${CAM_LAYER}, 1280 channels, batches of 32) stops ${fmt(r.cancel.ms)} after abort() (median of 3: ${r.cancel.all.map((m) => m.toFixed(0)).join(", ")} ms; one batch ≈ ${fmt(r.cancel.batchMs)}, abort due halfway through the second)`);
  }
  if (torch) {
    console.log(`\nSame network in PyTorch (compared with camlab on ${backends[0]}): logits agree to ${torch.agreement.logits.toExponential(1)} (relative), Grad-CAM raw map to ${torch.agreement.gradcam.toExponential(1)} (${torch.agreement.gradcamFull.toExponential(1)} with the full backward).`);
  } else {
    console.log(`\nPyTorch comparison skipped: ${torchNote}.`);
  }
  for (const cfg of scaling?.camlab ?? []) {
    const cases = cfg.cases.map((c) => `batch ${c.batch} at ${c.size}: forward ${fmt(c.forwardMs)} (${((1000 * c.batch) / c.forwardMs).toFixed(1)}/s), Grad-CAM ${fmt(c.gradcamMs)} (${((1000 * c.batch) / c.gradcamMs).toFixed(1)}/s)`);
    console.log(`scaling, ${scaling.backend} on ${cfg.threadsUsed} thread(s) (CAMLAB_THREADS=${cfg.requested}, ${cfg.build}${cfg.error ? `: ${cfg.error}` : ""}): ${cases.join("; ")}`);
  }
  for (const note of scaling?.notes ?? []) console.log(`scaling: ${note}`);
  image.dispose();
  net.model.dispose();
  if (!report) {
    console.log("\n(scripts/bench/report.cjs is not here: no results file, no ratio tables)");
    return;
  }
  const out = {
    kind: "engine", version: report.RESULTS_VERSION, date: date.toISOString(), argv: args,
    machine: {
      ...machine, tfjs: tf.version.tfjs, tfjsWasm: require("@tensorflow/tfjs-backend-wasm/package.json").version,
      torch: torch?.version ?? null, phases, loadEnd: report.loadAverage(),
    },
    settings: {
      size: SIZE, runs: RUNS, camLayer: CAM_LAYER, scorecamRuns: SCORECAM_RUNS, scorecamLayer: SCORECAM_LAYER, scorecamChannels: SCORECAM_CHANNELS,
      scorecamBatch: SCORECAM_BATCH, scalingRuns: SCALING ? SCALING_RUNS : null, batches: SCALING ? BATCHES : null, sizes: SCALING ? SIZES : null, torchThreads: TORCH_THREADS,
    },
    backends: results, torch, torchNote: torch ? null : torchNote, scaling,
  };
  console.log(`\n${report.engineSection(out)}\n`);
  if (!args.includes("--no-json")) {
    const file = report.writeResults(opt("json", null) ?? report.resultsPath(root, "engine", date), out);
    console.log(`results: ${path.relative(process.cwd(), file)} (node scripts/bench/write-readme-tables.mjs --engine ${path.relative(root, file)} puts them in the README)`);
  }
}

(args.includes("--scaling-child") ? scalingChild() : main()).catch((e) => {
  console.error(e);
  process.exit(1);
});
