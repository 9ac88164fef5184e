// Makes `import ... from "camlab"` and `"@tensorflow/tfjs"` work in cells wherever the notebook
// lives — for the type checker AND at run time.
//
// Type checking: tslab's converter resolves modules and @types from the kernel's working
// directory (the notebook's folder). A notebook outside the folder tree holding node_modules
// finds nothing (not even @types/node: "Cannot find name 'console'"). We patch the `sys` of
// tslab's TypeScript so that paths under <cwd>/node_modules that do not exist are forwarded to
// the package as node would resolve it from the camlab package itself. Real files always win: a
// notebook folder with its own node_modules keeps using them. <cwd>/node_modules/@types lists
// only what is really there plus "node" and a virtual package declaring the cell globals
// (display, clearOutput), so cells type-check them without an import.
//
// Run time: cells' `require` tries the notebook folder first, then the camlab package's own
// resolution; "camlab" itself always resolves to the instance the kernel runs (the comm
// registry and the display plumbing are shared that way).
import Module, { createRequire } from "node:module";
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";

const slash = (p: string): string => p.replace(/\\/g, "/");

/** The root folder of the camlab package (kernel/), found from this compiled file. */
export const PACKAGE_ROOT = join(__dirname, "..", "..", "..");

export const CELL_GLOBALS_PACKAGE = "camlab-cell-globals";

/** Declarations of the globals every cell gets; kept in step with display/display.ts. */
export const CELL_GLOBALS_DTS = `// Globals of camlab notebook cells (the kernel provides them; see camlab's display module).
interface CamlabDisplayHandle {
  readonly displayId: string;
  /** Replaces every output shown under this display id. */
  update(value: unknown, options?: { metadata?: Record<string, unknown> }): void;
  /** Shows the value as a new output sharing this display id. */
  display(value: unknown, options?: { metadata?: Record<string, unknown> }): CamlabDisplayHandle;
}
/** Shows a value (rich MIME bundle via [Symbol.for("Jupyter.display")], else text) in the cell output. */
declare function display(value: unknown, options?: { displayId?: string; metadata?: Record<string, unknown> }): CamlabDisplayHandle;
/** Clears the cell output; wait=true clears only when the next output arrives. */
declare function clearOutput(wait?: boolean): void;
/** Asks the front end for a line of text and blocks until it answers (Jupyter's stdin; throws when the front end allows no input). */
declare function prompt(message?: string): string | null;
/** Asks the front end for a line of text (password: hidden while typed). */
declare function input(message?: string, options?: { password?: boolean }): Promise<string>;
`;

/** Finds a package folder the way node would from the camlab package (ancestor node_modules). */
export function locatePackage(name: string, from = PACKAGE_ROOT): string | undefined {
  if (name === readPackageName(from)) return from;
  for (let dir = from; ; dir = dirname(dir)) {
    const candidate = join(dir, "node_modules", name);
    if (existsSync(candidate)) return candidate;
    if (dirname(dir) === dir) return undefined;
  }
}

function readPackageName(root: string): string | undefined {
  try {
    return (require(join(root, "package.json")) as { name?: string }).name;
  } catch {
    return undefined;
  }
}

interface TsSys {
  fileExists(p: string): boolean;
  directoryExists(p: string): boolean;
  readFile(p: string, encoding?: string): string | undefined;
  getDirectories(p: string): string[];
  realpath?(p: string): string;
}

/** tslab's own TypeScript (the converter uses that copy, not the project's). */
export function tslabTypeScript(): { sys: TsSys; version: string } {
  return createRequire(require.resolve("tslab/package.json"))("@tslab/typescript-for-tslab");
}

/**
 * Installs the path forwarding on tslab's ts.sys for a kernel whose cells run in `cwd`.
 * Must run before tslab's converter is created (it computes its type roots at creation).
 */
