// The packages as users install them (`npm test -- packaging`): both artefacts are built from the
// current build (scripts/lib/package.mjs, as `npm run package` builds them) and installed into
// fresh temporary prefixes by the usual installers, then used by the real Jupyter parts.
//
//   wheel    python -m installer --prefix <tmp>  →  the lab server (extension/lab), given ONLY that
//            prefix's share/jupyter/labextensions, lists camlab-extension in its page config,
//            serves its remoteEntry, and in Chromium a camlab output renders with the extension.
//   tarball  npm pack → npm install <tgz> in a fresh project outside the checkout (no
//            node_modules above it) → npx camlab install --prefix <tmp> → nbclient runs a cell
//            with that kernelspec alone (JUPYTER_PATH = that prefix): camlab and tfjs load from the
//            installed package and compute a Grad-CAM, and the portable views' bundle is there.
//            The Chromium test runs the same kernel.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { after, before, test } from "node:test";
import { buildWheel, KERNEL_BUILT_ASSETS, LABEXTENSION_BUILD, packKernel, versions } from "../../scripts/lib/package.mjs";
import { PYTHON } from "../../scripts/lib/setup.mjs";
import { notebook, openLab, openNotebook, runAllCells, screenshot, startLab, waitInPage } from "../browser/harness.mjs";

const HERE = path.dirname(fileURLToPath(import.meta.url));
const EXT_NAME = "camlab-extension";
const LAYERS_MIME = "application/vnd.camlab.layers+json";

const tmp = mkdtempSync(path.join(os.tmpdir(), "camlab-packaging-"));
const timings = {};
let wheel; // path of the .whl
let labextensionsDir; // <wheel prefix>/.../share/jupyter/labextensions, as the installer laid it out
let tarball; // packKernel's report
let project; // the fresh npm project holding node_modules/camlab
let kernelJupyterPath; // <kernel prefix>/share/jupyter, holding kernels/camlab

/** The environment for npm in the fresh project: none of the npm_* settings of the `npm test` running us. */
function npmEnv() {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("npm_") || k === "npm_config_cache"));
  return { ...env, NO_UPDATE_NOTIFIER: "1" };
}

function run(cmd, args, opts = {}) {
  const t0 = Date.now();
  const r = spawnSync(cmd, args, { encoding: "utf8", maxBuffer: 64 * 1024 * 1024, ...opts });
  assert.equal(r.status, 0, `${cmd} ${args.join(" ")} failed (${r.error?.message ?? `exit ${r.status}`}):\n${r.stdout}\n${r.stderr}`);
  return { ...r, ms: Date.now() - t0 };
}

function time(label, fn) {
  const t0 = Date.now();
  const value = fn();
  timings[label] = Date.now() - t0;
  return value;
}

/** Where `python -m installer --prefix p` puts a wheel's data files: sysconfig's "data" path for base p. */
function installerDataDir(prefix) {
  const r = run(PYTHON, ["-c", "import sys, sysconfig; print(sysconfig.get_paths(vars={'base': sys.argv[1], 'platbase': sys.argv[1]})['data'])", prefix]);
  return r.stdout.trim();
}

/** Jupyter folders of a client run, inside the test's temp folder; JUPYTER_PATH holds `jupyterPath` only. */
function jupyterEnv(jupyterPath, name) {
  const base = path.join(tmp, `jupyter-${name}`);
  const dirs = { HOME: "home", JUPYTER_DATA_DIR: "data", JUPYTER_RUNTIME_DIR: "runtime", JUPYTER_CONFIG_DIR: "config", IPYTHONDIR: "ipython" };
  const env = { ...process.env, JUPYTER_PATH: jupyterPath, JUPYTER_PLATFORM_DIRS: "1", PYDEVD_DISABLE_FILE_VALIDATION: "1" };
  for (const [key, sub] of Object.entries(dirs)) mkdirSync((env[key] = path.join(base, sub)), { recursive: true });
  return env;
}

