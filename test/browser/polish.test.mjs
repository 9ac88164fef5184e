// The widgets as a person reads and drives them, in real JupyterLab + Chromium on the pretrained
// MobileNetV2: tile captions that never cut a number (and carry every digit on hover), layer names
// that wrap only after "_", a histogram redrawn in the dark theme's colours, a histogram that counts
// the page shown (checked against the layer's values read in a cell and binned here), a colour bar
// whose raw ends are the CAM's own extremes (read in a cell), an exported labelled figure, and
// every control reachable with Tab with a visible focus ring.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import { after, before, test } from "node:test";
import { appendAndRunCell, ARTIFACTS_DIR, canvasStats, notebook, openLab, openNotebook, runAllCells, screenshot, setTheme, startLab, waitInPage } from "./harness.mjs";

const LOAD = `import * as tf from "@tensorflow/tfjs";
import * as camlab from "camlab";
const net = await camlab.loadMobileNetV2();
const img = await camlab.loadImage(camlab.assetPath("chelsea.png"), { size: [224, 224] });
const x = net.preprocess(img);
"loaded"`;
// block_16_expand_relu: 960 channels of 7×7 (20 pages of 48), several nearly silent (means ~1e-4).
const ACT_LAYER = "block_16_expand_relu";
/** Each display and the widget kind it makes. */
const DISPLAYS = [
  [`await camlab.showHeatmap(net.model, x, { labels: net.labels, image: img, classes: [0, 2], layer: "out_relu" })`, "heatmap"],
  [`await camlab.showLayers(net.model, x, { labels: net.labels })`, "layers"],
  [`await camlab.showActivations(net.model, x, "${ACT_LAYER}")`, "activations"],
];

const HEAT = '[data-testid="camlab-heatmap"] >> nth=0';
const ACTS = '[data-testid="camlab-activations"] >> nth=0';
const LAYERS = '[data-testid="camlab-layers"] >> nth=0';
const PAGE_SIZE = 48; // pageSizeForBudget(7, 7): 56 KB / 49 bytes, capped at 48 tiles

let lab;
let page;
let errors;
let cells;

/** What a cell printed with console.log(JSON.stringify(...)), parsed. */
function printed(cell) {
  const text = cell.outputs.map((o) => (Array.isArray(o.text) ? o.text.join("") : o.text ?? "")).join("");
  const err = cell.outputs.find((o) => o.output_type === "error");
  if (err) throw new Error(`the cell failed: ${err.ename}: ${err.evalue}`);
  return JSON.parse(text);
}

const luma = (css) => {
  const [r, g, b] = css.match(/[\d.]+/g).map(Number);
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
};

before(async () => {
  lab = await startLab({ label: "polish", notebooks: { "polish.ipynb": notebook([LOAD]) } });
  ({ page, errors } = await lab.newPage());
  await openLab(page, lab);
  await openNotebook(page, "polish.ipynb");
  cells = await runAllCells(page, { timeoutMs: 600_000 });
  // One display at a time, each live before the next cell runs: a widget's first session.info
  // waits behind the cells still queued in the kernel, and on a loaded machine a queue of cells
  // outlasts its 15 s limit (the widget then shows its snapshot only, which is not what this tests).
  for (const [source, kind] of DISPLAYS) {
    cells.push(await appendAndRunCell(page, source, { timeoutMs: 600_000 }));
    await waitInPage(page, (kind) => document.querySelector(`[data-testid="camlab-${kind}"]`)?.dataset.state === "live", kind, { timeoutMs: 120_000 });
  }
  await waitInPage(page, () => document.querySelector('[data-testid="camlab-activations"] [data-testid="camlab-histogram"]')?.dataset.state === "drawn", undefined, { timeoutMs: 60_000 });
});

after(async () => {
  await lab?.stop();
});

