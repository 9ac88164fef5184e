#!/usr/bin/env node
// Benchmark of the camlab engine on the real MobileNetV2 (nsfwjs's Keras model, 224×224, the
// bundled cat photo): forward, Grad-CAM, Score-CAM and a full backward to the input with a
// backward hook, median of several runs, on every backend present; the cost of the input check
// (engine/inputContract.ts) next to one Grad-CAM; how fast a Score-CAM at out_relu stops after
// abort() (median of 3; --no-cancel to skip). When /usr/bin/python3 can
// import torch, the same network (same topology and weights, exported here) runs in PyTorch in
// the same process tree: numbers are checked to agree and timings are printed as ratios.
//
//   node scripts/bench-engine.mjs [--runs 7] [--backends wasm,cpu] [--scorecam-runs 1] [--no-torch] [--no-cancel]
//
// Needs the kernel built (npm run build -w kernel).
import { createRequire } from "node:module";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const require = createRequire(path.join(root, "kernel", "package.json"));
const args = process.argv.slice(2);
const opt = (name, fallback) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : fallback;
};
const RUNS = Number(opt("runs", 7));
const SCORECAM_RUNS = Number(opt("scorecam-runs", 1));
const SCORECAM_LAYER = "block_16_project_BN"; // 320 channels: 320 masked forwards per Score-CAM
const SCORECAM_BATCH = 64;
const CAM_LAYER = "out_relu";
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
  const r = {};
  r.forward = await time(async () => {
    const y = net.model.predict(x);
    await y.data();
    y.dispose();
  }, runs);
  r.gradcam = await time(async () => (await camlab.cam(net.model, x, { layer: CAM_LAYER })).dispose(), runs);
  // What a widget's class switch costs now: the CAM layer's output is held, only the model after
  // it (its tail: pooling + dense) runs forward and backward — next to the full pass above.
  {
    const fx = new camlab.FeatureExtractor(net.model, CAM_LAYER);
    const held = tf.keep(fx.extract(x).features[CAM_LAYER].clone());
    fx.dispose();
    const plan = camlab.planCam(net.model, { layer: CAM_LAYER, target: 2 });
    r.gradcamHeld = await time(async () => (await camlab.camLayers(net.model, x, plan, { activation: held })).dispose(), runs);
    r.gradcamRaw = await time(async () => (await camlab.camLayers(net.model, x, plan)).dispose(), runs);
    r.tailLayers = camlab.modelTail(net.model, camlab.findLayer(net.model, CAM_LAYER))?.layers ?? 0;
    held.dispose();
  }
  // What every engine call adds before the model runs: shape/dtype checks and the finite test (Σ x·0, one 4-byte read).
  r.inputCheck = await time(async () => {
    const y = await camlab.checkModelInput(net.model, x, "bench");
    if (y !== x) y.dispose();
  }, Math.max(runs, 20));
  if (!args.includes("--no-cancel") && name !== "cpu") r.cancel = await cancelLatency(net, x);
  // Full backward to the input with a backward hook capturing dL/d(out_relu) on the way.
  const layer = camlab.findLayer(net.model, CAM_LAYER);
  r.backwardHook = await time(async () => {
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
    r.scorecamNote = `skipped on cpu (≈ ${fmt(320 * r.forward)} from 320 forwards; --scorecam-cpu to run)`;
  } else if (SCORECAM_RUNS > 0) {
    r.scorecam = await time(async () => (await camlab.cam(net.model, x, { method: "scorecam", layer: SCORECAM_LAYER, batchSize: SCORECAM_BATCH })).dispose(), SCORECAM_RUNS, 0);
  }
  const result = await camlab.cam(net.model, x, { layer: CAM_LAYER, target: 2 });
  r.raw = Array.from(await result.raw.data());
  const logits = tf.tidy(() => net.model.predict(x));
  r.logits = Array.from(await logits.data());
  logits.dispose();
  result.dispose();
  r.input = await x.data();
  x.dispose();
  return r;
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
  return { ms: median(ms), all: ms, batch: median(batches) };
}

