// Long CAMs in the real widgets: Score-CAM picked from the heatmap overlay's method menu on the
// pretrained MobileNetV2 (layer out_relu, 1280 channels) shows a spinner and the kernel's
// progress with a Cancel button; Cancel (pressed from the keyboard) stops the kernel's work —
// the time from Cancel to an idle kernel is measured and printed — and a class switch works
// afterwards. The layer menu offers only layers a CAM can use. After a kernel restart the
// widgets say their live data is gone without being clicked, and a re-run cell's widget is live.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { appendAndRunCell, notebook, openLab, openNotebook, restartKernel, runAllCells, screenshot, setTheme, startLab, waitInPage } from "./harness.mjs";

const LOAD = `import * as camlab from "camlab";
const net = await camlab.loadMobileNetV2();
const img = await camlab.loadImage(camlab.assetPath("chelsea.png"), { size: [224, 224] });
const x = net.preprocess(img);
"loaded"`;
const HEATMAP = `await camlab.showHeatmap(net.model, x, { labels: net.labels, image: img, classes: [0, 2], layer: "out_relu" })`;
const LAYERS = `await camlab.showLayers(net.model, x, { labels: net.labels })`;

const HEAT = '[data-testid="camlab-heatmap"] >> nth=0';
const PANE_A = `${HEAT} >> [data-testid="camlab-heatmap-pane"][data-pane="a"]`;

let lab;
let page;
let errors;
let cells;

before(async () => {
  lab = await startLab({ label: "progress", notebooks: { "progress.ipynb": notebook([LOAD, HEATMAP, LAYERS]) } });
  ({ page, errors } = await lab.newPage());
  await openLab(page, lab);
  await openNotebook(page, "progress.ipynb");
  cells = await runAllCells(page, { timeoutMs: 600_000 });
  await waitInPage(page, () => {
    const w = document.querySelector('[data-testid="camlab-heatmap"]');
    return w?.dataset.state === "live" && w.querySelector(".camlab-heatmap-overlay")?.dataset.layerSource === "kernel";
  }, undefined, { timeoutMs: 120_000 });
});

after(async () => {
  await lab?.stop();
});

test("the cells run", () => {
  const cellErrors = cells.flatMap((c) => c.outputs.filter((o) => o.output_type === "error").map((o) => `${o.ename}: ${o.evalue}`));
  assert.deepEqual(cellErrors, []);
});

test("the overlay's layer menu offers only layers a CAM can use: out_relu first, no input_1", async () => {
  const options = await page.locator(`${PANE_A} >> [data-testid="camlab-cam-layer"]`).evaluate((s) => [...s.options].map((o) => o.value));
  console.log(`# layer menu: ${options.length} layers, first ${options.slice(0, 4).join(", ")}, last ${options[options.length - 1]}`);
  assert.equal(options[0], "out_relu");
  assert.ok(!options.includes("input_1"), "no InputLayer");
  assert.ok(options.length > 10 && options.length < 156, `a filtered list (${options.length})`);
  // The layer browser marks layers without activations the same way (none here: every layer runs).
  const noActs = await page.locator('[data-testid="camlab-layers"] >> nth=0').evaluate((n) => n.querySelectorAll('[data-has-activations="false"]').length);
  assert.equal(noActs, 0);
});

