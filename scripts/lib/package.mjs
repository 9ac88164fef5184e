// The two artefacts users install, built from what is already compiled in the checkout:
//   - the Python wheel carrying the prebuilt JupyterLab extension (extension/pyproject.toml:
//     extension/build/labextensions/camlab-extension → share/jupyter/labextensions/camlab-extension),
//     built offline by hatchling through `python3 -m build --no-isolation`;
//   - the npm tarball of the kernel package `camlab` (`npm pack -w kernel`).
// `npm run package` (scripts/package.mjs) builds first and then calls these; the packaging tests
// (test/packaging) call them on the current build, so both test what a release would ship.
import { spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { PYTHON, repoRoot, staleKernelOutputs } from "./setup.mjs";

export const EXTENSION_DIR = path.join(repoRoot, "extension");
export const KERNEL_DIR = path.join(repoRoot, "kernel");
/** The prebuilt extension the wheel ships (the extension's `jupyterlab.outputDir`). */
export const LABEXTENSION_BUILD = path.join(EXTENSION_DIR, "build", "labextensions", "camlab-extension");
/**
 * Kernel files that are build outputs of the extension (its portable views, bundled by
 * `npm run build:portable -w camlab-extension`; git ignores them) yet run-time files of the
 * kernel package (kernel/src/views/portable.ts reads them).
 */
export const KERNEL_BUILT_ASSETS = ["assets/portable/camlab-views.mjs", "assets/portable/camlab-views.css"];

/** What `import build, hatchling` needs, per Debian package, for the message when it fails. */
const WHEEL_TOOLS = "python3-build python3-hatchling (Debian/Ubuntu), or `pip install build hatchling`";

/**
 * The first Python that can build the wheel offline (imports `build` and `hatchling`):
 * CAMLAB_PYTHON when set, else Debian's /usr/bin/python3, else `python3` on PATH; null if none.
 */
export function findWheelPython(candidates = process.env.CAMLAB_PYTHON ? [process.env.CAMLAB_PYTHON] : [PYTHON, "python3"]) {
  for (const python of candidates) {
    if (python.startsWith("/") && !existsSync(python)) continue;
    const r = spawnSync(python, ["-c", "import build, hatchling"], { encoding: "utf8" });
    if (r.status === 0) return python;
  }
  return null;
}

function check(r, what) {
  if (r.error) throw new Error(`${what} could not start: ${r.error.message}`);
  if (r.status !== 0) throw new Error(`${what} failed (exit ${r.status ?? r.signal}):\n${r.stdout ?? ""}\n${r.stderr ?? ""}`);
  return r;
}

/**
 * Builds the wheel into `outDir` from the current extension build; returns its path.
 * `--no-isolation` uses the hatchling that is installed (PyPI may be unreachable);
 * `--skip-dependency-check` because Debian's hatchling declares `editables`, which only editable
 * installs use and Debian does not package.
 */
export function buildWheel(outDir, { python = findWheelPython() } = {}) {
  if (!python) throw new Error(`building the wheel needs a Python with build and hatchling: ${WHEEL_TOOLS}`);
  for (const f of ["package.json", "install.json"]) {
    if (!existsSync(path.join(LABEXTENSION_BUILD, f))) {
      throw new Error(`${path.join(LABEXTENSION_BUILD, f)} is missing: build the extension first (npm run build -w camlab-extension)`);
    }
  }
  mkdirSync(outDir, { recursive: true });
  const before = new Set(readdirSync(outDir));
  const r = check(
    spawnSync(python, ["-m", "build", "--wheel", "--no-isolation", "--skip-dependency-check", "--outdir", outDir, EXTENSION_DIR], {
      cwd: EXTENSION_DIR,
      encoding: "utf8",
    }),
    "python -m build --wheel",
  );
  const name = r.stdout.match(/Successfully built (\S+\.whl)/)?.[1] ?? readdirSync(outDir).find((f) => f.endsWith(".whl") && !before.has(f));
  if (!name) throw new Error(`python -m build reported no wheel:\n${r.stdout}`);
  // build writes it through a private temp file (mode 0600); a release file is for everyone to read.
  chmodSync(path.join(outDir, name), 0o644);
  return path.join(outDir, name);
}

/**
 * `npm pack`s the kernel package into `outDir`; returns { file, size, unpackedSize, entryCount,
 * files } from npm's own report. Refuses to pack without the portable views or with stale
 * compiled files.
 */
export function packKernel(outDir) {
  if (!existsSync(path.join(KERNEL_DIR, "dist", "src", "index.js"))) {
    throw new Error("kernel/dist/src is missing: build the kernel first (npm run build -w camlab)");
  }
  const missing = KERNEL_BUILT_ASSETS.filter((f) => !existsSync(path.join(KERNEL_DIR, f)));
  if (missing.length) {
    throw new Error(`kernel/${missing.join(", kernel/")} missing: build the portable views first (npm run build:lib -w camlab-extension && npm run build:portable -w camlab-extension)`);
  }
  const stale = staleKernelOutputs().filter((f) => f.startsWith(`src${path.sep}`));
  if (stale.length) {
    throw new Error(`kernel/dist holds compiled files whose source is gone (${stale.join(", ")}); the build (scripts/lib/setup.mjs buildAll) removes them`);
  }
  mkdirSync(outDir, { recursive: true });
  const r = check(
    spawnSync("npm", ["pack", "-w", "kernel", "--json", "--pack-destination", outDir], { cwd: repoRoot, encoding: "utf8" }),
    "npm pack -w kernel",
  );
  const [report] = JSON.parse(r.stdout.slice(r.stdout.indexOf("[")));
  return {
    file: path.join(outDir, report.filename),
    size: report.size,
    unpackedSize: report.unpackedSize,
    entryCount: report.entryCount,
    files: report.files.map((f) => f.path),
  };
}

/** Version strings of the two packages, from their package.json files. */
export function versions() {
  const read = (dir) => JSON.parse(readFileSync(path.join(dir, "package.json"), "utf8")).version;
  return { extension: read(EXTENSION_DIR), kernel: read(KERNEL_DIR) };
}
