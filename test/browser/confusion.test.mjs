// The confusion explorer in real JupyterLab + Chromium on a real camlab kernel: a shapes CNN
// trained in the notebook and tested on small noisy shapes (squares read as circles), its matrix checked against counts made
// by a separate cell from model.predict; a cell click opens the gallery, a thumbnail the CAM pair
// (pixel checks: non-blank, the two classes differ), "Open in overlay" a live heatmap overlay;
// arrow keys move inside the matrix; the dark theme; and Interrupt during a long sweep stops it
// with nothing leaked. Click → gallery and click → CAM pair times and reply bytes are printed
// (the bench, scripts/bench/confusion.mjs, records them).
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { canvasStats, notebook, openLab, openNotebook, runAllCells, screenshot, setTheme, startLab, waitInPage, appendAndRunCell } from "./harness.mjs";

const TRAIN = `import * as camlab from "camlab";
import * as tf from "@tensorflow/tfjs";
await camlab.ensureBackend();
const train = camlab.makeShapes({ count: 300, seed: 1 });
const model = camlab.buildShapesClassifier({ size: 32, seed: 1 });
// The recipe of notebook 07: right on ordinary shapes; on small noisy ones squares read as circles.
await camlab.trainClassifier(model, train.images, train.labels, { epochs: 16, learningRate: 0.01 });
const test = camlab.makeShapes({ count: 90, seed: 7, radius: [2.5, 3.5], noise: 0.15 });
"trained"`;
// The reference counts, independent of camlab's sweep: predict, argmax, count by hand.
const COUNTS = `const logits = model.predict(test.images) as tf.Tensor;
const predicted = Array.from(await logits.argMax(1).data());
logits.dispose();
const byHand = [[0, 0, 0], [0, 0, 0], [0, 0, 0]];
test.classes.forEach((t, i) => byHand[t][predicted[i]]++);
JSON.stringify(byHand)`;
const SHOW = `await camlab.showConfusion(model, { x: test.images, y: test.labels }, { labels: [...camlab.SHAPE_CLASSES], batchSize: 16, layer: "last_conv" })`;

const ROOT = '[data-testid="camlab-confusion"] >> nth=0';

let lab;
let page;
let errors;
let cells;

before(async () => {
  lab = await startLab({ label: "confusion", notebooks: { "confusion.ipynb": notebook([TRAIN, COUNTS, SHOW]) } });
  ({ page, errors } = await lab.newPage());
  await openLab(page, lab);
  await openNotebook(page, "confusion.ipynb");
  cells = await runAllCells(page, { timeoutMs: 600_000 });
  await waitInPage(page, () => document.querySelector('[data-testid="camlab-confusion"]')?.dataset.state === "live", undefined, { timeoutMs: 120_000 });
});

after(async () => {
  await lab?.stop();
});

const textOf = (cell) => cell.outputs.map((o) => (o.data?.["text/plain"] ?? o.text ?? "")).flat().join("");

test("the cells run; the display carries its MIME type, a PNG and a text matrix", () => {
  const cellErrors = cells.flatMap((c) => c.outputs.filter((o) => o.output_type === "error").map((o) => `${o.ename}: ${o.evalue}`));
  assert.deepEqual(cellErrors, []);
  const data = cells[2].outputs.find((o) => o.data?.["application/vnd.camlab.confusion+json"])?.data;
  assert.ok(data, "a confusion display");
  assert.ok(data["image/png"]?.length > 1000, "a PNG fallback");
  assert.match([data["text/plain"]].flat().join(""), /Confusion matrix of shapes_cnn on 90 examples: accuracy/);
});