test("the cells run", () => {
  const cellErrors = cells.flatMap((c) => c.outputs.filter((o) => o.output_type === "error").map((o) => `${o.ename}: ${o.evalue}`));
  assert.deepEqual(cellErrors, []);
});

test("a tiny-valued channel's caption is not cut, and its title carries the full value", async () => {
  // The channel on page 1 with the smallest non-zero mean, from the layer's values read in a cell.
  const truth = printed(await appendAndRunCell(page, `const capFx = new camlab.FeatureExtractor(net.model, "${ACT_LAYER}");
const capMeans = Array.from(await tf.mean(capFx.extract(x).features["${ACT_LAYER}"], [0, 1, 2]).data());
capFx.dispose();
const capPick = capMeans.slice(0, ${PAGE_SIZE}).map((m, i) => [i, m]).filter(([, m]) => m !== 0).sort((a, b) => Math.abs(a[1]) - Math.abs(b[1]))[0];
console.log(JSON.stringify({ channel: capPick[0], mean: capPick[1] }))`));
  assert.ok(Math.abs(truth.mean) < 1e-3, `a channel with a tiny mean to show (${JSON.stringify(truth)})`);
  const tile = page.locator(`${ACTS} >> [data-testid="camlab-tile"][data-channel="${truth.channel}"]`);
  await tile.scrollIntoViewIfNeeded();
  const shown = await tile.evaluate((t) => {
    const value = t.querySelector('[data-testid="camlab-tile-value"]');
    const caption = t.querySelector('[data-testid="camlab-tile-caption"]');
    const box = (el) => el.getBoundingClientRect();
    const inside = (a, b) => a.left >= b.left - 0.5 && a.right <= b.right + 0.5 && a.top >= b.top - 0.5 && a.bottom <= b.bottom + 0.5;
    return {
      caption: caption.textContent,
      text: value.textContent,
      title: value.title,
      tileTitle: t.title,
      overflows: value.scrollWidth > value.clientWidth + 0.5 || caption.scrollWidth > caption.clientWidth + 0.5,
      valueInsideTile: inside(box(value), box(t)),
      captionInsideTile: inside(box(caption), box(t)),
    };
  });
  console.log(`# channel ${truth.channel} (mean ${truth.mean}): caption "${shown.caption}", title "${shown.title}"`);
  assert.match(shown.caption, new RegExp(`^#${truth.channel} mean ${shown.text.replace(/[.+]/g, "\\$&")}$`), "the caption names the channel, the statistic and its value");
  assert.ok(!shown.overflows && shown.valueInsideTile && shown.captionInsideTile, `nothing of the caption is clipped: ${JSON.stringify(shown)}`);
  // The compact number is the value to its two shown digits; the title has all of them.
  assert.ok(Math.abs(Number(shown.text) - truth.mean) <= 0.05 * Math.abs(truth.mean), `"${shown.text}" reads as ${truth.mean}`);
  const full = Number(shown.title.replace(/^mean /, ""));
  assert.ok(Math.abs(full - truth.mean) <= 1e-4 * Math.abs(truth.mean), `title "${shown.title}" carries ${truth.mean}`);
  assert.ok(shown.title.replace(/^mean /, "").replace(/^-?0\.0*|e.*$|\./g, "").length >= 6, `the title keeps at least 6 significant digits: "${shown.title}"`);
  assert.match(shown.tileTitle, new RegExp(`mean ${shown.title.replace(/^mean /, "").replace(/[.+]/g, "\\$&")}`), "the tile's title has the same full value");
});

