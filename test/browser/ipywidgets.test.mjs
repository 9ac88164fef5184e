// Jupyter widgets from TypeScript cells, in real JupyterLab + Chromium with the widget manager
// (@jupyter-widgets/jupyterlab-manager) and anywidget's front end, against a real camlab kernel:
//   - a slider moved in the page changes the kernel's value, and the kernel's change moves it;
//   - a Button click runs a kernel callback; an Output widget shows what it printed;
//   - a Dropdown / ToggleButtons choice reaches the kernel; interact re-runs on a change;
//   - an AnyWidget's ES module renders and talks both ways;
//   - in a lab built WITHOUT camlab-extension, camlab's heatmap overlay renders through the
//     widget protocol (its portable view) and goes live: a class click recomputes the CAM in the
//     kernel and redraws.
// Widget traffic is counted on the page's kernel websocket.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { appendAndRunCell, canvasStats, openLab, openNotebook, screenshot, startLab, timeToCanvasChange, waitInPage } from "./harness.mjs";
import { notebook } from "./harness.mjs";

/** The text/plain of a cell's execute_result (or of its last stream), to read kernel values. */
function plain(cell) {
  const result = cell.outputs.find((o) => o.output_type === "execute_result");
  if (result) return String(result.data["text/plain"]);
  const err = cell.outputs.find((o) => o.output_type === "error");
  if (err) throw new Error(`${err.ename}: ${err.evalue}`);
  return cell.outputs.filter((o) => o.output_type === "stream").map((o) => o.text).join("");
}

/** Comm messages of the widget protocol seen on the page's kernel websocket, by direction. */
function widgetTraffic(page) {
  const t = { sent: [], received: [] };
  const methodOf = (payload) => {
    const text = typeof payload === "string" ? payload : payload.toString("latin1");
    const m = /"method"\s*:\s*"(\w+)"/.exec(text);
    return /"msg_type"\s*:\s*"comm_msg"/.test(text) && m ? m[1] : null;
  };
  page.on("websocket", (ws) => {
    ws.on("framesent", ({ payload }) => { const m = methodOf(payload); if (m) t.sent.push(m); });
    ws.on("framereceived", ({ payload }) => { const m = methodOf(payload); if (m) t.received.push(m); });
  });
  return t;
}

