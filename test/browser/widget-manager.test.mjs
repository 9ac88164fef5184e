// The Jupyter widget manager in the lab camlab serves: @jupyter-widgets/jupyterlab-manager's
// plugins and anywidget's front end are bundled in the host, with and without camlab's own
// extension, and a kernel speaking the `jupyter.widget` comm protocol (2.1.0) gets its widgets
// rendered there: a core IntSlider, an anywidget whose `_esm` draws it, and a widget of a prebuilt
// widget extension that takes @jupyter-widgets/base from the host (as one installed by pip does).
// The widget messages are written by hand in a cell, through the camlab kernel's comm API.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { cpSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { ARTIFACTS_DIR, appendAndRunCell, notebook, openLab, openNotebook, repoRoot, screenshot, startLab, waitInPage } from "./harness.mjs";

const require = createRequire(import.meta.url);
const VIEW_MIME = "application/vnd.jupyter.widget-view+json";

// Each model is opened as ipywidgets' Python side does it: comm_open on "jupyter.widget" with the
// full state, protocol version in the metadata, sub-models referenced as "IPY_MODEL_<comm id>".
const widgetsCell = ({ probe }) => `
import { currentKernel } from "camlab/dist/src/jupyter";
const kernel = currentKernel()!;
const openModel = (state: Record<string, unknown>): string =>
  kernel.openComm("jupyter.widget", { state, buffer_paths: [] }, [], { version: "2.1.0" }).commId;
const model = (module: string, name: string, viewModule: string, view: string, version: string) => ({
  _model_module: module, _model_name: name, _model_module_version: version,
  _view_module: viewModule, _view_name: view, _view_module_version: version,
});
const layout = () => "IPY_MODEL_" + openModel(model("@jupyter-widgets/base", "LayoutModel", "@jupyter-widgets/base", "LayoutView", "2.0.0"));
const show = (modelId: string, text: string) =>
  kernel.publishDisplay({ "${VIEW_MIME}": { version_major: 2, version_minor: 0, model_id: modelId }, "text/plain": text }, {}, "view-" + modelId, false);

const sliderStyle = openModel({ ...model("@jupyter-widgets/controls", "SliderStyleModel", "@jupyter-widgets/base", "StyleView", "2.0.0"), description_width: "" });
const slider = openModel({
  ...model("@jupyter-widgets/controls", "IntSliderModel", "@jupyter-widgets/controls", "IntSliderView", "2.0.0"),
  value: 7, min: 0, max: 10, step: 1, description: "depth", layout: layout(), style: "IPY_MODEL_" + sliderStyle,
});
show(slider, "IntSlider(value=7)");
const anyModel = openModel({
  ...model("anywidget", "AnyModel", "anywidget", "AnyView", "0.11.0"),
  _esm: 'export default { render({ model, el }) { el.classList.add("camlab-any-probe"); el.textContent = "hello " + model.get("value"); } }',
  value: "camlab", layout: layout(),
});
show(anyModel, "AnyWidget");
${probe ? 'show(openModel({ ...model("camlab-widget-probe", "ProbeModel", "camlab-widget-probe", "ProbeView", "0.0.1"), value: "ok", layout: layout() }), "Probe");' : ""}
`;

/** What the page says about the widget plugins, the notebook's renderers and the loaded extensions. */
function labReport(page) {
  return page.evaluate((VIEW_MIME) => {
    const app = window.jupyterapp;
    const managerPlugins = app.listPlugins().filter((id) => id.startsWith("@jupyter-widgets/jupyterlab-manager:"));
    const panel = [...app.shell.widgets("main")].find((w) => w.id === window.__camlabTest?.notebookId);
    const rendermime = panel.content.rendermime;
    return {
      managerPlugins: Object.fromEntries(managerPlugins.map((id) => [id, app.isPluginActivated(id)])),
      anywidget: app.hasPlugin("anywidget:plugin") && app.isPluginActivated("anywidget:plugin"),
      probe: app.hasPlugin("camlab-widget-probe:plugin") && app.isPluginActivated("camlab-widget-probe:plugin"),
      viewRenderer: rendermime.preferredMimeType({ [VIEW_MIME]: {} }, "any") === VIEW_MIME,
      camlabMimeTypes: rendermime.mimeTypes.filter((m) => m.startsWith("application/vnd.camlab.")),
      federated: JSON.parse(document.getElementById("jupyter-config-data").textContent).federated_extensions.map((e) => e.name),
    };
  }, VIEW_MIME);
}