test("layer names in the layer tree break only after an underscore", async () => {
  const layers = page.locator(LAYERS);
  await layers.scrollIntoViewIfNeeded();
  // A narrow list, as in a narrow notebook, so that long names must wrap.
  const lines = await layers.evaluate((root) => {
    const list = root.querySelector('[data-testid="camlab-layer-list"]');
    list.style.minWidth = "0";
    list.style.width = "110px";
    list.style.flex = "0 0 110px";
    const out = [];
    for (const el of root.querySelectorAll('[data-testid="camlab-layer-name"]')) {
      // One line per distinct top of the name's characters, in order.
      const name = el.textContent;
      const tops = [];
      let i = 0;
      for (const node of el.childNodes) {
        if (node.nodeType !== Node.TEXT_NODE) continue;
        for (let k = 0; k < node.data.length; k++, i++) {
          const r = document.createRange();
          r.setStart(node, k);
          r.setEnd(node, k + 1);
          tops.push(Math.round(r.getBoundingClientRect().top));
        }
      }
      const breaks = [];
      for (let k = 1; k < tops.length; k++) if (tops[k] > tops[k - 1] + 2) breaks.push(k);
      out.push({ name, breaks });
    }
    list.style.minWidth = list.style.width = list.style.flex = "";
    return out;
  });
  const wrapped = lines.filter((l) => l.breaks.length > 0);
  console.log(`# ${wrapped.length} of ${lines.length} layer names wrap in a 110 px list, e.g. ${wrapped.slice(0, 3).map((l) => l.breaks.reduce((s, b, j) => s.slice(0, b + j) + "⏎" + s.slice(b + j), l.name)).join(", ")}`);
  assert.ok(wrapped.length >= 20, `long names wrap (${wrapped.length})`);
  for (const { name, breaks } of wrapped) {
    for (const b of breaks) assert.equal(name[b - 1], "_", `"${name}" breaks after "${name.slice(0, b)}", not after an underscore`);
  }
});

test("switching to the dark theme redraws the histogram in the dark theme's colours", async () => {
  const hist = page.locator(`${ACTS} >> [data-testid="camlab-histogram"]`);
  const colours = () => hist.evaluate((n) => ({
    tick: getComputedStyle(n.querySelector(".xtick text")).fill,
    title: getComputedStyle(n.querySelector(".xtitle")).fill,
    theme: n.dataset.theme,
  }));
  const light = await colours();
  await setTheme(page, "JupyterLab Dark");
  try {
    await waitInPage(page, () => document.querySelector('[data-testid="camlab-activations"] [data-testid="camlab-histogram"]').dataset.theme === "JupyterLab Dark", undefined, { timeoutMs: 15_000 });
    const dark = await colours();
    console.log(`# histogram text: light theme ${light.tick}, dark theme ${dark.tick}`);
    assert.equal(light.theme, "JupyterLab Light");
    assert.ok(luma(light.tick) < 100 && luma(light.title) < 100, `dark text in the light theme (${JSON.stringify(light)})`);
    assert.ok(luma(dark.tick) > 150 && luma(dark.title) > 150, `light text in the dark theme (${JSON.stringify(dark)})`);
    await screenshot(page, "polish-histogram-dark", { selector: ACTS });
  } finally {
    await setTheme(page, "JupyterLab Light");
  }
  await waitInPage(page, () => document.querySelector('[data-testid="camlab-activations"] [data-testid="camlab-histogram"]').dataset.theme === "JupyterLab Light", undefined, { timeoutMs: 15_000 });
  assert.equal((await colours()).tick, light.tick, "and back in the light theme's colours");
});

/**
 * The histogram of `channels` as the page's 8-bit tiles hold them, computed here from the layer's
 * float32 values: each channel quantised to bytes over its own min..max (the wire format: value =
 * min + (max − min) · byte / 255), then 40 equal bins from the smallest to the largest value.
 * Returns the counts, the edges, and how many values sit so close to a rounding or bin boundary
 * that float32 arithmetic on the backend may put them one bin over (usually none).
 */
