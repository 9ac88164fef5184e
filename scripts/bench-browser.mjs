#!/usr/bin/env node
// Benchmark of the live widgets in real JupyterLab + Chromium on the real MobileNetV2: the time
// from a click to the updated canvas (measured in the page by the widget itself: click → pixels
// drawn) and the bytes the kernel sent back per interaction, median over repeats:
//   - class switch in the heatmap overlay (CAMs of the listed classes are prefetched at display)
//   - class switch on a display made with prefetch: false (Grad-CAM computed on the click)
//   - layer selection in the layer browser (first page of tiles of a layer not seen before)
//   - next page in the activation browser
//   - confusion explorer (issue 16) on the MNIST CNN: the sweep's throughput (images/s, measured in
//     the kernel), click on a matrix cell → its gallery drawn, click on a thumbnail → the CAM pair drawn
// Goals (issue 4): under 150 ms and 64 KB per activation page, under 50 ms and 8 KB per class switch.
//
// Writes its results (each row with every run's numbers, the machine and its load at the start
// and end) to .bench/browser-<date>.json (--json PATH to choose, --no-json to skip), which
// scripts/bench/write-readme-tables.mjs turns into the README's widget table.
//
//   node scripts/bench-browser.mjs [--repeats 7] [--confusion-only] [--json PATH | --no-json]
//
// Needs the kernel and the extension built and the Python side of Jupyter (npm test sets all up).
import { createRequire } from "node:module";
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import { openLab, openNotebook, runAllCells, startLab, waitInPage, notebook } from "../test/browser/harness.mjs";

const require = createRequire(import.meta.url);
const results = require("./bench/report.cjs");
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

const args = process.argv.slice(2);
const REPEATS = Number(args[args.indexOf("--repeats") + 1] || 7) || 7;
const CONFUSION_ONLY = args.includes("--confusion-only");
const JSON_PATH = args.includes("--json") ? args[args.indexOf("--json") + 1] : null;
const date = new Date();
const record = { kind: "browser", version: results.RESULTS_VERSION, date: date.toISOString(), argv: args, machine: results.machineInfo(), backend: null, rows: [], sweep: null };
// startLab points process.env.TMPDIR into its run folder, which stop() removes: the second lab
// of this script must start from the original temp folder.
const ORIGINAL_TMPDIR = process.env.TMPDIR;

const CELLS = [
  `import * as camlab from "camlab";
const net = await camlab.loadMobileNetV2();
const img = await camlab.loadImage(camlab.assetPath("chelsea.png"), { size: [224, 224] });
const x = net.preprocess(img);`,
  `await camlab.showHeatmap(net.model, x, { labels: net.labels, image: img })`,
  `await camlab.showHeatmap(net.model, x, { labels: net.labels, image: img, prefetch: false })`,
  `await camlab.showLayers(net.model, x, { labels: net.labels, health: false })`,
  `await camlab.showActivations(net.model, x, "block_2_expand_relu")`,
];

// Layers of different sizes, each selected once (so each click computes a fresh activation).
const LAYERS = ["block_1_expand_relu", "block_3_expand_relu", "block_5_expand_relu", "block_7_expand_relu", "block_9_expand_relu", "block_11_expand_relu", "block_13_expand_relu", "block_15_expand_relu", "Conv1_relu", "out_relu", "block_4_project_BN", "block_12_project_BN"];

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? (s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2) : NaN;
};

/** Clicks `clickSelector` inside the nth widget of `kind` and waits for the widget's next recorded interaction. */
async function interact(page, kind, nth, clickSelector) {
  return page.evaluate(
    async ({ kind, nth, clickSelector }) => {
      const root = document.querySelectorAll(`[data-testid="camlab-${kind}"]`)[nth];
      const before = Number(root.dataset.interactions ?? "0");
      const target = root.querySelector(clickSelector);
      if (!target) throw new Error(`nothing matches ${clickSelector} in ${kind} #${nth}`);
      target.click();
      const t0 = performance.now();
      while (Number(root.dataset.interactions ?? "0") === before) {
        if (performance.now() - t0 > 120_000) throw new Error(`${kind} #${nth}: no interaction recorded after clicking ${clickSelector}`);
        await new Promise((r) => setTimeout(r, 5));
      }
      return { ms: Number(root.dataset.lastLatencyMs), bytes: Number(root.dataset.lastBytes), kind: root.dataset.lastInteraction };
    },
    { kind, nth, clickSelector },
  );
}

