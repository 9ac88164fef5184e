// Browser end-to-end harness: the real JupyterLab server (extension/lab, served by jupyter_server +
// jupyterlab_server) and Debian's Chromium driven by playwright-core. No mocks: the notebook runs
// in a real kernel started by the real server.
//
//   const lab = await startLab({ notebooks: { "smoke.ipynb": notebook(["1+1"]) } });
//   const { page, errors } = await lab.newPage();
//   await openLab(page, lab);
//   await openNotebook(page, "smoke.ipynb");
//   const cells = await runAllCells(page);        // cells[i].outputs, executionCount, ...
//   await screenshot(page, "smoke");               // .test-artifacts/browser/smoke.png
//   const stats = await canvasStats(page, ".my-widget canvas");
//   assert.deepEqual(errors.pageErrors, []);
//   await lab.stop();
//
// Each startLab() gets a fresh folder .test-artifacts/browser/runs/<id>/ holding the notebook root
// (root_dir; inside the checkout so the kernel finds node_modules), HOME and TMPDIR for the
// server, the kernel and Chromium (under the system temp folder when the checkout's path is too
// long for Chromium's socket), and Jupyter's config/data/runtime folders. Only the camlab
// kernelspec comes from the project (.jupyter/prefix, written by `npm test`'s set-up or installed
// here when missing). stop() removes the folder unless CAMLAB_KEEP_TEST_DIRS=1; the server log is
// kept next to the screenshots.
import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";
import { buildLab, findJupyterPython, freePort, startLabServer, PYTHON_SIDE_HELP } from "../../extension/lab/serve.mjs";

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");
export const ARTIFACTS_DIR = path.join(repoRoot, ".test-artifacts", "browser");
export const CHROMIUM = process.env.CAMLAB_CHROMIUM || "/usr/bin/chromium";
/** The project's Jupyter data folder that `camlab install --prefix .jupyter/prefix` writes to. */
export const PROJECT_JUPYTER_PATH = path.join(repoRoot, ".jupyter", "prefix", "share", "jupyter");
export const CAMLAB_KERNEL = "camlab";
// newPage() points this process's TMPDIR into a run folder that stop() removes: a second lab in
// the same test file must not make its folders under that one.
const SYSTEM_TMPDIR = os.tmpdir();
const ORIGINAL_TMPDIR = process.env.TMPDIR;

const CHROMIUM_ARGS = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--no-first-run",
  "--disable-dev-shm-usage",
];

/**
 * Console messages that are expected with jupyter_server 1.23 (JupyterLab 4 asks for endpoints that
 * server 2.x added: /api/me, /api/events/subscribe, /lsp/status). They are kept in
 * `errors.ignoredConsole`, not in `errors.console`.
 */
const EXPECTED_CONSOLE = [
  /\/api\/events\/subscribe/,
  /Failed to load resource: the server responded with a status of 404 \(Not Found\)/,
];

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** A notebook (nbformat 4) whose code cells are `sources`, bound to `kernel` (default camlab). */
export function notebook(sources, { kernel = CAMLAB_KERNEL, displayName = "TypeScript (camlab)", language = "typescript" } = {}) {
  return {
    nbformat: 4,
    nbformat_minor: 5,
    metadata: {
      kernelspec: { name: kernel, display_name: displayName, language },
      language_info: { name: language },
    },
    cells: sources.map((source, i) => ({
      id: `cell-${i}`,
      cell_type: "code",
      source,
      metadata: {},
      outputs: [],
      execution_count: null,
    })),
  };
}

function kernelspecExists(name, jupyterPaths) {
  return jupyterPaths.some((p) => existsSync(path.join(p, "kernels", name, "kernel.json")));
}

