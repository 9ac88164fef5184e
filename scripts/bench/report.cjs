// The benchmarks' results files and the README tables made from them: one home for the machine
// facts a result carries, for "the fastest PyTorch configuration" and the ratios against it, and
// for the markdown that `npm run bench` prints and scripts/bench/write-readme-tables.mjs puts
// between the README's marker comments.
//
// CommonJS on purpose: the bench scripts (ES modules) import it, and so does the kernel's test
// suite (kernel/test/bench/readmeTables.test.ts, compiled to CommonJS), which checks the tables
// without running a benchmark.
"use strict";
const fs = require("node:fs");
const os = require("node:os");
const path = require("node:path");

/** Version of the results files' layout; the table writer refuses others. */
const RESULTS_VERSION = 1;

/** CPU model from /proc/cpuinfo (its first "model name"), else what Node reports. */
function cpuModel() {
  try {
    const m = /^model name\s*:\s*(.+)$/m.exec(fs.readFileSync("/proc/cpuinfo", "utf8"));
    if (m) return m[1].trim();
  } catch {
    // not Linux: os.cpus() below
  }
  return os.cpus()[0]?.model ?? "unknown CPU";
}

/** The three load averages (1, 5, 15 minutes), rounded to 2 decimals. */
function loadAverage() {
  return os.loadavg().map((l) => Math.round(l * 100) / 100);
}

/**
 * What a result must say about the machine it came from, taken now: CPU model, cores (what this
 * process may use), OS, Node, and the load averages at the start (the caller adds `loadEnd`).
 */
function machineInfo() {
  const o = /** @type {any} */ (os);
  return {
    cpu: cpuModel(),
    cores: typeof o.availableParallelism === "function" ? o.availableParallelism() : os.cpus().length,
    os: `${os.type()} ${os.release()}`,
    node: process.version,
    loadStart: loadAverage(),
  };
}

/** `<repo>/.bench/<kind>-<UTC date and time>.json`: git-ignored, one file per run. */
function resultsPath(root, kind, date = new Date()) {
  const stamp = date.toISOString().replace(/\.\d+Z$/, "Z").replace(/:/g, "-");
  return path.join(root, ".bench", `${kind}-${stamp}.json`);
}

/** Writes a results object as pretty JSON, making the folder; returns the path. */
function writeResults(file, results) {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, JSON.stringify(results, null, 2) + "\n");
  return file;
}

// ---- numbers ----------------------------------------------------------------------------------

/**
 * The fastest of one measurement taken at several thread counts, `{ "1": ms, "2": ms }` →
 * `{ ms, threads }` (null when nothing was measured). Ratios are always taken against this: which
 * PyTorch thread count is faster swings with the load on the other cores.
 */
function fastest(byThreads) {
  let best = null;
  for (const [t, ms] of Object.entries(byThreads ?? {})) {
    if (typeof ms === "number" && Number.isFinite(ms) && (best == null || ms < best.ms)) best = { ms, threads: Number(t) };
  }
  return best;
}

/** Milliseconds for people: "0.57 ms", "27.0 ms", "109 ms", "26.0 s". */
function fmtMs(ms) {
  if (ms == null || !Number.isFinite(ms)) return "—";
  if (ms >= 10000) return `${(ms / 1000).toFixed(1)} s`;
  if (ms >= 100) return `${ms.toFixed(0)} ms`;
  if (ms >= 1) return `${ms.toFixed(1)} ms`;
  return `${ms.toFixed(2)} ms`;
}

/** Images per second with three significant figures at most. */
function fmtRate(perS) {
  if (perS == null || !Number.isFinite(perS)) return "—";
  return perS >= 100 ? perS.toFixed(0) : perS >= 10 ? perS.toFixed(1) : perS.toFixed(2);
}

/** camlab's time over PyTorch's: above 1 camlab is slower. */
function fmtRatio(camlabMs, torchMs) {
  return camlabMs == null || torchMs == null ? "—" : `${(camlabMs / torchMs).toFixed(2)}×`;
}

const threadsWord = (n) => `${n} thread${n === 1 ? "" : "s"}`;
const maxOf = (xs) => Math.max(...xs.filter((x) => Number.isFinite(x)));

