#!/usr/bin/env node
// `npm run gpu-check`: camlab on a real GPU through WebGPU (Dawn + Vulkan). Prepared for a machine
// with an NVIDIA (or AMD/Intel) GPU and its Vulkan driver; it
//   1. reports the GPU (nvidia-smi), the Vulkan driver, the WebGPU adapter Dawn picks and what
//      camlab chooses on its own (`backendInfo()`: a hardware adapter makes webgpu the default);
//   2. runs every engine test suite on webgpu (engine, hooks, cam, metrics, models, data — the same
//      runner as `npm test -- kernel-webgpu` with CAMLAB_WEBGPU_TESTS=all, the sync-read guard
//      preloaded; engine/webgpuParity compares every hook and CAM method with wasm, < 1e-3);
//   3. runs the engine benchmark (scripts/bench-engine.mjs: MobileNetV2 224×224 forward, Grad-CAM,
//      Score-CAM, backward to the input with a hook) on webgpu next to wasm, each in its own process.
// It writes everything to <out>/gpu-check.md (and .json) and exits non-zero when there is no
// hardware adapter or a test fails.
//
//   node scripts/gpu-check.mjs [--out DIR] [--runs N] [--scorecam-runs N] [--tests all|ci]
//                              [--deadline SECONDS] [--skip-tests] [--skip-bench] [--allow-software]
//
// --tests ci runs only the CI subset (WEBGPU_CI_TESTS in scripts/lib/webgpu.mjs) instead of every
// engine suite. --deadline bounds the whole check: a step still running when the time is up is
// stopped (the report says so) and the report is still written. The bundle that
// scripts/gpu-bundle.mjs makes (for a GPU machine without Node.js) runs this file with
// `--tests ci --runs 3 --deadline 480`.
//
// --allow-software runs it on a software adapter too (Mesa's llvmpipe: how it was tried on the
// project's CPU-only machines; the full test set takes several minutes there).
//
// The machine needs what `npm ci` installed (node_modules, with the optional `webgpu` package for
// its platform) and a Vulkan loader + driver: on Debian/Ubuntu `libvulkan1` and the NVIDIA driver's
// Vulkan ICD (nvidia_icd.json, from the driver packages). When libvulkan1 is missing but the driver
// is there, the loader unpacked in .mesa-vulkan/ (node scripts/lib/webgpu.mjs --install) is used.
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import * as os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { findWebgpuEnv, webgpuTestFiles, SYNC_READ_GUARD, MESA_DIR } from "./lib/webgpu.mjs";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const args = process.argv.slice(2);
const opt = (name, fallback) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : fallback;
};
const OUT = path.resolve(opt("out", process.env.OUT || path.join(root, ".test-artifacts", "gpu-check")));
const RUNS = opt("runs", "7");
const SCORECAM_RUNS = opt("scorecam-runs", "1");
const TESTS = opt("tests", "all");
if (!["all", "ci"].includes(TESTS)) {
  console.error(`--tests must be all or ci, not ${TESTS}`);
  process.exit(2);
}
const T0 = Date.now();
const DEADLINE = opt("deadline", null) == null ? Infinity : T0 + Number(opt("deadline")) * 1000;
/** What a step may take: its own limit, cut to what is left before --deadline. */
const left = (ms) => Math.max(1000, Math.min(ms, DEADLINE - Date.now()));
const report = { date: new Date().toISOString(), machine: {}, adapter: null, camlab: null, tests: null, bench: {} };
const lines = [];
const say = (s = "") => {
  console.log(s);
  lines.push(s);
};

function run(cmd, argv, { env = process.env, timeout = 600_000, echo = true } = {}) {
  const t0 = Date.now();
  const limit = left(timeout);
  const r = spawnSync(cmd, argv, { cwd: root, env, encoding: "utf8", timeout: limit, maxBuffer: 256 << 20 });
  const out = `${r.stdout ?? ""}${r.stderr ?? ""}`;
  if (echo) process.stdout.write(out);
  const timedOut = r.error?.code === "ETIMEDOUT";
  if (timedOut) console.log(`[gpu-check] stopped after ${(limit / 1000).toFixed(0)} s (time limit)`);
  return { code: r.status ?? (r.error ? 127 : 1), out, seconds: (Date.now() - t0) / 1000, error: r.error, timedOut };
}

