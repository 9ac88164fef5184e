#!/usr/bin/env bash
# Protocol tests of the camlab kernel: installs the kernelspec into a prefix inside the checkout,
# keeps every bit of Jupyter state under .jupyter/, and runs the Python (jupyter_client) tests.
# Needs the kernel built (kernel/dist) and Debian's Jupyter packages (see ENVIRONMENT.md).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
if [ ! -f kernel/dist/src/jupyter/cli.js ]; then
  echo "kernel/dist is missing: building the kernel package first" >&2
  npm run build -w kernel
fi
J="$ROOT/.jupyter"
mkdir -p "$J/prefix" "$J/data" "$J/runtime" "$J/config" "$J/ipython"
node kernel/bin/camlab.js install --prefix "$J/prefix"
export JUPYTER_PATH="$J/prefix/share/jupyter"
export JUPYTER_DATA_DIR="$J/data"
export JUPYTER_RUNTIME_DIR="$J/runtime"
export JUPYTER_CONFIG_DIR="$J/config"
export IPYTHONDIR="$J/ipython"
export PYDEVD_DISABLE_FILE_VALIDATION=1
exec /usr/bin/python3 -m unittest discover -s test/protocol -v "$@"