/** Installs the camlab kernelspec into the project's .jupyter/prefix when it is not there. */
export function ensureCamlabKernelspec() {
  if (kernelspecExists(CAMLAB_KERNEL, [PROJECT_JUPYTER_PATH])) return;
  const bin = path.join(repoRoot, "kernel", "bin", "camlab.js");
  if (!existsSync(bin)) {
    throw new Error(`the camlab kernel is missing (${bin}); build it (npx tsc -p kernel) and run \`npm test -- browser\``);
  }
  const r = spawnSync(process.execPath, [bin, "install", "--prefix", path.join(repoRoot, ".jupyter", "prefix")], { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`camlab install --prefix .jupyter/prefix failed:\n${r.stdout}\n${r.stderr}`);
}

/**
 * Starts the real JupyterLab server on a free port with a fresh root_dir.
 *
 * options:
 *   notebooks   { "<relative path>.ipynb": notebook object or JSON string } written into root_dir
 *   files       { "<relative path>": string | Buffer } other files for root_dir
 *   kernel      the kernelspec the tests need (default "camlab"; checked before starting, the
 *               camlab one installed when missing); null checks none
 *   jupyterPath more folders for JUPYTER_PATH (e.g. a folder with another kernelspec)
 *   label       a name for the run folder and the server log (default "lab")
 *   serverArgs  more --ServerApp.* / --CamlabLabApp.* options for the server (e.g. another
 *               labextensions_path)
 *   camlabExtension  false serves the lab without camlab's prebuilt extension (the widget
 *               manager and anywidget are still there): how a front end without camlab looks
 * Returns { url, baseUrl, token, port, rootDir, runDir, newPage(), stop(), serverLog() }.
 */
export async function startLab({
  notebooks = {},
  files = {},
  kernel = CAMLAB_KERNEL,
  jupyterPath = [],
  label = "lab",
  serverArgs = [],
  camlabExtension = true,
} = {}) {
  const python = findJupyterPython();
  if (!python) throw new Error(PYTHON_SIDE_HELP);
  buildLab({ stdio: "pipe" }); // no-op when up to date
  const jupyterPaths = [...jupyterPath, PROJECT_JUPYTER_PATH];
  if (kernel === CAMLAB_KERNEL) ensureCamlabKernelspec();
  if (kernel && !kernelspecExists(kernel, jupyterPaths)) {
    throw new Error(`kernelspec "${kernel}" not found in ${jupyterPaths.join(", ")}`);
  }

  const runDir = path.join(ARTIFACTS_DIR, "runs", `${label}-${randomBytes(3).toString("hex")}`);
  // Chromium puts a unix socket (at most 107 bytes of path) in TMPDIR: when the checkout's path is
  // long, HOME and TMPDIR go to a fresh folder under the system's temp folder instead.
  const shortDir = path.join(runDir, "tmp").length > 60 ? mkdtempSync(path.join(SYSTEM_TMPDIR, "camlab-browser-")) : runDir;
  const dirs = {
    root: path.join(runDir, "root"),
    home: path.join(shortDir, "home"),
    tmp: path.join(shortDir, "tmp"),
    config: path.join(runDir, "jupyter", "config"),
    data: path.join(runDir, "jupyter", "data"),
    runtime: path.join(runDir, "jupyter", "runtime"),
    ipython: path.join(runDir, "jupyter", "ipython"),
  };
  for (const d of Object.values(dirs)) mkdirSync(d, { recursive: true });
  for (const [rel, nb] of Object.entries(notebooks)) {
    const p = path.join(dirs.root, rel);
    mkdirSync(path.dirname(p), { recursive: true });
    writeFileSync(p, typeof nb === "string" ? nb : JSON.stringify(nb, null, 1));
  }
  for (const [rel, content] of Object.entries(files)) {
    const p = path.join(dirs.root, rel);
    mkdirSync(path.dirname(p), { recursive: true });
    writeFileSync(p, content);
  }

  const env = {
    ...process.env,
    HOME: dirs.home,
    TMPDIR: dirs.tmp,
    JUPYTER_PATH: jupyterPaths.join(path.delimiter),
    JUPYTER_CONFIG_DIR: dirs.config,
    JUPYTER_DATA_DIR: dirs.data,
    JUPYTER_RUNTIME_DIR: dirs.runtime,
    IPYTHONDIR: dirs.ipython,
    JUPYTER_PLATFORM_DIRS: "1",
    PYDEVD_DISABLE_FILE_VALIDATION: "1",
  };
  const port = await freePort(0);
  const token = randomBytes(16).toString("hex");
  const t0 = Date.now();
  const server = await startLabServer({
    python: python.python,
    rootDir: dirs.root,
    port,
    token,
    env,
    exposeApp: true,
    camlabExtension,
    defaultKernel: kernel ?? CAMLAB_KERNEL,
    extraArgs: serverArgs,
  });
  const serverStartMs = Date.now() - t0;

  const browsers = [];
  mkdirSync(ARTIFACTS_DIR, { recursive: true });
  const logFile = path.join(ARTIFACTS_DIR, `${label}-server.log`);

  /** A Chromium page (own browser process, HOME/TMPDIR in the run folder) with an error collector. */
  async function newPage({ viewport = { width: 1400, height: 900 } } = {}) {
    // playwright-core makes Chromium's profile folder under the Node process's temp folder.
    process.env.TMPDIR = dirs.tmp;
    const browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: CHROMIUM_ARGS,
      env: { ...process.env, HOME: dirs.home, TMPDIR: dirs.tmp },
    });
    browsers.push(browser);
    const context = await browser.newContext({ viewport });
    const page = await context.newPage();
    const errors = collectPageErrors(page);
    return { browser, context, page, errors };
  }

  async function stop() {
    for (const b of browsers.splice(0)) await b.close().catch(() => {});
    await server.stop();
    if (process.env.TMPDIR === dirs.tmp) {
      if (ORIGINAL_TMPDIR === undefined) delete process.env.TMPDIR;
      else process.env.TMPDIR = ORIGINAL_TMPDIR;
    }
    writeFileSync(logFile, server.log());
    if (process.env.CAMLAB_KEEP_TEST_DIRS !== "1") {
      rmSync(runDir, { recursive: true, force: true });
      if (shortDir !== runDir) rmSync(shortDir, { recursive: true, force: true });
    }
  }

  return {
    url: server.url,
    baseUrl: server.baseUrl,
    token,
    port,
    rootDir: dirs.root,
    runDir,
    serverStartMs,
    newPage,
    stop,
    serverLog: () => server.log(),
  };
}

