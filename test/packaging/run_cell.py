"""Runs one code cell (read from stdin) in a new notebook with the kernelspec named by argv[1], in
the folder argv[2], through nbclient -- the real Jupyter client, as test/notebooks does -- and
prints {"outputs", "language_info", "seconds"} as JSON. Which kernelspecs exist is the caller's
environment's business (JUPYTER_PATH): the packaging tests point it at a freshly installed one.
"""
import json
import sys
import time

import nbformat
from nbclient import NotebookClient


def main():
    kernel_name, cwd = sys.argv[1], sys.argv[2]
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(sys.stdin.read())]
    client = NotebookClient(nb, kernel_name=kernel_name, timeout=300, record_timing=False,
                            resources={"metadata": {"path": cwd}}, allow_errors=True)
    start = time.monotonic()
    client.execute()
    print(json.dumps({
        "outputs": nb.cells[0].outputs,
        "language_info": nb.metadata.get("language_info", {}),
        "seconds": time.monotonic() - start,
    }))


if __name__ == "__main__":
    main()
