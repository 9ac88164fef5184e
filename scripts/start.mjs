// `npm start`: from a fresh clone to JupyterLab 4 with the camlab kernel, the camlab extension and
// the notebooks in the file browser.
//
//   npm start                       set up what is missing, start the server, open a browser
//   npm start -- --no-browser       print the URL instead of opening a browser (headless use)
//   npm start -- --port 9000        first port to try (default 8888; the next free one is used)
//   npm start -- --ip 0.0.0.0       listen on another interface (default 127.0.0.1)
//
// Set-up, each step only when needed: npm dependencies; a Python with jupyter_server and
// jupyterlab_server (Debian's packages, installed here when running as root on Debian/Ubuntu, or
// the user's own `pip install jupyterlab`; otherwise it says exactly what to install); the kernel
// build (tsc), the prebuilt extension, the JupyterLab front end (extension/lab); the camlab
// kernelspec in the project-local Jupyter folder (.jupyter/, so $HOME is left alone).
// CAMLAB_PYTHON=/path/to/python picks the Python that serves JupyterLab.
import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, readdirSync, statSync } from "node:fs";
import path from "node:path";
import { ensureNodeModules, ensureSystemPackages, installKernelspec, jupyterEnv, log, repoRoot } from "./lib/setup.mjs";

const USAGE = "usage: npm start [-- --no-browser] [--port N] [--ip HOST]";

function parseArgs(argv) {
  const opts = { openBrowser: true, port: 8888, ip: "127.0.0.1" };
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i].split(/=(.*)/s, 2);
    const value = () => {
      const v = inline ?? argv[++i];
      if (v === undefined) fail(`${flag} needs a value\n${USAGE}`);
      return v;
    };
    if (flag === "--no-browser") opts.openBrowser = false;
    else if (flag === "--port") {
      const v = value();
      opts.port = Number(v);
      if (!Number.isInteger(opts.port) || opts.port < 1 || opts.port > 65535) fail(`--port must be a whole number from 1 to 65535, got "${v}"`);
    } else if (flag === "--ip") opts.ip = value();
    else if (flag === "--help" || flag === "-h") {
      console.log(USAGE);
      process.exit(0);
    } else fail(`unknown option "${argv[i]}"\n${USAGE}`);
  }
  return opts;
}

function fail(message, code = 2) {
  console.error(`[camlab] ${message}`);
  process.exit(code);
}

/** Newest modification time below `dir`, skipping dependencies and build outputs. */
function newestSource(dir) {
  if (!existsSync(dir)) return 0;
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (["node_modules", "dist", "build", "lib", "__pycache__"].includes(entry.name)) continue;
    const p = path.join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestSource(p) : statSync(p).mtimeMs);
  }
  return newest;
}

const isStale = (output, ...sourceDirs) =>
  !existsSync(output) || statSync(output).mtimeMs < Math.max(...sourceDirs.map(newestSource));

function runStep(what, cmd, args, { tolerateFailureIf } = {}) {
  log(what);
  const r = spawnSync(cmd, args, { cwd: repoRoot, stdio: "inherit" });
  if (r.status === 0) return;
  if (tolerateFailureIf?.()) {
    log(`warning: ${cmd} ${args.join(" ")} exited with ${r.status ?? r.signal}; its output exists, going on`);
    return;
  }
  fail(`${what} failed: ${cmd} ${args.join(" ")} exited with ${r.status ?? r.signal}`, 1);
}

/** jupyter_server + jupyterlab_server from Debian or pip; installs Debian's when root on apt. */
async function ensurePythonSide(serve) {
  let found = serve.findJupyterPython();
  if (found) return found;
  if (process.env.CAMLAB_PYTHON) {
    fail(`CAMLAB_PYTHON=${process.env.CAMLAB_PYTHON} does not import jupyter_server and jupyterlab_server.\n${serve.PYTHON_SIDE_HELP}`);
  }
  const canApt = process.getuid?.() === 0 && existsSync("/usr/bin/apt-get");
  if (!canApt) fail(serve.PYTHON_SIDE_HELP);
  // The one list of Debian packages (scripts/lib/setup.mjs), less the browser: npm start opens yours.
  ensureSystemPackages({ needBrowser: false });
  found = serve.findJupyterPython();
  if (!found) fail(serve.PYTHON_SIDE_HELP);
  return found;
}