/** A lab (started with `options`) with a camlab notebook open; the suite's tests share it. */
function labSuite(name, options, checks) {
  describe(name, () => {
    const ctx = {};
    before(async () => {
      const t0 = Date.now();
      ctx.lab = await startLab({ notebooks: { "widgets.ipynb": notebook([]), "later.ipynb": notebook([]) }, ...options });
      ({ page: ctx.page, errors: ctx.errors } = await ctx.lab.newPage());
      await openLab(ctx.page, ctx.lab);
      await openNotebook(ctx.page, "widgets.ipynb");
      ctx.report = await labReport(ctx.page);
      console.log(`# ${name}: lab + kernel ready in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    });
    after(async () => {
      await ctx.lab?.stop();
    });
    checks(ctx);
  });
}

function widgetManagerIsActive(ctx) {
  const { managerPlugins, anywidget, viewRenderer } = ctx.report;
  const ids = Object.keys(managerPlugins);
  assert.ok(managerPlugins["@jupyter-widgets/jupyterlab-manager:plugin"], `the widget manager is activated (${JSON.stringify(managerPlugins)})`);
  // The manager plus the base, controls and output widget modules it registers.
  for (const kind of ["base", "controls", "output"]) assert.ok(ids.some((id) => id.includes(`:${kind}-`)), `a ${kind} plugin among ${ids}`);
  assert.deepEqual(ids.filter((id) => !managerPlugins[id]), [], "every plugin of the widget manager is activated");
  assert.equal(anywidget, true, "anywidget's plugin is activated");
  assert.equal(viewRenderer, true, `the notebook renders ${VIEW_MIME}`);
}

async function widgetsRender(ctx, { probe }) {
  const { page } = ctx;
  const t0 = Date.now();
  const cell = await appendAndRunCell(page, widgetsCell({ probe }));
  assert.deepEqual(cell.outputs.filter((o) => o.output_type === "error").map((o) => `${o.ename}: ${o.evalue}`), []);
  const views = cell.outputs.filter((o) => o.data?.[VIEW_MIME]);
  assert.equal(views.length, probe ? 3 : 2, "one widget view per widget");
  const rendered = await waitInPage(
    page,
    (probe) => {
      const root = document.getElementById(window.__camlabTest.notebookId);
      const slider = root.querySelector(".widget-slider.widget-hslider");
      const any = root.querySelector(".camlab-any-probe");
      const fromExtension = root.querySelector(".camlab-widget-probe");
      if (!slider?.querySelector(".noUi-handle") || !any || (probe && !fromExtension)) return null;
      return {
        label: slider.querySelector(".widget-label")?.textContent,
        readout: slider.querySelector(".widget-readout")?.textContent,
        any: any.textContent,
        fromExtension: fromExtension?.textContent ?? null,
      };
    },
    probe,
    { timeoutMs: 30_000 },
  );
  console.log(`# widgets rendered ${((Date.now() - t0) / 1000).toFixed(1)} s after the cell started`);
  assert.deepEqual(rendered, { label: "depth", readout: "7", any: "hello camlab", fromExtension: probe ? "probe ok" : null });
  return rendered;
}

/** Starts a kernel for the notebook opened by openNotebook(…, { noKernel: true }) and waits until it is idle. */
function startKernel(page, name) {
  return page.evaluate(async (name) => {
    const panel = [...window.jupyterapp.shell.widgets("main")].find((w) => w.id === window.__camlabTest.notebookId);
    await panel.sessionContext.changeKernel({ name });
    const deadline = Date.now() + 120_000;
    while (panel.sessionContext.session?.kernel?.status !== "idle") {
      if (Date.now() > deadline) throw new Error("the kernel is not idle after 120 s");
      await new Promise((r) => setTimeout(r, 100));
    }
  }, name);
}

function noPageErrors(ctx) {
  assert.deepEqual(ctx.errors.pageErrors, []);
  assert.deepEqual(ctx.errors.console, []);
  assert.deepEqual(ctx.errors.requests, []);
}

// The widget probe extension is built inside the checkout so that it resolves the project's
// node_modules, and served from a JUPYTER_PATH folder (labextensions_path has <each>/labextensions).
const probeDir = path.join(ARTIFACTS_DIR, `widget-probe-${randomBytes(3).toString("hex")}`);
before(() => {
  cpSync(path.join(repoRoot, "test", "browser", "fixtures", "widget-probe"), probeDir, { recursive: true });
  const builder = require.resolve("@jupyter/builder/lib/build-labextension.js");
  const coreFile = require.resolve("@jupyterlab/core-meta/core.package.json");
  const r = spawnSync(process.execPath, [builder, "--core-package-file", coreFile, probeDir], { encoding: "utf8" });
  assert.equal(r.status, 0, `building the widget probe extension failed:\n${r.stdout}\n${r.stderr}`);
});
after(() => rmSync(probeDir, { recursive: true, force: true }));

labSuite("the lab npm start serves, plus a prebuilt widget extension", { label: "widget-manager", jupyterPath: [probeDir] }, (ctx) => {
  test("the widget manager, its widget modules and anywidget are activated next to camlab's extension", () => {
    widgetManagerIsActive(ctx);
    assert.ok(ctx.report.federated.includes("camlab-extension"), `camlab-extension is loaded (${ctx.report.federated})`);
    assert.ok(ctx.report.camlabMimeTypes.length >= 3, `camlab's renderers are registered (${ctx.report.camlabMimeTypes})`);
    assert.equal(ctx.report.probe, true, "the prebuilt widget extension got IJupyterWidgetRegistry from the host's manager");
  });
  test("an IntSlider, an anywidget and the prebuilt extension's widget, sent over jupyter.widget, render", async () => {
    await widgetsRender(ctx, { probe: true });
    await screenshot(ctx.page, "widget-manager");
  });
  test("no page errors", () => noPageErrors(ctx));
});

labSuite("a lab without camlab's extension (camlabExtension: false)", { label: "widget-manager-bare", camlabExtension: false }, (ctx) => {
  test("the widget manager and anywidget are activated and camlab's extension is not loaded", () => {
    widgetManagerIsActive(ctx);
    assert.ok(!ctx.report.federated.includes("camlab-extension"), `camlab-extension is not served (${ctx.report.federated})`);
    assert.deepEqual(ctx.report.camlabMimeTypes, [], "no renderer for camlab's MIME types");
  });
  test("an IntSlider and an anywidget sent over jupyter.widget render", async () => {
    await widgetsRender(ctx, { probe: false });
    await screenshot(ctx.page, "widget-manager-bare");
  });
  // Upstream's manager throws on such a notebook and never serves it (see extension/lab/src/widget-manager.js).
  test("a notebook opened without a kernel gets its widgets rendered once a kernel is started", async () => {
    await openNotebook(ctx.page, "later.ipynb", { noKernel: true });
    await startKernel(ctx.page, "camlab");
    await widgetsRender(ctx, { probe: false });
  });
  test("no page errors", () => noPageErrors(ctx));
});