async function classSwitches(page, nth, { warmUp = true } = {}) {
  const indices = await page.evaluate((nth) => [...document.querySelectorAll('[data-testid="camlab-heatmap"]')[nth].querySelectorAll('[data-testid="camlab-class-item"]')].map((c) => c.dataset.classIndex), nth);
  // One click first, not counted: the kernel may still be answering the other widgets' first requests.
  if (warmUp) await interact(page, "heatmap", nth, `[data-testid="camlab-class-item"][data-class-index="${indices[0]}"]`);
  const out = [];
  for (let i = 0; i < REPEATS; i++) {
    const idx = indices[(i + 1) % indices.length];
    out.push(await interact(page, "heatmap", nth, `[data-testid="camlab-class-item"][data-class-index="${idx}"]`));
  }
  return out;
}

/** Prints one interaction's medians and keeps them (with every run) for the results file under `id`. */
function report(id, name, runs, goal) {
  const ms = median(runs.map((r) => r.ms));
  const kb = median(runs.map((r) => r.bytes)) / 1024;
  record.rows.push({ id, name, ms, kb, n: runs.length, goal: goal ?? null, runs: runs.map((r) => ({ ms: r.ms, bytes: r.bytes })) });
  const verdict = goal ? ` (goal < ${goal.ms} ms and < ${goal.kb} KB: ${ms < goal.ms && kb < goal.kb ? "met" : "NOT met"})` : "";
  console.log(`${name.padEnd(44)} ${ms.toFixed(1).padStart(8)} ms ${kb.toFixed(2).padStart(8)} KB  [n=${runs.length}, ms: ${runs.map((r) => r.ms.toFixed(0)).join(" ")}]${verdict}`);
}

const lab = CONFUSION_ONLY ? null : await startLab({ label: "bench", notebooks: { "bench.ipynb": notebook(CELLS) } });
if (lab) try {
  const { page, browser } = await lab.newPage();
  const chromium = await browser.version();
  await openLab(page, lab);
  await openNotebook(page, "bench.ipynb");
  const cells = await runAllCells(page, { timeoutMs: 600_000 });
  const errors = cells.flatMap((c) => c.outputs.filter((o) => o.output_type === "error").map((o) => `${o.ename}: ${o.evalue}`));
  if (errors.length) throw new Error(`the benchmark notebook failed: ${errors.join("; ")}`);
  await waitInPage(page, () => [...document.querySelectorAll(".camlab-widget")].filter((w) => w.dataset.state === "live").length >= 4, undefined, { timeoutMs: 120_000 });
  const backend = await page.evaluate(() => document.querySelector('[data-testid="camlab-heatmap"] [data-testid="camlab-status"]')?.textContent ?? "");
  console.log(`camlab widgets on MobileNetV2 (224×224), Chromium ${chromium}; ${backend.trim()}`);
  record.machine.chromium = chromium;
  record.backend = backend.trim() || null;
  console.log(`${"interaction".padEnd(44)} ${"median".padStart(11)} ${"reply".padStart(11)}`);

  report("classSwitchPrefetched", "class switch (CAMs prefetched at display)", await classSwitches(page, 0), { ms: 50, kb: 8 });
  // Without prefetch each class is computed on its first click; later clicks hit the kernel's cache.
  const cold = await classSwitches(page, 1, { warmUp: false });
  // Its list starts on the class shown (already computed): clicks 1–4 are the other four classes.
  report("classSwitchFirst", "class switch, first click per class (Grad-CAM)", cold.slice(0, 4), { ms: 50, kb: 8 });
  const layerRuns = [];
  for (const name of LAYERS.slice(0, Math.max(REPEATS, 3))) {
    layerRuns.push(await interact(page, "layers", 0, `[data-testid="camlab-layer-item"][data-layer="${name}"]`));
  }
  report("layerSelect", "select layer → its first page of tiles", layerRuns, { ms: 150, kb: 64 });
  const pages = [];
  for (let i = 0; i < REPEATS; i++) {
    const next = await page.evaluate(() => !document.querySelector('[data-testid="camlab-activations"] [data-testid="camlab-page-next"]')?.disabled);
    if (!next) break;
    pages.push(await interact(page, "activations", 0, '[data-testid="camlab-page-next"]'));
  }
  report("activationPage", "activation browser: next page", pages, { ms: 150, kb: 64 });
} finally {
  await lab.stop();
}
if (ORIGINAL_TMPDIR === undefined) delete process.env.TMPDIR;
else process.env.TMPDIR = ORIGINAL_TMPDIR;

