// Starting the JupyterLab server that serves camlab's front end (extension/lab/build), shared by
// `npm start` (scripts/start.mjs) and the browser tests (test/browser/harness.mjs).
//
// The Python side is jupyter_server + jupyterlab_server, from whichever Python has both: Debian's
// /usr/bin/python3 (python3-jupyter-server, python3-jupyterlab-server) or a Python where the user
// ran `pip install jupyterlab`. Python's `jupyterlab` package itself is not used.
import { spawn, spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import net from "node:net";
import path from "node:path";
import { fileURLToPath } from "node:url";

export const LAB_DIR = path.dirname(fileURLToPath(import.meta.url));
export const LAB_INDEX = path.join(LAB_DIR, "build", "static", "index.html");

const PYTHON_CANDIDATES = ["/usr/bin/python3", "python3", "python"];

/** What to install when no Python has jupyter_server and jupyterlab_server, for the person to read. */
export const PYTHON_SIDE_HELP = [
  "camlab needs a Python with jupyter_server and jupyterlab_server to serve JupyterLab. Either:",
  "  Debian/Ubuntu:  sudo apt-get update && sudo apt-get install -y python3-jupyter-server python3-jupyterlab-server",
  "  any system:     pip install jupyterlab        (brings jupyter_server and jupyterlab_server)",
  "then run `npm start` again.",
].join("\n");

/**
 * The first Python that imports both jupyter_server and jupyterlab_server, with their versions,
 * or null. CAMLAB_PYTHON, when set, is the only one tried; otherwise Debian's /usr/bin/python3
 * first, then `python3` and `python` on PATH.
 */
export function findJupyterPython(candidates = process.env.CAMLAB_PYTHON ? [process.env.CAMLAB_PYTHON] : PYTHON_CANDIDATES) {
  const probe =
    "import json, jupyter_server, jupyterlab_server; " +
    "print(json.dumps({'server': jupyter_server.__version__, 'labServer': jupyterlab_server.__version__}))";
  for (const python of candidates) {
    if (python.startsWith("/") && !existsSync(python)) continue;
    const r = spawnSync(python, ["-c", probe], { encoding: "utf8", env: { ...process.env, PYDEVD_DISABLE_FILE_VALIDATION: "1" } });
    if (r.status !== 0) continue;
    try {
      return { python, ...JSON.parse(r.stdout.trim().split("\n").pop()) };
    } catch {
      continue;
    }
  }
  return null;
}

/** Whether the front end has been built (extension/lab/build/static/index.html exists). */
export function labIsBuilt() {
  return existsSync(LAB_INDEX);
}

/** Builds the front end when its sources changed (a no-op taking ~0.1 s otherwise). */
export function buildLab({ force = false, stdio = "inherit" } = {}) {
  const r = spawnSync(process.execPath, [path.join(LAB_DIR, "build.mjs"), ...(force ? ["--force"] : [])], {
    cwd: LAB_DIR,
    stdio,
    encoding: "utf8",
  });
  if (r.status !== 0) {
    throw new Error(`building the JupyterLab front end failed (exit ${r.status ?? r.signal})${r.stderr ? `:\n${r.stderr}` : ""}`);
  }
}

function portIsFree(port, host) {
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.once("error", () => resolve(false));
    srv.listen({ port, host, exclusive: true }, () => srv.close(() => resolve(true)));
  });
}

