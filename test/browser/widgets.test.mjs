// The three camlab widgets in real JupyterLab + Chromium, fed by a real camlab kernel session:
// non-blank canvases (pixel statistics), layer → activation grid, class click → new heatmap
// pixels, an evicted handle → the recompute message, strings from the kernel shown as text, and
// after a kernel shutdown + reload, the static snapshots. Screenshots go to .test-artifacts/browser.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import {
  appendAndRunCell,
  canvasStats,
  setTheme,
  openLab,
  openNotebook,
  runAllCells,
  saveNotebook,
  screenshot,
  restartKernel,
  shutdownKernel,
  startLab,
  timeToCanvasChange,
  waitInPage,
} from "./harness.mjs";
import { EVIL_LAYER, widgetsNotebook } from "./fixtures/widgets-notebook.mjs";

let lab;
let page;
let errors;
let cells;

const W = (kind, nth = 0) => `[data-testid="camlab-${kind}"] >> nth=${nth}`;

function outputMimes(cell) {
  return cell.outputs.flatMap((o) => Object.keys(o.data ?? {}));
}

function errorOutputs(cells) {
  return cells.flatMap((c) => c.outputs.filter((o) => o.output_type === "error").map((o) => `${o.ename}: ${o.evalue}`));
}

before(async () => {
  lab = await startLab({ label: "widgets", notebooks: { "widgets.ipynb": widgetsNotebook() } });
  ({ page, errors } = await lab.newPage());
  await openLab(page, lab);
  await openNotebook(page, "widgets.ipynb");
  cells = await runAllCells(page, { timeoutMs: 600_000 });
});

after(async () => {
  await lab?.stop();
});

test("every cell runs and each display carries its camlab MIME type with PNG and text fallbacks", () => {
  assert.deepEqual(errorOutputs(cells), []);
  const expect = [[], ["heatmap"], ["layers"], ["activations"], ["heatmap"], ["layers", "heatmap"], []];
  expect.forEach((kinds, i) => {
    const mimes = outputMimes(cells[i]);
    for (const kind of kinds) assert.ok(mimes.includes(`application/vnd.camlab.${kind}+json`), `cell ${i} shows ${kind} (got ${mimes})`);
    if (kinds.length) assert.ok(mimes.includes("image/png") && mimes.includes("text/plain"), `cell ${i} has fallbacks`);
  });
});

test("the three widgets go live and draw non-blank canvases", async () => {
  await waitInPage(page, () => {
    const live = (k) => [...document.querySelectorAll(`[data-testid="camlab-${k}"]`)].filter((n) => n.dataset.state === "live").length;
    return live("heatmap") >= 1 && live("layers") >= 2 && live("activations") >= 1;
  }, undefined, { timeoutMs: 60_000 });
  const heat = await canvasStats(page, '[data-testid="camlab-heatmap"][data-state="live"] [data-testid="camlab-heatmap-canvas"]');
  assert.ok(heat.length >= 1, "a heatmap canvas");
  assert.ok(heat[0].width >= 100 && !heat[0].blank && heat[0].stdLuma > 10 && heat[0].distinctColors > 50, `heatmap pixels: ${JSON.stringify(heat[0])}`);
  const tiles = await canvasStats(page, '[data-testid="camlab-activations"] [data-testid="camlab-tile-canvas"]');
  assert.ok(tiles.length >= 8, `activation tiles (${tiles.length})`);
  const drawn = tiles.filter((t) => !t.blank && t.stdLuma > 1);
  assert.ok(drawn.length >= tiles.length * 0.8, `most tiles show structure (${drawn.length}/${tiles.length})`);
  await screenshot(page, "widgets-heatmap", { selector: '[data-testid="camlab-heatmap"]' });
  await screenshot(page, "widgets-activations", { selector: '[data-testid="camlab-activations"]' });
});