test("the matrix cells show the counts a separate cell computed from model.predict", async () => {
  const byHand = JSON.parse(/\[\[[\d,\[\]]*\]\]/.exec(textOf(cells[1]))[0]);
  const shown = await page.locator(ROOT).evaluate((n) => {
    const m = [[0, 0, 0], [0, 0, 0], [0, 0, 0]];
    for (const c of n.querySelectorAll('[data-testid="camlab-confusion-cell"]')) m[Number(c.dataset.truth)][Number(c.dataset.predicted)] = Number(c.textContent);
    return m;
  });
  assert.deepEqual(shown, byHand);
  const mistakes = byHand.flatMap((r, t) => r.filter((_, p) => p !== t)).reduce((a, b) => a + b, 0);
  console.log(`# matrix ${JSON.stringify(byHand)}: ${mistakes} mistakes of 90`);
  assert.ok(mistakes > 0, "the model makes mistakes to explore");
  // Row-normalised: each row's percentages; the toggle changes the text, not the counts.
  await page.locator(`${ROOT} >> [data-testid="camlab-confusion-normalise"]`).check();
  const pcts = await page.locator(`${ROOT} >> [data-testid="camlab-confusion-cell"]`).allTextContents();
  pcts.forEach((p, i) => {
    const [t, q] = [Math.floor(i / 3), i % 3];
    const sum = byHand[t].reduce((a, b) => a + b, 0);
    const want = byHand[t][q] === 0 ? "0" : `${((byHand[t][q] / sum) * 100).toFixed(byHand[t][q] / sum >= 0.1 ? 0 : 1)}%`;
    assert.equal(p, want, `cell (${t}, ${q})`);
  });
  await page.locator(`${ROOT} >> [data-testid="camlab-confusion-normalise"]`).uncheck();
  await screenshot(page, "confusion-matrix", { selector: '[data-testid="camlab-confusion"]' });
});

test("cell click → gallery of that cell by margin; thumbnail click → the CAMs for both classes (non-blank, different) and their difference", async () => {
  const [t, q, count] = await page.locator(ROOT).evaluate((n) => {
    const cells = [...n.querySelectorAll('[data-testid="camlab-confusion-cell"]')].filter((c) => c.dataset.truth !== c.dataset.predicted);
    const best = cells.sort((a, b) => Number(b.dataset.count) - Number(a.dataset.count))[0];
    return [Number(best.dataset.truth), Number(best.dataset.predicted), Number(best.dataset.count)];
  });
  await page.locator(`${ROOT} >> [data-testid="camlab-confusion-cell"][data-truth="${t}"][data-predicted="${q}"]`).click();
  await waitInPage(page, ([t, q]) => {
    const g = document.querySelector('[data-testid="camlab-confusion-gallery"]');
    return g && !g.hidden && g.dataset.truth === String(t) && g.dataset.predicted === String(q) && g.querySelectorAll('[data-testid="camlab-confusion-thumb"]').length > 0;
  }, [t, q], { timeoutMs: 60_000 });
  const galleryMs = await page.locator(ROOT).evaluate((n) => ({ kind: n.dataset.lastInteraction, ms: Number(n.dataset.lastLatencyMs), bytes: Number(n.dataset.lastBytes) }));
  const thumbs = await canvasStats(page, '[data-testid="camlab-confusion"] [data-testid="camlab-confusion-thumb-canvas"]');
  assert.equal(thumbs.length, Math.min(12, count), "one thumbnail per example of the page");
  assert.ok(thumbs.every((s) => !s.blank && s.stdLuma > 2), `thumbnails show shapes: ${JSON.stringify(thumbs.map((s) => s.stdLuma))}`);
  // Captions in margin order (most confident mistake first).
  const margins = await page.locator(`${ROOT} >> [data-testid="camlab-confusion-thumb"]`).evaluateAll((bs) => bs.map((b) => Number(/margin (\d\.\d+)/.exec(b.textContent)[1])));
  for (let i = 1; i < margins.length; i++) assert.ok(margins[i - 1] >= margins[i], `margins sorted: ${margins}`);

  await page.locator(`${ROOT} >> [data-testid="camlab-confusion-thumb"] >> nth=0`).click();
  await waitInPage(page, () => {
    const p = document.querySelector('[data-testid="camlab-confusion-pair"]');
    return p && !p.hidden && p.dataset.busy === "false" && p.dataset.index != null;
  }, undefined, { timeoutMs: 120_000 });
  const pairMs = await page.locator(ROOT).evaluate((n) => ({ kind: n.dataset.lastInteraction, ms: Number(n.dataset.lastLatencyMs), bytes: Number(n.dataset.lastBytes) }));
  const [truth, predicted, difference] = await Promise.all(["truth", "predicted", "difference"].map(async (role) => (await canvasStats(page, `[data-testid="camlab-confusion"] [data-testid="camlab-confusion-cam"][data-role="${role}"]`))[0]));
  for (const [name, s] of Object.entries({ truth, predicted, difference })) assert.ok(s && s.width === 32 && !s.blank && s.distinctColors > 10, `${name} CAM drawn: ${JSON.stringify(s)}`);
  assert.notEqual(truth.hash, predicted.hash, "the true and predicted classes' CAMs differ");
  assert.notEqual(difference.hash, truth.hash);
  const title = await page.locator(`${ROOT} >> [data-testid="camlab-confusion-pair-title"]`).textContent();
  assert.match(title, /true (circle|square|triangle) \(p 0\.\d+\), predicted (circle|square|triangle)/);
  console.log(`# click → gallery: ${galleryMs.ms} ms, ${galleryMs.bytes} bytes (${galleryMs.kind}); click → CAM pair: ${pairMs.ms} ms, ${pairMs.bytes} bytes (${pairMs.kind})`);
  assert.equal(galleryMs.kind, "confusion-cell");
  assert.equal(pairMs.kind, "confusion-pair");
  await screenshot(page, "confusion-pair", { selector: '[data-testid="camlab-confusion"]' });

  // Another method from the menu recomputes the pair.
  const before = truth.hash;
  await page.locator(`${ROOT} >> [data-testid="camlab-confusion-pair"] >> [data-testid="camlab-method"]`).selectOption("gradcampp");
  await waitInPage(page, () => document.querySelector('[data-testid="camlab-confusion-pair"]').dataset.method === "gradcampp" && document.querySelector('[data-testid="camlab-confusion-pair"]').dataset.busy === "false", undefined, { timeoutMs: 120_000 });
  const again = (await canvasStats(page, '[data-testid="camlab-confusion"] [data-testid="camlab-confusion-cam"][data-role="truth"]'))[0];
  assert.ok(!again.blank);
  assert.notEqual(again.hash, before, "Grad-CAM++ draws other pixels than Grad-CAM");
});