// The confusion explorer on MNIST: a CNN trained for one epoch (it still makes mistakes to explore).
const MNIST_CELLS = [
  `import * as camlab from "camlab";
const mnist = camlab.loadMnist({ train: 3000, test: 2500, seed: 1 });
const model = camlab.buildMnistCnn({ seed: 1 });
await camlab.trainClassifier(model, mnist.train.images, mnist.train.labels, { epochs: 1, batchSize: 64 });
const digits = Array.from({ length: 10 }, (_, d) => String(d));
// Warm-up sweep (kernels compiled), then the measured one.
await camlab.confusions(model, { x: mnist.test.images, y: mnist.test.labels });
const t0 = performance.now();
const sweep = await camlab.confusions(model, { x: mnist.test.images, y: mnist.test.labels }, { batchSize: 64 });
const sweepMs = performance.now() - t0;
\`SWEEP \${sweep.total} \${sweepMs.toFixed(1)} \${(sweep.total / (sweepMs / 1000)).toFixed(0)} \${sweep.total - Math.round(sweep.accuracy * sweep.total)}\``,
  `await camlab.showConfusion(model, { x: mnist.test.images, y: mnist.test.labels }, { labels: digits, layer: "conv2" })`,
];

const lab2 = await startLab({ label: "bench-confusion", notebooks: { "confusion.ipynb": notebook(MNIST_CELLS) } });
try {
  const { page } = await lab2.newPage();
  await openLab(page, lab2);
  await openNotebook(page, "confusion.ipynb");
  const cells = await runAllCells(page, { timeoutMs: 600_000 });
  const errors = cells.flatMap((c) => c.outputs.filter((o) => o.output_type === "error").map((o) => `${o.ename}: ${o.evalue}`));
  if (errors.length) throw new Error(`the confusion benchmark notebook failed: ${errors.join("; ")}`);
  const out = cells[0].outputs.map((o) => [o.data?.["text/plain"] ?? ""].flat().join("")).join("");
  const [, n, ms, rate, mistakes] = /SWEEP (\d+) ([\d.]+) (\d+) (\d+)/.exec(out) ?? [];
  await waitInPage(page, () => document.querySelector('[data-testid="camlab-confusion"]')?.dataset.state === "live", undefined, { timeoutMs: 120_000 });
  console.log(`\nconfusion explorer on the MNIST CNN (${n} test digits, ${mistakes} mistakes)`);
  record.sweep = { images: Number(n), ms: Number(ms), perSecond: Number(rate), mistakes: Number(mistakes) };
  console.log(`${"sweep: confusions() over the test set".padEnd(44)} ${Number(ms).toFixed(1).padStart(8)} ms  ${rate} images/s (batch 64, kernel-side)`);
  // The off-diagonal cells with the most mistakes, each opened once; then the first examples of the first cell.
  const cellsToOpen = await page.evaluate((k) => [...document.querySelectorAll('[data-testid="camlab-confusion-cell"]')]
    .filter((c) => c.dataset.truth !== c.dataset.predicted && Number(c.dataset.count) > 0)
    .sort((a, b) => Number(b.dataset.count) - Number(a.dataset.count)).slice(0, k)
    .map((c) => `[data-testid="camlab-confusion-cell"][data-truth="${c.dataset.truth}"][data-predicted="${c.dataset.predicted}"]`), Math.max(REPEATS, 3));
  const galleries = [];
  for (const sel of cellsToOpen) galleries.push(await interact(page, "confusion", 0, sel));
  report("confusionGallery", "confusion: click cell → gallery drawn", galleries);
  await interact(page, "confusion", 0, cellsToOpen[0]);
  const thumbs = await page.evaluate(() => document.querySelectorAll('[data-testid="camlab-confusion-thumb"]:not([disabled])').length);
  const pairs = [];
  for (let i = 0; i < Math.min(REPEATS, thumbs); i++) pairs.push(await interact(page, "confusion", 0, `[data-testid="camlab-confusion-thumb"]:nth-child(${i + 1})`));
  report("confusionPair", "confusion: click image → CAM pair drawn", pairs);
} finally {
  await lab2.stop();
}
record.machine.loadEnd = results.loadAverage();
if (!args.includes("--no-json")) {
  const file = results.writeResults(JSON_PATH ?? results.resultsPath(root, "browser", date), record);
  console.log(`\nresults: ${path.relative(root, file)} (node scripts/bench/write-readme-tables.mjs puts them in the README)`);
}
