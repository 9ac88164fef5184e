// `npm test`: sets up what a fresh clone lacks, builds, and runs every test suite of the project:
//   kernel unit tests (node:test) · extension unit tests (node:test) · kernel protocol tests
//   (jupyter_kernel_test + jupyter_client, Python) · notebooks (nbclient) · browser end-to-end
//   (real JupyterLab in Chromium) · packaging (the wheel and the npm tarball, installed as users
//   install them, used by a lab server and a notebook) · the engine's tests again on webgpu
//   (kernel-webgpu: Mesa's llvmpipe where there is no GPU; a subset, CAMLAB_WEBGPU_TESTS=all for every engine suite;
//   skipped when there is no WebGPU adapter, failed instead when CAMLAB_REQUIRE_WEBGPU=1, or with
//   CAMLAB_REQUIRE_WEBGPU=auto when Mesa's driver could be unpacked on this machine).
//   Exits non-zero when any suite fails.
// `npm test -- <suite>...` runs only the named suites (kernel, extension, protocol, notebooks, browser, packaging, kernel-webgpu).
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import {
  repoRoot, jupyterEnv, ensureSystemPackages, ensureNodeModules, buildAll, installKernelspec, log, PYTHON,
} from "./lib/setup.mjs";
import { findWebgpuEnv, webgpuTestFiles, SYNC_READ_GUARD } from "./lib/webgpu.mjs";

const nodeTestFiles = (dir, suffix) =>
  existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith(suffix)).map((f) => path.join(dir, f)) : [];
const nodeTestDirs = (dir) =>
  existsSync(dir) ? readdirSync(dir, { recursive: true }).filter((f) => String(f).endsWith(".test.js")).map((f) => path.join(dir, String(f))) : [];

function browserJobs() {
  const raw = process.env.CAMLAB_BROWSER_JOBS;
  const n = raw ? Number(raw) : Math.min(2, os.availableParallelism?.() ?? os.cpus().length);
  if (!Number.isInteger(n) || n < 1) throw new Error(`CAMLAB_BROWSER_JOBS must be a positive whole number, got "${raw}"`);
  return n;
}

const SUITES = {
  kernel: () => ({
    cmd: process.execPath,
    args: ["--test", "--test-concurrency=1", "--test-reporter=spec", ...nodeTestDirs(path.join(repoRoot, "kernel", "dist", "test"))],
  }),
  extension: () => ({
    cmd: process.execPath,
    args: ["--test", "--test-reporter=spec", ...nodeTestDirs(path.join(repoRoot, "extension", "build", "test"))],
  }),
  protocol: () => ({ cmd: "bash", args: [path.join(repoRoot, "test", "protocol", "run.sh")], enabled: existsSync(path.join(repoRoot, "test", "protocol", "run.sh")) }),
  notebooks: () => ({
    cmd: PYTHON,
    args: ["-m", "unittest", "discover", "-s", path.join(repoRoot, "test", "notebooks"), "-p", "test_*.py", "-v"],
    enabled: existsSync(path.join(repoRoot, "test", "notebooks")),
  }),
  // Two test files at a time by default (CAMLAB_BROWSER_JOBS): each has its own lab server, port,
  // kernel and Chromium, and each mostly waits on them — 350 → 250 s on 2 cores here.
  browser: () => ({
    cmd: process.execPath,
    args: ["--test", `--test-concurrency=${browserJobs()}`, "--test-reporter=spec",
      ...(existsSync(path.join(repoRoot, "test", "browser")) ? readdirSync(path.join(repoRoot, "test", "browser")).filter((f) => f.endsWith(".test.mjs")).map((f) => path.join(repoRoot, "test", "browser", f)) : [])],
  }),
  // The wheel and the npm tarball, built from the current build and installed into temporary
  // prefixes as users install them (test/packaging).
  packaging: () => ({
    cmd: process.execPath,
    args: ["--test", "--test-concurrency=1", "--test-reporter=spec", ...nodeTestFiles(path.join(repoRoot, "test", "packaging"), ".test.mjs")],
  }),
  "kernel-webgpu": () => {
    const gpu = findWebgpuEnv(env);
    if (!gpu.env) {
      const why = `no WebGPU adapter — ${gpu.reason}`;
      if (process.env.CAMLAB_REQUIRE_WEBGPU === "1") return { cmd: process.execPath, args: ["-e", `console.error(${JSON.stringify(`CAMLAB_REQUIRE_WEBGPU=1 but ${why}`)}); process.exit(1)`] };
      return { enabled: false, skipped: why };
    }
    log(`suite kernel-webgpu: adapter ${gpu.adapter.name}, via ${gpu.via}`);
    return {
      cmd: process.execPath,
      args: ["--test", "--test-concurrency=1", "--test-reporter=spec", "--require", SYNC_READ_GUARD, ...webgpuTestFiles()],
      env: { ...gpu.env, CAMLAB_BACKEND: "webgpu" },
    };
  },
};