function finish(code) {
  mkdirSync(OUT, { recursive: true });
  writeFileSync(path.join(OUT, "gpu-check.md"), lines.join("\n") + "\n");
  writeFileSync(path.join(OUT, "gpu-check.json"), JSON.stringify(report, null, 2) + "\n");
  console.log(`\nreport: ${path.relative(process.cwd(), path.join(OUT, "gpu-check.md"))}`);
  process.exit(code);
}

// ---- 0. the kernel build ------------------------------------------------------------------------
if (!existsSync(path.join(root, "kernel", "dist", "src", "index.js")) || !existsSync(SYNC_READ_GUARD)) {
  say("building the kernel (tsc) …");
  const b = run(process.execPath, [path.join(root, "node_modules", "typescript", "bin", "tsc"), "-p", "kernel/tsconfig.json"]);
  if (b.code !== 0) {
    say(`kernel build failed (exit ${b.code}); is node_modules there (npm ci)?`);
    finish(2);
  }
}

// ---- 1. the machine, the driver, the adapter --------------------------------------------------
say(`# camlab gpu-check — ${report.date}`);
say("");
report.machine = { cpus: `${os.cpus().length} × ${os.cpus()[0]?.model ?? "cpu"}`, node: process.version, platform: `${process.platform}-${process.arch}` };
say(`machine: ${report.machine.cpus}, Node ${process.version}, ${report.machine.platform}`);
const smi = run("nvidia-smi", ["--query-gpu=name,driver_version,memory.total", "--format=csv,noheader"], { echo: false, timeout: 30_000 });
report.machine.nvidiaSmi = smi.code === 0 ? smi.out.trim() : null;
say(`nvidia-smi: ${report.machine.nvidiaSmi ?? "not available"}`);
const vk = run("vulkaninfo", ["--summary"], { echo: false, timeout: 60_000 });
report.machine.vulkaninfo = vk.code === 0 ? vk.out.split("\n").filter((l) => /deviceName|driverName|driverInfo|apiVersion|deviceType/.test(l)).map((l) => l.trim()) : null;
say(`vulkaninfo: ${report.machine.vulkaninfo ? report.machine.vulkaninfo.join("; ") : "not available (apt-get install vulkan-tools to see the Vulkan devices)"}`);

const gpu = findWebgpuEnv(process.env);
if (!gpu.env) {
  say("");
  say(`NO WebGPU adapter: ${gpu.reason}`);
  say("Needs a Vulkan loader (libvulkan1) and the GPU's Vulkan driver (NVIDIA: the driver's nvidia_icd.json);");
  say(`Mesa's llvmpipe in ${path.relative(root, MESA_DIR)}/ would give a software adapter (--allow-software).`);
  finish(1);
}
report.adapter = { ...gpu.adapter, via: gpu.via };
say(`WebGPU adapter: ${gpu.adapter.name} (vendor ${gpu.adapter.vendor || "?"}, architecture ${gpu.adapter.architecture || "?"}${gpu.adapter.software ? ", SOFTWARE on the CPU" : ""}), via ${gpu.via}`);
if (gpu.adapter.software && !args.includes("--allow-software")) {
  say("");
  say("This adapter is a software rasteriser, not a GPU: stopping (use --allow-software to run the checks on it anyway).");
  finish(1);
}

// What camlab chooses by itself with this environment (no CAMLAB_BACKEND).
const infoEnv = { ...gpu.env };
delete infoEnv.CAMLAB_BACKEND;
const info = run(process.execPath, ["-e", `require(${JSON.stringify(path.join(root, "kernel", "dist", "src", "engine"))}).backendInfo().then((i) => console.log("INFO " + JSON.stringify(i)))`], { env: infoEnv, echo: false, timeout: 120_000 });
const infoLine = info.out.split("\n").find((l) => l.startsWith("INFO "));
report.camlab = infoLine ? JSON.parse(infoLine.slice(5)) : { error: info.out.trim().split("\n").slice(-3).join(" ") };
say(`camlab backendInfo(): ${report.camlab.name ? `runs on ${report.camlab.name} (${report.camlab.device}); available: ${report.camlab.available.join(", ")}` : report.camlab.error}`);
for (const n of report.camlab.notes ?? []) say(`  note: ${n}`);

