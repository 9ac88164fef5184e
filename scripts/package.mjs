// `npm run package`: the two artefacts a user or a release installs, in dist/:
//   dist/camlab_extension-<version>-py3-none-any.whl   the JupyterLab 4 extension (pip install it)
//   dist/camlab-<version>.tgz                          the kernel package (npm install it; or npm publish it)
//
// Builds from a clean state first: kernel/dist/src is removed and recompiled (tsc never removes
// the output of a deleted source, and npm pack would ship it), the extension's lib, its
// prebuilt labextension and the portable views it bundles into kernel/assets/portable are rebuilt. Offline: the wheel is built by the installed hatchling
// (`python3 -m build --no-isolation`; Debian's python3-build and python3-hatchling, installed
// here when missing and running as root, as `npm test` does), the tarball by `npm pack`.
// `-- --out DIR` writes elsewhere than dist/.
import { rmSync, statSync } from "node:fs";
import path from "node:path";
import { buildWheel, findWheelPython, packKernel, versions } from "./lib/package.mjs";
import { ensureDebianPackages, ensureNodeModules, log, repoRoot, run } from "./lib/setup.mjs";

const USAGE = "usage: npm run package [-- --out DIR]";

function outDir(argv) {
  let out = path.join(repoRoot, "dist");
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i].split(/=(.*)/s, 2);
    const value = inline ?? argv[i + 1];
    if (flag !== "--out" || !value) {
      console.error(`${flag === "--out" ? "--out needs a folder" : `unknown option "${argv[i]}"`}\n${USAGE}`);
      process.exit(2);
    }
    if (inline === undefined) i++;
    out = path.resolve(value);
  }
  return out;
}

const out = outDir(process.argv.slice(2));
const t0 = Date.now();
ensureNodeModules();
if (!findWheelPython()) {
  ensureDebianPackages(["python3-build", "python3-hatchling"], "(On other systems: `pip install build hatchling` for a python3 on PATH, or set CAMLAB_PYTHON.)");
}

log("building the kernel from clean (tsc)");
rmSync(path.join(repoRoot, "kernel", "dist", "src"), { recursive: true, force: true });
run("npm", ["run", "build", "-w", "camlab"]);
log("building the prebuilt extension and the kernel's portable views (kernel/assets/portable)");
run("npm", ["run", "build:lib", "-w", "camlab-extension"]);
run("npm", ["run", "build:labextension", "-w", "camlab-extension"]);
run("npm", ["run", "build:portable", "-w", "camlab-extension"]);

const { extension, kernel } = versions();
// A previous run's files of the same versions are replaced, others are left.
for (const f of [`camlab_extension-${extension}-py3-none-any.whl`, `camlab-${kernel}.tgz`]) rmSync(path.join(out, f), { force: true });
const wheel = buildWheel(out);
const tarball = packKernel(out);
const kb = (n) => `${(n / 1024).toFixed(0)} KB`;
log(`built in ${((Date.now() - t0) / 1000).toFixed(0)} s:`);
console.log(`  ${path.relative(process.cwd(), wheel)}  ${kb(statSync(wheel).size)}`);
console.log(`  ${path.relative(process.cwd(), tarball.file)}  ${kb(tarball.size)} (${tarball.entryCount} files, ${kb(tarball.unpackedSize)} unpacked)`);
console.log(`Install them into an existing JupyterLab 4 (see the README, "Using camlab with an existing JupyterLab"):
  pip install ${wheel}
  cd /path/to/your/notebooks && npm install ${tarball.file} && npx camlab install`);
