// Re-executes the teaching notebooks in notebooks/ in place, so the committed copies carry the
// outputs of a fresh run (pictures included). Same kernel, same Jupyter environment as
// `npm test -- notebooks` (the project-local .jupyter/), through nbclient under /usr/bin/python3.
//
//   node scripts/run-notebooks.mjs                      all notebooks
//   node scripts/run-notebooks.mjs 02 notebooks/03-…    only those (a path or a name prefix)
//
// A notebook that raises (outside cells tagged raises-exception) is not written back; the script
// then exits non-zero. Cell timing metadata is not recorded, so a re-run only changes outputs.
import { existsSync, readdirSync, statSync } from "node:fs";
import path from "node:path";
import { spawnSync } from "node:child_process";
import { repoRoot, jupyterEnv, installKernelspec, ensureSystemPackages, ensureNodeModules, run, log, PYTHON } from "./lib/setup.mjs";

const notebooksDir = path.join(repoRoot, "notebooks");
const all = readdirSync(notebooksDir).filter((f) => f.endsWith(".ipynb")).sort();
const args = process.argv.slice(2);
const picked = args.length === 0 ? all : args.map((a) => {
  const base = path.basename(a);
  const hits = all.filter((f) => f === base || f.startsWith(base));
  if (hits.length !== 1) {
    console.error(`run-notebooks: "${a}" matches ${hits.length === 0 ? "no notebook" : hits.join(", ")}; notebooks: ${all.join(", ")}`);
    process.exit(2);
  }
  return hits[0];
});

ensureSystemPackages({ needBrowser: false });
ensureNodeModules();
// Only the kernel is needed (not the JupyterLab extension): build it when its sources are newer.
const newest = (dir) => readdirSync(dir, { withFileTypes: true, recursive: true })
  .filter((e) => e.isFile())
  .reduce((m, e) => Math.max(m, statSync(path.join(e.parentPath ?? e.path, e.name)).mtimeMs), 0);
const kernelOut = path.join(repoRoot, "kernel", "dist", "src", "index.js");
if (!existsSync(kernelOut) || statSync(kernelOut).mtimeMs < newest(path.join(repoRoot, "kernel", "src"))) {
  log("building kernel (tsc)");
  run(process.execPath, [path.join(repoRoot, "node_modules", "typescript", "bin", "tsc"), "-p", "kernel/tsconfig.json"]);
}
installKernelspec();

const EXECUTE = `
import sys, time
import nbformat
from nbclient import NotebookClient
path = sys.argv[1]
nb = nbformat.read(path, as_version=4)
client = NotebookClient(nb, kernel_name="camlab", timeout=600, record_timing=False,
                        resources={"metadata": {"path": sys.argv[2]}})
start = time.monotonic()
client.execute()
nbformat.write(nb, path)
print(f"{time.monotonic() - start:.1f}")
`;

let failed = 0;
for (const name of picked) {
  const file = path.join(notebooksDir, name);
  log(`executing ${name}`);
  const r = spawnSync(PYTHON, ["-c", EXECUTE, file, notebooksDir], { cwd: repoRoot, env: jupyterEnv(), encoding: "utf8" });
  if (r.status === 0) {
    log(`${name}: ${r.stdout.trim().split("\n").pop()} s, written back`);
  } else {
    failed++;
    process.stderr.write(r.stderr.slice(-6000));
    log(`${name}: FAILED (left unchanged)`);
  }
}
process.exit(failed ? 1 : 0);