test("Score-CAM from the method menu shows progress; Cancel stops the kernel within seconds; a class switch works after", async () => {
  const work = page.locator(`${PANE_A} >> [data-testid="camlab-work"]`);
  await page.locator(`${PANE_A} >> [data-testid="camlab-method"]`).selectOption("scorecam");
  await work.waitFor({ state: "visible", timeout: 10_000 });
  // The kernel's progress arrives: label, done of total.
  const progress = await waitInPage(page, () => {
    const w = document.querySelector('[data-testid="camlab-heatmap"] [data-pane="a"] [data-testid="camlab-work"]');
    return w && Number(w.dataset.total) > 0 && Number(w.dataset.done) > 0
      ? { label: w.querySelector('[data-testid="camlab-work-label"]').textContent, count: w.querySelector('[data-testid="camlab-work-count"]').textContent, done: Number(w.dataset.done), total: Number(w.dataset.total) }
      : null;
  }, undefined, { timeoutMs: 120_000 });
  console.log(`# Score-CAM progress: "${progress.label}" ${progress.count}`);
  assert.match(progress.label, /scorecam/i);
  assert.ok(progress.done < progress.total);
  await screenshot(page, "progress-scorecam-running", { selector: HEAT });
  await setTheme(page, "JupyterLab Dark");
  const dark = await work.evaluate((n) => {
    const s = getComputedStyle(n), b = getComputedStyle(n.querySelector('[data-testid="camlab-cancel"]'));
    return { bg: s.backgroundColor, fg: s.color, buttonFg: b.color };
  });
  await screenshot(page, "progress-scorecam-running-dark", { selector: HEAT });
  await setTheme(page, "JupyterLab Light");
  assert.notEqual(dark.bg, dark.fg, `themed in the dark theme too (${JSON.stringify(dark)})`);

  // Cancel from the keyboard; measure until the kernel has replied and is idle again.
  await page.evaluate(() => {
    const app = window.jupyterapp;
    const widget = [...app.shell.widgets("main")].find((w) => w.id === window.__camlabTest.notebookId);
    const kernel = widget.sessionContext.session.kernel;
    const button = document.querySelector('[data-testid="camlab-heatmap"] [data-pane="a"] [data-testid="camlab-cancel"]');
    window.__camlabCancel = { t0: null, idleMs: null };
    button.addEventListener("click", () => {
      window.__camlabCancel.t0 = performance.now();
      const poll = () => {
        const w = button.closest('[data-testid="camlab-work"]');
        if (w.hidden && kernel.status === "idle") window.__camlabCancel.idleMs = performance.now() - window.__camlabCancel.t0;
        else setTimeout(poll, 5);
      };
      poll();
    }, { capture: true, once: true });
  });
  await page.locator(`${PANE_A} >> [data-testid="camlab-cancel"]`).focus();
  await page.keyboard.press("Enter");
  const idleMs = await waitInPage(page, () => window.__camlabCancel.idleMs, undefined, { timeoutMs: 60_000 });
  console.log(`# Cancel → kernel idle: ${idleMs.toFixed(0)} ms (Score-CAM on out_relu was at ${progress.done} of ${progress.total} masked inputs when first seen)`);
  assert.ok(idleMs < 5000, `the kernel stopped within seconds of Cancel (${idleMs.toFixed(0)} ms)`);
  const hint = await page.locator(`${HEAT} >> [data-testid="camlab-heatmap-hint"]`).textContent();
  assert.match(hint, /Cancelled scorecam on out_relu/);
  const pane = await page.locator(PANE_A).evaluate((n) => ({ method: n.dataset.method, busy: n.dataset.busy, select: n.querySelector('[data-testid="camlab-method"]').value }));
  assert.deepEqual(pane, { method: "gradcam", busy: "false", select: "gradcam" }, "the pane and its menu show what is drawn");
  const note = await page.locator(`${HEAT} >> [data-testid="camlab-status"]`).evaluate((n) => ({ kind: n.dataset.kind, text: n.textContent }));
  assert.equal(note.kind, "live", `a cancel is not a failure: ${note.text}`);

  // A class switch works after the cancel.
  const before = await page.locator(PANE_A).evaluate((n) => n.dataset.classIndex);
  const other = await page.locator(HEAT).evaluate((n, before) => [...n.querySelectorAll('[data-testid="camlab-class-item"]')].map((c) => c.dataset.classIndex).find((i) => i !== before), before);
  await page.locator(`${HEAT} >> [data-testid="camlab-class-item"][data-class-index="${other}"]`).click();
  await waitInPage(page, (other) => document.querySelector('[data-testid="camlab-heatmap"] [data-pane="a"]').dataset.classIndex === other, other, { timeoutMs: 60_000 });
  const after = await page.locator(HEAT).evaluate((n) => ({ hint: n.querySelector('[data-testid="camlab-heatmap-hint"]').hidden, note: n.querySelector('[data-testid="camlab-status"]').dataset.kind }));
  assert.deepEqual(after, { hint: true, note: "live" });
});

test("evicting a display's tensors in a cell turns its widget to 'recompute' without a click", async () => {
  // The layer browser's entry is the newest one bound (cell 3).
  const out = await appendAndRunCell(page, `const session = camlab.currentSession();
const handles = session.registry.handles();
session.evict(handles[handles.length - 1]);
handles.length`);
  assert.deepEqual(out.outputs.filter((o) => o.output_type === "error"), []);
  await waitInPage(page, () => document.querySelector('[data-testid="camlab-layers"]')?.dataset.state === "recompute", undefined, { timeoutMs: 30_000 });
  const heat = await page.locator(HEAT).evaluate((n) => n.dataset.state);
  assert.equal(heat, "live", "the other display is untouched");
});

test("a kernel restart turns the widgets dead without a click; a re-run cell's widget is live", async () => {
  await restartKernel(page);
  await waitInPage(page, () => {
    const w = document.querySelector('[data-testid="camlab-heatmap"]');
    return w.dataset.state === "unavailable" && /restarted/.test(w.querySelector('[data-testid="camlab-status"]').textContent);
  }, undefined, { timeoutMs: 30_000 });
  // Clicking the old widget first must not poison the verdict for the new kernel's widgets.
  await page.locator(`${HEAT} >> [data-testid="camlab-class-item"]`).last().click();
  await appendAndRunCell(page, `${LOAD}`);
  await appendAndRunCell(page, HEATMAP);
  await waitInPage(page, () => {
    const ws = [...document.querySelectorAll('[data-testid="camlab-heatmap"]')];
    return ws.length === 2 && ws[1].dataset.state === "live" && ws[0].dataset.state === "unavailable";
  }, undefined, { timeoutMs: 120_000 });
  await screenshot(page, "progress-after-restart");
  assert.deepEqual(errors.pageErrors, [], "no uncaught page errors (a cancel's control-channel future included)");
});
