// Shared set-up for `npm start`, `npm test` and `npm run bench`: the project-local Jupyter
// environment, the system packages the Python side needs, npm dependencies and builds.
// Everything a fresh clone lacks is installed here, so the README's two commands are the
// whole set-up a user does.
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, rmSync, statSync, readdirSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { ensureMesaVulkan } from "./webgpu.mjs";

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
export const PYTHON = "/usr/bin/python3";
export const JUPYTER = "/usr/bin/jupyter";
export const CHROMIUM = "/usr/bin/chromium";

/**
 * Debian packages that carry the Python side of Jupyter, the kernel test suite and the browser:
 * the one list, used by `npm test`, `npm start` (less chromium) and so `.ci/run`, which runs
 * `npm test` on a fresh machine and installs nothing itself.
 */
export const DEBIAN_PACKAGES = [
  "python3-jupyter-server",
  "python3-jupyterlab-server",
  "python3-nbclient",
  "python3-nbformat",
  "python3-nbconvert",
  "jupyter-nbconvert",
  "python3-jupyter-kernel-test",
  "jupyter-client",
  "chromium",
  "fonts-dejavu-core",
  // The wheel of the prebuilt extension, built offline (`npm run package`, the packaging suite).
  "python3-build",
  "python3-hatchling",
  "python3-installer",
];

/** Python modules that must import under /usr/bin/python3, with the Debian package giving each. */
const PYTHON_MODULES = {
  jupyter_server: "python3-jupyter-server",
  jupyterlab_server: "python3-jupyterlab-server",
  nbclient: "python3-nbclient",
  nbformat: "python3-nbformat",
  nbconvert: "python3-nbconvert",
  jupyter_kernel_test: "python3-jupyter-kernel-test",
  jupyter_client: "jupyter-client",
  build: "python3-build",
  hatchling: "python3-hatchling",
  installer: "python3-installer",
};

/** Jupyter state kept inside the checkout so runs never touch (or depend on) the user's $HOME. */
export function jupyterEnv(base = process.env) {
  const dir = path.join(repoRoot, ".jupyter");
  const env = {
    ...base,
    JUPYTER_PATH: path.join(dir, "prefix", "share", "jupyter"),
    JUPYTER_DATA_DIR: path.join(dir, "data"),
    JUPYTER_RUNTIME_DIR: path.join(dir, "runtime"),
    JUPYTER_CONFIG_DIR: path.join(dir, "config"),
    IPYTHONDIR: path.join(dir, "ipython"),
    PYDEVD_DISABLE_FILE_VALIDATION: "1",
    JUPYTER_PLATFORM_DIRS: "1",
  };
  for (const k of ["JUPYTER_DATA_DIR", "JUPYTER_RUNTIME_DIR", "JUPYTER_CONFIG_DIR", "IPYTHONDIR"]) {
    mkdirSync(env[k], { recursive: true });
  }
  return env;
}

export function log(msg) {
  process.stdout.write(`[camlab] ${msg}\n`);
}

/** The packages of `packages` that dpkg does not list as installed (null without dpkg). */
function missingByDpkg(packages = DEBIAN_PACKAGES) {
  if (!existsSync("/usr/bin/dpkg-query")) return null;
  const r = spawnSync("dpkg-query", ["-W", "-f=${Package} ${db:Status-Status}\\n", ...packages], { encoding: "utf8" });
  const installed = new Set(
    (r.stdout || "").split("\n").map((l) => l.trim().split(" ")).filter(([, status]) => status === "installed").map(([name]) => name),
  );
  return packages.filter((p) => !installed.has(p));
}

function missingSystemParts() {
  // On Debian, ask dpkg about every package of the one list: probing for Python modules alone
  // missed jupyter-nbconvert (the `jupyter nbconvert` command) and the fonts on a fresh machine.
  const byDpkg = missingByDpkg();
  if (byDpkg) return byDpkg;
  const missing = new Set();
  if (!existsSync(PYTHON)) {
    DEBIAN_PACKAGES.forEach((p) => missing.add(p));
    return [...missing];
  }
  const probe = spawnSync(
    PYTHON,
    ["-c", `import importlib.util,sys; print(" ".join(m for m in sys.argv[1:] if importlib.util.find_spec(m) is None))`,
      ...Object.keys(PYTHON_MODULES)],
    { encoding: "utf8" },
  );
  for (const m of (probe.stdout || "").trim().split(/\s+/).filter(Boolean)) missing.add(PYTHON_MODULES[m]);
  if (!existsSync(JUPYTER)) missing.add("jupyter-client");
  if (!existsSync(CHROMIUM)) missing.add("chromium");
  if (!existsSync("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")) missing.add("fonts-dejavu-core");
  return [...missing];
}

/**
 * Installs the Debian packages that are missing, when running as root on a Debian-like system;
 * otherwise stops with the exact command a person has to run.
 * `needBrowser` false skips chromium (for `npm start` the user's own browser is used).
 * `webgpuDriver` also unpacks Mesa 25's Vulkan driver (llvmpipe) from bookworm-backports into
 * .mesa-vulkan/ for the kernel-webgpu suite (scripts/lib/webgpu.mjs; the system's Mesa is left
 * as it is). Optional: when that cannot be done the suite skips, nothing stops.
 */
export function ensureSystemPackages({ needBrowser = true, webgpuDriver = false } = {}) {
  installDebianPackages(needBrowser);
  return { webgpuDriver: webgpuDriver ? ensureMesaVulkan({ log }).ok : false };
}

