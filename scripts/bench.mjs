#!/usr/bin/env node
// `npm run bench`: the engine benchmark (forward, Grad-CAM, Score-CAM, backward with a hook on
// MobileNetV2, per backend, with PyTorch as the reference when python3-torch is installed, plus
// the scaling figures: images/s against batch and input size, 1 → N threads), then the widget
// benchmark in real JupyterLab + Chromium (click → canvas latency, bytes per interaction). Each
// writes a results file under .bench/. Options after `--` go to both, e.g.
// `npm run bench -- --runs 5`; `--only engine` or `--only browser` runs one of them;
// `--no-scaling` skips the scaling part (about half the engine run); `--write-readme` rewrites the
// README's bench tables from the newest results files (scripts/bench/write-readme-tables.mjs).
import { spawnSync } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { buildAll, ensureNodeModules } from "./lib/setup.mjs";

const here = path.dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const only = args.includes("--only") ? args[args.indexOf("--only") + 1] : null;
const own = new Set(["--no-scaling", "--write-readme"]);
const rest = args.filter((a, i) => a !== "--only" && args[i - 1] !== "--only" && !own.has(a));
const engineArgs = args.includes("--no-scaling") ? rest : ["--scaling", ...rest];

ensureNodeModules();
buildAll();
let failed = false;
for (const [name, script, passArgs] of [
  ["engine", "bench-engine.mjs", engineArgs],
  ["browser", "bench-browser.mjs", rest.includes("--repeats") ? rest : []],
]) {
  if (only && only !== name) continue;
  console.log(`\n=== ${name} benchmark ===`);
  const r = spawnSync(process.execPath, [path.join(here, script), ...passArgs], { stdio: "inherit" });
  if (r.status !== 0) failed = true;
}
if (args.includes("--write-readme") && !failed) {
  const r = spawnSync(process.execPath, [path.join(here, "bench", "write-readme-tables.mjs")], { stdio: "inherit" });
  if (r.status !== 0) failed = true;
}
process.exit(failed ? 1 : 0);
