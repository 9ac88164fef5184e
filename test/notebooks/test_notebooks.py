"""Executes every notebook in notebooks/ with the camlab kernel through nbclient (a real Jupyter
client talking to the real kernel), and checks that

* no cell produced an error output, and no cell wrote to stderr (cells tagged
  ``raises-exception`` must produce an error, and may);
* the MIME types the notebook promises in its metadata (``metadata.camlab.expect_mime``, a list,
  required) are among its outputs;
* the run's time is printed (a number to read, not a pass/fail: the machine's load decides it;
  CAMLAB_NOTEBOOK_BUDGET=<seconds> makes it a limit for whoever wants one);
* the committed notebook carries the outputs of a fresh run: per code cell, the same kinds of
  outputs (output type, MIME types, stream names) as the run here. Refresh them with
  ``node scripts/run-notebooks.mjs [name]``.

The notebooks run side by side, CAMLAB_NOTEBOOK_JOBS at a time (default: the number of cores, at
most 4): each kernel computes on one core, so on two cores the suite takes about half as long.
CAMLAB_NOTEBOOK_JOBS=1 runs them one by one, in the test's own process (for ``-k`` on one
notebook: the pool starts every notebook).

Executed copies go to .test-artifacts/notebooks/ for inspection (also when a check fails); the
committed notebooks are not modified. Run by ``npm test -- notebooks``; runs on its own as well
(``/usr/bin/python3 -m unittest discover -s test/notebooks``), with the project-local Jupyter
environment of scripts/lib/setup.mjs filled in when the caller did not set it.
"""
import os
import time
import unittest
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = ROOT / "notebooks"
ARTIFACTS = ROOT / ".test-artifacts" / "notebooks"
BUDGET_SECONDS = float(os.environ["CAMLAB_NOTEBOOK_BUDGET"]) if os.environ.get("CAMLAB_NOTEBOOK_BUDGET") else None


def use_project_jupyter_env():
    """The same Jupyter state as scripts/lib/setup.mjs jupyterEnv(), unless already set."""
    if "JUPYTER_PATH" in os.environ:
        return
    base = ROOT / ".jupyter"
    os.environ.update({
        "JUPYTER_PATH": str(base / "prefix" / "share" / "jupyter"),
        "JUPYTER_DATA_DIR": str(base / "data"),
        "JUPYTER_RUNTIME_DIR": str(base / "runtime"),
        "JUPYTER_CONFIG_DIR": str(base / "config"),
        "IPYTHONDIR": str(base / "ipython"),
        "PYDEVD_DISABLE_FILE_VALIDATION": "1",
        "JUPYTER_PLATFORM_DIRS": "1",
    })
    for key in ("JUPYTER_DATA_DIR", "JUPYTER_RUNTIME_DIR", "JUPYTER_CONFIG_DIR", "IPYTHONDIR"):
        Path(os.environ[key]).mkdir(parents=True, exist_ok=True)


def execute(path: Path):
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(
        nb,
        kernel_name="camlab",
        timeout=600,
        record_timing=False,
        resources={"metadata": {"path": str(path.parent)}},
        # Run every cell even after a failure, so the report lists all errors at once.
        allow_errors=True,
    )
    start = time.monotonic()
    try:
        client.execute()
    finally:
        seconds = time.monotonic() - start
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        nbformat.write(nb, ARTIFACTS / path.name)
    return nb, seconds


def execute_to_json(path_str: str):
    """execute() in a worker process: the notebook travels back as JSON."""
    nb, seconds = execute(Path(path_str))
    return nbformat.writes(nb), seconds


JOBS = int(os.environ.get("CAMLAB_NOTEBOOK_JOBS") or min(4, os.cpu_count() or 1))
_runs = {}


def start_all(paths):
    """Starts every notebook's execution at once in a pool of JOBS processes; each test then waits
    for its own notebook. Submitted by name, so the pool runs 01, 02, ... in order."""
    pool = ProcessPoolExecutor(max_workers=JOBS)
    for p in paths:
        _runs[p] = pool.submit(execute_to_json, str(p))
    return pool