function installDebianPackages(needBrowser) {
  let missing = missingSystemParts();
  if (!needBrowser) missing = missing.filter((p) => p !== "chromium");
  aptInstall(
    missing,
    `(On other systems: Python 3 with jupyter_server, jupyterlab_server, nbclient, nbconvert, ` +
      `jupyter_kernel_test, jupyter_client, build, hatchling, installer, reachable as /usr/bin/python3, and Chromium at /usr/bin/chromium.)`,
  );
}

/**
 * Installs those of `packages` (Debian names) that dpkg lacks, as `npm test` installs its list;
 * without dpkg, or when not root, stops with the command to run and `otherSystems` (what to
 * install elsewhere). Returns the packages it installed.
 */
export function ensureDebianPackages(packages, otherSystems) {
  const missing = missingByDpkg(packages) ?? packages;
  aptInstall(missing, otherSystems);
  return missing;
}

function aptInstall(missing, otherSystems) {
  if (missing.length === 0) return;
  const isRoot = process.getuid?.() === 0;
  const hasApt = existsSync("/usr/bin/apt-get");
  const cmd = `apt-get install -y --no-install-recommends ${missing.join(" ")}`;
  if (!isRoot || !hasApt) {
    console.error(
      `camlab needs these Debian/Ubuntu packages, which are not installed:\n  ${missing.join("\n  ")}\n` +
        `Install them with:\n  sudo apt-get update && sudo ${cmd}\n${otherSystems}`,
    );
    process.exit(2);
  }
  log(`installing Debian packages: ${missing.join(" ")}`);
  const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
  execFileSync("apt-get", ["update"], { stdio: "inherit", env });
  execFileSync("apt-get", ["install", "-y", "--no-install-recommends", ...missing], { stdio: "inherit", env });
}

/** Runs `npm ci` when node_modules is missing or older than the lock file. */
export function ensureNodeModules() {
  const lock = path.join(repoRoot, "package-lock.json");
  const marker = path.join(repoRoot, "node_modules", ".package-lock.json");
  if (existsSync(marker) && statSync(marker).mtimeMs >= statSync(lock).mtimeMs) return;
  log("installing npm dependencies (npm ci)");
  execFileSync("npm", ["ci", "--no-audit", "--no-fund"], { cwd: repoRoot, stdio: "inherit" });
}

export function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { cwd: repoRoot, stdio: "inherit", ...opts });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(" ")} failed with exit code ${r.status ?? r.signal}`);
}

/** Newest modification time of any file below `dir` (skipping dependencies and outputs). */
function newestMtime(dir) {
  let newest = 0;
  if (!existsSync(dir)) return 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (["node_modules", "dist", "build", "lib"].includes(entry.name)) continue;
    const p = path.join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(p) : statSync(p).mtimeMs);
  }
  return newest;
}

/**
 * Compiled files under kernel/dist/{src,test} whose source in kernel/{src,test} is gone (tsc never
 * removes outputs): `npm pack` would ship stale ones from dist/src, and the kernel suite would run
 * stale tests from dist/test. Paths relative to kernel/dist.
 */
export function staleKernelOutputs() {
  const kernel = path.join(repoRoot, "kernel");
  const stale = [];
  for (const part of ["src", "test"]) {
    const out = path.join(kernel, "dist", part);
    if (!existsSync(out)) continue;
    for (const f of readdirSync(out, { recursive: true }).map(String)) {
      const source = f.match(/^(.*)(?:\.d\.ts|\.js\.map|\.js)$/)?.[1];
      if (source !== undefined && !existsSync(path.join(kernel, part, `${source}.ts`))) stale.push(path.join(part, f));
    }
  }
  return stale;
}

/** Builds the kernel package, the prebuilt extension and the JupyterLab host when their sources changed. */
export function buildAll({ force = false } = {}) {
  for (const f of staleKernelOutputs()) {
    log(`removing kernel/dist/${f} (its source is gone)`);
    rmSync(path.join(repoRoot, "kernel", "dist", f), { force: true });
  }
  const kernelOut = path.join(repoRoot, "kernel", "dist", "src", "index.js");
  if (force || !existsSync(kernelOut) || statSync(kernelOut).mtimeMs < newestMtime(path.join(repoRoot, "kernel", "src"))
      || newestMtime(path.join(repoRoot, "kernel", "test")) > statSync(kernelOut).mtimeMs) {
    log("building kernel (tsc)");
    run(process.execPath, [path.join(repoRoot, "node_modules", "typescript", "bin", "tsc"), "-p", "kernel/tsconfig.json"]);
  }
  for (const ws of ["extension", "extension/lab"]) {
    const pkgPath = path.join(repoRoot, ws, "package.json");
    if (!existsSync(pkgPath)) continue;
    const pkg = JSON.parse(execFileSync("cat", [pkgPath], { encoding: "utf8" }));
    if (!pkg.scripts?.build) continue;
    log(`building ${pkg.name}`);
    run("npm", ["run", "build", "-w", pkg.name]);
  }
}

/** Installs the camlab kernelspec into the project-local Jupyter prefix. */
export function installKernelspec() {
  run(process.execPath, [path.join(repoRoot, "kernel", "bin", "camlab.js"), "install", "--prefix", path.join(repoRoot, ".jupyter", "prefix")]);
}