test("selecting a layer in the layer browser shows its activation grid", async () => {
  const layers = page.locator(W("layers"));
  await layers.scrollIntoViewIfNeeded();
  await layers.locator('[data-testid="camlab-layer-item"][data-layer="block_6_expand_relu"]').click();
  await waitInPage(page, () => {
    const root = document.querySelector('[data-testid="camlab-layers"]');
    return root && root.querySelectorAll('[data-testid="camlab-tile-canvas"]').length > 0 && root.querySelector(".camlab-layer-detail")?.textContent.includes("block_6_expand_relu");
  }, undefined, { timeoutMs: 60_000 });
  const stats = await canvasStats(page, '[data-testid="camlab-layers"] [data-testid="camlab-tile-canvas"]');
  assert.ok(stats.length >= 8 && stats.filter((s) => !s.blank).length >= stats.length * 0.8, `tiles of block_6_expand_relu: ${stats.length}`);
  const health = await page.locator(W("layers")).locator(`[data-testid="camlab-health-badge"]`).count();
  assert.equal(health, 0, "MobileNetV2's gradients are healthy: no badges");
  await screenshot(page, "widgets-layers", { selector: '[data-testid="camlab-layers"]' });
});

test("clicking another class recomputes the heatmap: its pixels change", async () => {
  const root = '[data-testid="camlab-heatmap"][data-state="live"]';
  const before = (await canvasStats(page, `${root} [data-testid="camlab-heatmap-canvas"]`))[0];
  const current = await page.locator(`${root} >> nth=0`).evaluate((n) => n.querySelector('[aria-selected="true"][data-testid="camlab-class-item"], .camlab-class-item--selected')?.dataset.classIndex ?? null);
  const other = await page.locator(`${root} >> nth=0`).evaluate((n, current) => [...n.querySelectorAll('[data-testid="camlab-class-item"]')].map((c) => c.dataset.classIndex).find((i) => i !== current), current);
  assert.ok(other != null, "another class to click");
  const ms = await timeToCanvasChange(page, `${root} [data-testid="camlab-heatmap-canvas"]`, new Function(`return document.querySelector('${root} [data-testid="camlab-class-item"][data-class-index="${other}"]').click();`));
  const after = (await canvasStats(page, `${root} [data-testid="camlab-heatmap-canvas"]`))[0];
  assert.notEqual(after.hash, before.hash, "the heatmap's pixels changed");
  assert.ok(!after.blank);
  const bytes = await page.locator(`${root} >> nth=0`).evaluate((n) => Number(n.dataset.lastBytes));
  const source = await page.locator(`${root} >> nth=0`).evaluate((n) => n.querySelector(".camlab-heatmap-overlay").dataset.lastSource);
  console.log(`class switch: canvas changed after ${ms.toFixed(1)} ms, ${bytes} bytes received, CAM from the ${source}`);
  // A listed class's CAM came with the display (prefetched): drawn without asking the kernel.
  assert.equal(source, "payload");
  assert.equal(bytes, 0);
  await screenshot(page, "widgets-heatmap-other-class", { selector: root });
});

test("arrow keys in a widget's slider, menu and layer list act on the control, not on the notebook", async () => {
  const activeCell = () => page.evaluate(() => [...document.querySelectorAll(".jp-Notebook .jp-Cell")].findIndex((c) => c.classList.contains("jp-mod-active")));
  const heat = page.locator('[data-testid="camlab-heatmap"][data-state="live"] >> nth=0');
  const slider = heat.locator('[data-testid="camlab-opacity"]');
  await slider.focus();
  const cell = await activeCell();
  const before = Number(await slider.inputValue());
  await page.keyboard.press("ArrowLeft");
  assert.equal(Number(await slider.inputValue()), before - 1, "ArrowLeft lowers the opacity");
  assert.equal(await activeCell(), cell, "ArrowLeft on the slider leaves the active cell");
  await page.keyboard.press("ArrowRight");
  assert.equal(Number(await slider.inputValue()), before);

  const menu = heat.locator('[data-testid="camlab-colormap"]');
  await menu.focus();
  const cmap = await menu.inputValue();
  await page.keyboard.press("ArrowDown");
  assert.notEqual(await menu.inputValue(), cmap, "ArrowDown picks the next colormap");
  assert.equal(await activeCell(), cell, "ArrowDown on the menu leaves the active cell");
  await page.keyboard.press("ArrowUp");
  assert.equal(await menu.inputValue(), cmap);

  const layers = page.locator(W("layers"));
  const item = layers.locator('[data-testid="camlab-layer-item"][aria-selected="true"]');
  await item.focus();
  const layerCell = await activeCell();
  const selected = await item.getAttribute("data-layer");
  await page.keyboard.press("ArrowDown");
  await waitInPage(page, (was) => document.querySelector('[data-testid="camlab-layers"] [data-testid="camlab-layer-item"][aria-selected="true"]')?.dataset.layer !== was, selected);
  assert.equal(await activeCell(), layerCell, "ArrowDown in the layer list leaves the active cell");
  // The focused control shows a focus ring (outline from the theme's brand colour).
  const outline = await page.evaluate(() => getComputedStyle(document.activeElement).outlineStyle);
  assert.notEqual(outline, "none", "a visible focus ring");
});

