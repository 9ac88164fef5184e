// The real JupyterLab (extension/lab) in Chromium: it loads without page errors, loads camlab's
// prebuilt extension when that is built, and runs a notebook in the camlab kernel.
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { after, before, test } from "node:test";
import {
  CAMLAB_KERNEL,
  ensureCamlabKernelspec,
  notebook,
  openLab,
  openNotebook,
  renderedOutputs,
  repoRoot,
  runAllCells,
  screenshot,
  startLab,
} from "./harness.mjs";

let lab;
let session;

before(async () => {
  lab = await startLab({
    label: "lab-kernel",
    kernel: null, // the kernel test below installs/checks the camlab kernelspec itself
    notebooks: { "smoke.ipynb": notebook(["1+1"]) },
  });
  session = await lab.newPage();
});

after(async () => {
  await lab?.stop();
});

/** The prebuilt extension's output folder, from extension/package.json (null when not built). */
function builtCamlabExtension() {
  const pkg = JSON.parse(readFileSync(path.join(repoRoot, "extension", "package.json"), "utf8"));
  const outDir = pkg.jupyterlab?.outputDir;
  if (!outDir) return null;
  const built = path.join(repoRoot, "extension", outDir, "package.json");
  return existsSync(built) ? JSON.parse(readFileSync(built, "utf8")).name : null;
}

test("JupyterLab 4 loads in Chromium without page errors", async () => {
  const { page, errors } = session;
  const ms = await openLab(page, lab);
  const info = await page.evaluate(() => ({
    version: window.jupyterapp.version,
    federated: JSON.parse(document.getElementById("jupyter-config-data").textContent).federated_extensions.map((e) => e.name),
    notebookFactory: !!window.jupyterapp.docRegistry.getWidgetFactory("Notebook"),
    camlabPlugins: window.jupyterapp.info.availablePlugins
      .filter((p) => p.extension === "camlab-extension")
      .map((p) => ({ id: p.id, activated: window.jupyterapp.isPluginActivated(p.id) })),
    disabledAnnouncements: !window.jupyterapp.hasPlugin("@jupyterlab/apputils-extension:announcements")
      || !window.jupyterapp.isPluginActivated("@jupyterlab/apputils-extension:announcements"),
  }));
  await screenshot(page, "lab-loaded");
  assert.match(info.version, /^4\.6\./, "the front end is JupyterLab 4.6");
  assert.ok(info.notebookFactory, "the notebook widget factory is registered");
  assert.ok(info.disabledAnnouncements, "announcements are disabled by page_config.json");
  const extension = builtCamlabExtension();
  if (extension) {
    assert.ok(info.federated.includes(extension), `the built prebuilt extension ${extension} is offered (got ${info.federated})`);
    assert.ok(info.camlabPlugins.length > 0, "the camlab extension's plugins are registered");
    for (const p of info.camlabPlugins) assert.ok(p.activated, `plugin ${p.id} is activated`);
  }
  assert.deepEqual(errors.pageErrors, [], "no uncaught page errors");
  assert.deepEqual(errors.console, [], "no console errors");
  assert.deepEqual(errors.requests, [], "no failed requests");
  console.log(`lab ready in ${ms} ms; server started in ${lab.serverStartMs} ms; prebuilt extensions: ${info.federated.join(", ") || "none"}`);
});

test("a notebook runs `1+1` in the camlab kernel and shows 2", async () => {
  ensureCamlabKernelspec();
  const { page, errors } = session;
  const t0 = Date.now();
  await openNotebook(page, "smoke.ipynb", { kernel: CAMLAB_KERNEL });
  const kernelMs = Date.now() - t0;
  const kernelName = await page.evaluate(() => window.jupyterapp.shell.currentWidget.sessionContext.session.kernel.name);
  assert.equal(kernelName, CAMLAB_KERNEL);
  const t1 = Date.now();
  const cells = await runAllCells(page);
  const runMs = Date.now() - t1;
  await screenshot(page, "lab-kernel-1plus1");
  assert.equal(cells.length, 1);
  assert.equal(cells[0].executionCount, 1, "the cell ran once");
  const text = cells[0].outputs
    .map((o) => (o.output_type === "stream" ? o.text : o.data?.["text/plain"] ?? ""))
    .map((t) => (Array.isArray(t) ? t.join("") : t))
    .join("");
  assert.equal(text.trim(), "2", `the output of 1+1 (outputs: ${JSON.stringify(cells[0].outputs)})`);
  const rendered = await renderedOutputs(page);
  assert.equal(rendered[0].join("").trim(), "2", "the output is rendered in the page");
  assert.deepEqual(errors.pageErrors, [], "no uncaught page errors");
  assert.deepEqual(errors.console, [], "no console errors");
  console.log(`camlab kernel idle in ${kernelMs} ms; cells ran in ${runMs} ms`);
});
