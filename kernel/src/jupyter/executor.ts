// The executor bridge: tslab's converter does the TypeScript work (type check against earlier
// cells, transpile, top-level await, completion, quick info); this module runs the output and
// reports results and errors as values instead of console text (tslab's own executor prints
// them), and makes both kinds of cell interruptible:
//   - a synchronous cell runs under vm's breakOnSigint, so SIGINT stops even `while(true){}`;
//   - an async cell runs in a work scope (engine/work.ts) whose signal an interrupt fires: the
//     engine's long loops stop at their next checkpoint, and every `await` in the cell's own code
//     checks the signal when it resumes (the cell's output is rewritten so), so an interrupted
//     cell's code does not go on in the background; a cell that does not settle within a second
//     of the interrupt is answered KeyboardInterrupt anyway.
// Variables live on one `locals` object shared by all cells. A cell that throws keeps what it
// did before the throw, as in IPython: the names it bound stay bound (values and types), the
// names it did not reach keep their earlier values.
import vm from "node:vm";
import { createConverter, isCompleteCode, type Converter } from "tslab/dist/converter";
import { getCodeMetadata } from "tslab/dist/metadata";
import { formatQuickInfo } from "./quickInfo";
import { displayContent } from "../display/mime";
import { CompileError, KeyboardInterrupt, isSigintInterruption, toCellError } from "./errors";
import { SideModules, createCellRequire, installTypeForwarding, tslabTypeScript } from "./modules";
import { currentSignal, runWork, type Progress } from "../engine/work";
import { declarationsAfterFailure, expandShorthandProperties, rewriteCellOutput } from "./cellSource";

export type ExecuteOutcome =
  | { status: "ok"; hasValue: boolean; value?: unknown }
  | { status: "error"; error: unknown };

export interface CompletionResult {
  cursorStart: number;
  cursorEnd: number;
  matches: string[];
}

export type IsCompleteStatus = { status: "complete" } | { status: "incomplete"; indent: string } | { status: "invalid" };

/** Name of the global through which wrapped cell code reaches its locals and require. */
const CELL_GLOBAL = "__camlab_cell__";

/** How long an interrupted cell may take to stop by itself (engine checkpoint, next await) before it is answered anyway. */
export const INTERRUPT_SETTLE_MS = 1000;

export interface ExecuteOptions {
  /** Progress of the cell's long engine work (Score-CAM, curves, training…). */
  onProgress?: (progress: Progress) => void;
}

export class CellExecutor {
  private readonly converter: Converter;
  private prevDecl = "";
  private readonly locals: Record<string, unknown> = {};
  private readonly side = new SideModules();
  private interruptCurrent: ((err: Error) => void) | undefined;
  /** Cancels the running cell's engine work and its awaits. */
  private cellController: AbortController | undefined;
  /** Names of locals the running cell assigned (so far). */
  private assigned = new Set<string>();

  /** A cell is being compiled or run (an interrupt then must not be lost). */
  private busy = false;
  /** An interrupt arrived while the cell was not interruptible yet (type-checking). */
  private pendingInterrupt = false;
  private cellNumber = 0;

  constructor(
    readonly cwd: string,
    camlab: () => unknown,
  ) {
    installTypeForwarding(cwd);
    this.converter = createConverter({ isJS: false, isBrowser: false });
    const cellRequire = createCellRequire(cwd, this.side, camlab);
    const exportsProxy = this.createExportsProxy();
    (globalThis as Record<string, unknown>)[CELL_GLOBAL] = { exports: exportsProxy, require: cellRequire, resumed: resumedAwait };
  }

  /**
   * TypeScript emits `Object.defineProperty(exports, name, {get})` for named imports; copying the
   * current value (instead of keeping a getter) keeps names re-assignable by later cells.
   */
  private createExportsProxy(): Record<string, unknown> {
    const locals = this.locals;
    return new Proxy(locals, {
      defineProperty: (_target, prop, attrs) => {
        if (prop === "__esModule") return true;
        locals[prop as string] = attrs.get ? attrs.get() : attrs.value;
        this.assigned.add(prop as string);
        return true;
      },
      set: (_target, prop, value) => {
        locals[prop as string] = value;
        this.assigned.add(prop as string);
        return true;
      },
    });
  }