/** "27.0 ms (2 threads; 1 thread: 35.0 ms)": the fastest, then the other thread counts. */
function fmtTorchCell(byThreads) {
  const best = fastest(byThreads);
  if (!best) return "—";
  const others = Object.entries(byThreads)
    .filter(([t]) => Number(t) !== best.threads)
    .map(([t, ms]) => `${threadsWord(Number(t))}: ${fmtMs(ms)}`);
  return `${fmtMs(best.ms)} (${threadsWord(best.threads)}${others.length ? `; ${others.join(", ")}` : ""})`;
}

/** "1.40× (1 : 2 threads)": the ratio, with camlab's and PyTorch's thread counts. */
function fmtRatioCell(camlabMs, camlabThreads, byThreads) {
  const best = fastest(byThreads);
  if (camlabMs == null || !best) return "—";
  return `${fmtRatio(camlabMs, best.ms)} (${camlabThreads} : ${threadsWord(best.threads)})`;
}

/** A markdown table from a header row and body rows. */
function table(header, rows) {
  return [`| ${header.join(" | ")} |`, `|${header.map(() => "---").join("|")}|`, ...rows.map((r) => `| ${r.join(" | ")} |`)].join("\n");
}

// ---- the engine section -----------------------------------------------------------------------

/** The load line: start and end of the run, and the highest seen at a phase boundary. */
function loadLine(machine) {
  const one = (l) => (Array.isArray(l) ? l[0] : l);
  const seen = [one(machine.loadStart), ...(machine.phases ?? []).map((p) => one(p.load)), one(machine.loadEnd)].filter((x) => x != null);
  const parts = [`load average (1 min) ${one(machine.loadStart)?.toFixed(2) ?? "?"} at the start, ${one(machine.loadEnd)?.toFixed(2) ?? "?"} at the end`];
  if (seen.length > 2) parts.push(`highest at a phase boundary ${maxOf(seen).toFixed(2)}`);
  return parts.join(", ");
}