function referenceHistogram(channels, bins = 40) {
  const values = [];
  let unsure = 0;
  for (const v of channels) {
    const lo = Math.min(...v), hi = Math.max(...v);
    const span = Math.max(hi - lo, 1e-12);
    for (const x of v) {
      const t = ((x - lo) / span) * 255;
      const frac = t - Math.floor(t);
      const byte = Math.min(255, Math.max(0, Math.round(t)));
      values.push({ value: lo + ((hi - lo) * byte) / 255, nearHalf: Math.abs(frac - 0.5) < 1e-3 });
    }
  }
  const lo = Math.min(...values.map((v) => v.value)), hi = Math.max(...values.map((v) => v.value));
  const width = (hi - lo) / bins;
  const counts = new Array(bins).fill(0);
  for (const { value, nearHalf } of values) {
    const pos = (value - lo) / width;
    counts[Math.min(bins - 1, Math.floor(pos))]++;
    // An inner bin edge is a boundary; the page's own extremes (pos 0 and pos bins) are not:
    // they are the first and last bin by the rule, however they are rounded.
    const k = Math.round(pos);
    if (nearHalf || (k >= 1 && k <= bins - 1 && Math.abs(pos - k) < 1e-6)) unsure++;
  }
  return { counts, edges: Array.from({ length: bins + 1 }, (_, i) => lo + (hi - lo) * (i / bins)), unsure };
}

