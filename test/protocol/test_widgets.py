"""The Jupyter widget protocol (ipywidgets 8, protocol 2.1.0) as the camlab kernel speaks it,
checked on the wire with jupyter_client against the specification that @jupyter-widgets/schema
ships in npm: messages.md (comm_open with state + buffer_paths, update, echo_update,
request_state, custom, the jupyter.widget.control comm) and jupyterwidgetmodels.v8.md (every
attribute of every model, with its type). The spec is parsed here, in Python, on its own; the
kernel's generated table is not used by these tests."""
import os
import re
import unittest
import uuid

from kernel_harness import RawShell, KernelUnderTest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SPEC = os.path.join(ROOT, "node_modules", "@jupyter-widgets", "schema", "jupyterwidgetmodels.v8.md")
VIEW_MIME = "application/vnd.jupyter.widget-view+json"


def read_spec():
    """{model name: {attribute: type}} from the v8 model specification."""
    models, current = {}, None
    with open(SPEC, encoding="utf-8") as f:
        for line in f:
            m = re.match(r"^### (\w+) \(", line)
            if m:
                current = models.setdefault(m.group(1), {})
                continue
            m = re.match(r"^\| `(\w+)`\s*\|([^|]*)\|", line)
            if m and current is not None:
                current[m.group(1)] = m.group(2).strip()
    return models


def fits(type_, value, refs):
    """Whether a wire value fits a spec type; refs maps model ids to model names."""
    if type_.startswith("`null` or "):
        return value is None or fits(type_[len("`null` or "):], value, refs)
    alts = re.split(r" or (?![^(]*\))", type_)
    if len(alts) > 1:
        return any(fits(t, value, refs) for t in alts)
    choices = re.findall(r"'((?:[^'\\]|\\.)*)'", type_) if "one of" in type_ else None
    if type_.startswith("string"):
        return isinstance(value, str) and (choices is None or value in choices)
    if type_ == "boolean":
        return isinstance(value, bool)
    if type_.startswith("number (integer)"):
        return isinstance(value, int) and not isinstance(value, bool)
    if type_.startswith("number (float)"):
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    m = re.match(r"^reference to (\w+) widget$", type_)
    if m:
        if not (isinstance(value, str) and value.startswith("IPY_MODEL_")):
            return False
        model = refs.get(value[len("IPY_MODEL_"):])
        return model is not None and (m.group(1) == "Widget" or model == m.group(1) + "Model")
    if type_.startswith("array"):
        if not isinstance(value, list):
            return False
        m = re.match(r"^array of (.*)$", type_)
        return m is None or all(fits(m.group(1), v, refs) for v in value)
    if type_ == "object":
        return isinstance(value, dict)
    if type_ == "Bytes":
        return False  # bytes travel as buffers, never inside the JSON state
    return True


CONTROLS = {
    "IntSlider": 'new W.IntSlider({ value: 3, max: 10, description: "k" })',
    "FloatSlider": "new W.FloatSlider({ value: 0.25, step: 0.05, max: 1 })",
    "Dropdown": 'new W.Dropdown({ options: ["out_relu", "block_16_project"], description: "layer" })',
    "ToggleButtons": 'new W.ToggleButtons({ options: [["cat", 281], ["dog", 207]], value: 207 })',
    "Checkbox": 'new W.Checkbox({ value: true, description: "relu" })',
    "Text": 'new W.Text({ value: "hello", placeholder: "type" })',
    "Button": 'new W.Button({ description: "run", button_style: "primary" })',
    "Output": "new W.Output()",
    "Label": 'new W.Label({ value: "p = 0.93" })',
    "HTML": 'new W.HTML({ value: "<b>bold</b>" })',
    "Image": 'new W.Image({ value: new Uint8Array([137, 80, 78, 71, 0, 255]), format: "png", width: "64" })',
    "IntProgress": "new W.IntProgress({ value: 4, max: 9 })",
}


def of_type(msgs, msg_type):
    return [m for m in msgs if m["msg_type"] == msg_type]


