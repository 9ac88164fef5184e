// The README's bench tables are written by scripts/bench/write-readme-tables.mjs from a results
// file (scripts/bench/report.cjs formats them). These tests write a results file of known numbers,
// run the writer on a README text of their own, and check the section it makes: the numbers, each
// ratio against the faster PyTorch thread count (recomputed here from the raw timings), the
// machine and load line, and that everything outside the markers is left byte for byte. No
// benchmark runs. The scripts live outside the kernel; this suite is where node:test already runs.
import { describe, it } from "node:test";
import * as assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";

const repo = path.resolve(__dirname, "..", "..", "..", "..");
const writer = path.join(repo, "scripts", "bench", "write-readme-tables.mjs");

interface Report {
  engineSection(r: unknown, o?: { source?: string; browser?: unknown }): string;
  browserSection(b: unknown, o?: { source?: string }): string;
  replaceSection(text: string, name: string, body: string): string;
  markers(name: string): { start: string; end: string };
}
// eslint-disable-next-line @typescript-eslint/no-require-imports
const report = require(path.join(repo, "scripts", "bench", "report.cjs")) as Report;

type ByThreads = Record<string, number>;
const torchTimings: Record<string, ByThreads> = {
  forward: { 1: 35, 2: 27 },
  gradcam: { 1: 40, 2: 33 },
  gradcam_param_grads: { 1: 210, 2: 150 },
  backward_hook: { 1: 110, 2: 117 }, // one thread faster here: the ratio must take it
  scorecam: { 1: 51000, 2: 39700 },
};
const camlab = { threads: 1, forwardMs: 109, gradcamMs: 103, backwardHookMs: 325, scorecamMs: 26000, gradcamHeldMs: 14.4, gradcamRawMs: 230, tailLayers: 7, inputCheckMs: 0.6 };
const scalingCamlab = [
  { requested: 1, threadsUsed: 1, build: "simd (stock loader)", error: null, cases: [
    { batch: 1, size: 224, forwardMs: 100, gradcamMs: 110 },
    { batch: 8, size: 224, forwardMs: 800, gradcamMs: 900 },
    { batch: 1, size: 448, forwardMs: 400, gradcamMs: 420 },
  ] },
  { requested: 2, threadsUsed: 2, build: "threaded-simd", error: null, cases: [
    { batch: 1, size: 224, forwardMs: 125, gradcamMs: 100 },
    { batch: 8, size: 224, forwardMs: 500, gradcamMs: 600 },
    { batch: 1, size: 448, forwardMs: 300, gradcamMs: 350 },
  ] },
];
const scalingTorch = [
  { batch: 1, size: 224, forward: { 1: 35, 2: 27 }, gradcam: { 1: 40, 2: 33 } },
  { batch: 8, size: 224, forward: { 1: 240, 2: 160 }, gradcam: { 1: 300, 2: 200 } },
  { batch: 1, size: 448, forward: { 1: 140, 2: 90 }, gradcam: { 1: 150, 2: 120 } },
];
const results = {
  kind: "engine", version: 1, date: "2026-12-01T17:00:00.000Z", argv: ["--scaling"],
  machine: {
    cpu: "Test CPU 9000", cores: 2, os: "Linux 6.1", node: "v20.20.2", tfjs: "4.22.0", tfjsWasm: "4.22.0", torch: "1.13.0",
    loadStart: [1.25, 1.5, 1.75], loadEnd: [2.5, 2, 1.8], phases: [{ name: "wasm", load: [1.25, 1.5, 1.75] }, { name: "pytorch", load: [3.75, 2, 1.8] }],
  },
  settings: { size: 224, runs: 7, camLayer: "out_relu", scorecamRuns: 1, scorecamLayer: "block_16_project_BN", scorecamChannels: 320, scorecamBatch: 64, scalingRuns: 3, batches: [1, 8], sizes: [224, 448], torchThreads: [1, 2] },
  backends: { wasm: camlab },
  torch: { version: "1.13.0", threads: [1, 2], comparedWith: "wasm", timings: torchTimings, agreement: { logits: 3.9e-7, gradcam: 9.8e-7, gradcamFull: 9.8e-7 } },
  torchNote: null,
  scaling: { backend: "wasm", threadsN: 2, camlab: scalingCamlab, torch: scalingTorch, notes: [] },
};
const browser = {
  kind: "browser", version: 1, date: "2026-12-01T18:00:00.000Z", argv: [], backend: "wasm",
  machine: { cpu: "Test CPU 9000", cores: 2, os: "Linux 6.1", node: "v20.20.2", chromium: "156.0", loadStart: [0.5, 1, 1], loadEnd: [1.5, 1, 1] },
  rows: [
    { id: "classSwitchPrefetched", name: "class switch (CAMs prefetched at display)", ms: 30, kb: 0.2, n: 7, goal: { ms: 50, kb: 8 } },
    { id: "classSwitchFirst", name: "class switch, first click per class (Grad-CAM)", ms: 42, kb: 0.2, n: 4, goal: { ms: 50, kb: 8 }, runs: [{ ms: 40, bytes: 200 }, { ms: 44, bytes: 200 }, { ms: 30, bytes: 200 }, { ms: 60, bytes: 200 }] },
  ],
  sweep: null,
};