/** Reads pass/fail counts from node:test (spec or tap) and unittest output. */
function countResults(text) {
  const num = (re) => { const m = text.match(re); return m ? Number(m[1]) : 0; };
  let passed = num(/^(?:ℹ|#) pass (\d+)/m);
  let failed = num(/^(?:ℹ|#) fail (\d+)/m);
  const ran = text.match(/^Ran (\d+) tests?/m);
  if (ran) {
    const total = Number(ran[1]);
    const bad = num(/failures=(\d+)/) + num(/errors=(\d+)/);
    const skipped = num(/skipped=(\d+)/);
    passed += total - bad - skipped;
    failed += bad;
  }
  return { passed, failed };
}

const wanted = process.argv.slice(2).length ? process.argv.slice(2) : Object.keys(SUITES);
for (const w of wanted) if (!SUITES[w]) { console.error(`unknown suite "${w}"; known: ${Object.keys(SUITES).join(", ")}`); process.exit(2); }

const system = ensureSystemPackages({ webgpuDriver: wanted.includes("kernel-webgpu") });
// CAMLAB_REQUIRE_WEBGPU=auto (what .ci/run sets): once Mesa's driver could be unpacked here, the
// webgpu suite must run, not skip.
if (process.env.CAMLAB_REQUIRE_WEBGPU === "auto") process.env.CAMLAB_REQUIRE_WEBGPU = system.webgpuDriver ? "1" : "0";
ensureNodeModules();
buildAll();
installKernelspec();

const env = jupyterEnv();
const summary = [];
for (const name of wanted) {
  const suite = SUITES[name]();
  if (suite.enabled === false || (suite.cmd === process.execPath && suite.args.every((a) => a.startsWith("--")))) {
    log(`suite ${name}: ${suite.skipped ? `skipped: ${suite.skipped}` : "no tests found"}`);
    summary.push({ name, passed: 0, failed: 0, code: 0, empty: true, skipped: suite.skipped });
    continue;
  }
  log(`suite ${name}`);
  const t0 = Date.now();
  const r = spawnSync(suite.cmd, suite.args, { cwd: repoRoot, env: suite.env ?? env, encoding: "utf8", maxBuffer: 256 * 1024 * 1024 });
  process.stdout.write(r.stdout ?? "");
  process.stderr.write(r.stderr ?? "");
  const counts = countResults(`${r.stdout}\n${r.stderr}`);
  summary.push({ name, ...counts, code: r.status ?? 1, seconds: (Date.now() - t0) / 1000 });
}

let passed = 0, failed = 0, suiteFailures = 0;
console.log("\n== camlab test summary ==");
for (const s of summary) {
  passed += s.passed;
  failed += s.failed;
  if (s.code !== 0) suiteFailures++;
  console.log(`${s.name.padEnd(13)} ${s.skipped ? "skipped (no WebGPU adapter)" : s.empty ? "no tests" : `${s.passed} passed, ${s.failed} failed`}${s.code !== 0 ? `  (exit ${s.code})` : ""}${s.seconds ? `  ${s.seconds.toFixed(0)} s` : ""}`);
}
if (suiteFailures && failed === 0) failed = suiteFailures; // a suite that crashed counts as a failure
console.log(`\ntotal: ${passed} passed, ${failed} failed`);
process.exit(suiteFailures ? 1 : 0);
