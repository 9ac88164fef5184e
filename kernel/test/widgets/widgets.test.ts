// The widget layer outside a kernel (no comm: the state logic alone): attributes checked against
// the spec, sliders clamped, selections mapped to labels + index, observers, holdSync, buffers
// lifted out of states as ipywidgets' _remove_buffers does, interact's abbreviations, and the
// generated model table up to date with @jupyter-widgets/schema. The wire itself is tested
// against the spec with a real kernel in test/protocol/test_widgets.py.
import { test } from "node:test";
import * as assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as path from "node:path";
import * as camlab from "../../src";
import { putBuffers, removeBuffers, typeMismatch } from "../../src/widgets/values";

const W = camlab.widgets;
const repo = path.resolve(__dirname, "..", "..", "..", "..");

test("models.generated.ts is what scripts/gen-widget-models.mjs makes of the installed spec", () => {
  const r = spawnSync(process.execPath, [path.join(repo, "scripts", "gen-widget-models.mjs"), "--check"], { cwd: repo, encoding: "utf8" });
  assert.equal(r.status, 0, r.stderr);
});

test("a new widget has every attribute of its spec model, with the spec's defaults", () => {
  const s = new W.IntSlider();
  const spec = W.MODELS.IntSliderModel.attributes;
  assert.deepEqual(Object.keys(s.wireState()).sort(), Object.keys(spec).sort());
  assert.equal(s.value, 0);
  assert.equal(s.max, 100);
  assert.equal(s.get("behavior"), "drag-tap");
  assert.match(String(s.wireState().layout), /^IPY_MODEL_/);
  assert.equal(s.layout.modelName, "LayoutModel");
  assert.equal(s.style.modelName, "SliderStyleModel");
  // no two widgets share a default array
  const a = new W.Checkbox(), b = new W.Checkbox();
  assert.notEqual(a.get("_dom_classes"), b.get("_dom_classes"));
});

test("bad attributes and values are refused naming what the spec expects; nothing changes", () => {
  const s = new W.IntSlider({ value: 4 });
  assert.throws(() => (s.value = 2.5), /IntSlider\.value must be an integer, got 2\.5/);
  assert.throws(() => s.set("vaule", 1), /IntSlider has no attribute "vaule"; did you mean "value"/);
  assert.throws(() => s.set({ value: 5, orientation: "diagonal" as never }), /orientation must be one of "horizontal", "vertical"/);
  assert.equal(s.value, 4, "a refused set changes nothing, not even the valid part");
  assert.throws(() => new W.IntSlider({ min: 5, max: 1 }), /min \(5\) must not be above max \(1\)/);
  assert.throws(() => new W.HBox([1 as never]), /children\[0\] must be a widget/);
  assert.throws(() => new W.Widget("IntSlidr" as never), /did you mean "IntSliderModel"/);
  assert.throws(() => s.set("_model_name", "X"), /fixed at creation/);
});

test("sliders clamp their value into [min, max], as ipywidgets' bounded widgets do", () => {
  const s = new W.IntSlider({ value: 50, max: 10 });
  assert.equal(s.value, 10);
  s.value = -3;
  assert.equal(s.value, 0);
  s.set({ min: 5 });
  assert.equal(s.value, 5);
  const f = new W.FloatSlider({ value: 0.5, min: 0, max: 1 });
  f.max = 0.25;
  assert.equal(f.value, 0.25);
});

test("a selection keeps labels + index on the wire and value/label in the kernel", () => {
  const d = new W.Dropdown({ options: [["cat", 281], ["dog", 207], "bird"], value: 207 });
  assert.deepEqual(d.wireState()._options_labels, ["cat", "dog", "bird"]);
  assert.equal(d.wireState().index, 1);
  assert.equal(d.label, "dog");
  const seen: unknown[] = [];
  d.observe((c) => void seen.push([c.name, c.old, c.new]), ["value", "label", "index"]);
  d.label = "bird";
  assert.equal(d.value, "bird");
  assert.deepEqual(seen, [["index", 1, 2], ["value", 207, "bird"], ["label", "dog", "bird"]]);
  assert.throws(() => (d.value = 5 as never), /value 5 is not one of the options \("cat", "dog", "bird"\)/);
  assert.throws(() => (d.index = 3), /index must be an integer in \[0, 2\] or null/);
  d.options = ["x", "y"];
  assert.deepEqual([d.index, d.value], [0, "x"]);
  const empty = new W.ToggleButtons({ options: [] });
  assert.equal(empty.value, null);
});

test("observers see each change once with old and new; holdSync batches; settled() waits for async ones", async () => {
  const s = new W.IntSlider({ max: 10 });
  const changes: Array<[string, unknown, unknown]> = [];
  const stop = s.observe((c) => void changes.push([c.name, c.old, c.new]));
  s.value = 3;
  s.value = 3; // no change, no call
  s.set({ min: 1, max: 9 });
  stop();
  s.value = 4;
  assert.deepEqual(changes, [["value", 0, 3], ["min", 0, 1], ["max", 10, 9]]);
  let done = 0;
  s.observe(async () => {
    await new Promise((r) => setTimeout(r, 20));
    done++;
  }, "value");
  s.value = 5;
  assert.equal(done, 0);
  await s.settled();
  assert.equal(done, 1);
});

test("an observer that throws is reported, and the others still run", () => {
  const s = new W.IntSlider();
  let ran = false;
  const errors: string[] = [];
  const original = console.error;
  console.error = (m: unknown) => void errors.push(String(m));
  try {
    s.observe(() => {
      throw new Error("boom");
    }, "value");
    s.observe(() => void (ran = true), "value");
    s.value = 1;
  } finally {
    console.error = original;
  }
  assert.equal(ran, true);
  assert.match(errors[0], /an observer of value threw: Error: boom/);
});