def executed(path: Path):
    if path not in _runs:  # CAMLAB_NOTEBOOK_JOBS=1: no pool, execute it here
        return execute(path)
    text, seconds = _runs[path].result()
    return nbformat.reads(text, as_version=4), seconds


def code_cells(nb):
    return [(i, cell) for i, cell in enumerate(nb.cells) if cell.cell_type == "code"]


def tags(cell):
    return cell.get("metadata", {}).get("tags", [])


def output_kinds(cell):
    """What a cell showed, without the values: ("stream", name) / (output type, MIME types).
    Consecutive stream outputs of one name count once (how a kernel splits its stdout into
    messages depends on timing)."""
    kinds = []
    for out in cell.get("outputs", []):
        if out.output_type == "stream":
            kind = ("stream", out.name)
        elif out.output_type == "error":
            kind = ("error",)
        else:
            kind = (out.output_type, tuple(sorted(out.get("data", {}))))
        if not (kind[0] == "stream" and kinds and kinds[-1] == kind):
            kinds.append(kind)
    return kinds


class NotebookTests(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        use_project_jupyter_env()
        cls.pool = start_all(NOTEBOOK_PATHS) if JOBS > 1 else None

    @classmethod
    def tearDownClass(cls):
        if cls.pool:
            cls.pool.shutdown(cancel_futures=True)


def make_test(path: Path):
    def test(self):
        committed = nbformat.read(path, as_version=4)
        expected = committed.metadata.get("camlab", {}).get("expect_mime")
        self.assertIsInstance(expected, list, f"{path.name}: metadata.camlab.expect_mime (a list of MIME types) is missing")

        nb, seconds = executed(path)
        cells = code_cells(nb)
        errors = [
            f"cell {i}: {out.get('ename')}: {out.get('evalue')}"
            for i, cell in cells
            if "raises-exception" not in tags(cell)
            for out in cell.get("outputs", [])
            if out.get("output_type") == "error"
        ]
        self.assertEqual(errors, [], f"{path.name} produced errors (executed copy in {ARTIFACTS})")
        silent = [i for i, cell in cells if "raises-exception" in tags(cell) and not any(o.output_type == "error" for o in cell.outputs)]
        self.assertEqual(silent, [], f"{path.name}: cells tagged raises-exception did not raise")
        stderr = [f"cell {i}: {out.text.strip()[:300]}" for i, cell in cells for out in cell.outputs if out.output_type == "stream" and out.name == "stderr"]
        self.assertEqual(stderr, [], f"{path.name} wrote to stderr")

        mimes = {m for _, cell in cells for out in cell.outputs for m in out.get("data", {})}
        missing = [m for m in expected if m not in mimes]
        self.assertEqual(missing, [], f"{path.name} lacks expected outputs; it produced {sorted(mimes)}")
        if BUDGET_SECONDS is not None:
            self.assertLess(seconds, BUDGET_SECONDS, f"{path.name} took {seconds:.0f} s (CAMLAB_NOTEBOOK_BUDGET {BUDGET_SECONDS:.0f} s)")

        stale = [
            f"cell {i}: committed {output_kinds(old)} vs fresh run {output_kinds(new)}"
            for (i, old), (_, new) in zip(code_cells(committed), cells)
            if output_kinds(old) != output_kinds(new)
        ]
        self.assertEqual(stale, [], f"{path.name}: the committed outputs are not those of a fresh run; "
                                    f"refresh them with `node scripts/run-notebooks.mjs {path.stem}`")
        print(f"{path.name}: {seconds:.1f} s, {sum(len(c.outputs) for _, c in cells)} outputs")

    return test


def test_name(path: Path):
    return f"test_{path.stem.replace('-', '_')}"


NOTEBOOK_PATHS = sorted(NOTEBOOKS.glob("*.ipynb"))
for nb_path in NOTEBOOK_PATHS:
    setattr(NotebookTests, test_name(nb_path), make_test(nb_path))

if __name__ == "__main__":
    unittest.main()