  /** Variables defined by cells so far (by name). */
  get variables(): Readonly<Record<string, unknown>> {
    return this.locals;
  }

  async execute(code: string, options: ExecuteOptions = {}): Promise<ExecuteOutcome> {
    this.busy = true;
    this.pendingInterrupt = false;
    const controller = new AbortController();
    this.cellController = controller;
    try {
      return await runWork({ signal: controller.signal, onProgress: options.onProgress }, () => this.executeNow(code));
    } finally {
      this.busy = false;
      this.pendingInterrupt = false;
      this.cellController = undefined;
    }
  }

  private async executeNow(code: string): Promise<ExecuteOutcome> {
    const meta = getCodeMetadata(code);
    if (meta.mode === "browser") {
      return { status: "error", error: new CompileError(["/** @browser */ cells are not supported by camlab: cells run in the kernel's node process"]) };
    }
    if (meta.module) {
      const diagnostics = this.converter.addModule(meta.module, code, meta);
      if (diagnostics.length > 0) return { status: "error", error: new CompileError(diagnostics.map(formatDiagnostic)) };
      return { status: "ok", hasValue: false };
    }
    const converted = this.converter.convert(this.prevDecl, expandShorthandProperties(code));
    if (converted.sideOutputs) this.side.update(converted.sideOutputs);
    if (converted.diagnostics.length > 0) {
      return { status: "error", error: new CompileError(converted.diagnostics.map(formatDiagnostic)) };
    }
    if (!converted.output) {
      this.prevDecl = converted.declOutput ?? "";
      return { status: "ok", hasValue: false };
    }
    // Type-checking above is synchronous: a SIGINT that arrived meanwhile is still waiting in the
    // event loop. One turn lets its handler run, so that interrupt is not lost (it would
    // otherwise fire only after the cell, or never for an endless loop).
    await new Promise((resolve) => setImmediate(resolve));
    if (this.pendingInterrupt) return { status: "error", error: new KeyboardInterrupt() };
    const cellName = `cell[${++this.cellNumber}]`;
    const rewritten = rewriteCellOutput(converted.output, `${CELL_GLOBAL}.resumed`);
    const wrapped =
      (converted.hasToplevelAwait ? "(async function (exports, require) { " : "(function (exports, require) { ") +
      rewritten.code +
      `\n})(${CELL_GLOBAL}.exports, ${CELL_GLOBAL}.require)`;
    this.assigned = new Set();
    try {
      const result: unknown = vm.runInThisContext(wrapped, { filename: cellName, breakOnSigint: true });
      if (converted.hasToplevelAwait) await this.raceInterrupt(result as Promise<unknown>);
    } catch (err) {
      // What ran before the throw stays: declarations of the names the cell did assign.
      this.prevDecl = declarationsAfterFailure(this.prevDecl, converted.declOutput ?? "", rewritten.declaredNames, this.assigned);
      return { status: "error", error: isSigintInterruption(err) ? new KeyboardInterrupt() : err };
    }
    this.prevDecl = converted.declOutput ?? "";
    const name = converted.lastExpressionVar;
    if (name && name in this.locals) {
      const value = this.locals[name];
      delete this.locals[name];
      if (value !== undefined) return { status: "ok", hasValue: true, value };
    }
    return { status: "ok", hasValue: false };
  }

  private raceInterrupt(promise: Promise<unknown>): Promise<unknown> {
    let settleTimer: NodeJS.Timeout | undefined;
    const interrupted = new Promise<never>((_, reject) => {
      // The cell gets a moment to stop by itself (its error then says where it stopped).
      this.interruptCurrent = (err) => {
        settleTimer = setTimeout(() => reject(err), INTERRUPT_SETTLE_MS);
      };
    });
    if (this.pendingInterrupt) this.interrupt();
    return Promise.race([promise, interrupted]).finally(() => {
      clearTimeout(settleTimer);
      this.interruptCurrent = undefined;
    });
  }