before(() => {
  // The fresh project must stand alone: a node_modules above it would let node resolve packages
  // the tarball does not bring.
  for (let dir = tmp; path.dirname(dir) !== dir; dir = path.dirname(dir)) {
    assert.ok(!existsSync(path.join(dir, "node_modules")), `${dir}/node_modules exists above the test project; set TMPDIR to a folder without one`);
  }

  // The wheel, from the current extension build, installed the way pip would lay it out.
  wheel = time("wheel build", () => buildWheel(path.join(tmp, "dist")));
  const wheelPrefix = path.join(tmp, "python-prefix");
  time("wheel install", () => run(PYTHON, ["-m", "installer", "--prefix", wheelPrefix, wheel]));
  labextensionsDir = path.join(installerDataDir(wheelPrefix), "share", "jupyter", "labextensions");

  // The tarball, installed into a fresh project from npm's cache (filled by `npm ci`).
  tarball = time("npm pack", () => packKernel(path.join(tmp, "dist")));
  project = path.join(tmp, "project");
  mkdirSync(project);
  writeFileSync(path.join(project, "package.json"), `${JSON.stringify({ name: "camlab-user-project", private: true }, null, 2)}\n`);
  time("npm install", () => run("npm", ["install", "--prefer-offline", "--no-audit", "--no-fund", tarball.file], { cwd: project, env: npmEnv() }));
  const kernelPrefix = path.join(tmp, "kernel-prefix");
  time("camlab install", () => run("npx", ["--no-install", "camlab", "install", "--prefix", kernelPrefix], { cwd: project, env: npmEnv() }));
  kernelJupyterPath = path.join(kernelPrefix, "share", "jupyter");
});

after(() => {
  const mb = (n) => `${(n / 1024 / 1024).toFixed(2)} MB`;
  if (wheel && existsSync(wheel)) console.log(`# wheel ${path.basename(wheel)}: ${mb(statSync(wheel).size)}`);
  if (tarball) console.log(`# tarball ${path.basename(tarball.file)}: ${mb(tarball.size)}, ${tarball.entryCount} files, ${mb(tarball.unpackedSize)} unpacked`);
  console.log(`# times (ms): ${JSON.stringify(timings)}`);
  if (process.env.CAMLAB_KEEP_TEST_DIRS !== "1") rmSync(tmp, { recursive: true, force: true });
});

test("the wheel installs the prebuilt extension, with install.json naming the wheel's distribution", () => {
  const installed = path.join(labextensionsDir, EXT_NAME);
  const pkg = JSON.parse(readFileSync(path.join(installed, "package.json"), "utf8"));
  assert.equal(pkg.name, EXT_NAME);
  assert.equal(pkg.version, versions().extension);
  assert.ok(pkg.jupyterlab?._build?.load, "package.json carries the builder's _build.load (a prebuilt extension)");
  // Exactly the build output: one remoteEntry (no stale chunks of earlier builds), same files.
  const entries = readdirSync(path.join(installed, "static")).filter((f) => /^remoteEntry\..*\.js$/.test(f));
  assert.deepEqual(entries, [path.basename(pkg.jupyterlab._build.load)]);
  assert.deepEqual(readdirSync(installed, { recursive: true }).map(String).sort(), readdirSync(LABEXTENSION_BUILD, { recursive: true }).map(String).sort());

  const install = JSON.parse(readFileSync(path.join(installed, "install.json"), "utf8"));
  const [, distribution, version] = path.basename(wheel).match(/^([^-]+)-([^-]+)-py3-none-any\.whl$/) ?? [];
  assert.equal(version, versions().extension, "the wheel's version is the extension's package.json version");
  assert.equal(install.packageManager, "python");
  // Wheel file names normalise "-" to "_"; the distribution name pip takes is camlab-extension.
  assert.equal(install.packageName.replace(/-/g, "_"), distribution);
  assert.match(install.uninstallInstructions, new RegExp(`pip uninstall ${install.packageName}`));

  // Data only: nothing but the labextension and the dist-info (no Python modules).
  const listing = run(PYTHON, ["-c", "import sys, zipfile; print('\\n'.join(zipfile.ZipFile(sys.argv[1]).namelist()))", wheel]).stdout.trim().split("\n");
  const outside = listing.filter((f) => !f.startsWith(`${distribution}-${version}.data/data/share/jupyter/labextensions/${EXT_NAME}/`) && !f.startsWith(`${distribution}-${version}.dist-info/`));
  assert.deepEqual(outside, []);
});