/**
 * Collects what goes wrong in a page: uncaught exceptions (`pageErrors`), console errors
 * (`console`, minus the expected 404s of jupyter_server 1.23, kept in `ignoredConsole`) and
 * failed requests other than those (`requests`).
 */
export function collectPageErrors(page) {
  const errors = { pageErrors: [], console: [], ignoredConsole: [], requests: [] };
  page.on("pageerror", (e) => errors.pageErrors.push(`${e.name}: ${e.message}\n${e.stack ?? ""}`));
  page.on("console", (m) => {
    if (m.type() !== "error") return;
    const text = m.text();
    (EXPECTED_CONSOLE.some((re) => re.test(text)) ? errors.ignoredConsole : errors.console).push(text);
  });
  page.on("response", (r) => {
    if (r.status() < 400) return;
    const url = r.url();
    if (/\/api\/me\b|\/api\/events\/subscribe|\/lsp\/status/.test(url)) return;
    errors.requests.push(`${r.status()} ${r.request().method()} ${url}`);
  });
  return errors;
}

/** Opens /lab?reset (a fresh workspace, no restored dialogs) and waits until JupyterLab is ready. */
export async function openLab(page, lab, { timeoutMs = 90_000 } = {}) {
  const t0 = Date.now();
  await page.goto(`${lab.baseUrl}/lab?reset&token=${lab.token}`);
  await page.waitForFunction(
    () => document.body.dataset.camlabLab === "ready" || document.getElementById("camlab-lab-startup-error"),
    null,
    { timeout: timeoutMs },
  );
  const startupError = await page.evaluate(() => document.getElementById("camlab-lab-startup-error")?.textContent ?? null);
  if (startupError) throw new Error(startupError);
  // The splash screen stays a little after `restored`; screenshots and clicks need it gone.
  await page.waitForFunction(() => !!window.jupyterapp && !document.getElementById("jupyterlab-splash"), null, { timeout: timeoutMs });
  return Date.now() - t0;
}

/**
 * Opens a notebook (path relative to root_dir) and waits until its kernel is idle. The kernel is
 * the notebook's own kernelspec unless `kernel` names another; `noKernel: true` opens it without
 * starting any (how a reopened notebook looks when no kernel runs).
 */
