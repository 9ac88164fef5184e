// Installing the kernelspec ("camlab", "TypeScript (camlab)") where Jupyter looks for kernels.
// The argv uses ABSOLUTE paths to this node and to bin/camlab.js, so the kernel starts whatever
// the current folder and PATH of the launching Jupyter are.
import { spawnSync } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, readFileSync, realpathSync, rmSync, writeFileSync } from "node:fs";
import { homedir, platform } from "node:os";
import { join } from "node:path";
import { PACKAGE_ROOT } from "./modules";

export const KERNEL_NAME = "camlab";
export const DISPLAY_NAME = "TypeScript (camlab)";
const LOGOS = ["logo-32x32.png", "logo-64x64.png"];

export type InstallTarget = { kind: "user" } | { kind: "sys-prefix"; python?: string } | { kind: "prefix"; prefix: string };

export interface KernelSpec {
  argv: string[];
  display_name: string;
  language: string;
  interrupt_mode: "signal" | "message";
  metadata: Record<string, unknown>;
}

export function kernelSpec(node = process.execPath, script = realpathSync(join(PACKAGE_ROOT, "bin", "camlab.js"))): KernelSpec {
  return {
    argv: [node, script, "kernel", "{connection_file}"],
    display_name: DISPLAY_NAME,
    language: "typescript",
    // SIGINT stops busy synchronous cells (vm breakOnSigint); a message could not reach them.
    interrupt_mode: "signal",
    metadata: { debugger: false },
  };
}

/** Jupyter's per-user data folder, as jupyter_core computes it. */
export function userDataDir(env = process.env): string {
  if (env.JUPYTER_DATA_DIR) return env.JUPYTER_DATA_DIR;
  const home = homedir();
  if (platform() === "darwin") return join(home, "Library", "Jupyter");
  if (platform() === "win32") return join(env.APPDATA ?? join(home, "AppData", "Roaming"), "jupyter");
  return join(env.XDG_DATA_HOME ?? join(home, ".local", "share"), "jupyter");
}

function pythonSysPrefix(python: string): string {
  const r = spawnSync(python, ["-c", "import sys; print(sys.prefix)"], { encoding: "utf8" });
  if (r.status !== 0 || !r.stdout.trim()) {
    throw new Error(`--sys-prefix needs a Python to ask for sys.prefix; running "${python}" failed (${r.error?.message ?? r.stderr.trim()}). Pass --python PATH or use --user / --prefix DIR.`);
  }
  return r.stdout.trim();
}

/** The folder the kernelspec goes to for a target. */
export function kernelDir(target: InstallTarget): string {
  switch (target.kind) {
    case "user":
      return join(userDataDir(), "kernels", KERNEL_NAME);
    case "sys-prefix":
      return join(pythonSysPrefix(target.python ?? process.env.CAMLAB_PYTHON ?? "python3"), "share", "jupyter", "kernels", KERNEL_NAME);
    case "prefix":
      return join(target.prefix, "share", "jupyter", "kernels", KERNEL_NAME);
  }
}

export function install(target: InstallTarget): string {
  const dir = kernelDir(target);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "kernel.json"), `${JSON.stringify(kernelSpec(), null, 2)}\n`);
  for (const logo of LOGOS) copyFileSync(join(PACKAGE_ROOT, "assets", logo), join(dir, logo));
  return dir;
}

/** Removes the kernelspec; refuses folders that do not hold a camlab kernel.json. */
export function uninstall(target: InstallTarget): string | undefined {
  const dir = kernelDir(target);
  const specFile = join(dir, "kernel.json");
  if (!existsSync(specFile)) return undefined;
  const spec = JSON.parse(readFileSync(specFile, "utf8")) as Partial<KernelSpec>;
  if (spec.display_name !== DISPLAY_NAME) {
    throw new Error(`${dir} holds a kernelspec named "${spec.display_name}", not camlab's "${DISPLAY_NAME}"; not removing it`);
  }
  rmSync(dir, { recursive: true, force: true });
  return dir;
}