test("Open in overlay: a live heatmap overlay of that example below", async () => {
  await page.locator(`${ROOT} >> [data-testid="camlab-confusion-open-overlay"]`).click();
  await waitInPage(page, () => document.querySelector('[data-testid="camlab-confusion-overlay"] [data-testid="camlab-heatmap"]')?.dataset.state === "live", undefined, { timeoutMs: 120_000 });
  const stats = await canvasStats(page, '[data-testid="camlab-confusion-overlay"] [data-testid="camlab-heatmap-canvas"]');
  assert.ok(stats.length >= 1 && !stats[0].blank && stats[0].distinctColors > 10, `overlay canvas: ${JSON.stringify(stats[0])}`);
});

test("arrow keys move between matrix cells, not notebook cells; the dark theme keeps the matrix readable", async () => {
  const activeCell = () => page.evaluate(() => [...document.querySelectorAll(".jp-Notebook .jp-Cell")].findIndex((c) => c.classList.contains("jp-mod-active")));
  const first = page.locator(`${ROOT} >> [data-testid="camlab-confusion-cell"][data-truth="0"][data-predicted="0"]`);
  await first.focus();
  const cell = await activeCell();
  await page.keyboard.press("ArrowRight");
  await page.keyboard.press("ArrowDown");
  const focused = await page.evaluate(() => ({ t: document.activeElement?.dataset.truth, p: document.activeElement?.dataset.predicted }));
  assert.deepEqual(focused, { t: "1", p: "1" });
  assert.equal(await activeCell(), cell, "the notebook's active cell did not move");
  // Enter opens the focused cell: its gallery, or (an empty cell) the note that it is empty.
  await page.keyboard.press("Enter");
  await waitInPage(page, () => {
    const root = document.querySelector('[data-testid="camlab-confusion"]');
    const g = root.querySelector('[data-testid="camlab-confusion-gallery"]');
    const hint = root.querySelector('[data-testid="camlab-confusion-hint"]');
    const empty = root.querySelector('[data-testid="camlab-confusion-cell"][data-truth="1"][data-predicted="1"]').dataset.count === "0";
    return empty ? !hint.hidden && /No example of true square was predicted as square/.test(hint.textContent) : g.dataset.truth === "1" && g.dataset.predicted === "1";
  }, undefined, { timeoutMs: 60_000 });

  await setTheme(page, "JupyterLab Dark");
  const dark = await page.locator(ROOT).evaluate((n) => {
    const th = getComputedStyle(n.querySelector(".camlab-confusion-col"));
    const root = getComputedStyle(n.closest(".camlab-widget"));
    return { fg: th.color, bg: root.backgroundColor };
  });
  await screenshot(page, "confusion-dark", { selector: '[data-testid="camlab-confusion"]' });
  await setTheme(page, "JupyterLab Light");
  const luma = (c) => {
    const [r, g, b] = c.match(/\d+/g).map(Number);
    return 0.299 * r + 0.587 * g + 0.114 * b;
  };
  assert.ok(Math.abs(luma(dark.fg) - luma(dark.bg)) > 80, `header text reads on the dark background: ${JSON.stringify(dark)}`);
});