test("a display whose tensors were evicted says to recompute", async () => {
  const evicted = page.locator('[data-testid="camlab-heatmap"] >> nth=1');
  await waitInPage(page, () => document.querySelectorAll('[data-testid="camlab-heatmap"]')[1]?.dataset.state === "recompute", undefined, { timeoutMs: 60_000 });
  const text = await evicted.locator('[data-testid="camlab-status"]').textContent();
  assert.match(text, /Recompute needed/);
  assert.match(text, /re-run the cell/);
  const stats = await canvasStats(page, '[data-testid="camlab-heatmap"]:nth-of-type(1) [data-testid="camlab-heatmap-canvas"]');
  assert.ok(stats.every((s) => !s.blank), "the snapshot stays visible");
  await screenshot(page, "widgets-evicted", { selector: '[data-testid="camlab-heatmap"] >> nth=1' });
});

test("strings from the kernel are shown as text, never as HTML", async () => {
  const evil = page.locator(W("layers", 1));
  const names = await evil.locator('[data-testid="camlab-layer-item"]').evaluateAll((items) => items.map((i) => i.dataset.layer));
  assert.ok(names.includes(EVIL_LAYER), `the layer list holds the literal name (got ${names})`);
  const text = await evil.textContent();
  assert.ok(text.split(EVIL_LAYER).length >= 3, "layer and model names rendered as the characters themselves");
  const heat = page.locator(W("heatmap", 2));
  const labels = await heat.textContent();
  assert.ok(labels.includes(EVIL_LAYER) && labels.includes("<b>bold</b>"), "class labels rendered as text");
  assert.equal(await evil.locator("img").count() + (await heat.locator("img, b").count()), 0, "no element was created from a name");
  assert.equal(await page.evaluate(() => window.__camlabPwned), undefined);
  await screenshot(page, "widgets-names-as-text", { selector: '[data-testid="camlab-layers"] >> nth=1' });
});

test("plotly figures in notebook outputs are drawn by the extension", async () => {
  await waitInPage(page, () => document.querySelector('[data-testid="camlab-plotly"]')?.dataset.state === "drawn", undefined, { timeoutMs: 60_000 });
  const bars = await page.locator('[data-testid="camlab-plotly"] .trace.bars .point').count();
  assert.equal(bars, 2, "one bar per category");
  const title = await page.locator('[data-testid="camlab-plotly"] .gtitle').textContent();
  assert.equal(title, "faithfulness");
});

