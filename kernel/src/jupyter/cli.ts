// `camlab kernel <connection-file>`, `camlab install [...]`, `camlab uninstall [...]`.
import { install, uninstall, type InstallTarget } from "./kernelspec";
import { runKernel } from "./main";

const USAGE = `usage:
  camlab kernel <connection-file>          start the kernel (Jupyter runs this from the kernelspec)
  camlab install   [--user | --sys-prefix [--python PY] | --prefix DIR]
  camlab uninstall [--user | --sys-prefix [--python PY] | --prefix DIR]
The kernelspec is named "camlab" ("TypeScript (camlab)"); --user is the default.`;

export function parseTarget(args: string[]): InstallTarget {
  let target: InstallTarget | undefined;
  let python: string | undefined;
  const set = (t: InstallTarget): void => {
    if (target) throw new Error(`choose one of --user, --sys-prefix, --prefix DIR (got more than one)\n${USAGE}`);
    target = t;
  };
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === "--user") set({ kind: "user" });
    else if (a === "--sys-prefix") set({ kind: "sys-prefix" });
    else if (a === "--prefix" || a.startsWith("--prefix=")) {
      const dir = a === "--prefix" ? args[++i] : a.slice("--prefix=".length);
      if (!dir) throw new Error(`--prefix needs a folder, e.g. --prefix /usr/local\n${USAGE}`);
      set({ kind: "prefix", prefix: dir });
    } else if (a === "--python" || a.startsWith("--python=")) {
      python = a === "--python" ? args[++i] : a.slice("--python=".length);
      if (!python) throw new Error(`--python needs a path to a Python interpreter\n${USAGE}`);
    } else throw new Error(`unknown option "${a}"\n${USAGE}`);
  }
  const chosen = target ?? { kind: "user" };
  if (python !== undefined) {
    if (chosen.kind !== "sys-prefix") throw new Error(`--python only applies to --sys-prefix\n${USAGE}`);
    return { kind: "sys-prefix", python };
  }
  return chosen;
}

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case "kernel":
        if (rest.length !== 1) throw new Error(`camlab kernel takes exactly one argument, the connection file\n${USAGE}`);
        await runKernel(rest[0]);
        return -1; // keeps running
      case "install": {
        const dir = install(parseTarget(rest));
        console.log(`Installed the camlab kernelspec in ${dir}`);
        return 0;
      }
      case "uninstall": {
        const dir = uninstall(parseTarget(rest));
        console.log(dir ? `Removed the camlab kernelspec from ${dir}` : "No camlab kernelspec there; nothing removed");
        return 0;
      }
      case undefined:
      case "help":
      case "--help":
      case "-h":
        console.log(USAGE);
        return command === undefined ? 1 : 0;
      default:
        throw new Error(`unknown command "${command}"\n${USAGE}`);
    }
  } catch (err) {
    console.error(`camlab: ${(err as Error).message}`);
    return 2;
  }
}