test("Interrupt during a long sweep stops it at a batch boundary: KeyboardInterrupt, no tensor left, the kernel keeps working", async () => {
  const before = await appendAndRunCell(page, "tf.memory().numTensors");
  const n0 = Number([before.outputs[0].data["text/plain"]].flat().join(""));
  // A stream of 400 batches of the test images (36,000 examples): long enough to interrupt.
  const SWEEP = `async function* slow() { for (let i = 0; i < 400; i++) yield { x: test.images.clone(), y: test.labels.clone() }; }
await camlab.confusions(model, slow(), { total: 36000 })`;
  await page.evaluate((source) => {
    const app = window.jupyterapp;
    const widget = [...app.shell.widgets("main")].find((w) => w.id === window.__camlabTest.notebookId);
    const nb = widget.content;
    const index = nb.model.cells.length;
    nb.model.sharedModel.insertCell(index, { cell_type: "code", source });
    nb.activeCellIndex = index;
    nb.mode = "command";
    window.__camlabSweep = { index, done: false };
    app.commands.execute("notebook:run-cell").then(() => (window.__camlabSweep.done = true));
  }, SWEEP);
  // The cell's progress output appears: the sweep is under way.
  const progress = await waitInPage(page, () => {
    const { index } = window.__camlabSweep;
    const widget = [...window.jupyterapp.shell.widgets("main")].find((w) => w.id === window.__camlabTest.notebookId);
    const text = widget.content.widgets[index].node.querySelector(".jp-OutputArea")?.textContent ?? "";
    return /confusions: images: \d+\/36000/.test(text) && !/: 0\/36000/.test(text) ? text : null;
  }, undefined, { timeoutMs: 120_000 });
  console.log(`# sweep running: ${progress.match(/confusions: images: [^·]+/)?.[0]}`);
  await page.evaluate(() => window.jupyterapp.commands.execute("notebook:interrupt-kernel"));
  await waitInPage(page, () => window.__camlabSweep.done, undefined, { timeoutMs: 60_000 });
  const outputs = await page.evaluate(() => {
    const widget = [...window.jupyterapp.shell.widgets("main")].find((w) => w.id === window.__camlabTest.notebookId);
    return widget.content.model.cells.get(window.__camlabSweep.index).toJSON().outputs;
  });
  const err = outputs.find((o) => o.output_type === "error");
  assert.ok(err, `an error output: ${JSON.stringify(outputs).slice(0, 300)}`);
  assert.equal(err.ename, "KeyboardInterrupt");
  assert.match(err.evalue, /confusions: images \(\d+ of 36000 done\)/);
  const afterCell = await appendAndRunCell(page, "tf.memory().numTensors");
  const n1 = Number([afterCell.outputs[0].data["text/plain"]].flat().join(""));
  assert.equal(n1, n0, "the interrupted sweep left no tensor (its stream's current batch included)");
  // The explorer still answers after the interrupt.
  // A cell other than the one the gallery shows now.
  const [t, q] = await page.locator(ROOT).evaluate((n) => {
    const g = n.querySelector('[data-testid="camlab-confusion-gallery"]');
    const c = [...n.querySelectorAll('[data-testid="camlab-confusion-cell"]')].find((c) => Number(c.dataset.count) > 0 && (c.dataset.truth !== g.dataset.truth || c.dataset.predicted !== g.dataset.predicted));
    return [c.dataset.truth, c.dataset.predicted];
  });
  await page.locator(`${ROOT} >> [data-testid="camlab-confusion-cell"][data-truth="${t}"][data-predicted="${q}"]`).click();
  await waitInPage(page, ([t, q]) => {
    const g = document.querySelector('[data-testid="camlab-confusion-gallery"]');
    return g?.dataset.truth === t && g?.dataset.predicted === q;
  }, [t, q], { timeoutMs: 60_000 });
  assert.deepEqual(errors.pageErrors, [], "no uncaught page errors");
});