export async function openNotebook(page, notebookPath, { kernel, noKernel = false, timeoutMs = 120_000 } = {}) {
  await page.evaluate(
    async ({ notebookPath, kernel, noKernel, timeoutMs }) => {
      const app = window.jupyterapp;
      const widget = await app.commands.execute("docmanager:open", {
        path: notebookPath,
        factory: "Notebook",
        ...(kernel ? { kernel: { name: kernel } } : {}),
        ...(noKernel ? { kernelPreference: { shouldStart: false, canStart: true, autoStartDefault: false } } : {}),
      });
      await widget.context.ready;
      app.shell.activateById(widget.id);
      window.__camlabTest = { notebookId: widget.id };
      const sessionContext = widget.sessionContext;
      await sessionContext.ready;
      if (noKernel) return;
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const kernelConn = sessionContext.session?.kernel;
        if (kernelConn && kernelConn.connectionStatus === "connected" && kernelConn.status === "idle") break;
        if (kernelConn?.status === "dead") throw new Error("the kernel died while starting");
        if (Date.now() > deadline) {
          throw new Error(`kernel not idle after ${timeoutMs / 1000} s (status: ${kernelConn?.status ?? "no kernel"})`);
        }
        await new Promise((r) => setTimeout(r, 100));
      }
    },
    { notebookPath, kernel, noKernel, timeoutMs },
  );
}

/** Runs `fn(widget, arg)` in the page on the notebook panel opened by openNotebook. */
async function withNotebook(page, fn, arg) {
  return page.evaluate(
    async ({ fnSource, arg }) => {
      const app = window.jupyterapp;
      const id = window.__camlabTest?.notebookId;
      const widget = [...app.shell.widgets("main")].find((w) => w.id === id);
      if (!widget) throw new Error("no notebook opened by openNotebook() is open");
      // eslint-disable-next-line no-new-func
      return new Function("app", "widget", "arg", `return (${fnSource})(app, widget, arg);`)(app, widget, arg);
    },
    { fnSource: fn.toString(), arg },
  );
}

/**
 * Appends a code cell with `source` to the open notebook, runs it and resolves when it finished.
 * Returns { executionCount, outputs } (nbformat outputs) of that cell.
 */
export async function appendAndRunCell(page, source, { timeoutMs = 300_000 } = {}) {
  return withNotebook(
    page,
    async (app, widget, { source, timeoutMs }) => {
      const notebook = widget.content;
      const model = notebook.model;
      const index = model.cells.length;
      model.sharedModel.insertCell(index, { cell_type: "code", source });
      notebook.activeCellIndex = index;
      notebook.mode = "command";
      app.shell.activateById(widget.id);
      const run = app.commands.execute("notebook:run-cell");
      const timeout = new Promise((_, reject) => setTimeout(() => reject(new Error(`cell still running after ${timeoutMs / 1000} s`)), timeoutMs));
      await Promise.race([run, timeout]);
      const cell = model.cells.get(index).toJSON();
      return { executionCount: cell.execution_count, outputs: cell.outputs };
    },
    { source, timeoutMs },
  );
}

/** Saves the open notebook (its outputs included) to disk. */
export async function saveNotebook(page) {
  await withNotebook(page, async (app, widget) => {
    await widget.context.save();
  });
}

/** Shuts the open notebook's kernel down (the notebook stays open, without a kernel). */
export async function shutdownKernel(page) {
  await withNotebook(page, async (app, widget) => {
    await widget.sessionContext.shutdown();
  });
}

/** Restarts the open notebook's kernel without asking and waits until it is idle again. */
export async function restartKernel(page, { timeoutMs = 120_000 } = {}) {
  await withNotebook(
    page,
    async (app, widget, { timeoutMs }) => {
      const kernel = widget.sessionContext.session?.kernel;
      if (!kernel) throw new Error("the notebook has no kernel to restart");
      await kernel.restart();
      const deadline = Date.now() + timeoutMs;
      while (kernel.status !== "idle") {
        if (Date.now() > deadline) throw new Error(`kernel not idle ${timeoutMs / 1000} s after the restart`);
        await new Promise((r) => setTimeout(r, 100));
      }
    },
    { timeoutMs },
  );
}