let failed = gpu.adapter.software ? false : report.camlab.name !== "webgpu";
if (failed) say("  ✗ camlab did not choose webgpu on its own with a hardware adapter");

// ---- 2. the engine tests on webgpu ------------------------------------------------------------
if (!args.includes("--skip-tests")) {
  const files = webgpuTestFiles({ all: TESTS === "all" });
  say("");
  say(`## engine tests on webgpu (${TESTS === "all" ? "every engine suite" : "the CI subset"}: ${files.length} files, sync-read guard preloaded)`);
  const t = run(process.execPath, ["--test", "--test-concurrency=1", "--test-reporter=spec", "--require", SYNC_READ_GUARD, ...files], { env: { ...gpu.env, CAMLAB_BACKEND: "webgpu" } });
  const num = (re) => Number(t.out.match(re)?.[1] ?? 0);
  report.tests = { files: files.map((f) => path.relative(path.join(root, "kernel", "dist", "test"), f)), passed: num(/^ℹ pass (\d+)/m), failed: num(/^ℹ fail (\d+)/m), skipped: num(/^ℹ skipped (\d+)/m), seconds: t.seconds, exit: t.code };
  const parity = [...t.out.matchAll(/relative differences webgpu vs wasm: (.*)/g)].map((m) => m[1]);
  const worst = Math.max(0, ...parity.flatMap((p) => [...p.matchAll(/ (\d\.\d+e[+-]\d+)/g)].map((m) => Number(m[1]))));
  report.tests.worstParity = worst;
  report.tests.timedOut = t.timedOut;
  say(`${report.tests.passed} passed, ${report.tests.failed} failed, ${report.tests.skipped} skipped in ${t.seconds.toFixed(0)} s (exit ${t.code}${t.timedOut ? ", STOPPED at the time limit" : ""}); largest webgpu/wasm relative difference ${worst.toExponential(1)}`);
  for (const l of t.out.split("\n").filter((l) => /^\s*✖/.test(l)).slice(0, 30)) say(`  ${l.trim()}`);
  if (t.code !== 0) failed = true;
}

// ---- 3. the benchmark: webgpu next to wasm ----------------------------------------------------
if (!args.includes("--skip-bench")) {
  say("");
  say(`## engine benchmark (scripts/bench-engine.mjs --runs ${RUNS} --scorecam-runs ${SCORECAM_RUNS}), webgpu and wasm in separate processes`);
  for (const b of ["webgpu", "wasm"]) {
    // Own process per backend: no tensors move between backends, and each is timed alone.
    const r = run(process.execPath, [path.join(root, "scripts", "bench-engine.mjs"), "--backends", b, "--runs", RUNS, "--scorecam-runs", SCORECAM_RUNS, "--no-torch"], { env: { ...gpu.env, CAMLAB_BACKEND: b } });
    const row = r.out.split("\n").find((l) => new RegExp(`^\\s+${b}\\s{2,}`).test(l));
    report.bench[b] = { row: row?.trim() ?? null, exit: r.code, seconds: r.seconds, timedOut: r.timedOut };
    if (!row) report.bench[b].tail = r.out.trim().split("\n").slice(-5);
  }
  const header = "backend  forward  Grad-CAM (out_relu)  Score-CAM  backward to input + hook";
  say(`  ${header}`);
  for (const b of ["webgpu", "wasm"]) say(`  ${report.bench[b].row ?? `${b}: failed (exit ${report.bench[b].exit}) ${(report.bench[b].tail ?? []).join(" | ")}`}`);
  if (Object.values(report.bench).some((x) => x.exit !== 0)) failed = true;
}

say("");
say(`total ${((Date.now() - T0) / 1000).toFixed(0)} s`);
say(failed ? "gpu-check: FAILED (see above)" : `gpu-check: OK on ${gpu.adapter.name}`);
finish(failed ? 1 : 0);
