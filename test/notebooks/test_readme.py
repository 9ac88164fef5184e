"""Keeps the README true: its TypeScript examples (the ```ts blocks, in order, as one notebook)
run in the camlab kernel through nbclient without an error, and the widgets they show come out
as camlab MIME outputs."""
import re
import unittest
from pathlib import Path

import nbformat
from nbclient import NotebookClient

from test_notebooks import ROOT, use_project_jupyter_env


class ReadmeExamples(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        use_project_jupyter_env()

    def test_readme_typescript_examples_run(self):
        text = (ROOT / "README.md").read_text(encoding="utf-8")
        blocks = re.findall(r"```ts\n(.*?)```", text, flags=re.S)
        self.assertGreaterEqual(len(blocks), 2, "the README's tour has TypeScript examples")
        nb = nbformat.v4.new_notebook()
        nb.cells = [nbformat.v4.new_code_cell(b) for b in blocks]
        nb.metadata["kernelspec"] = {"name": "camlab", "display_name": "TypeScript (camlab)", "language": "typescript"}
        # Run where the notebooks live, as a user following the README would.
        NotebookClient(nb, kernel_name="camlab", timeout=300, allow_errors=True,
                       resources={"metadata": {"path": str(ROOT / "notebooks")}}).execute()
        outputs = [o for c in nb.cells for o in c.outputs]
        errors = [f"{o.get('ename')}: {o.get('evalue')}" for o in outputs if o.output_type == "error"]
        self.assertEqual(errors, [], "README examples fail")
        stderr = [o.text[:300] for o in outputs if o.output_type == "stream" and o.name == "stderr"]
        self.assertEqual(stderr, [], "README examples write to stderr")
        mimes = {m for o in outputs for m in o.get("data", {})}
        for kind in ("heatmap", "activations", "layers"):
            self.assertIn(f"application/vnd.camlab.{kind}+json", mimes)


if __name__ == "__main__":
    unittest.main()