describe("in the lab npm start serves (with camlab-extension)", () => {
  let lab, page, errors, traffic;
  const run = (source) => appendAndRunCell(page, source);

  before(async () => {
    lab = await startLab({ label: "ipywidgets", notebooks: { "w.ipynb": notebook(['import * as camlab from "camlab";\nconst W = camlab.widgets;\n"ready"']) } });
    ({ page, errors } = await lab.newPage());
    traffic = widgetTraffic(page);
    await openLab(page, lab);
    await openNotebook(page, "w.ipynb");
    assert.equal(plain(await run('import * as camlab from "camlab";\nconst W = camlab.widgets;\n"ready"')), "'ready'");
  });

  after(async () => {
    await lab?.stop();
  });

  test("a slider: the kernel's change moves it, a move in the page changes the kernel's value", async () => {
    await run('const s = new W.IntSlider({ value: 3, max: 10, description: "k" });\nconst moves: number[] = [];\ns.observe(({ new: v }) => void moves.push(v), "value");\ns');
    const slider = page.locator(".widget-slider").last();
    await slider.waitFor({ timeout: 30_000 });
    const readout = slider.locator(".widget-readout");
    await waitInPage(page, () => [...document.querySelectorAll(".widget-slider .widget-readout")].some((n) => (n.textContent ?? n.value) === "3"));
    // kernel → page
    await run("s.value = 8");
    await waitInPage(page, () => [...document.querySelectorAll(".widget-slider .widget-readout")].some((n) => n.textContent === "8"));
    // page → kernel: keyboard on the slider handle (one step per key press)
    traffic.sent.length = 0;
    traffic.received.length = 0;
    const handle = slider.locator(".noUi-handle").first();
    await handle.focus();
    await page.keyboard.press("ArrowRight");
    await waitInPage(page, () => [...document.querySelectorAll(".widget-slider .widget-readout")].some((n) => n.textContent === "9"));
    const value = await (async () => {
      for (let i = 0; i < 50; i++) {
        const v = plain(await run("s.value"));
        if (v === "9") return v;
        await new Promise((r) => setTimeout(r, 100));
      }
      return plain(await run("s.value"));
    })();
    assert.equal(value, "9");
    assert.equal(plain(await run("JSON.stringify(moves)")), "'[8,9]'");
    // one move = one update from the page, one echo_update back
    assert.deepEqual(traffic.sent.filter((m) => m === "update"), ["update"]);
    assert.deepEqual(traffic.received.filter((m) => m === "echo_update"), ["echo_update"]);
    assert.equal(await readout.textContent(), "9");
    await screenshot(page, "ipywidgets-slider", { selector: ".widget-slider >> nth=-1" });
  });

  test("a Button click runs the kernel callback, and an Output widget shows what it printed", async () => {
    await run('const out = new W.Output();\nconst b = new W.Button({ description: "go", button_style: "primary" });\nlet clicks = 0;\nb.onClick(() => out.capture(() => { clicks++; console.log(`clicked ${clicks} times`); }));\nnew W.VBox([b, out])');
    const button = page.locator("button.jupyter-button", { hasText: "go" }).last();
    await button.waitFor({ timeout: 30_000 });
    await button.click();
    await waitInPage(page, () => [...document.querySelectorAll(".jupyter-widgets-output-area, .widget-output")].some((n) => n.textContent.includes("clicked 1 times")));
    await button.click();
    await waitInPage(page, () => [...document.querySelectorAll(".jupyter-widgets-output-area, .widget-output")].some((n) => n.textContent.includes("clicked 2 times")));
    assert.equal(plain(await run("clicks")), "2");
  });

  test("a click while the kernel runs a cell is handled once the cell is done, in order", async () => {
    await run('const late: string[] = [];\nconst lb = new W.Button({ description: "late" });\nlb.onClick(() => void late.push("click"));\nlb');
    const button = page.locator("button.jupyter-button", { hasText: "late" }).last();
    await button.waitFor({ timeout: 30_000 });
    const busy = run('await new Promise((r) => setTimeout(r, 3000));\nlate.push("cell");\n"slept"');
    await new Promise((r) => setTimeout(r, 1000));
    await button.click();
    assert.equal(plain(await busy), "'slept'");
    let got = "";
    for (let i = 0; i < 50 && got !== "'cell,click'"; i++) got = plain(await run("late.join()"));
    assert.equal(got, "'cell,click'", "the click waited for the running cell");
  });

  test("an Output widget captures what a cell prints inside capture(), and only that", async () => {
    const cell = await run('const area = new W.Output();\ndisplay(area);\nawait area.capture(() => console.log("inside the widget"));\nconsole.log("in the cell");');
    await waitInPage(page, () => [...document.querySelectorAll(".jupyter-widgets-output-area, .widget-output")].some((n) => n.textContent.includes("inside the widget")));
    const streams = cell.outputs.filter((o) => o.output_type === "stream").map((o) => o.text).join("");
    assert.equal(streams, "in the cell\n", "the captured line is not in the cell's own output");
  });

  test("a Dropdown and ToggleButtons choice reaches the kernel as value and label", async () => {
    await run('const dd = new W.Dropdown({ options: [["cat", 281], ["dog", 207]], description: "class" });\nconst tb = new W.ToggleButtons({ options: ["gradcam", "scorecam"] });\nnew W.HBox([dd, tb])');
    const select = page.locator(".widget-dropdown select").last();
    await select.waitFor({ timeout: 30_000 });
    await select.selectOption({ label: "dog" });
    await page.locator(".widget-toggle-buttons button", { hasText: "scorecam" }).last().click();
    let got = "";
    for (let i = 0; i < 50 && got !== "'207 dog scorecam'"; i++) got = plain(await run("`${dd.value} ${dd.label} ${tb.value}`"));
    assert.equal(got, "'207 dog scorecam'");
  });

  test("interact re-runs the function in the kernel when its control moves", async () => {
    await run("const it = await W.interact(({ n }) => console.log(`n squared is ${(n as number) ** 2}`), { n: [0, 10] });");
    await waitInPage(page, () => [...document.querySelectorAll(".widget-output, .jupyter-widgets-output-area")].some((n) => n.textContent.includes("n squared is 25")));
    await run("it.controls.n.set('value', 7)");
    await waitInPage(page, () => [...document.querySelectorAll(".widget-output, .jupyter-widgets-output-area")].some((n) => n.textContent.includes("n squared is 49")));
    assert.equal(plain(await run("it.runCount")), "2");
  });

  test("an AnyWidget's ES module renders, and its front-end changes reach the kernel", async () => {
    await run(`const counter = new W.AnyWidget({
  esm: "export default { render({ model, el }) { const b = document.createElement('button'); b.className = 'counter-button'; const show = () => { b.textContent = 'count ' + model.get('count'); }; b.onclick = () => { model.set('count', model.get('count') + 1); model.save_changes(); }; model.on('change:count', show); model.on('msg:custom', (m) => { b.dataset.said = m.said; }); show(); el.appendChild(b); } }",
  state: { count: 0 },
});
counter.onMsg((m) => counter.send({ said: "pong:" + (m as { say: string }).say }));
counter`);
    const b = page.locator(".counter-button").last();
    await b.waitFor({ timeout: 30_000 });
    await b.click();
    await b.click();
    await waitInPage(page, () => document.querySelector(".counter-button")?.textContent === "count 2");
    let got = "";
    for (let i = 0; i < 50 && got !== "2"; i++) got = plain(await run("counter.get('count')"));
    assert.equal(got, "2");
    await run("counter.set('count', 10)");
    await waitInPage(page, () => document.querySelector(".counter-button")?.textContent === "count 10");
    // custom messages, page → kernel → page
    await page.evaluate(() => undefined);
    await run("counter.send({ said: 'hello' })");
    await waitInPage(page, () => document.querySelector(".counter-button")?.dataset.said === "hello");
  });

  test("no page errors", () => {
    assert.deepEqual(errors.pageErrors, []);
  });
});