// The ratio as the README must state it, computed here from the raw timings, not by report.cjs.
const expectedRatio = (camlabMs: number, byThreads: ByThreads): { text: string; threads: number } => {
  const [threads, ms] = Object.entries(byThreads).map(([t, v]) => [Number(t), v] as const).reduce((a, b) => (b[1] < a[1] ? b : a));
  return { text: `${(camlabMs / ms).toFixed(2)}×`, threads };
};
const threadsWord = (n: number) => `${n} thread${n === 1 ? "" : "s"}`;

/** The cells of the first table row whose first cell starts with `label`, within `section`. */
function row(section: string, label: string, after = ""): string[] {
  const from = after ? section.indexOf(after) : 0;
  assert.ok(from >= 0, `no "${after}" in the section`);
  const line = section.slice(from).split("\n").find((l) => l.startsWith(`| ${label}`));
  assert.ok(line, `no table row "${label}" in:\n${section}`);
  return line.split("|").slice(1, -1).map((c) => c.trim());
}

const { start, end } = report.markers("engine");
const browserMarkers = report.markers("browser");
const BEFORE = "# Project\n\nSome text the writer must not touch: | a | b |\n\n## Benchmarks\n\nIntro.\n\n";
const MIDDLE = "\n\nBetween the two sections.\n\n";
const AFTER = "\n\n## Layout\n\nMore text, with ‘unicode’ and trailing spaces   \n";
const OLD_WIDGETS = "| widget interaction | click → canvas |\n|---|---|\n| old | 135 ms |";
const readme = `${BEFORE}${start}\nold engine table\n${end}${MIDDLE}${browserMarkers.start}\n${OLD_WIDGETS}\n${browserMarkers.end}${AFTER}`;

