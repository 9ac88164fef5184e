#!/usr/bin/env node
// Takes the README's pictures from the real app: JupyterLab + the camlab extension in Chromium,
// running the README tour's code block in a camlab kernel (MobileNetV2 on the shipped photo).
// Writes docs/tour-*.png.
//
//   node scripts/screenshots.mjs
import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { notebook, openLab, openNotebook, runAllCells, startLab, waitInPage } from "../test/browser/harness.mjs";

const root = path.join(path.dirname(fileURLToPath(import.meta.url)), "..");
const docs = path.join(root, "docs");
// The README's tour code block, as is: the pictures show exactly what that code shows.
const readme = readFileSync(path.join(root, "README.md"), "utf8");
const tour = readme.slice(readme.indexOf("## A short tour"));
const block = /```ts\n([\s\S]*?)```/.exec(tour);
if (!block) throw new Error("screenshots: no ```ts block under '## A short tour' in README.md");
const CELLS = [block[1].trim()];

const lab = await startLab({ label: "screenshots", notebooks: { "tour.ipynb": notebook(CELLS) } });
try {
  const { page } = await lab.newPage();
  await page.setViewportSize({ width: 1280, height: 1600 });
  await openLab(page, lab);
  await openNotebook(page, "tour.ipynb");
  await runAllCells(page, { timeoutMs: 600_000 });
  await waitInPage(page, () => [...document.querySelectorAll(".camlab-widget")].filter((w) => w.dataset.state === "live").length >= 3, undefined, { timeoutMs: 120_000 });
  const heat = page.locator('[data-testid="camlab-heatmap"]').first();
  await page.waitForTimeout(1500);
  await heat.screenshot({ path: path.join(docs, "tour-heatmap.png") });
  const acts = page.locator('[data-testid="camlab-activations"]').first();
  await acts.screenshot({ path: path.join(docs, "tour-activations.png") });
  const layers = page.locator('[data-testid="camlab-layers"]').first();
  await layers.locator('[data-testid="camlab-layer-item"][data-layer="block_6_expand_relu"]').click();
  await waitInPage(page, () => document.querySelectorAll('[data-testid="camlab-layers"] [data-testid="camlab-tile-canvas"]').length > 0, undefined, { timeoutMs: 60_000 });
  await page.waitForTimeout(500);
  await layers.screenshot({ path: path.join(docs, "tour-layers.png") });
  console.log(`wrote ${["tour-heatmap.png", "tour-activations.png", "tour-layers.png"].map((f) => path.join("docs", f)).join(", ")}`);
} finally {
  await lab.stop();
}