test("the activation histogram counts the page shown: page 1 and page 2 differ, and each equals the page's values binned here", async () => {
  const acts = page.locator(ACTS);
  const drawn = () => acts.evaluate((n) => {
    const h = n.querySelector('[data-testid="camlab-histogram"]');
    const trace = h.querySelector('[data-testid="camlab-histogram-plot"]').data[0];
    return { channels: h.dataset.channels, caption: h.querySelector('[data-testid="camlab-histogram-caption"]').textContent, x: Array.from(trace.x), y: Array.from(trace.y), width: Array.from(trace.width) };
  });
  const truth = printed(await appendAndRunCell(page, `const histFx = new camlab.FeatureExtractor(net.model, "${ACT_LAYER}");
const histAct = histFx.extract(x).features["${ACT_LAYER}"];
const histVals = Array.from(await tf.transpose(tf.squeeze(histAct, [0]), [2, 0, 1]).reshape([histAct.shape[3], -1]).slice([0, 0], [${2 * PAGE_SIZE}, -1]).data());
histFx.dispose();
const histN = histAct.shape[1] * histAct.shape[2];
console.log(JSON.stringify(Array.from({ length: ${2 * PAGE_SIZE} }, (_, c) => histVals.slice(c * histN, (c + 1) * histN))))`));
  const pages = [truth.slice(0, PAGE_SIZE), truth.slice(PAGE_SIZE, 2 * PAGE_SIZE)].map((chs) => referenceHistogram(chs));

  const one = await drawn();
  await acts.locator('[data-testid="camlab-page-next"]').click();
  await waitInPage(page, () => {
    const n = document.querySelector('[data-testid="camlab-activations"] [data-testid="camlab-activation-browser"]');
    const h = n.querySelector('[data-testid="camlab-histogram"]');
    return n.dataset.page === "1" && h.dataset.channels?.startsWith("48,") && h.dataset.state === "drawn";
  }, undefined, { timeoutMs: 30_000 });
  const two = await drawn();
  console.log(`# histogram captions: "${one.caption}" / "${two.caption}"`);

  [one, two].forEach((got, p) => {
    const want = pages[p];
    const first = p * PAGE_SIZE;
    assert.equal(got.channels, Array.from({ length: PAGE_SIZE }, (_, i) => first + i).join(","), `page ${p + 1} counts its own channels`);
    assert.equal(got.caption, `Values of the ${PAGE_SIZE} channels on page ${p + 1} of 20 (channels #${first}–#${first + PAGE_SIZE - 1}), from their 8-bit tiles`);
    assert.equal(got.y.reduce((a, b) => a + b, 0), PAGE_SIZE * 49, "every value of the page counted once");
    got.x.forEach((c, i) => {
      assert.ok(Math.abs(c - (want.edges[i] + want.edges[i + 1]) / 2) <= 1e-6 * (want.edges[40] - want.edges[0]), `page ${p + 1} bin ${i} centre`);
      assert.ok(Math.abs(got.width[i] - (want.edges[i + 1] - want.edges[i])) <= 1e-6 * (want.edges[40] - want.edges[0]), `page ${p + 1} bin ${i} width`);
    });
    const moved = got.y.reduce((s, c, i) => s + Math.abs(c - want.counts[i]), 0) / 2;
    console.log(`# page ${p + 1}: ${moved} values in another bin than computed here; ${want.unsure} within float32 rounding of a boundary`);
    assert.ok(moved <= want.unsure, `page ${p + 1}: ${moved} values in another bin than computed here (${want.unsure} on a boundary)\n got  ${got.y}\n want ${want.counts}`);
  });
  const differ = one.y.reduce((s, c, i) => s + Math.abs(c - two.y[i]), 0) / 2;
  assert.ok(differ > 100, `the histograms of page 1 and page 2 differ (${differ} values in other bins)`);

  // Sorting recounts too, and the caption says by what: the 48 channels with the largest max
  // (their maxima read in a cell, ordered here), counted from their tiles.
  const maxes = printed(await appendAndRunCell(page, `const sortFx = new camlab.FeatureExtractor(net.model, "${ACT_LAYER}");
const sortMax = Array.from(await tf.max(sortFx.extract(x).features["${ACT_LAYER}"], [0, 1, 2]).data());
sortFx.dispose();
console.log(JSON.stringify(sortMax))`));
  const byMax = maxes.map((m, c) => [c, m]).sort((a, b) => b[1] - a[1] || a[0] - b[0]).map(([c]) => c);
  await acts.locator('[data-testid="camlab-sort"]').selectOption("max");
  await waitInPage(page, () => {
    const h = document.querySelector('[data-testid="camlab-activations"] [data-testid="camlab-histogram"]');
    return /sorted by max/.test(h.textContent) && h.dataset.state === "drawn";
  }, undefined, { timeoutMs: 30_000 });
  const sorted = await drawn();
  assert.equal(sorted.channels, byMax.slice(0, PAGE_SIZE).join(","), "the histogram counts the page's channels after sorting");
  assert.equal(sorted.caption, `Values of the ${PAGE_SIZE} channels on page 1 of 20 (sorted by max (high first)), from their 8-bit tiles`);
  assert.ok(sorted.y.reduce((s, c, i) => s + Math.abs(c - one.y[i]), 0) > 0, "other counts than page 1 in channel order");
  await acts.locator('[data-testid="camlab-sort"]').selectOption("index");
  await screenshot(page, "polish-activations-page", { selector: ACTS });
});