function torchAvailable() {
  if (args.includes("--no-torch") || !fs.existsSync(python)) return false;
  return spawnSync(python, ["-c", "import torch"], { stdio: "ignore" }).status === 0;
}

function exportForTorch(net, input, dir) {
  const layers = net.model.layers.map((l) => ({
    name: l.name,
    class_name: l.getClassName(),
    config: l.getConfig(),
    inbound: [...new Set(l.inboundNodes.flatMap((n) => n.inboundLayers.map((x) => x.name)))],
  }));
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
  fs.writeFileSync(path.join(dir, "input.bin"), Buffer.from(new Float32Array(input).buffer));
  fs.writeFileSync(path.join(dir, "model.json"), JSON.stringify({ layers, weights, input_shape: [1, 224, 224, 3], cam_layer: CAM_LAYER, target: 2, scorecam_layer: SCORECAM_RUNS > 0 ? SCORECAM_LAYER : null, scorecam_batch: SCORECAM_BATCH }));
}

/** Exports the network and input, runs scripts/bench/torch_gradcam.py, checks its numbers. */
function runTorch(net, ref) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "camlab-bench-"));
  try {
    exportForTorch(net, ref.input, dir);
    const p = spawnSync(python, [path.join(root, "scripts", "bench", "torch_gradcam.py"), dir, String(RUNS)], { encoding: "utf8", maxBuffer: 64 << 20 });
    if (p.status !== 0) throw new Error(p.stderr.trim().split("\n").slice(-3).join(" | "));
    const t = JSON.parse(p.stdout.trim().split("\n").pop());
    t.logitsErr = maxRel(ref.logits, t.logits);
    t.camErr = maxRel(ref.raw, t.raw);
    t.camErrFull = maxRel(ref.raw, t.raw_full_backward);
    return t;
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

async function main() {
  const info = await camlab.backendInfo();
  const wanted = opt("backends", null)?.split(",") ?? info.available;
  const backends = camlab.BACKEND_PREFERENCE.filter((b) => wanted.includes(b) && info.available.includes(b));
  console.log(`camlab engine benchmark — MobileNetV2 (nsfwjs, Keras, ${224}×${224}), chelsea.png, batch 1`);
  console.log(`machine: ${os.cpus().length} × ${os.cpus()[0]?.model ?? "cpu"}, Node ${process.version}, load average ${os.loadavg().map((l) => l.toFixed(1)).join(" ")}; backends present: ${info.available.join(", ")}`);
  console.log(`median of ${RUNS} runs after 2 warm-ups (cpu: ${Math.min(RUNS, 3)}); Score-CAM: ${SCORECAM_RUNS} run(s) at ${SCORECAM_LAYER} (320 channels, batch ${SCORECAM_BATCH})\n`);
  const net = await camlab.loadMobileNetV2();
  const image = await camlab.loadImage(camlab.assetPath("chelsea.png"));
  const results = {};
  let torch = null;
  let torchNote = `${python} cannot import torch (apt-get install python3-torch to enable it)`;
  // PyTorch runs right after the first backend, so the two are timed under the same machine load.
  for (const [i, b] of backends.entries()) {
    process.stdout.write(`  ${b} …`);
    results[b] = await benchBackend(b, net, image);
    process.stdout.write(" done\n");
    if (i === 0 && torchAvailable()) {
      process.stdout.write("  pytorch …");
      try {
        torch = runTorch(net, results[b]);
      } catch (e) {
        torchNote = `it failed: ${e.message}`;
      }
      process.stdout.write(" done\n");
    }
  }
  const rows = [["backend", "forward", `Grad-CAM (${CAM_LAYER})`, "Score-CAM", "backward to input + hook"]];
  for (const b of backends) {
    const r = results[b];
    rows.push([b, fmt(r.forward), fmt(r.gradcam), r.scorecamNote ?? fmt(r.scorecam), fmt(r.backwardHook)]);
  }
  if (torch) {
    rows.push([`pytorch ${torch.torch} cpu (${torch.threads} threads)`, fmt(torch.forward_ms), fmt(torch.gradcam_ms), torch.scorecam_ms ? fmt(torch.scorecam_ms) : "—", fmt(torch.backward_hook_ms)]);
    rows.push([`pytorch ${torch.torch} cpu (1 thread)`, fmt(torch.forward_1thread_ms), fmt(torch.gradcam_1thread_ms), "—", "—"]);
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
    console.log(`${b}: input check: ${r.inputCheck.toFixed(2)} ms = ${((100 * r.inputCheck) / r.gradcam).toFixed(2)}% of a Grad-CAM (${fmt(r.gradcam)})`);
    console.log(`${b}: a widget's class switch (Grad-CAM at ${CAM_LAYER} from its held output, the model's last ${r.tailLayers} layers only): ${fmt(r.gradcamHeld)} vs ${fmt(r.gradcamRaw)} for the same raw map with the whole model — ${(r.gradcamRaw / r.gradcamHeld).toFixed(1)}× faster`);
    if (r.cancel != null) console.log(`${b}: Score-CAM (${CAM_LAYER}, 1280 channels, batches of 32) stops ${fmt(r.cancel.ms)} after abort() (median of 3: ${r.cancel.all.map((m) => m.toFixed(0)).join(", ")} ms; one batch ≈ ${fmt(r.cancel.batch)}, abort due halfway through the second)`);
  }
  if (torch) {
    console.log(`\nSame network in PyTorch (compared with camlab on ${backends[0]}): logits agree to ${torch.logitsErr.toExponential(1)} (relative), Grad-CAM raw map to ${torch.camErr.toExponential(1)} (${torch.camErrFull.toExponential(1)} with the full backward).`);
    console.log(`PyTorch uses ${torch.threads} threads; tfjs-wasm in Node runs on one.`);
    console.log(`PyTorch Grad-CAM as pytorch-grad-cam runs it (parameters require grad, backward through the whole net): ${fmt(torch.gradcam_param_grads_ms)}.`);
    for (const b of backends) {
      const r = results[b];
      const ratio = (a, t) => (t ? `${(a / t).toFixed(2)}×` : "—");
      console.log(`camlab ${b} / PyTorch (${torch.threads} threads): forward ${ratio(r.forward, torch.forward_ms)}, Grad-CAM ${ratio(r.gradcam, torch.gradcam_ms)} (vs pytorch-grad-cam style ${ratio(r.gradcam, torch.gradcam_param_grads_ms)}), backward+hook ${ratio(r.backwardHook, torch.backward_hook_ms)}${r.scorecam && torch.scorecam_ms ? `, Score-CAM ${ratio(r.scorecam, torch.scorecam_ms)}` : ""}; vs PyTorch on 1 thread: forward ${ratio(r.forward, torch.forward_1thread_ms)}, Grad-CAM ${ratio(r.gradcam, torch.gradcam_1thread_ms)}`);
    }
    if (results.wasm) console.log(`Goal: camlab on wasm ≤ 1.5× PyTorch CPU for Grad-CAM — ${results.wasm.gradcam / torch.gradcam_ms <= 1.5 ? "met" : "not met"} (${(results.wasm.gradcam / torch.gradcam_ms).toFixed(2)}× PyTorch on ${torch.threads} threads, ${(results.wasm.gradcam / torch.gradcam_1thread_ms).toFixed(2)}× on 1 thread). Timings on a shared machine: compare within one run.`);
  } else {
    console.log(`\nPyTorch comparison skipped: ${torchNote}.`);
  }
  image.dispose();
  net.model.dispose();
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
