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
  try {
    return (err as { code?: string })?.code === "ERR_SCRIPT_EXECUTION_INTERRUPTED";
  } catch {
    return false; // a revoked Proxy, a throwing getter: not vm's error
  }
}

/** Stack frames of the cell and the code it called, without the kernel's own machinery below. */
function userFrames(stack: string): string[] {
  const frames = stack.split("\n").filter((line) => /^\s+at /.test(line));
  const cut = frames.findIndex((f) => /node:vm|runInThisContext|[\\/]jupyter[\\/]executor\.js/.test(f));
  return cut >= 0 ? frames.slice(0, cut) : frames;
}

/**
 * Never throws, whatever was thrown: an object whose custom inspect throws, a revoked Proxy, an
 * Error whose `name` or `message` getter throws (formatting those once aborted the kernel).
 */
export function toCellError(err: unknown): CellError {
  try {
    return formatCellError(err);
  } catch (formatError) {
    let why = "";
    try {
      why = String((formatError as Error)?.message ?? "");
    } catch {
      why = "";
    }
    return { ename: "Error", evalue: `a value was thrown that cannot be shown (formatting it failed${why ? `: ${why}` : ""})`, traceback: [`${RED}Uncaught${RESET} <a value that cannot be shown>`] };
  }
}

function safeInspect(value: unknown): string {
  try {
    return inspect(value);
  } catch {
    try {
      return Object.prototype.toString.call(value);
    } catch {
      return "<a value that cannot be shown>";
    }
  }
}

function formatCellError(err: unknown): CellError {
  if (err instanceof CompileError) {
    return { ename: err.name, evalue: err.diagnostics[0] ?? "compile error", traceback: [`${RED}${err.name}${RESET}`, ...err.diagnostics] };
  }
  if (err instanceof KeyboardInterrupt) {
    return { ename: err.name, evalue: err.message, traceback: [`${RED}${err.name}${RESET}: ${err.message}`] };
  }
  if (err instanceof Error) {
    const ename = String(err.name || err.constructor?.name || "Error");
    const message = String(err.message);
    const frames = typeof err.stack === "string" ? userFrames(err.stack) : [];
    return { ename, evalue: message, traceback: [`${RED}${ename}${RESET}: ${message}`, ...frames] };
  }
  // `throw "text"` or any non-Error value.
  const shown = safeInspect(err);
  const evalue = typeof err === "string" ? err : shown;
  return { ename: "Error", evalue, traceback: [`${RED}Uncaught${RESET} ${shown}`] };
}