test("the heatmap's colour bar shows the CAM's raw min and max (read in a cell) and the overlay's colormap", async () => {
  const heat = page.locator(HEAT);
  await heat.scrollIntoViewIfNeeded();
  const bar = () => heat.evaluate((n) => {
    const pane = n.querySelector('[data-pane="a"]');
    const cb = pane.querySelector('[data-testid="camlab-colorbar"]');
    const label = (id) => cb.querySelector(`[data-testid="camlab-colorbar-${id}"]`);
    const c = cb.querySelector('[data-testid="camlab-colorbar-canvas"]');
    const px = c.getContext("2d").getImageData(0, 0, c.width, 1).data;
    return {
      classIndex: Number(pane.dataset.classIndex),
      rawMin: Number(label("raw-min").dataset.value), rawMax: Number(label("raw-max").dataset.value),
      rawMinText: label("raw-min").textContent, rawMaxText: label("raw-max").textContent,
      scaled: [label("scaled-min").textContent, label("scaled-mid").textContent, label("scaled-max").textContent],
      left: Array.from(px.slice(0, 3)), right: Array.from(px.slice(px.length - 4, px.length - 1)),
    };
  });
  const camRange = async (classIndex) => printed(await appendAndRunCell(page, `const cbCam = await camlab.cam(net.model, x, { method: "gradcam", layer: "out_relu", target: ${classIndex} });
const cbRange = { min: (await tf.min(cbCam.raw).data())[0], max: (await tf.max(cbCam.raw).data())[0] };
cbCam.dispose();
console.log(JSON.stringify(cbRange))`));
  const check = (shown, truth, when) => {
    assert.ok(Math.abs(shown.rawMin - truth.min) <= 1e-5 * Math.max(1, Math.abs(truth.min)), `${when}: raw min ${shown.rawMin} vs ${truth.min}`);
    assert.ok(Math.abs(shown.rawMax - truth.max) <= 1e-5 * Math.max(1, Math.abs(truth.max)), `${when}: raw max ${shown.rawMax} vs ${truth.max}`);
    assert.ok(Math.abs(Number(shown.rawMaxText) - truth.max) <= 0.05 * Math.abs(truth.max), `${when}: the label "${shown.rawMaxText}" reads as ${truth.max}`);
    assert.deepEqual(shown.scaled, ["0", "0.5", "1"]);
  };
  // The snapshot's CAM (the payload's range).
  const first = await bar();
  check(first, await camRange(first.classIndex), "snapshot");
  // viridis (the default colormap) runs from #440154 to #fde725.
  assert.deepEqual([first.left, first.right], [[0x44, 0x01, 0x54], [0xfd, 0xe7, 0x25]], "the bar is drawn in viridis, as the overlay");
  await heat.locator('[data-testid="camlab-colormap"]').selectOption("jet");
  const jet = await bar();
  // matplotlib's jet starts at (0, 0, 0.5) and ends at (0.5, 0, 0).
  assert.deepEqual([jet.left, jet.right], [[0, 0, 128], [128, 0, 0]], "the bar follows the overlay's colormap");
  await heat.locator('[data-testid="camlab-colormap"]').selectOption("viridis");

  // Another class, computed live: the range comes with the kernel's reply.
  const other = await heat.evaluate((n, current) => [...n.querySelectorAll('[data-testid="camlab-class-item"]')].map((c) => Number(c.dataset.classIndex)).find((i) => i !== current), first.classIndex);
  await heat.locator(`[data-testid="camlab-class-item"][data-class-index="${other}"]`).click();
  await waitInPage(page, (other) => document.querySelector('[data-testid="camlab-heatmap"] [data-pane="a"]').dataset.classIndex === String(other), other, { timeoutMs: 60_000 });
  const second = await bar();
  check(second, await camRange(other), "live");
  assert.notEqual(second.rawMax, first.rawMax, "another class, another range");
  console.log(`# colour bar raw range: class ${first.classIndex} ${first.rawMinText}…${first.rawMaxText}, class ${other} ${second.rawMinText}…${second.rawMaxText}`);
  await screenshot(page, "polish-heatmap-colorbar", { selector: HEAT });
});

