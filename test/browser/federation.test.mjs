// The host's module federation: a prebuilt extension built with @jupyter/builder against
// @jupyterlab/core-meta (as camlab's extension is) must load and receive the host's singleton
// packages, not copies; otherwise tokens such as IRenderMimeRegistry never resolve.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { cpSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { after, before, test } from "node:test";
import { ARTIFACTS_DIR, openLab, repoRoot, screenshot, startLab } from "./harness.mjs";

const require = createRequire(import.meta.url);
let lab;
let probeDir;

before(async () => {
  // Built inside the checkout so that the fixture resolves the project's node_modules.
  probeDir = path.join(ARTIFACTS_DIR, `shared-probe-${randomBytes(3).toString("hex")}`);
  cpSync(path.join(repoRoot, "test", "browser", "fixtures", "shared-probe"), probeDir, { recursive: true });
  const builder = require.resolve("@jupyter/builder/lib/build-labextension.js");
  const coreFile = require.resolve("@jupyterlab/core-meta/core.package.json");
  const r = spawnSync(process.execPath, [builder, "--core-package-file", coreFile, probeDir], { encoding: "utf8" });
  assert.equal(r.status, 0, `building the probe extension failed:\n${r.stdout}\n${r.stderr}`);
  // labextensions_path includes <each JUPYTER_PATH folder>/labextensions.
  lab = await startLab({ label: "federation", kernel: null, jupyterPath: [probeDir] });
});

after(async () => {
  await lab?.stop();
  if (probeDir) rmSync(probeDir, { recursive: true, force: true });
});

test("a prebuilt extension gets the host's JupyterLab and Lumino singletons", async () => {
  const { page, errors } = await lab.newPage();
  await openLab(page, lab);
  const probe = await page.evaluate(() => window.__camlabSharedProbe ?? null);
  await screenshot(page, "federation");
  assert.ok(probe, "the probe plugin was activated");
  assert.equal(probe.appIsHostFrontEnd, true, "@jupyterlab/application is the host's copy");
  assert.equal(probe.shellIsHostWidget, true, "@lumino/widgets is the host's copy");
  assert.ok(probe.rendermimeTypes > 5, "IRenderMimeRegistry resolved to the host's registry");
  assert.deepEqual(errors.pageErrors, []);
  assert.deepEqual(errors.console, []);
  assert.deepEqual(errors.requests, []);
});