test("clicking a tile zooms the channel; hovering reads the value the kernel computed", async () => {
  const acts = page.locator(W("activations"));
  await acts.scrollIntoViewIfNeeded();
  await acts.locator('[data-testid="camlab-tile"]').nth(5).click();
  await waitInPage(page, () => /channel 5 · 7×7 \(live\)/.test(document.querySelector('[data-testid="camlab-activations"] [data-testid="camlab-zoom-title"]')?.textContent ?? ""), undefined, { timeoutMs: 30_000 });
  const zoom = acts.locator('[data-testid="camlab-zoom-canvas"]');
  const [stats] = await canvasStats(page, '[data-testid="camlab-activations"] [data-testid="camlab-zoom-canvas"]');
  assert.ok(!stats.blank, "the zoomed channel is drawn");
  const box = await zoom.boundingBox();
  // Pixel (x 4, y 2) of the 7×7 map: hover over the middle of that cell.
  await page.mouse.move(box.x + (box.width * 4.5) / 7, box.y + (box.height * 2.5) / 7);
  const readout = await waitInPage(page, () => {
    const r = document.querySelector('[data-testid="camlab-activations"] [data-testid="camlab-zoom-readout"]');
    return r?.dataset.value ? { x: Number(r.dataset.x), y: Number(r.dataset.y), value: Number(r.dataset.value) } : null;
  });
  assert.deepEqual([readout.x, readout.y], [4, 2]);
  const cell = await appendAndRunCell(page, `const zoomFx = new camlab.FeatureExtractor(net.model, "block_16_project");
const zoomAct = zoomFx.extract(x).features["block_16_project"];
const zoomChannel = tf.slice(zoomAct, [0, 0, 0, 5], [1, -1, -1, 1]);
const zoomTruth = { v: (await tf.slice(zoomAct, [0, 2, 4, 5], [1, 1, 1, 1]).data())[0], lo: (await zoomChannel.min().data())[0], hi: (await zoomChannel.max().data())[0] };
zoomFx.dispose();
console.log(JSON.stringify(zoomTruth))`);
  const text = cell.outputs.map((o) => o.data?.["text/plain"] ?? o.text ?? "").join("");
  const truth = JSON.parse(text);
  const step = (truth.hi - truth.lo) / 255;
  assert.ok(Math.abs(readout.value - truth.v) <= step / 2 + 1e-4, `read-out ${readout.value} vs the kernel's ${truth.v} (uint8 step ${step})`);
});

test("sorting channels by Grad-CAM weight puts the channel with the largest alpha_k first", async () => {
  const acts = page.locator(W("activations"));
  await acts.locator("select").first().selectOption("camWeight");
  await waitInPage(page, () => document.querySelector('[data-testid="camlab-activations"]').dataset.lastInteraction === "sort", undefined, { timeoutMs: 30_000 });
  const first = await acts.locator('[data-testid="camlab-tile"]').first().textContent();
  const cell = await appendAndRunCell(page, `const sortCam = await camlab.cam(net.model, x, { method: "gradcam", layer: "block_16_project" });
const sortBest = (await tf.argMax(tf.squeeze(sortCam.weights!), 0).data())[0];
sortCam.dispose();
sortBest`);
  const best = Number(cell.outputs.map((o) => o.data?.["text/plain"] ?? "").join(""));
  assert.match(first, new RegExp(`^#${best}\\b`), `first tile "${first}" should be channel ${best}`);
});

test("the widgets follow the dark theme", async () => {
  await setTheme(page, "JupyterLab Dark");
  try {
    const bg = await page.locator(W("heatmap")).evaluate((n) => {
      let el = n;
      let c = "rgba(0, 0, 0, 0)";
      while (el && /rgba\(0, 0, 0, 0\)|transparent/.test(c)) {
        c = getComputedStyle(el).backgroundColor;
        el = el.parentElement;
      }
      return c;
    });
    const [r, g, b] = bg.match(/\d+/g).map(Number);
    assert.ok(0.2126 * r + 0.7152 * g + 0.0722 * b < 90, `a dark background behind the widget (${bg})`);
    const text = await page.locator(W("heatmap")).locator('[data-testid="camlab-class-list"]').evaluate((n) => getComputedStyle(n).color);
    const [tr, tg, tb] = text.match(/\d+/g).map(Number);
    assert.ok(0.2126 * tr + 0.7152 * tg + 0.0722 * tb > 150, `light text on it (${text})`);
    const [heat] = await canvasStats(page, '[data-testid="camlab-heatmap"] [data-testid="camlab-heatmap-canvas"]');
    assert.ok(!heat.blank);
    await screenshot(page, "widgets-dark-theme", { selector: '[data-testid="camlab-heatmap"] >> nth=0' });
  } finally {
    await setTheme(page, "JupyterLab Light");
  }
});