/** `preferred` when it is free, else the next free one above it (at most 50 tries); 0 asks the OS. */
export async function freePort(preferred = 0, host = "127.0.0.1") {
  if (preferred === 0) {
    return new Promise((resolve, reject) => {
      const srv = net.createServer();
      srv.once("error", reject);
      srv.listen({ port: 0, host }, () => {
        const { port } = srv.address();
        srv.close(() => resolve(port));
      });
    });
  }
  for (let port = preferred; port < preferred + 50; port++) if (await portIsFree(port, host)) return port;
  throw new Error(`no free port in ${preferred}-${preferred + 49} on ${host}`);
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/**
 * Starts `python -m camlab_lab` (JupyterLab at /lab) and resolves once /api/status answers.
 *
 * options: python (from findJupyterPython), rootDir (the file browser's root), port, token,
 * env (Jupyter folders: JUPYTER_PATH with the camlab kernelspec, JUPYTER_CONFIG_DIR, ...),
 * ip (127.0.0.1), openBrowser (false), exposeApp (window.jupyterapp, for tests),
 * camlabExtension (true; false serves the lab without camlab's prebuilt extension),
 * defaultKernel (the kernelspec new notebooks get, e.g. "camlab"; jupyter_server's default is
 * python3, which need not exist), extraArgs (more --ServerApp.* / --CamlabLabApp.* options),
 * onOutput(text) for the server's log,
 * timeoutMs (60 s).
 * Returns { url, baseUrl, port, token, child, stop(), exited }.
 */
export async function startLabServer({
  python,
  rootDir,
  port,
  token,
  env = process.env,
  ip = "127.0.0.1",
  openBrowser = false,
  exposeApp = false,
  camlabExtension = true,
  defaultKernel,
  extraArgs = [],
  onOutput = () => {},
  timeoutMs = 60_000,
}) {
  if (!python) throw new Error(PYTHON_SIDE_HELP);
  if (!labIsBuilt()) throw new Error(`the JupyterLab front end is not built (${LAB_INDEX} missing): run \`npm run build -w camlab-lab\``);
  const args = [
    "-m",
    "camlab_lab",
    `--ServerApp.ip=${ip}`,
    `--ServerApp.port=${port}`,
    "--ServerApp.port_retries=0",
    `--ServerApp.root_dir=${rootDir}`,
    `--ServerApp.open_browser=${openBrowser ? "True" : "False"}`,
    ...(process.getuid?.() === 0 ? ["--ServerApp.allow_root=True"] : []),
    ...(exposeApp ? ["--CamlabLabApp.expose_app_in_browser=True"] : []),
    ...(camlabExtension ? [] : ["--CamlabLabApp.camlab_extension=False"]),
    ...(defaultKernel ? [`--MappingKernelManager.default_kernel_name=${defaultKernel}`] : []),
    ...extraArgs,
  ];
  const childEnv = {
    ...env,
    PYTHONPATH: [LAB_DIR, env.PYTHONPATH].filter(Boolean).join(path.delimiter),
    PYDEVD_DISABLE_FILE_VALIDATION: "1",
    // The token goes through the environment, not argv, where any local user could read it (ps).
    JUPYTER_TOKEN: token,
  };
  const child = spawn(python, args, { env: childEnv, stdio: ["ignore", "pipe", "pipe"] });
  let log = "";
  const onData = (buf) => {
    const text = buf.toString();
    log = (log + text).slice(-20_000);
    onOutput(text);
  };
  child.stdout.on("data", onData);
  child.stderr.on("data", onData);
  const exited = new Promise((resolve) => child.once("exit", (code, signal) => resolve({ code, signal })));
  let hasExited = false;
  exited.then(() => (hasExited = true));

  const baseUrl = `http://${ip.includes(":") ? `[${ip}]` : ip}:${port}`;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (hasExited) throw new Error(`the Jupyter server exited before it was ready:\n${log}`);
    try {
      const res = await fetch(`${baseUrl}/api/status`, { headers: { Authorization: `token ${token}` } });
      if (res.ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      child.kill("SIGTERM");
      throw new Error(`the Jupyter server did not answer within ${timeoutMs / 1000} s:\n${log}`);
    }
    await sleep(150);
  }

  async function stop() {
    if (hasExited) return exited;
    child.kill("SIGTERM"); // jupyter_server shuts kernels down on SIGTERM
    const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
    const result = await exited;
    clearTimeout(timer);
    return result;
  }

  return { url: `${baseUrl}/lab?token=${token}`, baseUrl, port, token, child, stop, exited, log: () => log };
}