describe("in a lab WITHOUT camlab-extension: camlab's views through the widget protocol", () => {
  let lab, page, errors;

  before(async () => {
    lab = await startLab({ label: "portable", camlabExtension: false, notebooks: { "p.ipynb": notebook(["1"]) } });
    ({ page, errors } = await lab.newPage());
    await openLab(page, lab);
    await openNotebook(page, "p.ipynb");
  });

  after(async () => {
    await lab?.stop();
  });

  test("the heatmap overlay renders as a widget, goes live, and a class click recomputes in the kernel", async () => {
    const cell = await appendAndRunCell(page, `import * as camlab from "camlab";
const net = await camlab.loadMobileNetV2();
const img = await camlab.loadImage(camlab.assetPath("chelsea.png"), { size: [224, 224] });
const x = net.preprocess(img);
await camlab.showHeatmap(net.model, x, { labels: net.labels, image: img, classes: [0, 2] })`, { timeoutMs: 300_000 });
    const mimes = cell.outputs.flatMap((o) => Object.keys(o.data ?? {}));
    assert.ok(mimes.includes("application/vnd.jupyter.widget-view+json"), `the display carries the widget view (got ${mimes})`);
    assert.ok(mimes.includes("application/vnd.camlab.heatmap+json"), "and camlab's own MIME type");
    const root = '[data-testid="camlab-heatmap"].camlab-portable';
    await waitInPage(page, (sel) => document.querySelector(sel)?.dataset.state === "live", root, { timeoutMs: 90_000 });
    const stats = await canvasStats(page, `${root} [data-testid="camlab-heatmap-canvas"]`);
    assert.ok(stats.length >= 1 && !stats[0].blank && stats[0].distinctColors > 50, `heatmap pixels: ${JSON.stringify(stats[0])}`);
    const current = await page.locator(root).evaluate((n) => n.querySelector(".camlab-class-item--selected")?.dataset.classIndex ?? null);
    const other = await page.locator(root).evaluate((n, cur) => [...n.querySelectorAll('[data-testid="camlab-class-item"]')].map((c) => c.dataset.classIndex).find((i) => i !== cur), current);
    assert.ok(other !== undefined, "a second class to click");
    const ms = await timeToCanvasChange(page, `${root} [data-testid="camlab-heatmap-canvas"]`, new Function(`return document.querySelector('${root} [data-testid="camlab-class-item"][data-class-index="${other}"]').click();`));
    console.log(`# portable view: class click → new heatmap pixels in ${ms.toFixed(0)} ms`);
    await screenshot(page, "portable-heatmap", { selector: root });
  });

  test("the layer browser renders as a widget too and goes live", async () => {
    await appendAndRunCell(page, "await camlab.showLayers(net.model, x, { labels: net.labels })");
    await waitInPage(page, () => document.querySelector('[data-testid="camlab-layers"].camlab-portable')?.dataset.state === "live", undefined, { timeoutMs: 60_000 });
    const items = await page.locator('[data-testid="camlab-layers"].camlab-portable [data-testid="camlab-layer-item"]').count();
    assert.ok(items > 50, `layer items: ${items}`);
  });

  test("camlab-extension is not loaded there, and the page has no errors", async () => {
    const loaded = await page.evaluate(() => JSON.parse(document.getElementById("jupyter-config-data").textContent).federated_extensions.map((e) => e.name));
    assert.ok(!loaded.includes("camlab-extension"), `federated extensions: ${loaded}`);
    assert.deepEqual(errors.pageErrors, []);
  });
});