test("Export PNG downloads a labelled figure with a descriptive file name", async () => {
  const heat = page.locator(HEAT);
  const pane = await heat.evaluate((n) => {
    const p = n.querySelector('[data-pane="a"]');
    const item = n.querySelector(`[data-testid="camlab-class-item"][data-class-index="${p.dataset.classIndex}"]`);
    return { method: p.dataset.method, layer: p.dataset.layer, label: item.querySelector(".camlab-class-label").textContent, prob: item.querySelector(".camlab-class-prob").textContent, mapHeight: p.querySelector("canvas").height, mapWidth: p.querySelector("canvas").width };
  });
  const [download] = await Promise.all([page.waitForEvent("download", { timeout: 30_000 }), heat.locator('[data-testid="camlab-export-png"]').click()]);
  const name = download.suggestedFilename();
  const probability = pane.prob;
  const label = pane.label.replace(/[^A-Za-z0-9.-]+/g, "_").replace(/^[_.]+|_+$/g, "");
  console.log(`# exported ${name}`);
  assert.match(name, /^[A-Za-z0-9._-]+\.png$/, "only safe characters");
  const m = name.match(new RegExp(`^camlab-${pane.method}-${pane.layer}-${label.replace(/[.]/g, "\\.")}-([0-9.e-]+)\\.png$`));
  assert.ok(m, `"${name}" names method, layer, class and probability (${pane.method}, ${pane.layer}, ${label}, ~${probability})`);
  // The list shows the probability to 0.1 %, the name to 2 decimals (2 significant digits below 0.01).
  assert.ok(Math.abs(Number(m[1]) - Number(pane.prob.replace("%", "")) / 100) <= 0.0056, `probability ${m[1]} vs ${pane.prob}`);
  assert.ok(Number(m[1]) > 0, `a probability that says something (${m[1]})`);
  const file = path.join(ARTIFACTS_DIR, "polish-export.png");
  await download.saveAs(file);
  const png = readFileSync(file);
  assert.equal(png.subarray(1, 4).toString("latin1"), "PNG");
  const [width, height] = [png.readUInt32BE(16), png.readUInt32BE(20)];
  assert.ok(height > pane.mapHeight + 60 && width >= pane.mapWidth, `a figure ${width}×${height} larger than the ${pane.mapWidth}×${pane.mapHeight} map`);
  // Decoded by the browser: the map on top, then the colour bar (viridis ends), then dark caption text on white.
  const decoded = await page.evaluate(async ({ b64, mapHeight }) => {
    const blob = await (await fetch(`data:image/png;base64,${b64}`)).blob();
    const bmp = await createImageBitmap(blob);
    const c = document.createElement("canvas");
    c.width = bmp.width;
    c.height = bmp.height;
    const ctx = c.getContext("2d");
    ctx.drawImage(bmp, 0, 0);
    const below = ctx.getImageData(0, mapHeight + 12, c.width, c.height - mapHeight - 12).data;
    let dark = 0, viridisLow = 0, viridisHigh = 0;
    for (let i = 0; i < below.length; i += 4) {
      const [r, g, b] = [below[i], below[i + 1], below[i + 2]];
      if (r + g + b < 200 && !(r === 0x44 && g === 0x01 && b === 0x54)) dark++;
      if (r === 0x44 && g === 0x01 && b === 0x54) viridisLow++;
      if (r === 0xfd && g === 0xe7 && b === 0x25) viridisHigh++;
    }
    const corner = ctx.getImageData(c.width - 2, c.height - 2, 1, 1).data;
    return { width: bmp.width, height: bmp.height, dark, viridisLow, viridisHigh, corner: Array.from(corner) };
  }, { b64: png.toString("base64"), mapHeight: pane.mapHeight });
  assert.deepEqual([decoded.width, decoded.height], [width, height]);
  assert.ok(decoded.viridisLow > 0 && decoded.viridisHigh > 0, `the colour bar is in the figure: ${JSON.stringify(decoded)}`);
  assert.ok(decoded.dark > 300, `caption text under the map (${decoded.dark} dark pixels)`);
  assert.deepEqual(decoded.corner, [255, 255, 255, 255], "a white figure background");
  const [shown] = await canvasStats(page, `[data-testid="camlab-heatmap"] [data-testid="camlab-heatmap-canvas"]`);
  assert.ok(!shown.blank);
});