/** Switches the JupyterLab theme ("JupyterLab Light", "JupyterLab Dark") and waits until applied. */
export async function setTheme(page, theme) {
  await page.evaluate(async (theme) => {
    await window.jupyterapp.commands.execute("apputils:change-theme", { theme });
  }, theme);
  await page.waitForFunction(
    (theme) => document.body.dataset.jpThemeName === theme && !document.getElementById("jupyterlab-splash"),
    theme,
    { timeout: 30_000 },
  );
}

/** The notebook opened by openNotebook as JSON (cells with outputs). */
export async function notebookJSON(page) {
  return withNotebook(page, (app, widget) => widget.content.model.toJSON());
}

/**
 * Runs every cell of the notebook opened by openNotebook and resolves when all have finished.
 * Returns the code cells as { source, executionCount, outputs } (nbformat outputs).
 */
export async function runAllCells(page, { timeoutMs = 300_000 } = {}) {
  await withNotebook(
    page,
    async (app, widget, { timeoutMs }) => {
      app.shell.activateById(widget.id);
      const run = app.commands.execute("notebook:run-all-cells");
      const timeout = new Promise((_, reject) => setTimeout(() => reject(new Error(`cells still running after ${timeoutMs / 1000} s`)), timeoutMs));
      await Promise.race([run, timeout]);
    },
    { timeoutMs },
  );
  const nb = await notebookJSON(page);
  return nb.cells
    .filter((c) => c.cell_type === "code")
    .map((c) => ({
      source: Array.isArray(c.source) ? c.source.join("") : c.source,
      executionCount: c.execution_count,
      outputs: c.outputs,
    }));
}

/** The visible text of each output of each code cell, as rendered in the page. */
export async function renderedOutputs(page) {
  return page.evaluate(() => {
    const id = window.__camlabTest?.notebookId;
    const root = id ? document.getElementById(id) : document;
    return [...root.querySelectorAll(".jp-CodeCell")].map((cell) =>
      [...cell.querySelectorAll(".jp-OutputArea-output")].map((o) => o.textContent ?? ""),
    );
  });
}

/** Saves a PNG of the page (or of `selector`'s element) to .test-artifacts/browser/<name>.png. */
export async function screenshot(page, name, { selector } = {}) {
  mkdirSync(ARTIFACTS_DIR, { recursive: true });
  const file = path.join(ARTIFACTS_DIR, `${name.replace(/[^\w.-]+/g, "_")}.png`);
  if (selector) await page.locator(selector).first().screenshot({ path: file });
  else await page.screenshot({ path: file });
  return file;
}

/**
 * Pixel statistics of every canvas matching `selector`, read through a 2D copy so WebGL canvases
 * work too. Per canvas: width, height, opaque (fraction of pixels with alpha > 0), meanLuma and
 * stdLuma (0-255 over opaque pixels), distinctColors (colours quantized to 4 bits per channel),
 * nonBackground (fraction of pixels differing by more than 8 in some channel from the most common
 * colour), blank (true when there is no variation at all) and hash (FNV-1a of the RGBA bytes, to
 * tell whether the pixels changed).
 */