class WidgetProtocolTests(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.spec = read_spec()
        cls.k = KernelUnderTest()
        reply, _ = cls.k.execute('import * as camlab from "camlab";\nconst W = camlab.widgets;\nconst seen: unknown[] = [];')
        assert reply["status"] == "ok", reply
        cls.raw = RawShell(cls.k.km)

    @classmethod
    def tearDownClass(cls):
        cls.raw.close()
        cls.k.close()

    def setUp(self):
        self.k.flush()

    def make(self, name, code):
        """Runs `const <name> = <code>; display(<name>)`; returns (model id, iopub messages)."""
        reply, msgs = self.k.execute(f"const {name} = {code};\ndisplay({name});")
        self.assertEqual(reply["status"], "ok", reply)
        opens = of_type(msgs, "comm_open")
        self.assertTrue(opens, f"{name}: no comm_open")
        return opens[-1]["content"]["comm_id"], msgs

    def run_ok(self, code):
        reply, msgs = self.k.execute(code)
        self.assertEqual(reply["status"], "ok", f"{code!r}: {reply.get('evalue')}")
        return msgs

    def send(self, comm_id, data, buffers=()):
        """A comm_msg from the 'front end'; returns (its msg_id, the iopub messages it caused)."""
        msg_id = self.raw.send("comm_msg", {"comm_id": comm_id, "data": data}, buffers)
        return msg_id, self.k.iopub_until_idle(msg_id)

    # ---- comm_open: the full state of every control, against the spec -------------------------

    def test_every_control_opens_with_exactly_the_specs_attributes_and_types(self):
        refs = {}
        for i, (kind, code) in enumerate(CONTROLS.items()):
            _, msgs = self.make(f"c{i}", code)
            displays = of_type(msgs, "display_data")
            self.assertEqual(len(displays), 1)
            for m in of_type(msgs, "comm_open"):
                c = m["content"]
                self.assertEqual(c["target_name"], "jupyter.widget")
                self.assertEqual(m["metadata"], {"version": "2.1.0"})
                state = c["data"]["state"]
                model = state["_model_name"]
                attrs = self.spec[model]
                for path in c["data"]["buffer_paths"]:
                    self.assertEqual(attrs[path[0]], "Bytes", f"{model}: buffer at {path}")
                buffered = {p[0] for p in c["data"]["buffer_paths"]}
                self.assertEqual(set(state) | buffered, set(attrs), f"{model}: attributes differ from the spec")
                for attr, value in state.items():
                    self.assertTrue(fits(attrs[attr], value, refs), f"{model}.{attr} = {value!r} does not fit {attrs[attr]!r}")
                refs[c["comm_id"]] = model
            view = displays[0]["content"]["data"][VIEW_MIME]
            self.assertEqual((view["version_major"], view["version_minor"]), (2, 0))
            self.assertEqual(refs[view["model_id"]], kind + "Model")
            self.assertIn("text/plain", displays[0]["content"]["data"])

    def test_selection_widgets_send_labels_and_index(self):
        _, msgs = self.make("tb", CONTROLS["ToggleButtons"])
        state = of_type(msgs, "comm_open")[-1]["content"]["data"]["state"]
        self.assertEqual(state["_options_labels"], ["cat", "dog"])
        self.assertEqual(state["index"], 1)
        self.assertEqual(self.k.value("[tb.value, tb.label]"), "[ 207, 'dog' ]")

    def test_image_bytes_travel_as_a_buffer_named_by_buffer_paths(self):
        _, msgs = self.make("img", CONTROLS["Image"])
        c = of_type(msgs, "comm_open")[-1]
        self.assertEqual(c["content"]["data"]["buffer_paths"], [["value"]])
        self.assertNotIn("value", c["content"]["data"]["state"])
        self.assertEqual(bytes(c["buffers"][0]), bytes([137, 80, 78, 71, 0, 255]))
        # and back: an update with a buffer puts the bytes at their path
        model_id = c["content"]["comm_id"]
        self.send(model_id, {"method": "update", "state": {}, "buffer_paths": [["value"]]}, [b"\x01\x02"])
        self.assertEqual(self.k.value("Array.from(img.value)"), "[ 1, 2 ]")

    # ---- update both ways, echo_update, observers ---------------------------------------------

    def test_front_end_update_is_echoed_then_observed_in_the_kernel(self):
        model_id, _ = self.make("s1", 'new W.IntSlider({ value: 3, max: 10 })')
        self.run_ok('s1.observe((c) => { seen.push([c.name, c.old, c.new]); s1.description = `k=${c.new}`; }, "value");')
        msg_id, msgs = self.send(model_id, {"method": "update", "state": {"value": 7}, "buffer_paths": []})
        comm = of_type(msgs, "comm_msg")
        self.assertEqual([m["content"]["data"]["method"] for m in comm], ["echo_update", "update"])
        self.assertEqual(comm[0]["content"]["data"]["state"], {"value": 7})
        self.assertEqual(comm[0]["parent_header"]["msg_id"], msg_id)  # the front end knows its own echo
        self.assertEqual(comm[1]["content"]["data"]["state"], {"description": "k=7"})
        self.assertEqual(self.k.value("JSON.stringify(seen.splice(0))"), "'[[\"value\",3,7]]'")
        self.assertEqual(self.k.value("s1.value"), "7")

    def test_kernel_change_sends_one_update(self):
        model_id, _ = self.make("s2", 'new W.FloatSlider({ value: 0.5, max: 1 })')
        reply, msgs = self.k.execute("s2.value = 0.75; s2.set({ min: 0.1, max: 0.9 });")
        comm = of_type(msgs, "comm_msg")
        self.assertEqual([m["content"]["data"] for m in comm], [
            {"method": "update", "state": {"value": 0.75}, "buffer_paths": []},
            {"method": "update", "state": {"min": 0.1, "max": 0.9}, "buffer_paths": []},
        ])
        self.assertTrue(all(m["content"]["comm_id"] == model_id for m in comm))

    def test_dropdown_index_from_the_front_end_moves_value_and_label(self):
        model_id, _ = self.make("dd", 'new W.Dropdown({ options: [["cat", 281], ["dog", 207]] })')
        self.run_ok('dd.observe((c) => seen.push([c.name, c.old, c.new]), ["value", "label"]);')
        self.send(model_id, {"method": "update", "state": {"index": 1}, "buffer_paths": []})
        self.assertEqual(self.k.value("JSON.stringify(seen.splice(0))"), "'[[\"value\",281,207],[\"label\",\"cat\",\"dog\"]]'")

    def test_request_state_answers_the_full_state(self):
        model_id, msgs = self.make("s3", 'new W.IntSlider({ value: 5 })')
        opened = of_type(msgs, "comm_open")[-1]["content"]["data"]["state"]
        _, msgs = self.send(model_id, {"method": "request_state"})
        comm = of_type(msgs, "comm_msg")
        self.assertEqual(len(comm), 1)
        self.assertEqual(comm[0]["content"]["data"]["method"], "update")
        self.assertEqual(comm[0]["content"]["data"]["state"], opened)

    def test_control_comm_answers_every_state_in_one_update_states(self):
        model_id, _ = self.make("img2", CONTROLS["Image"])
        comm_id = uuid.uuid4().hex
        open_id = self.raw.send("comm_open", {"comm_id": comm_id, "target_name": "jupyter.widget.control", "data": {}})
        self.k.iopub_until_idle(open_id)
        _, msgs = self.send(comm_id, {"method": "request_states"})
        comm = of_type(msgs, "comm_msg")
        self.assertEqual(len(comm), 1)
        data = comm[0]["content"]["data"]
        self.assertEqual(data["method"], "update_states")
        entry = data["states"][model_id]
        self.assertEqual((entry["model_name"], entry["model_module"], entry["model_module_version"]), ("ImageModel", "@jupyter-widgets/controls", "2.0.0"))
        i = data["buffer_paths"].index([model_id, "state", "value"])
        self.assertEqual(bytes(comm[0]["buffers"][i]), bytes([137, 80, 78, 71, 0, 255]))
        layout = entry["state"]["layout"][len("IPY_MODEL_"):]
        self.assertEqual(data["states"][layout]["model_name"], "LayoutModel")

    def test_version_comm_of_protocol_1_is_answered(self):
        comm_id = uuid.uuid4().hex
        open_id = self.raw.send("comm_open", {"comm_id": comm_id, "target_name": "jupyter.widget.version", "data": {}})
        comm = of_type(self.k.iopub_until_idle(open_id), "comm_msg")
        self.assertEqual(comm[0]["content"]["data"], {"version": "~2.1.0"})

    # ---- custom messages, Button, Output -------------------------------------------------------

    def test_button_click_runs_the_callback_and_output_captures_what_it_prints(self):
        reply, _ = self.k.execute('const out = new W.Output();\nconst b = new W.Button({ description: "go" });\n'
                                  'b.onClick(() => out.capture(() => console.log("clicked", b.description)));\n[b.modelId, out.modelId]')
        ids = re.findall(r"'(\w+)'", self.k.value("[b.modelId, out.modelId]"))
        button_id, out_id = ids
        msg_id, msgs = self.send(button_id, {"method": "custom", "content": {"event": "click"}})
        # the Output widget's msg_id is set to the click's message, the print is a child of it, then reset
        kinds = [(m["msg_type"], m["content"].get("comm_id"), m["content"].get("data", {}).get("state") if m["msg_type"] == "comm_msg" else m["content"].get("text")) for m in msgs if m["msg_type"] in ("comm_msg", "stream")]
        self.assertEqual(kinds, [
            ("comm_msg", out_id, {"msg_id": msg_id}),
            ("stream", None, "clicked go\n"),
            ("comm_msg", out_id, {"msg_id": ""}),
        ])
        self.assertTrue(all(m["parent_header"]["msg_id"] == msg_id for m in msgs))

    def test_custom_messages_both_ways_with_buffers(self):
        reply, msgs = self.k.execute(
            'const aw = new W.AnyWidget({ esm: "export default { render({ model, el }) { el.textContent = String(model.get(\'count\')); } }", state: { count: 0 } });\n'
            "aw.onMsg((content, buffers) => aw.send({ got: content }, buffers.map((b) => Uint8Array.from(b).reverse())));\naw.modelId"
        )
        self.assertEqual(reply["status"], "ok", reply)
        opened = of_type(msgs, "comm_open")[-1]["content"]["data"]["state"]
        self.assertEqual((opened["_model_module"], opened["_model_name"], opened["_view_name"]), ("anywidget", "AnyModel", "AnyView"))
        self.assertIn("export default", opened["_esm"])
        model_id = of_type(msgs, "comm_open")[-1]["content"]["comm_id"]
        _, msgs = self.send(model_id, {"method": "custom", "content": {"ping": 1}}, [b"\x01\x02\x03"])
        comm = of_type(msgs, "comm_msg")
        self.assertEqual(comm[0]["content"]["data"], {"method": "custom", "content": {"got": {"ping": 1}}})
        self.assertEqual(bytes(comm[0]["buffers"][0]), b"\x03\x02\x01")
        # the user's own attribute syncs like a standard one
        self.send(model_id, {"method": "update", "state": {"count": 4}, "buffer_paths": []})
        self.assertEqual(self.k.value("aw.get('count')"), "4")

    # ---- camlab's views as portable widgets ----------------------------------------------------

    def test_a_camlab_view_as_a_widget_is_served_by_the_session_over_custom_messages(self):
        reply, msgs = self.k.execute(
            'camlab.setPortableViews("always");\n'
            "const net2 = (await import('@tensorflow/tfjs')).sequential({ layers: [\n"
            "  (await import('@tensorflow/tfjs')).layers.conv2d({ inputShape: [8, 8, 3], filters: 2, kernelSize: 3, name: 'conv' }),\n"
            "  (await import('@tensorflow/tfjs')).layers.flatten({ name: 'flat' }),\n"
            "  (await import('@tensorflow/tfjs')).layers.dense({ units: 2, name: 'out' }) ] });\n"
            "const hv = await camlab.heatmapView(net2, (await import('@tensorflow/tfjs')).ones([8, 8, 3]), { labels: ['a', 'b'] });\n"
            "display(hv);\n"
            'camlab.setPortableViews("auto");\n'
            "hv.handle"
        )
        self.assertEqual(reply["status"], "ok", reply.get("evalue"))
        handle = of_type(msgs, "execute_result")[0]["content"]["data"]["text/plain"].strip("'")
        opened = [m for m in of_type(msgs, "comm_open") if m["content"]["data"]["state"].get("_model_name") == "AnyModel"]
        self.assertEqual(len(opened), 1)
        state = opened[0]["content"]["data"]["state"]
        self.assertEqual(state["mime"], "application/vnd.camlab.heatmap+json")
        self.assertEqual(state["payload"]["session"]["handle"], handle)
        self.assertIn("export", state["_esm"])
        shown = of_type(msgs, "display_data")[-1]["content"]["data"]
        self.assertEqual(shown[VIEW_MIME]["model_id"], opened[0]["content"]["comm_id"])
        self.assertIn("application/vnd.camlab.heatmap+json", shown)
        self.assertIn("image/png", shown)
        # a session request through the widget: the same reply as on the camlab.session comm
        model_id = opened[0]["content"]["comm_id"]
        _, msgs = self.send(model_id, {"method": "custom", "content": {"session": {"id": "q1", "op": "cam.compute", "handle": handle, "args": {"method": "gradcam", "layer": "conv", "classIndex": 1}}}})
        replies = [m["content"]["data"]["content"]["session"] for m in of_type(msgs, "comm_msg") if m["content"]["data"].get("method") == "custom"]
        final = [r for r in replies if r.get("id") == "q1" and "ok" in r]
        self.assertEqual(len(final), 1, replies)
        self.assertTrue(final[0]["ok"], final[0])
        self.assertEqual(final[0]["op"], "cam.compute")
        # a bad request gets an error reply, through the widget too
        _, msgs = self.send(model_id, {"method": "custom", "content": {"session": {"id": "q2", "op": "no.such.op", "handle": handle}}})
        bad = [m["content"]["data"]["content"]["session"] for m in of_type(msgs, "comm_msg") if m["content"]["data"].get("method") == "custom"]
        self.assertEqual(bad[0]["error"]["code"], "bad_request")

    def test_displays_carry_no_widget_unless_a_widget_manager_connected(self):
        """nbclient, nbconvert and plain clients open no jupyter.widget.control comm: their outputs stay as they were."""
        self.assertEqual(self.k.value("camlab.portableViewsMode()"), "'auto'")
        # this kernel has seen a control comm in another test; a fresh one has not
        k2 = KernelUnderTest()
        try:
            reply, msgs = k2.execute(
                'import * as camlab from "camlab";\nimport * as tf from "@tensorflow/tfjs";\n'
                "const m = tf.sequential({ layers: [tf.layers.conv2d({ inputShape: [8, 8, 3], filters: 2, kernelSize: 3 }), tf.layers.flatten(), tf.layers.dense({ units: 2 })] });\n"
                "await camlab.showHeatmap(m, tf.ones([8, 8, 3]))"
            )
            self.assertEqual(reply["status"], "ok", reply.get("evalue"))
            self.assertEqual(of_type(msgs, "comm_open"), [])
            self.assertNotIn(VIEW_MIME, of_type(msgs, "display_data")[-1]["content"]["data"])
        finally:
            k2.close()

    def test_interrupt_stops_a_long_observer_and_the_kernel_takes_the_next_move(self):
        model_id, _ = self.make("busy", "new W.IntSlider({ max: 10 })")
        self.run_ok('let stoppedBy = "";\nbusy.observe(async () => {\n  try { for (let i = 0; i < 1e7; i++) await camlab.checkpoint("spin", i, 1e7); }\n'
                    '  catch (e) { stoppedBy = `${(e as Error).name}: ${(e as Error).message}`; throw e; }\n}, "value");')
        import time
        msg_id = self.raw.send("comm_msg", {"comm_id": model_id, "data": {"method": "update", "state": {"value": 3}, "buffer_paths": []}})
        time.sleep(1.0)
        t0 = time.monotonic()
        self.k.km.interrupt_kernel()
        self.k.iopub_until_idle(msg_id, timeout=15)
        took = time.monotonic() - t0
        self.assertLess(took, 10, "the observer stopped at its next checkpoint")
        self.assertRegex(self.k.value("stoppedBy"), r"Cancelled|KeyboardInterrupt|interrupted")
        self.assertEqual(self.k.value("busy.value"), "3")

    # ---- bad values ---------------------------------------------------------------------------

    def test_bad_values_from_a_cell_are_refused_with_the_expected_type(self):
        reply, _ = self.k.execute('const s4 = new W.IntSlider({ max: 10 });\ns4.value = "seven" as never;')
        self.assertEqual(reply["status"], "error")
        self.assertIn("IntSlider.value must be an integer", reply["evalue"])
        reply, _ = self.k.execute('new W.Dropdown({ options: ["a"], value: "b" })')
        self.assertIn('Dropdown.value "b" is not one of the options ("a")', reply["evalue"])

    def test_bad_values_from_the_front_end_leave_the_state_and_the_kernel_as_they_were(self):
        model_id, _ = self.make("s5", 'new W.IntSlider({ value: 2 })')
        _, msgs = self.send(model_id, {"method": "update", "state": {"value": "x", "nonsense": 1}, "buffer_paths": []})
        self.assertEqual(self.k.value("s5.value"), "2")
        _, msgs = self.send(model_id, {"method": "update", "state": {}, "buffer_paths": [["value"]]})  # names a buffer it lacks
        _, msgs = self.send(model_id, {"method": "no-such-method"})
        self.assertEqual(self.k.value("1 + 1"), "2")

    def test_messages_per_slider_move(self):
        """One move = one update from the front end, answered by one echo_update (no observer)."""
        model_id, _ = self.make("s6", 'new W.IntSlider({ value: 0, max: 100 })')
        counts = []
        for v in range(1, 6):
            _, msgs = self.send(model_id, {"method": "update", "state": {"value": v}, "buffer_paths": []})
            counts.append(len(of_type(msgs, "comm_msg")))
        self.assertEqual(counts, [1] * 5)
        self.assertEqual(self.k.value("s6.value"), "5")


if __name__ == "__main__":
    unittest.main()