  /**
   * Interrupts the running cell: its work scope is cancelled (engine loops stop at their next
   * checkpoint, the cell's awaits throw when they resume) and the cell is answered within
   * INTERRUPT_SETTLE_MS; a cell still being type-checked does not start. (A synchronous cell
   * already running is stopped by SIGINT itself, via breakOnSigint.) Returns false when no cell
   * is executing.
   */
  interrupt(): boolean {
    const reject = this.interruptCurrent;
    if (reject) {
      this.interruptCurrent = undefined;
      this.pendingInterrupt = false;
      this.cellController?.abort("interrupted");
      reject(new KeyboardInterrupt());
      return true;
    }
    if (!this.busy) return false;
    this.cellController?.abort("interrupted");
    this.pendingInterrupt = true;
    return true;
  }

  /**
   * user_expressions of an execute_request: each is a JavaScript expression evaluated with the
   * cells' variables in scope (TypeScript-only syntax is not transpiled here).
   */
  evaluateExpressions(expressions: unknown): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    if (expressions === null || typeof expressions !== "object") return out;
    for (const [key, expr] of Object.entries(expressions as Record<string, unknown>)) {
      try {
        if (typeof expr !== "string") throw new TypeError(`user expression "${key}" must be a string`);
        const fn = vm.runInThisContext(`(function (locals) { with (locals) { return (${expr}\n); } })`, { filename: `user_expressions[${key}]` });
        const shown = displayContent(fn(this.locals));
        out[key] = { status: "ok", data: shown.data, metadata: shown.metadata };
      } catch (err) {
        out[key] = { status: "error", ...toCellError(err) };
      }
    }
    return out;
  }

  complete(code: string, cursorPos: number): CompletionResult {
    const info = this.converter.complete(this.prevDecl, code, cursorPos);
    return { cursorStart: info.start, cursorEnd: info.end, matches: info.candidates };
  }

  /** Quick info (type and docs) at the cursor, as text; undefined when there is nothing there. */
  inspect(code: string, cursorPos: number): string | undefined {
    const info = this.converter.inspect(this.prevDecl, code, cursorPos);
    if (!info) return undefined;
    const text = formatQuickInfo(info);
    return text === "" ? undefined : text;
  }

  /**
   * tslab decides complete/incomplete from parse errors at the very end of the code; we add
   * "invalid": code with a syntax error elsewhere can never be completed by more typing.
   */
  isComplete(code: string): IsCompleteStatus {
    const res = isCompleteCode(code);
    if (!res.completed) return { status: "incomplete", indent: res.indent ?? "" };
    const syntax = syntaxErrors(code);
    if (syntax.length === 0) return { status: "complete" };
    // An unterminated string, template or comment at the very end can still be finished by typing.
    const last = syntax[syntax.length - 1];
    if (/^Unterminated|'\*\/' expected/.test(last.message) && last.end >= code.length) return { status: "incomplete", indent: "" };
    return { status: "invalid" };
  }

  close(): void {
    this.converter.close();
  }
}

/**
 * Called with the value of every `await` in a cell's code as it resumes: an interrupted cell
 * stops there instead of going on in the background.
 */
function resumedAwait<T>(value: T): T {
  const signal = currentSignal();
  if (signal?.aborted) throw new KeyboardInterrupt("the kernel was interrupted while this cell was waiting (await)");
  return value;
}

function syntaxErrors(code: string): { message: string; end: number }[] {
  const ts = tslabTypeScript() as unknown as typeof import("@tslab/typescript-for-tslab");
  const sf = ts.createSourceFile("cell.ts", code, ts.ScriptTarget.Latest, false, ts.ScriptKind.TS);
  const diags = (sf as unknown as { parseDiagnostics?: { start: number; length: number; messageText: unknown }[] }).parseDiagnostics ?? [];
  return diags.map((d) => ({
    message: typeof d.messageText === "string" ? d.messageText : String((d.messageText as { messageText?: string })?.messageText ?? ""),
    end: d.start + d.length,
  }));
}

interface TslabDiagnostic {
  start: { line: number; character: number };
  messageText: string;
  fileName?: string;
}

function formatDiagnostic(d: TslabDiagnostic): string {
  return `${d.fileName ? `${d.fileName} ` : ""}${d.start.line + 1}:${d.start.character + 1} - ${d.messageText}`;
}