export function installTypeForwarding(cwd: string, packageRoot = PACKAGE_ROOT): void {
  const sys = tslabTypeScript().sys;
  const nodeModules = slash(join(cwd, "node_modules"));
  const typesDir = `${nodeModules}/@types`;
  const globalsDir = `${typesDir}/${CELL_GLOBALS_PACKAGE}`;
  const globalsFile = `${globalsDir}/index.d.ts`;
  const located = new Map<string, string | undefined>();

  const forward = (path: string): string => {
    const p = slash(path);
    if (!p.startsWith(`${nodeModules}/`) || existsSync(p)) return p;
    const segments = p.slice(nodeModules.length + 1).split("/");
    const nameLength = segments[0].startsWith("@") ? 2 : 1;
    if (segments.length < nameLength) return p;
    const name = segments.slice(0, nameLength).join("/");
    if (!located.has(name)) located.set(name, locatePackage(name, packageRoot));
    const dir = located.get(name);
    return dir ? slash(join(dir, ...segments.slice(nameLength))) : p;
  };

  const orig = {
    fileExists: sys.fileExists.bind(sys),
    directoryExists: sys.directoryExists.bind(sys),
    readFile: sys.readFile.bind(sys),
    getDirectories: sys.getDirectories.bind(sys),
    realpath: sys.realpath?.bind(sys),
  };
  sys.fileExists = (p) => slash(p) === globalsFile || orig.fileExists(forward(p));
  sys.readFile = (p, encoding) => (slash(p) === globalsFile ? CELL_GLOBALS_DTS : orig.readFile(forward(p), encoding));
  sys.directoryExists = (p) => {
    const s = slash(p);
    return s === nodeModules || s === typesDir || s === globalsDir || orig.directoryExists(forward(p));
  };
  sys.getDirectories = (p) => {
    if (slash(p) !== typesDir) return orig.getDirectories(forward(p));
    const names = new Set(existsSync(typesDir) ? orig.getDirectories(typesDir) : []);
    if (locatePackage("@types/node", packageRoot)) names.add("node");
    names.add(CELL_GLOBALS_PACKAGE);
    return [...names];
  };
  if (orig.realpath) {
    const realpath = orig.realpath;
    sys.realpath = (p) => (slash(p) === globalsFile ? p : realpath(forward(p)));
  }
}

/** Modules compiled from .ts/.js files next to the notebook that cells import relatively. */
export class SideModules {
  private readonly sources = new Map<string, string>();
  private readonly loaded = new Map<string, Module>();

  update(outputs: ReadonlyArray<{ path: string; data: string }>): void {
    for (const out of outputs) {
      this.loaded.delete(out.path);
      this.sources.set(out.path, out.data);
    }
  }

  /** The exports of a compiled side module, or undefined if `id` is not one. */
  load(id: string, fromDir: string, fallback: (id: string) => unknown): unknown {
    if (!id.startsWith(".") && !id.startsWith("/")) return undefined;
    let filename = slash(join(fromDir, id));
    if (!/\.[cm]?[jt]sx?$/.test(filename)) filename += ".js";
    const cached = this.loaded.get(filename);
    if (cached) return cached.exports;
    const source = this.sources.get(filename);
    if (source === undefined) return undefined;
    const mod = new Module(filename, module);
    mod.filename = filename;
    mod.paths = (Module as unknown as { _nodeModulePaths(dir: string): string[] })._nodeModulePaths(dirname(filename));
    const dir = dirname(filename);
    const inner = createRequire(filename);
    mod.require = ((req: string) => this.load(req, dir, fallback) ?? requireWithFallback(inner, req, fallback)) as NodeJS.Require;
    this.loaded.set(filename, mod);
    (mod as unknown as { _compile(code: string, filename: string): void })._compile(source, filename);
    return mod.exports;
  }
}

function isMissing(err: unknown, id: string): boolean {
  const e = err as { code?: string; message?: string };
  return e?.code === "MODULE_NOT_FOUND" && typeof e.message === "string" && e.message.includes(`'${id}'`);
}

function requireWithFallback(primary: NodeRequire, id: string, fallback: (id: string) => unknown): unknown {
  try {
    return primary(id);
  } catch (err) {
    if (isMissing(err, id)) return fallback(id);
    throw err;
  }
}

/**
 * The `require` cells get. `camlab` → the kernel's own camlab (loaded lazily: it pulls in tfjs);
 * relative ids → side modules or files next to the notebook; anything else → the notebook
 * folder's node_modules, then camlab's.
 */
export function createCellRequire(cwd: string, side: SideModules, camlab: () => unknown, packageRoot = PACKAGE_ROOT): NodeRequire {
  const fromNotebook = createRequire(join(cwd, "__camlab_cell__.js"));
  const fromPackage = createRequire(join(packageRoot, "package.json"));
  const camlabName = readPackageName(packageRoot) ?? "camlab";
  const fallback = (id: string): unknown => fromPackage(id);
  const cellRequire = ((id: string) => {
    if (id === camlabName) return camlab();
    // tslab's public API (display.html, …) must be the instance the kernel wired to its display.
    if (id === "tslab") return fromPackage("tslab");
    const sideModule = side.load(id, slash(cwd), fallback);
    if (sideModule !== undefined) return sideModule;
    return requireWithFallback(fromNotebook, id, fallback);
  }) as NodeRequire;
  cellRequire.resolve = fromNotebook.resolve;
  cellRequire.cache = fromNotebook.cache;
  return cellRequire;
}
