// Turning whatever a cell throws into the ename / evalue / traceback triple of Jupyter's error
// messages and replies.
import { inspect } from "node:util";

export interface CellError {
  ename: string;
  evalue: string;
  traceback: string[];
}

/** Raised into a running cell when the kernel is interrupted (SIGINT or interrupt_request). */
export class KeyboardInterrupt extends Error {
  constructor(message = "the kernel was interrupted while this cell was running") {
    super(message);
    this.name = "KeyboardInterrupt";
  }
}

/** TypeScript diagnostics that stopped a cell before it ran. */
export class CompileError extends Error {
  constructor(readonly diagnostics: string[]) {
    super(diagnostics.join("\n"));
    this.name = "CompileError";
  }
}

const RED = "\u001b[0;31m";
const RESET = "\u001b[0m";

/** Whether node's vm stopped a synchronous script because of SIGINT (breakOnSigint). */
export function isSigintInterruption(err: unknown): boolean {
  return (err as { code?: string })?.code === "ERR_SCRIPT_EXECUTION_INTERRUPTED";
}

/** Stack frames of the cell and the code it called, without the kernel's own machinery below. */
function userFrames(stack: string): string[] {
  const frames = stack.split("\n").filter((line) => /^\s+at /.test(line));
  const cut = frames.findIndex((f) => /node:vm|runInThisContext|[\\/]jupyter[\\/]executor\.js/.test(f));
  return cut >= 0 ? frames.slice(0, cut) : frames;
}

export function toCellError(err: unknown): CellError {
  if (err instanceof CompileError) {
    return { ename: err.name, evalue: err.diagnostics[0] ?? "compile error", traceback: [`${RED}${err.name}${RESET}`, ...err.diagnostics] };
  }
  if (err instanceof KeyboardInterrupt) {
    return { ename: err.name, evalue: err.message, traceback: [`${RED}${err.name}${RESET}: ${err.message}`] };
  }
  if (err instanceof Error) {
    const ename = err.name || err.constructor?.name || "Error";
    const frames = typeof err.stack === "string" ? userFrames(err.stack) : [];
    return { ename, evalue: err.message, traceback: [`${RED}${ename}${RESET}: ${err.message}`, ...frames] };
  }
  // `throw "text"` or any non-Error value.
  const evalue = typeof err === "string" ? err : inspect(err);
  return { ename: "Error", evalue, traceback: [`${RED}Uncaught${RESET} ${inspect(err)}`] };
}
