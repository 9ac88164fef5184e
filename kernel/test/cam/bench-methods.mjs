#!/usr/bin/env node
// Times the CAM methods, input attributions and evaluation metrics added for issue 14 on the real MobileNetV2
// (nsfwjs's Keras model, 224×224, chelsea.png, batch 1) on the backend camlab picks (or
// CAMLAB_BACKEND). Median of --runs (default 3) after one warm-up; RISE, Integrated Gradients,
// ROAD and the randomisation check once (they are hundreds of model runs or solver iterations).
// Needs the kernel built.
//
//   node kernel/test/cam/bench-methods.mjs [--runs 3] [--only gradcam,eigensmooth,augsmooth,ablationcam,rise,ig,road,randomization]
import { createRequire } from "node:module";
import * as os from "node:os";
import * as path from "node:path";
import { fileURLToPath } from "node:url";

const kernelDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");
const require = createRequire(path.join(kernelDir, "package.json"));
const camlab = require("./dist/src/index.js");
const tf = require("@tensorflow/tfjs");
const args = process.argv.slice(2);
const opt = (name, fallback) => (args.includes(`--${name}`) ? args[args.indexOf(`--${name}`) + 1] : fallback);
const RUNS = Number(opt("runs", 3));
const only = opt("only", null)?.split(",");

async function time(label, runs, f) {
  (await f()).dispose?.(); // warm-up
  const ms = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    const r = await f();
    // Tensors are read so the time includes the work; the metrics return numbers already read.
    if (r.heatmap) await r.heatmap.data();
    else if (r.map) await r.map.data();
    ms.push(performance.now() - t0);
    r.dispose?.();
  }
  ms.sort((a, b) => a - b);
  return ms[Math.floor(ms.length / 2)];
}

const info = await camlab.backendInfo();
const net = await camlab.loadMobileNetV2();
const image = await camlab.loadImage(camlab.assetPath("chelsea.png"));
const x = net.preprocess(image);
const n0 = tf.memory().numTensors;
console.log(`backend ${info.backend ?? info.name ?? tf.getBackend()}${info.device ? ` (${info.device})` : ""}; ${os.cpus().length} × ${os.cpus()[0]?.model ?? "cpu"}; Node ${process.version}; median of ${RUNS} after a warm-up (RISE, IG, SmoothGrad: 1 run)`);
// The map the evaluation rows judge: Grad-CAM at out_relu, computed once.
const gradcam = await camlab.cam(net.model, x, { layer: "out_relu" });
const trainable = net.model.layers.filter((l) => l.trainableWeights.length > 0).length;
const cases = [
  ["gradcam (for scale)", "gradcam", RUNS, () => camlab.cam(net.model, x, { layer: "out_relu" })],
  ["eigengradcam", "eigengradcam", RUNS, () => camlab.cam(net.model, x, { method: "eigengradcam", layer: "out_relu" })],
  ["kpcacam", "kpcacam", RUNS, () => camlab.cam(net.model, x, { method: "kpcacam", layer: "out_relu" })],
  ["finercam", "finercam", RUNS, () => camlab.cam(net.model, x, { method: "finercam", layer: "out_relu" })],
  ["shapleycam", "shapleycam", RUNS, () => camlab.cam(net.model, x, { method: "shapleycam", layer: "out_relu" })],
  ["lightcam (out_relu, via Conv_1 kernel)", "lightcam", RUNS, () => camlab.cam(net.model, x, { method: "lightcam", layer: "out_relu" })],
  ["gradcam + eigenSmooth", "eigensmooth", RUNS, () => camlab.cam(net.model, x, { layer: "out_relu", eigenSmooth: true })],
  ["gradcam + augSmooth (6 variants)", "augsmooth", RUNS, () => camlab.cam(net.model, x, { layer: "out_relu", augSmooth: true })],
  ["ablationcam (1280 maps, batch 8; tail only)", "ablationcam", 1, () => camlab.cam(net.model, x, { method: "ablationcam", layer: "out_relu" })],
  ["rise (1000 masks, batch 8)", "rise", 1, () => camlab.cam(net.model, x, { method: "rise", layer: "out_relu" })],
  ["fullgrad (all bias layers + input)", "fullgrad", RUNS, () => camlab.fullGrad(net.model, x)],
  ["saliency", "saliency", RUNS, () => camlab.attribute(net.model, x, { method: "saliency" })],
  ["gradientxinput", "gradientxinput", RUNS, () => camlab.attribute(net.model, x, { method: "gradientxinput" })],
  ["integratedgradients (64 steps, batch 8)", "ig", 1, () => camlab.attribute(net.model, x, { method: "integratedgradients", steps: 64 })],
  ["smoothgrad(saliency) (16 samples)", "smoothgrad", 1, () => camlab.attribute(net.model, x, { method: "saliency", smooth: { samples: 16 } })],
  ["road (9 percentiles × MoRF/LeRF, Grad-CAM map)", "road", 1, () => camlab.road(net.model, x, gradcam.heatmap)],
  [`parameterRandomization (cascading, ${trainable} layers, Grad-CAM)`, "randomization", 1, () => camlab.parameterRandomization(net.model, x, { explain: { cam: { layer: "out_relu" } } })],
  ["parameterRandomization (top 5 layers, Grad-CAM)", "randomization5", 1, () => camlab.parameterRandomization(net.model, x, { explain: { cam: { layer: "out_relu" } }, layers: net.model.layers.filter((l) => l.trainableWeights.length > 0).slice(-5).reverse().map((l) => l.name) })],
];
for (const [label, key, runs, f] of cases) {
  if (only && !only.includes(key)) continue;
  try {
    const ms = await time(label, runs, f);
    console.log(`${label.padEnd(44)} ${ms.toFixed(0).padStart(8)} ms`);
  } catch (e) {
    console.log(`${label.padEnd(44)} failed: ${String(e.message).split("\n")[0]}`);
  }
}
gradcam.dispose();
if (tf.memory().numTensors !== n0) console.log(`(tensor count changed by ${tf.memory().numTensors - n0})`);
x.dispose();
image.dispose();