/** Presses Tab from just before `root` until focus leaves it; returns each stop and its focus ring. */
async function tabThrough(root, max = 120) {
  // A focusable marker right before the widget: the first Tab from it enters the widget, as a
  // keyboard user arriving from above would.
  await page.locator(root).evaluate((n) => {
    const start = document.createElement("div");
    start.tabIndex = 0;
    start.id = "camlab-test-tab-start";
    start.setAttribute("data-lm-suppress-shortcuts", "true");
    n.before(start);
    start.focus();
  });
  const stops = [];
  for (let i = 0; i < max; i++) {
    await page.keyboard.press("Tab");
    const stop = await page.locator(root).evaluate((n) => {
      const a = document.activeElement;
      if (!n.contains(a)) return null;
      const s = getComputedStyle(a);
      return { id: a.dataset.testid ?? a.tagName.toLowerCase(), tag: a.tagName, outline: `${s.outlineStyle} ${s.outlineWidth} ${s.outlineColor}`, visible: s.outlineStyle !== "none" && parseFloat(s.outlineWidth) >= 1 && !/rgba\(0, 0, 0, 0\)|transparent/.test(s.outlineColor) };
    });
    if (!stop) break;
    stops.push(stop);
  }
  await page.evaluate(() => document.getElementById("camlab-test-tab-start")?.remove());
  return stops;
}

test("every control is reachable with Tab and shows a visible focus ring", async () => {
  // Heatmap overlay: toolbar, the pane's selectors, the class list.
  const heatStops = await tabThrough(HEAT);
  // Activation browser: toolbar, pager, every tile of the page.
  await page.locator(`${ACTS} >> [data-testid="camlab-page-next"]`).click(); // both pager buttons enabled
  await waitInPage(page, () => document.querySelector('[data-testid="camlab-activations"] [data-testid="camlab-activation-browser"]').dataset.page === "1", undefined, { timeoutMs: 30_000 });
  const actStops = await tabThrough(ACTS);
  // Layer browser: the search, one stop for the list, then the selected layer's links and activations.
  await page.locator(`${LAYERS} >> [data-testid="camlab-layer-item"][data-layer="block_16_project"]`).click();
  await waitInPage(page, () => document.querySelector('[data-testid="camlab-layers"] [data-testid="camlab-activation-browser"] [data-testid="camlab-tile"]'), undefined, { timeoutMs: 60_000 });
  const layerStops = await tabThrough(LAYERS, 150);
  const reached = (stops) => new Set(stops.map((s) => s.id));
  const expect = {
    heatmap: [heatStops, ["camlab-opacity", "camlab-colormap", "camlab-compare", "camlab-export-png", "camlab-method", "camlab-cam-layer", "camlab-class-select", "camlab-class-item"]],
    activations: [actStops, ["camlab-sort", "camlab-tile-colormap", "camlab-histogram-scope", "camlab-page-prev", "camlab-page-next", "camlab-tile"]],
    layers: [layerStops, ["camlab-layer-search", "camlab-layer-item", "camlab-layer-link", "camlab-sort", "camlab-tile"]],
  };
  for (const [widget, [stops, ids]] of Object.entries(expect)) {
    console.log(`# ${widget}: ${stops.length} Tab stops: ${[...reached(stops)].join(", ")}`);
    for (const id of ids) assert.ok(reached(stops).has(id), `${widget}: Tab reaches ${id} (reached ${[...reached(stops)].join(", ")})`);
    const hidden = stops.filter((s) => !s.visible);
    assert.deepEqual(hidden, [], `${widget}: every Tab stop shows a focus ring`);
  }
  assert.equal(actStops.filter((s) => s.id === "camlab-tile").length, PAGE_SIZE, "each tile of the page is a Tab stop");
  assert.equal(layerStops.filter((s) => s.id === "camlab-layer-item").length, 1, "the layer list is one Tab stop (arrows move within it)");
  await page.locator(`${LAYERS} >> [data-testid="camlab-layer-search"]`).focus();
  await page.keyboard.press("Tab");
  await screenshot(page, "polish-focus-ring", { selector: LAYERS });
  assert.deepEqual(errors.pageErrors, [], "no uncaught page errors");
});