/** Runs the real writer script on a temporary README and results files. */
function runWriter(withBrowser: boolean): { text: string; section: string; widgets: string } {
  const dir = mkdtempSync(path.join(tmpdir(), "camlab-readme-"));
  try {
    writeFileSync(path.join(dir, "engine.json"), JSON.stringify(results));
    writeFileSync(path.join(dir, "browser.json"), JSON.stringify(browser));
    writeFileSync(path.join(dir, "README.md"), readme);
    const r = spawnSync(process.execPath, [writer, "--engine", path.join(dir, "engine.json"), "--readme", path.join(dir, "README.md"),
      ...(withBrowser ? ["--browser", path.join(dir, "browser.json")] : ["--no-browser"])], { encoding: "utf8" });
    assert.equal(r.status, 0, `the writer failed:\n${r.stdout}\n${r.stderr}`);
    const text = readFileSync(path.join(dir, "README.md"), "utf8");
    const section = text.slice(text.indexOf(start) + start.length, text.indexOf(end));
    const widgets = text.slice(text.indexOf(browserMarkers.start) + browserMarkers.start.length, text.indexOf(browserMarkers.end));
    return { text, section, widgets };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe("README bench tables (scripts/bench/write-readme-tables.mjs)", () => {
  const { text, section, widgets } = runWriter(true);

  it("leaves everything outside the markers byte for byte", () => {
    assert.ok(text.startsWith(`${BEFORE}${start}\n`), "the text before the engine section changed");
    assert.ok(text.endsWith(`${browserMarkers.end}${AFTER}`), "the text after the widget section changed");
    const between = text.slice(text.indexOf(end), text.indexOf(browserMarkers.start));
    assert.equal(between, `${end}${MIDDLE}`);
    assert.doesNotMatch(section, /old engine table/);
  });

  it("prints the machine and the load beside the tables", () => {
    assert.match(section, /Measured 2026-12-01 17:00 UTC on Test CPU 9000 \(2 cores, Linux 6\.1\), Node v20\.20\.2, tfjs 4\.22\.0, PyTorch 1\.13\.0/);
    assert.match(section, /load average \(1 min\) 1\.25 at the start, 2\.50 at the end, highest at a phase boundary 3\.75/);
    assert.match(section, /engine\.json/, "the results file is named");
  });

  it("shows camlab's and both PyTorch references' numbers, each ratio against PyTorch's faster thread count", () => {
    const check = (label: string, camlabMs: number, key: string, cell = 3) => {
      const cells = row(section, label);
      const want = expectedRatio(camlabMs, torchTimings[key]);
      assert.equal(cells[cell], `${want.text} (1 : ${threadsWord(want.threads)})`, `${label} ratio`);
      return cells;
    };
    const fwd = check("forward", 109, "forward");
    assert.equal(fwd[1], "109 ms");
    assert.equal(fwd[2], "27.0 ms (2 threads; 1 thread: 35.0 ms)");
    const cam = check("Grad-CAM", 103, "gradcam");
    assert.equal(cam[2], "33.0 ms (2 threads; 1 thread: 40.0 ms)");
    assert.equal(cam[4], "150 ms (2 threads; 1 thread: 210 ms)", "pytorch-grad-cam's way (weight gradients)");
    check("Grad-CAM", 103, "gradcam_param_grads", 5);
    const back = check("backward to the input", 325, "backward_hook");
    assert.equal(back[2], "110 ms (1 thread; 2 threads: 117 ms)", "the faster thread count comes first, here 1");
    const sc = check("Score-CAM", 26000, "scorecam");
    assert.equal(sc[1], "26.0 s");
  });

  it("has images/s against batch and input size, and the 1 → N threads speed-up", () => {
    const fwd8 = row(section, "batch 8, 224×224", "| forward | camlab");
    assert.equal(fwd8[1], "10.0/s (800 ms)"); // 8 images in 800 ms
    assert.equal(fwd8[2], "16.0/s (500 ms)");
    assert.equal(fwd8[3], "50.0/s (160 ms, 2 threads)");
    assert.equal(fwd8[4], `${(500 / 160).toFixed(2)}× (2 : 2 threads)`, "camlab's faster against PyTorch's faster");
    const cam448 = row(section, "batch 1, 448×448", "| Grad-CAM (`out_relu`) | camlab");
    assert.equal(cam448[4], `${(350 / 120).toFixed(2)}× (2 : 2 threads)`);
    const speed = row(section, "batch 8, 224×224", "speed-up 1 → 2 threads");
    assert.deepEqual(speed.slice(1), [800 / 500, 900 / 600, 240 / 160, 300 / 200].map((x) => `${x.toFixed(2)}×`));
    assert.match(section, /2 cores, N = 2/);
  });

  it("judges the goals from the same numbers (the class switch from the browser results)", () => {
    const ratio = (k: string, ms: number) => ms / Math.min(...Object.values(torchTimings[k]));
    const mark = (ok: boolean) => (ok ? "✔" : "✘ not met:");
    assert.ok(section.includes(`${mark(ratio("gradcam", 103) <= 1.5)} Grad-CAM ≤ 1.5× PyTorch: ${ratio("gradcam", 103).toFixed(2)}×`));
    assert.ok(section.includes(`${mark(ratio("backward_hook", 325) <= 1.5)} backward to the input + hook ≤ 1.5× PyTorch: ${ratio("backward_hook", 325).toFixed(2)}×`));
    assert.ok(section.includes(`${mark(ratio("scorecam", 26000) <= 0.5)} Score-CAM ≤ 0.5× PyTorch: ${ratio("scorecam", 26000).toFixed(2)}×`));
    assert.ok(section.includes("✔ first-time class switch in the page < 50 ms: 42.0 ms (median of 4: 40, 44, 30, 60 ms"), section);
  });

  it("writes the widget table from the browser results, and leaves it alone without them", () => {
    assert.deepEqual(row(widgets, "class switch, first click"), ["class switch, first click per class (Grad-CAM)", "42.0 ms", "0.2 KB", "4", "< 50 ms, < 8 KB: met"]);
    assert.match(widgets, /Chromium 156\.0/);
    const alone = runWriter(false);
    assert.equal(alone.widgets, `\n${OLD_WIDGETS}\n`);
    assert.ok(alone.section.includes("– first-time class switch in the page < 50 ms: not measured in this run"));
  });

  it("refuses a README without the markers, naming them", () => {
    assert.throws(() => report.replaceSection("# no markers\n", "engine", "x"), /<!-- bench:engine:start --> … <!-- bench:engine:end -->/);
    assert.throws(() => report.replaceSection(`${start}${end}${start}${end}`, "engine", "x"), /more than once/);
  });

  it("the project's README has one engine and one widget section for the writer", () => {
    const real = readFileSync(path.join(repo, "README.md"), "utf8");
    for (const name of ["engine", "browser"]) {
      const m = report.markers(name);
      assert.equal(real.split(m.start).length - 1, 1, `README.md: one ${m.start}`);
      assert.equal(real.split(m.end).length - 1, 1, `README.md: one ${m.end}`);
    }
  });
});
