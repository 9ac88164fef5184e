"""Executes test/protocol/smoke.ipynb with `jupyter nbconvert --execute` and the camlab kernel, from
a copy in a temporary folder outside the repository, and checks every cell's outputs:
1+1, a custom MIME bundle via display(), an error (tagged raises-exception), and a comm round trip
that nbclient itself takes part in (it mimics the ipywidgets Output widget's front end: it records
the kernel's comm_open with its binary buffer in the notebook's widget metadata, and sends the
captured output back to the kernel as a comm_msg, which the last cell reports)."""
import base64
import os
import shutil
import subprocess
import tempfile
import unittest

import nbformat

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
ARTIFACTS = os.path.join(ROOT, ".test-artifacts", "protocol")


class SmokeNotebookTest(unittest.TestCase):
    def test_smoke_notebook_executes_through_nbconvert(self):
        workdir = tempfile.mkdtemp(prefix="camlab-smoke-")
        shutil.copy(os.path.join(HERE, "smoke.ipynb"), workdir)
        os.makedirs(ARTIFACTS, exist_ok=True)
        run = subprocess.run(
            [
                "/usr/bin/jupyter", "nbconvert", "--execute", "--to", "notebook",
                "--ExecutePreprocessor.kernel_name=camlab", "--ExecutePreprocessor.timeout=120",
                "--output-dir", ARTIFACTS, "--output", "smoke.executed.ipynb",
                os.path.join(workdir, "smoke.ipynb"),
            ],
            cwd=workdir, capture_output=True, text=True, timeout=300,
        )
        self.assertEqual(run.returncode, 0, f"nbconvert failed:\n{run.stderr[-4000:]}")
        nb = nbformat.read(os.path.join(ARTIFACTS, "smoke.executed.ipynb"), as_version=4)
        code = [c for c in nb.cells if c.cell_type == "code"]
        self.assertEqual(len(code), 5)

        one_plus_one = code[0].outputs
        self.assertEqual([(o.output_type, o.data["text/plain"]) for o in one_plus_one], [("execute_result", "2")])

        shown = [o for o in code[1].outputs if o.output_type == "display_data"]
        self.assertEqual(len(shown), 1)
        self.assertEqual(shown[0].data["application/vnd.camlab.smoke+json"], {"label": "smoke"})
        self.assertEqual(shown[0].data["text/html"], '<span class="badge">smoke</span>')
        self.assertEqual(shown[0].data["text/plain"], "Badge(smoke)")
        self.assertEqual([o.output_type for o in code[1].outputs], ["display_data"])  # no echo of the handle

        errors = [o for o in code[2].outputs if o.output_type == "error"]
        self.assertEqual([(e.ename, e.evalue) for e in errors], [("Error", "an expected failure")])

        # Kernel -> front end: the widget comm_open reached nbclient, binary buffer included.
        widgets = nb.metadata["widgets"]["application/vnd.jupyter.widget-state+json"]["state"]
        self.assertEqual(len(widgets), 1)
        (widget,) = widgets.values()
        self.assertEqual(widget["model_name"], "OutputModel")
        self.assertEqual([(b["path"], base64.b64decode(b["data"])) for b in widget["buffers"]], [(["blob"], b"camlab")])
        # The output went into the widget (captured by the front end), not into the cell.
        self.assertEqual(widget["state"]["outputs"][0]["text"], "captured by the front end's output widget\n")
        self.assertEqual([o for o in code[3].outputs if o.output_type == "stream"], [])

        # Front end -> kernel: the widget's comm_msg was received by the kernel's onMsg.
        report = code[4].outputs[0].data["text/plain"]
        self.assertEqual(report, "\"1 message(s); update: captured by the front end's output widget\\n\"")


if __name__ == "__main__":
    unittest.main()