/** "Measured … on <cpu> (<cores> cores), …; load average …" — printed beside every table. */
function machineLine(r, source) {
  const m = r.machine;
  const versions = [`Node ${m.node}`, m.tfjs ? `tfjs ${m.tfjs}` : null, m.torch ? `PyTorch ${m.torch}` : null, m.chromium ? `Chromium ${m.chromium}` : null].filter(Boolean);
  const date = (r.date ?? "").slice(0, 16).replace("T", " ");
  return `Measured ${date} UTC on ${m.cpu} (${m.cores} cores, ${m.os}), ${versions.join(", ")}; ${loadLine(m)}${source ? `. Results: \`${source}\`` : ""}.`;
}

/**
 * Goals of issue 15, each as { goal, value, met } (met: true/false, or null when not measured in
 * this run). `browser` (the widget bench's results) is optional: without it the page's class
 * switch is not judged.
 */
function goals(r, browser) {
  const out = [];
  const main = r.backends?.[r.torch?.comparedWith ?? Object.keys(r.backends ?? {})[0]];
  const t = r.torch?.timings;
  const against = (name, camlabMs, limit, label, camlabThreads = main?.threads ?? 1) => {
    const best = fastest(t?.[name]);
    if (!main || camlabMs == null || !best) {
      out.push({ goal: `${label} ≤ ${limit}× PyTorch`, value: "not measured in this run", met: null });
      return;
    }
    const x = camlabMs / best.ms;
    out.push({ goal: `${label} ≤ ${limit}× PyTorch`, value: `${x.toFixed(2)}× (${fmtMs(camlabMs)} on ${threadsWord(camlabThreads)} vs ${fmtMs(best.ms)} on ${threadsWord(best.threads)})`, met: x <= limit });
  };
  against("gradcam", main?.gradcamMs, 1.5, "Grad-CAM");
  against("backward_hook", main?.backwardHookMs, 1.5, "backward to the input + hook");
  against("scorecam", main?.scorecamMs, 0.5, "Score-CAM", main?.scorecamThreads ?? main?.threads ?? 1);
  const row = browser?.rows?.find((x) => x.id === "classSwitchFirst");
  const engineHeld = main?.gradcamHeldMs != null ? `; engine alone: Grad-CAM from the held layer output ${fmtMs(main.gradcamHeldMs)}` : "";
  const each = row?.runs?.length ? `: ${row.runs.map((x) => x.ms.toFixed(0)).join(", ")} ms` : "";
  if (row) out.push({ goal: "first-time class switch in the page < 50 ms", value: `${fmtMs(row.ms)} (median of ${row.n}${each}, click → canvas)${engineHeld}`, met: row.ms < 50 });
  else out.push({ goal: "first-time class switch in the page < 50 ms", value: `not measured in this run (browser bench)${engineHeld}`, met: null });
  const s = speedups(r);
  if (s.length) {
    const b1 = s.find((x) => x.batch === 1 && x.size === 224) ?? s[0];
    out.push({
      goal: `report the 1 → ${r.scaling.threadsN} threads speed-up`,
      value: `camlab ${fmtRatioPlain(b1.camlabForward)} forward, ${fmtRatioPlain(b1.camlabGradcam)} Grad-CAM at batch ${b1.batch}; ${s.filter((x) => x !== b1).map((x) => `batch ${x.batch}${x.size !== 224 ? ` at ${x.size}×${x.size}` : ""}: ${fmtRatioPlain(x.camlabForward)} / ${fmtRatioPlain(x.camlabGradcam)}`).join(", ")}`,
      met: true,
    });
  } else {
    out.push({ goal: "report the 1 → N threads speed-up", value: "not measured in this run (--scaling)", met: null });
  }
  if (main?.scorecamMainOnlyMs != null && main?.scorecamMs != null) {
    out.push({ goal: "Score-CAM on every core (model replicas)", value: `${fmtRatioPlain(main.scorecamMainOnlyMs / main.scorecamMs)} faster on ${threadsWord(main.scorecamThreads)} than on the main thread alone (${fmtMs(main.scorecamMainOnlyMs)} → ${fmtMs(main.scorecamMs)})`, met: true });
  }
  return out;
}

const fmtRatioPlain = (x) => (x == null || !Number.isFinite(x) ? "—" : `${x.toFixed(2)}×`);

/** Per scaling case: time on 1 thread ÷ time on N threads, camlab and PyTorch. */
function speedups(r) {
  const s = r.scaling;
  if (!s?.camlab?.length) return [];
  const one = s.camlab.find((c) => c.threadsUsed === 1);
  const many = s.camlab.find((c) => c.threadsUsed === s.threadsN && s.threadsN > 1);
  if (!one || !many) return [];
  return one.cases.map((c) => {
    const m = many.cases.find((x) => x.batch === c.batch && x.size === c.size);
    const tc = s.torch?.find((x) => x.batch === c.batch && x.size === c.size);
    const tq = (k) => (tc?.[k]?.["1"] != null && tc?.[k]?.[String(s.threadsN)] != null ? tc[k]["1"] / tc[k][String(s.threadsN)] : null);
    return {
      batch: c.batch, size: c.size,
      camlabForward: m ? c.forwardMs / m.forwardMs : null,
      camlabGradcam: m ? c.gradcamMs / m.gradcamMs : null,
      torchForward: tq("forward"),
      torchGradcam: tq("gradcam"),
    };
  });
}

/** The main table: batch 1 at the model's size, camlab next to both PyTorch references. */
function mainTable(r) {
  const name = r.torch?.comparedWith ?? Object.keys(r.backends)[0];
  const c = r.backends[name];
  const t = r.torch?.timings ?? {};
  const ct = threadsWord(c.threads ?? 1);
  const s = r.settings;
  const rows = [
    ["forward", fmtMs(c.forwardMs), fmtTorchCell(t.forward), fmtRatioCell(c.forwardMs, c.threads ?? 1, t.forward), "—", "—"],
    [`Grad-CAM (\`${s.camLayer}\`)`, fmtMs(c.gradcamMs), fmtTorchCell(t.gradcam), fmtRatioCell(c.gradcamMs, c.threads ?? 1, t.gradcam),
      fmtTorchCell(t.gradcam_param_grads), fmtRatioCell(c.gradcamMs, c.threads ?? 1, t.gradcam_param_grads)],
    ["backward to the input + hook", fmtMs(c.backwardHookMs), fmtTorchCell(t.backward_hook), fmtRatioCell(c.backwardHookMs, c.threads ?? 1, t.backward_hook), "—", "—"],
  ];
  if (c.scorecamMs != null || t.scorecam) {
    const st = c.scorecamThreads ?? c.threads ?? 1;
    const shared = st > 1 ? ` (main thread + ${st - 1} replica${st === 2 ? "" : "s"} in worker threads${c.scorecamMainOnlyMs != null ? `; main thread alone: ${fmtMs(c.scorecamMainOnlyMs)}` : ""})` : "";
    rows.push([`Score-CAM (\`${s.scorecamLayer}\`, ${s.scorecamChannels} channels, batches of ${s.scorecamBatch})`, `${fmtMs(c.scorecamMs)}${shared}`, fmtTorchCell(t.scorecam), fmtRatioCell(c.scorecamMs, st, t.scorecam), "(same code)", "—"]);
  }
  if (c.gradcamHeldMs != null) {
    rows.push([`class switch: Grad-CAM from the held \`${s.camLayer}\` output (last ${c.tailLayers} layers)`, fmtMs(c.gradcamHeldMs), "—", "—", "—", "—"]);
  }
  return table(
    [`MobileNetV2 ${s.size}×${s.size}, batch 1`, `camlab ${name}, ${ct}`, "PyTorch, fastest idiomatic (no weight gradients)", "ratio (camlab : PyTorch threads)", "PyTorch, pytorch-grad-cam's way (weight gradients)", "ratio"],
    rows,
  );
}