test("buffers are lifted out of nested states and put back by their paths (ipywidgets' _remove_buffers/_put_buffers)", () => {
  const bytes = new Uint8Array([1, 2, 3]);
  const floats = new Float32Array([1.5]);
  const state = { plain: 1, value: bytes, nested: { list: [0, floats, "x"], deep: { b: bytes.buffer } } };
  const { state: wire, buffer_paths, buffers } = removeBuffers(state);
  assert.deepEqual(wire, { plain: 1, nested: { list: [0, null, "x"], deep: {} } }, "a buffer in a list leaves null, under a key leaves nothing");
  assert.deepEqual(buffer_paths, [["value"], ["nested", "list", 1], ["nested", "deep", "b"]]);
  assert.deepEqual(buffers.map((b) => Array.from(b)), [[1, 2, 3], Array.from(new Uint8Array(floats.buffer)), [1, 2, 3]]);
  assert.ok(state.value === bytes, "the input is not changed");
  const back = wire as Record<string, unknown>;
  putBuffers(back, buffer_paths, buffers);
  assert.deepEqual(Array.from(back.value as Uint8Array), [1, 2, 3]);
  assert.deepEqual(Array.from((back.nested as { list: Uint8Array[] }).list[1]), Array.from(new Uint8Array(floats.buffer)));
  assert.throws(() => putBuffers({}, [["a"]], []), /names 1 buffers but the message carries 0/);
  assert.throws(() => putBuffers({}, [[{}]], [new Uint8Array(1)]), /buffer_paths\[0\] must be a non-empty list/);
});

test("the spec's type strings are read as ipywidgets means them", () => {
  const isW = (v: unknown) => v instanceof W.Widget;
  assert.equal(typeMismatch("`null` or number (integer)", null, isW), undefined);
  assert.equal(typeMismatch("`null` or number (integer)", 1.5, isW), "an integer");
  assert.equal(typeMismatch("number (float) or string (one of `'auto'`)", "auto", isW), undefined);
  assert.ok(typeMismatch("number (float) or string (one of `'auto'`)", "nope", isW));
  assert.equal(typeMismatch("array of reference to Widget widget", [new W.Label()], isW), undefined);
  assert.match(String(typeMismatch("array of string", ["a", 2], isW)), /item 1/);
  assert.equal(typeMismatch("Bytes", new Uint8Array(2), isW), undefined);
});

test("Button.click runs the handlers; Text.onSubmit answers the submit event", async () => {
  const b = new W.Button({ description: "go" });
  const clicks: string[] = [];
  b.onClick(async (btn) => void clicks.push(btn.description));
  await b.click();
  await b.click();
  assert.deepEqual(clicks, ["go", "go"]);
  assert.throws(() => b.onClick("x" as never), /must be a function/);
});

test("interact makes the ipywidgets controls from abbreviations and re-runs the function on a change", async () => {
  const seen: camlab.widgets.InteractValues[] = [];
  const w = W.interactive((v) => void seen.push(v), { k: [0, 10], f: [0, 1, 0.1], relu: true, name: "x", layer: ["a", ["b", 2]], n: 4, c: { fixed: 42 } });
  const kinds = Object.fromEntries(Object.entries(w.controls).map(([k, c]) => [k, c.modelName]));
  assert.deepEqual(kinds, { k: "IntSliderModel", f: "FloatSliderModel", relu: "CheckboxModel", name: "TextModel", layer: "DropdownModel", n: "IntSliderModel" });
  assert.deepEqual([w.controls.n.get("min"), w.controls.n.get("max")], [-4, 12]);
  await w.update();
  assert.deepEqual(seen[0], { c: 42, k: 5, f: 0.5, relu: true, name: "x", layer: "a", n: 4 });
  (w.controls.layer as camlab.widgets.Dropdown<unknown>).index = 1;
  await w.controls.layer.settled();
  assert.equal(seen.at(-1)!.layer, 2);
  assert.throws(() => W.interactive(() => 0, { bad: {} as never }), /cannot make a control from/);
  assert.throws(() => W.interactive(() => 0, { r: [3, 1] }), /needs min < max/);
});

test("AnyWidget carries the module and the user's own attributes, and refuses reserved names", () => {
  const aw = new W.AnyWidget({ esm: "export default { render() {} }", state: { count: 0, label: "x" } });
  const st = aw.wireState();
  assert.deepEqual([st._model_module, st._model_name, st._view_name, st.count], ["anywidget", "AnyModel", "AnyView", 0]);
  aw.set("count", 2);
  assert.throws(() => aw.set("count", "two"), /must be a number/);
  assert.throws(() => new W.AnyWidget({ esm: "console.log(1)" }), /ES module that exports render/);
  assert.throws(() => new W.AnyWidget({ esm: "export default {}", state: { _esm: "x" } }), /reserved/);
  assert.equal(aw.widgetName, "AnyWidget");
});

test("on('change:x') and on('msg:custom') are observe and onMsg", () => {
  const s = new W.IntSlider();
  const seen: number[] = [];
  const stop = s.on("change:value", ({ new: v }) => void seen.push(v));
  s.value = 2;
  stop();
  s.value = 3;
  assert.deepEqual(seen, [2]);
  assert.throws(() => s.on("click" as never, () => undefined), /must be "change:<attribute>" or "msg:custom"/);
  assert.throws(() => s.on("change:vaule" as never, () => undefined), /no attribute "vaule"/);
});