function buildWhatIsMissing(serve) {
  const kernelOut = path.join(repoRoot, "kernel", "dist", "src", "index.js");
  if (isStale(kernelOut, path.join(repoRoot, "kernel", "src"))) {
    // The project's own TypeScript: `npx tsc` here can resolve to tslab's TypeScript 5.0.4.
    runStep("building the kernel (tsc -p kernel)", process.execPath, [path.join(repoRoot, "node_modules", "typescript", "bin", "tsc"), "-p", "kernel/tsconfig.json"], { tolerateFailureIf: () => existsSync(kernelOut) });
  }

  const extPkgPath = path.join(repoRoot, "extension", "package.json");
  const extPkg = JSON.parse(readFileSync(extPkgPath, "utf8"));
  if (extPkg.scripts?.build) {
    const outDir = path.join(repoRoot, "extension", extPkg.jupyterlab?.outputDir ?? "build/labextensions/camlab-extension");
    if (isStale(path.join(outDir, "package.json"), path.join(repoRoot, "extension", "src"), path.join(repoRoot, "kernel", "src", "protocol"))) {
      runStep(`building the camlab extension (npm run build -w ${extPkg.name})`, "npm", ["run", "build", "-w", extPkg.name], {
        tolerateFailureIf: () => existsSync(path.join(outDir, "package.json")),
      });
    }
  } else {
    log("the camlab extension has no build script yet: JupyterLab starts without its widgets");
  }

  serve.buildLab(); // skips itself when up to date
}

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  ensureNodeModules();
  // Imported after `npm ci` so that a fresh clone gets its dependencies first.
  const serve = await import("../extension/lab/serve.mjs");
  const python = await ensurePythonSide(serve);
  log(`Python side: ${python.python} (jupyter_server ${python.server}, jupyterlab_server ${python.labServer})`);
  buildWhatIsMissing(serve);

  const hasKernel = existsSync(path.join(repoRoot, "kernel", "bin", "camlab.js"));
  if (hasKernel) {
    log("installing the camlab kernelspec into .jupyter/prefix");
    installKernelspec();
  } else {
    log("warning: kernel/bin/camlab.js is missing: the camlab kernel will not be offered");
  }

  const env = jupyterEnv();
  const port = await serve.freePort(opts.port, opts.ip === "0.0.0.0" ? "0.0.0.0" : opts.ip);
  const token = randomBytes(24).toString("hex");
  const rootDir = path.join(repoRoot, "notebooks");
  mkdirSync(rootDir, { recursive: true }); // git keeps no empty folder
  log(`starting JupyterLab (root: ${path.relative(repoRoot, rootDir)}/, port ${port})`);
  const t0 = Date.now();
  const server = await serve.startLabServer({
    python: python.python,
    rootDir,
    port,
    token,
    ip: opts.ip,
    env,
    openBrowser: opts.openBrowser,
    defaultKernel: hasKernel ? "camlab" : undefined,
    onOutput: (text) => process.stderr.write(text),
  });
  const shownHost = opts.ip === "0.0.0.0" ? "127.0.0.1" : opts.ip;
  const url = `http://${shownHost}:${port}/lab?token=${token}`;
  console.log(`\n[camlab] JupyterLab is ready (${((Date.now() - t0) / 1000).toFixed(1)} s). Open:\n\n    ${url}\n\n[camlab] Ctrl-C stops the server.\n`);

  let stopping = false;
  const stop = async (signal) => {
    if (stopping) return;
    stopping = true;
    log(`${signal}: stopping the server`);
    await server.stop();
    process.exit(0);
  };
  process.on("SIGINT", () => stop("SIGINT"));
  process.on("SIGTERM", () => stop("SIGTERM"));
  const { code, signal } = await server.exited;
  if (!stopping) fail(`the Jupyter server stopped (exit ${code ?? signal})`, code || 1);
}

main().catch((error) => fail(error?.message ?? String(error), 1));