/** Scaling tables (forward and Grad-CAM): images/s against batch and input size. */
function scalingTables(r) {
  const s = r.scaling;
  if (!s?.camlab?.length) return null;
  const configs = s.camlab;
  const cases = configs[0].cases.map((c) => ({ batch: c.batch, size: c.size }));
  const out = [];
  for (const [key, label] of [["forward", "forward"], ["gradcam", `Grad-CAM (\`${r.settings.camLayer}\`)`]]) {
    const rows = cases.map(({ batch, size }) => {
      const cells = [`batch ${batch}, ${size}×${size}`];
      let bestCamlab = null;
      for (const cfg of configs) {
        const c = cfg.cases.find((x) => x.batch === batch && x.size === size);
        const ms = c?.[`${key}Ms`];
        cells.push(ms == null ? "—" : `${fmtRate((batch * 1000) / ms)}/s (${fmtMs(ms)})`);
        if (ms != null && (bestCamlab == null || ms < bestCamlab.ms)) bestCamlab = { ms, threads: cfg.threadsUsed };
      }
      const tc = s.torch?.find((x) => x.batch === batch && x.size === size)?.[key];
      const bt = fastest(tc);
      cells.push(bt ? `${fmtRate((batch * 1000) / bt.ms)}/s (${fmtMs(bt.ms)}, ${threadsWord(bt.threads)})` : "—");
      cells.push(bestCamlab && bt ? `${fmtRatio(bestCamlab.ms, bt.ms)} (${bestCamlab.threads} : ${threadsWord(bt.threads)})` : "—");
      return cells;
    });
    out.push(table([label, ...configs.map((c) => `camlab ${s.backend}, ${threadsWord(c.threadsUsed)}`), "PyTorch, fastest", "ratio, fastest of each (camlab : PyTorch threads)"], rows));
  }
  return out.join("\n\n");
}

/** The 1 → N threads table (time on 1 ÷ time on N, per case), camlab and PyTorch. */
function threadsTable(r) {
  const s = speedups(r);
  if (!s.length) return null;
  const n = r.scaling.threadsN;
  return table(
    [`speed-up 1 → ${n} threads (time ÷ time)`, `camlab ${r.scaling.backend} forward`, "camlab Grad-CAM", "PyTorch forward", "PyTorch Grad-CAM"],
    s.map((x) => [`batch ${x.batch}, ${x.size}×${x.size}`, fmtRatioPlain(x.camlabForward), fmtRatioPlain(x.camlabGradcam), fmtRatioPlain(x.torchForward), fmtRatioPlain(x.torchGradcam)]),
  );
}

/** The goals as a list: ✔ met, ✘ not met, – not measured. */
function goalsList(r, browser) {
  return goals(r, browser).map((g) => `- ${g.met === true ? "✔" : g.met === false ? "✘ not met:" : "–"} ${g.goal}: ${g.value}`).join("\n");
}

/**
 * The README's engine section from one engine results file (and, for the page's class-switch
 * goal, the browser results when there are any): the machine and load line, the main table with
 * both PyTorch references, the scaling and thread tables when the run had them, and the goals.
 * `source` is the results file's path as the README should name it.
 */