test("the npm tarball holds the kernel's runtime files only", () => {
  const files = tarball.files;
  for (const f of ["package.json", "README.md", "LICENSE", "bin/camlab.js", "dist/src/index.js", "dist/src/index.d.ts", "dist/src/jupyter/cli.js", "assets/logo-32x32.png", "assets/logo-64x64.png", "assets/images/chelsea.png", ...KERNEL_BUILT_ASSETS]) {
    assert.ok(files.includes(f), `${f} is in the tarball`);
  }
  assert.deepEqual(files.filter((f) => !/^(bin|dist\/src|assets)\//.test(f) && !["package.json", "README.md", "LICENSE"].includes(f)), [], "only bin, dist/src, assets, package.json, README.md, LICENSE");
  assert.deepEqual(files.filter((f) => f.endsWith(".map") || (f.endsWith(".ts") && !f.endsWith(".d.ts"))), [], "no source maps or TypeScript sources");
  // Lean: ~0.5 MB today; a jump means something unintended got in.
  assert.ok(tarball.size < 2 * 1024 * 1024, `tarball is ${tarball.size} bytes`);
  const installed = JSON.parse(readFileSync(path.join(project, "node_modules", "camlab", "package.json"), "utf8"));
  assert.equal(installed.version, versions().kernel);
});

test("npx camlab install writes a kernelspec that runs the installed package", () => {
  const dir = path.join(kernelJupyterPath, "kernels", "camlab");
  const spec = JSON.parse(readFileSync(path.join(dir, "kernel.json"), "utf8"));
  assert.equal(spec.display_name, "TypeScript (camlab)");
  assert.deepEqual(spec.argv, [process.execPath, path.join(project, "node_modules", "camlab", "bin", "camlab.js"), "kernel", "{connection_file}"]);
  for (const logo of ["logo-32x32.png", "logo-64x64.png"]) assert.ok(existsSync(path.join(dir, logo)), `${logo} copied`);
});

test("a notebook runs with the installed kernel alone (nbclient): camlab and tfjs from the tarball compute a Grad-CAM", () => {
  const cell = `import * as tf from "@tensorflow/tfjs";
import * as camlab from "camlab";
const backend = (await camlab.backendInfo()).name;
const net = camlab.buildShapesClassifier({ size: 16, seed: 3 });
const x = tf.randomUniform([1, 16, 16, 3], 0, 1, "float32", 7);
const r = await camlab.cam(net, x, { layer: "last_conv" });
const heat = await r.heatmap.data();
console.log(JSON.stringify({
  kernel: process.argv[1],
  version: require("camlab/package.json").version,
  tfjs: require.resolve("@tensorflow/tfjs"),
  backend,
  sum: tf.tensor([1, 2, 3.5]).sum().dataSync()[0],
  shape: r.heatmap.shape,
  max: Math.max(...heat),
  min: Math.min(...heat),
  portableViews: camlab.portableAssets().esm.length,
}));
r.dispose();`;
  const r = time("nbclient cell", () =>
    run(PYTHON, [path.join(HERE, "run_cell.py"), "camlab", project], { input: cell, env: jupyterEnv(kernelJupyterPath, "nbclient") }),
  );
  const { outputs, language_info: info } = JSON.parse(r.stdout.trim().split("\n").pop());
  assert.equal(info.name, "typescript", "kernel_info came from the camlab kernel");
  assert.deepEqual(outputs.filter((o) => o.output_type === "error" || o.name === "stderr"), [], "no errors, nothing on stderr");
  const printed = JSON.parse(outputs.filter((o) => o.name === "stdout").map((o) => o.text).join("").trim());
  const installed = path.join(project, "node_modules");
  assert.equal(printed.kernel, path.join(installed, "camlab", "bin", "camlab.js"));
  assert.equal(printed.version, versions().kernel);
  assert.ok(printed.tfjs.startsWith(installed + path.sep), `tfjs from the project: ${printed.tfjs}`);
  assert.equal(printed.sum, 6.5);
  assert.deepEqual(printed.shape, [1, 16, 16]);
  assert.ok(printed.min >= 0 && printed.max <= 1 && printed.max > 0, `heatmap in [0, 1], not all zero: ${printed.min}..${printed.max}`);
  assert.ok(printed.portableViews > 1000, "the installed kernel reads its portable views (assets/portable)");
});

test("the lab server finds the extension in the wheel's prefix alone and renders a camlab output with it", async () => {
  const t0 = Date.now();
  const lab = await startLab({
    label: "packaging",
    notebooks: {
      "packaged.ipynb": notebook([
        `import * as camlab from "camlab";
await camlab.backendInfo();
console.log(process.argv[1]);
await camlab.showLayers(camlab.buildShapesClassifier({ size: 16, seed: 3 }), null, { modelName: "packaged" })`,
      ]),
    },
    // The kernel installed from the tarball; the extension from the wheel, camlab's own build
    // output (the server's default first folder) left off.
    jupyterPath: [kernelJupyterPath],
    // One value per option: traitlets takes a list from the command line that way.
    serverArgs: [`--CamlabLabApp.labextensions_path=${labextensionsDir}`],
  });
  try {
    // The page config: where the server looked, and what it found there.
    const res = await fetch(`${lab.baseUrl}/lab?token=${lab.token}`);
    assert.equal(res.status, 200);
    const html = await res.text();
    const config = JSON.parse(html.match(/<script id="jupyter-config-data" type="application\/json">(.*?)<\/script>/s)[1]);
    assert.deepEqual(config.labextensionsPath, [labextensionsDir]);
    assert.deepEqual(config.extraLabextensionsPath, []);
    const ext = config.federated_extensions.find((e) => e.name === EXT_NAME);
    assert.ok(ext, `federated_extensions lists ${EXT_NAME}: ${JSON.stringify(config.federated_extensions)}`);
    const entry = await fetch(`${new URL(`${config.fullLabextensionsUrl}/${EXT_NAME}/${ext.load}`, lab.baseUrl)}?token=${lab.token}`);
    assert.equal(entry.status, 200, `GET ${ext.load}`);
    assert.equal(await entry.text(), readFileSync(path.join(labextensionsDir, EXT_NAME, ext.load), "utf8"), "served from the wheel's prefix");

    const { page, errors } = await lab.newPage();
    await openLab(page, lab);
    await openNotebook(page, "packaged.ipynb");
    const [cell] = await runAllCells(page);
    assert.deepEqual(cell.outputs.filter((o) => o.output_type === "error"), []);
    const stdout = cell.outputs.filter((o) => o.name === "stdout").map((o) => o.text).join("");
    assert.equal(stdout.trim(), path.join(project, "node_modules", "camlab", "bin", "camlab.js"), "the kernel is the installed tarball's");
    assert.ok(cell.outputs.some((o) => o.data?.[LAYERS_MIME]), `a ${LAYERS_MIME} output`);
    // The extension's MIME renderer (CamlabRenderer: the output area's own output widget, not a
    // view nested in some other renderer), live on the kernel's session: the model's layers.
    const layers = await waitInPage(page, () => {
      const w = document.querySelector('[data-testid="camlab-layers"]');
      return w?.dataset.state === "live" && w.classList.contains("camlab-widget") && w.classList.contains("jp-OutputArea-output") ? w.textContent : null;
    }, undefined, { timeoutMs: 60_000 });
    for (const name of ["conv1", "last_conv", "logits"]) assert.ok(layers.includes(name), `the layer browser lists ${name}`);
    await screenshot(page, "packaging-layers", { selector: '[data-testid="camlab-layers"]' });
    assert.deepEqual(errors.pageErrors, []);
    assert.deepEqual(errors.console, []);
    assert.deepEqual(errors.requests, []);
  } finally {
    await lab.stop();
    timings["lab test"] = Date.now() - t0;
  }
});