export async function canvasStats(page, selector = "canvas") {
  return page.evaluate((selector) => {
    return [...document.querySelectorAll(selector)].map((canvas) => {
      const { width, height } = canvas;
      if (!width || !height) return { width, height, opaque: 0, meanLuma: 0, stdLuma: 0, distinctColors: 0, nonBackground: 0, blank: true, hash: "0" };
      const copy = document.createElement("canvas");
      copy.width = width;
      copy.height = height;
      const ctx = copy.getContext("2d");
      ctx.drawImage(canvas, 0, 0);
      const data = ctx.getImageData(0, 0, width, height).data;
      const n = width * height;
      const counts = new Map();
      let opaque = 0;
      let sum = 0;
      let sumSq = 0;
      let hash = 0x811c9dc5;
      for (let i = 0; i < data.length; i += 4) {
        const [r, g, b, a] = [data[i], data[i + 1], data[i + 2], data[i + 3]];
        for (let k = 0; k < 4; k++) hash = Math.imul(hash ^ data[i + k], 0x01000193) >>> 0;
        const key = ((r >> 4) << 12) | ((g >> 4) << 8) | ((b >> 4) << 4) | (a >> 4);
        counts.set(key, (counts.get(key) ?? 0) + 1);
        if (a > 0) {
          opaque++;
          const luma = 0.2126 * r + 0.7152 * g + 0.0722 * b;
          sum += luma;
          sumSq += luma * luma;
        }
      }
      // The most common exact colour is taken as the background.
      const exact = new Map();
      for (let i = 0; i < data.length; i += 4) {
        const key = `${data[i]},${data[i + 1]},${data[i + 2]},${data[i + 3]}`;
        exact.set(key, (exact.get(key) ?? 0) + 1);
      }
      let bg = [0, 0, 0, 0];
      let best = -1;
      for (const [key, c] of exact) if (c > best) [best, bg] = [c, key.split(",").map(Number)];
      let nonBg = 0;
      for (let i = 0; i < data.length; i += 4) {
        if (Math.abs(data[i] - bg[0]) > 8 || Math.abs(data[i + 1] - bg[1]) > 8 || Math.abs(data[i + 2] - bg[2]) > 8 || Math.abs(data[i + 3] - bg[3]) > 8) nonBg++;
      }
      const mean = opaque ? sum / opaque : 0;
      const std = opaque ? Math.sqrt(Math.max(0, sumSq / opaque - mean * mean)) : 0;
      return {
        width,
        height,
        opaque: opaque / n,
        meanLuma: mean,
        stdLuma: std,
        distinctColors: counts.size,
        nonBackground: nonBg / n,
        blank: exact.size <= 1,
        hash: hash.toString(16),
      };
    });
  }, selector);
}

/**
 * Counts the bytes of the page's websocket frames (the kernel channels carry comm traffic):
 * returns { sent, received, frames, reset() }. Call before page.goto / opening the notebook.
 */
export function websocketTraffic(page) {
  const traffic = { sent: 0, received: 0, frames: 0, reset() { this.sent = 0; this.received = 0; this.frames = 0; } };
  const size = (payload) => (typeof payload === "string" ? Buffer.byteLength(payload) : payload.length);
  page.on("websocket", (ws) => {
    ws.on("framesent", ({ payload }) => { traffic.sent += size(payload); traffic.frames++; });
    ws.on("framereceived", ({ payload }) => { traffic.received += size(payload); traffic.frames++; });
  });
  return traffic;
}

/**
 * Milliseconds, measured in the page, from running `action` (a function run in the page, e.g.
 * `() => document.querySelector(".camlab-class-3").click()`) until the pixels of the first canvas
 * matching `canvasSelector` differ from before (checked every animation frame).
 */
export async function timeToCanvasChange(page, canvasSelector, action, { timeoutMs = 30_000 } = {}) {
  return page.evaluate(
    async ({ canvasSelector, actionSource, timeoutMs }) => {
      const digest = () => {
        const canvas = document.querySelector(canvasSelector);
        if (!canvas || !canvas.width || !canvas.height) return "none";
        const copy = document.createElement("canvas");
        copy.width = canvas.width;
        copy.height = canvas.height;
        const ctx = copy.getContext("2d");
        ctx.drawImage(canvas, 0, 0);
        const data = ctx.getImageData(0, 0, copy.width, copy.height).data;
        let h = 0x811c9dc5;
        for (let i = 0; i < data.length; i++) h = Math.imul(h ^ data[i], 0x01000193) >>> 0;
        return `${copy.width}x${copy.height}:${h}`;
      };
      const before = digest();
      // eslint-disable-next-line no-new-func
      const action = new Function(`return (${actionSource})();`);
      const t0 = performance.now();
      await action();
      for (;;) {
        await new Promise((r) => requestAnimationFrame(r));
        if (digest() !== before) return performance.now() - t0;
        if (performance.now() - t0 > timeoutMs) throw new Error(`${canvasSelector} did not change within ${timeoutMs} ms`);
      }
    },
    { canvasSelector, actionSource: action.toString(), timeoutMs },
  );
}

/** Waits until `predicate` (run in the page) returns a truthy value; returns that value. */
export async function waitInPage(page, predicate, arg, { timeoutMs = 30_000 } = {}) {
  const handle = await page.waitForFunction(predicate, arg, { timeout: timeoutMs, polling: 100 });
  return handle.jsonValue();
}

export { sleep };