function engineSection(r, { source, browser } = {}) {
  if (r?.version !== RESULTS_VERSION || r?.kind !== "engine") throw new Error(`not an engine results file of version ${RESULTS_VERSION} (kind ${r?.kind}, version ${r?.version})`);
  const parts = [machineLine(r, source)];
  const name = r.torch?.comparedWith ?? Object.keys(r.backends)[0];
  const notes = [];
  if (r.torch) {
    const a = r.torch.agreement;
    notes.push(`Same weights in both; PyTorch's logits agree with camlab's to ${a.logits.toExponential(1)}, its Grad-CAM map to ${a.gradcam.toExponential(1)} (relative).`);
  } else {
    notes.push(`No PyTorch in this run: ${r.torchNote ?? "skipped"}.`);
  }
  const scorecamRuns = r.backends[name]?.scorecamMs != null ? `, Score-CAM ${r.settings.scorecamRuns} run${r.settings.scorecamRuns === 1 ? "" : "s"}` : "";
  const torchThreads = r.torch ? `; PyTorch timed on ${r.torch.threads.join(" and ")} threads, each ratio against the faster` : "";
  notes.push(`Median of ${r.settings.runs} run${r.settings.runs === 1 ? "" : "s"} after 2 warm-ups${scorecamRuns}${torchThreads}.`);
  parts.push(notes.join(" "));
  parts.push(mainTable(r));
  const sc = scalingTables(r);
  if (sc) {
    const cfg = r.scaling.camlab.map((c) => `CAMLAB_THREADS=${c.requested}: ${threadsWord(c.threadsUsed)}, ${c.build}${c.error ? ` (${c.error})` : ""}`).join("; ");
    parts.push(`Scaling (images/s = batch ÷ median time of ${r.settings.scalingRuns} run${r.settings.scalingRuns === 1 ? "" : "s"} after 1 warm-up; the ${r.settings.sizes.filter((x) => x !== r.settings.size).join(", ")} input runs the same weights with the final average pooling widened to the larger map; ${r.machine.cores} cores, N = ${r.scaling.threadsN}; ${cfg}):`);
    parts.push(sc);
    const tt = threadsTable(r);
    if (tt) parts.push(tt);
  }
  parts.push(goalsList(r, browser));
  return parts.join("\n\n");
}

/** The README's widget section from one browser results file. */
function browserSection(b, { source } = {}) {
  if (b?.version !== RESULTS_VERSION || b?.kind !== "browser") throw new Error(`not a browser results file of version ${RESULTS_VERSION} (kind ${b?.kind}, version ${b?.version})`);
  const rows = b.rows.map((x) => [
    x.name, fmtMs(x.ms), x.kb == null || !Number.isFinite(x.kb) ? "—" : `${x.kb.toFixed(1)} KB`, String(x.n),
    x.goal ? `< ${x.goal.ms} ms, < ${x.goal.kb} KB: ${x.ms < x.goal.ms && x.kb < x.goal.kb ? "met" : "not met"}` : "—",
  ]);
  const status = b.backend ? `The widgets' status line: “${b.backend.replace(/\.$/, "")}”. ` : "";
  const parts = [machineLine(b, source), `${status}Median of each interaction's runs; click → canvas is measured in the page by the widget.`];
  parts.push(table(["widget interaction", "click → canvas", "reply", "runs", "goal"], rows));
  if (b.sweep) parts.push(`Confusion sweep: ${b.sweep.images} test digits in ${fmtMs(b.sweep.ms)}, ${b.sweep.perSecond} images/s (batch 64, in the kernel).`);
  return parts.join("\n\n");
}

// ---- the README ---------------------------------------------------------------------------------

/** The marker comments that fence a generated section. */
function markers(name) {
  return { start: `<!-- bench:${name}:start -->`, end: `<!-- bench:${name}:end -->` };
}

/**
 * `text` with what lies between the section's markers replaced by `body` (markers kept, one
 * blank line inside each); everything outside the markers stays byte for byte. Throws when the
 * markers are missing, repeated or out of order, naming them.
 */
function replaceSection(text, name, body) {
  const { start, end } = markers(name);
  const i = text.indexOf(start), j = text.indexOf(end);
  if (i < 0 || j < 0) throw new Error(`README has no ${start} … ${end} section`);
  if (text.indexOf(start, i + 1) >= 0 || text.indexOf(end, j + 1) >= 0) throw new Error(`README has ${start} or ${end} more than once`);
  if (j < i) throw new Error(`README has ${end} before ${start}`);
  return `${text.slice(0, i + start.length)}\n\n${body.trim()}\n\n${text.slice(j)}`;
}

module.exports = {
  RESULTS_VERSION, machineInfo, loadAverage, cpuModel, resultsPath, writeResults,
  fastest, fmtMs, fmtRatio, goals, speedups, engineSection, browserSection, markers, replaceSection,
};