test("after a kernel restart the widgets keep their snapshots and say live data is gone", async () => {
  await restartKernel(page);
  // The next interaction that needs the kernel finds it restarted: another method (a listed
  // class's CAM is in the payload and would be drawn without the kernel).
  await page.evaluate(() => {
    const s = document.querySelector('[data-testid="camlab-heatmap"] [data-testid="camlab-method"]');
    if (s.disabled) return; // the widget already saw the restart
    s.value = [...s.options].map((o) => o.value).find((m) => m !== s.value);
    s.dispatchEvent(new Event("change"));
  });
  await waitInPage(page, () => {
    const w = document.querySelector('[data-testid="camlab-heatmap"]');
    return w.dataset.state === "unavailable" && /restarted/.test(w.querySelector('[data-testid="camlab-status"]').textContent);
  }, undefined, { timeoutMs: 60_000 });
  const [heat] = await canvasStats(page, '[data-testid="camlab-heatmap"] [data-testid="camlab-heatmap-canvas"]');
  assert.ok(!heat.blank, "the snapshot stays");
  await screenshot(page, "widgets-after-restart", { selector: '[data-testid="camlab-heatmap"] >> nth=0' });
});

test("after the kernel shuts down, a reloaded page shows the static snapshots", async () => {
  await saveNotebook(page);
  await shutdownKernel(page);
  await page.reload();
  await openLab(page, lab);
  await openNotebook(page, "widgets.ipynb", { noKernel: true });
  await waitInPage(page, () => {
    const ws = [...document.querySelectorAll(".camlab-widget")];
    return ws.length >= 6 && ws.every((w) => ["static", "unavailable", "recompute"].includes(w.dataset.state));
  }, undefined, { timeoutMs: 60_000 });
  const heat = await canvasStats(page, '[data-testid="camlab-heatmap"] [data-testid="camlab-heatmap-canvas"]');
  // The first two show the photo (the third is the 8×8 injection test on a constant input).
  assert.ok(heat.length >= 2 && heat.slice(0, 2).every((s) => !s.blank && s.stdLuma > 10), `heatmap snapshots drawn: ${JSON.stringify(heat)}`);
  const tiles = await canvasStats(page, '[data-testid="camlab-activations"] [data-testid="camlab-tile-canvas"]');
  assert.ok(tiles.length >= 8 && tiles.filter((t) => !t.blank).length >= tiles.length * 0.8, "activation snapshot tiles drawn");
  const note = await page.locator(W("heatmap")).locator(`[data-testid="camlab-status"]`).textContent();
  assert.match(note, /unavailable|snapshot/i);
  await screenshot(page, "widgets-snapshots-after-shutdown");
  // A saved heatmap still switches among its listed classes: their CAMs are in the output.
  const first = '[data-testid="camlab-heatmap"]';
  const other = await page.locator(`${first} >> nth=0`).evaluate((n) => [...n.querySelectorAll('[data-testid="camlab-class-item"]')].find((b) => b.getAttribute("aria-pressed") !== "true").dataset.classIndex);
  const beforeSwitch = (await canvasStats(page, `${first} [data-testid="camlab-heatmap-canvas"]`))[0];
  await page.locator(`${first} >> nth=0`).locator(`[data-testid="camlab-class-item"][data-class-index="${other}"]`).click();
  await waitInPage(page, (other) => document.querySelector('[data-testid="camlab-heatmap"] [data-pane="a"]').dataset.classIndex === other, other);
  const afterSwitch = (await canvasStats(page, `${first} [data-testid="camlab-heatmap-canvas"]`))[0];
  assert.notEqual(afterSwitch.hash, beforeSwitch.hash, "the other class's CAM is drawn");
  assert.equal(await page.locator(`${first} >> nth=0`).evaluate((n) => n.querySelector('[data-testid="camlab-heatmap-hint"]').hidden), true, "no 'needs live data' hint");
  assert.deepEqual(errors.pageErrors, [], "no uncaught page errors");
});
