// display(), clearOutput() and display handles — usable from cells (they are globals there) and
// from any code in the kernel process. Outside a kernel (a plain node script) display() prints
// the text/plain form to stdout and clearOutput() does nothing, so library code can call them
// unconditionally.
import { randomUUID } from "node:crypto";
import { currentKernel } from "../jupyter/runtime";
import { displayContent, type DisplayContent } from "./mime";

/** Options of display(): a display id to update later, extra metadata, transient data. */
export interface DisplayOptions {
  /** Reuse a display id (a later display/update with the same id replaces all its outputs). */
  displayId?: string;
  /** Extra display metadata (merged over the value's own), keyed by MIME type. */
  metadata?: Record<string, unknown>;
}

function contentWith(value: unknown, metadata: Record<string, unknown> | undefined): DisplayContent {
  const content = displayContent(value);
  if (metadata !== undefined) {
    if (metadata === null || typeof metadata !== "object" || Array.isArray(metadata)) {
      throw new TypeError(`display: options.metadata must be an object keyed by MIME type, got ${metadata === null ? "null" : typeof metadata}`);
    }
    content.metadata = { ...content.metadata, ...metadata };
  }
  return content;
}

function publish(content: DisplayContent, displayId: string, update: boolean): void {
  const kernel = currentKernel();
  if (kernel) {
    kernel.publishDisplay(content.data, content.metadata, displayId, update);
  } else {
    process.stdout.write(`${String(content.data["text/plain"] ?? "")}\n`);
  }
}

/**
 * Marks values a cell should not echo as its result: `display(x)` as a cell's last line shows x
 * once, not x and then its handle. Read by the kernel through Symbol.for, so any copy of camlab works.
 */
export const NOT_A_RESULT = Symbol.for("camlab.display.notAResult");

/** A display that can be replaced in place (progress bars, live figures). */
export class DisplayHandle {
  readonly [NOT_A_RESULT] = true;
  constructor(readonly displayId: string) {}

  /** Replaces every output shown under this display id (update_display_data). */
  update(value: unknown, options: { metadata?: Record<string, unknown> } = {}): void {
    publish(contentWith(value, options.metadata), this.displayId, true);
  }

  /** Shows the value as a NEW output that shares this display id (later updates change both). */
  display(value: unknown, options: { metadata?: Record<string, unknown> } = {}): DisplayHandle {
    publish(contentWith(value, options.metadata), this.displayId, false);
    return this;
  }
}

/**
 * Shows a value in the current cell's output (display_data) and returns a handle to update it.
 * Values with [Symbol.for("Jupyter.display")]() are shown with their MIME bundle; anything else
 * with its text repr.
 */
export function display(value: unknown, options: DisplayOptions = {}): DisplayHandle {
  if (options === null || typeof options !== "object") {
    throw new TypeError(`display: the second argument must be an options object { displayId?, metadata? }, got ${options === null ? "null" : typeof options}`);
  }
  const { displayId } = options;
  if (displayId !== undefined && (typeof displayId !== "string" || displayId === "")) {
    throw new TypeError(`display: options.displayId must be a non-empty string, got ${JSON.stringify(displayId)}`);
  }
  const handle = new DisplayHandle(displayId ?? randomUUID());
  return handle.display(value, { metadata: options.metadata });
}

/** Clears the current cell's output; with wait=true, only once the next output arrives (no flicker). */
export function clearOutput(wait = false): void {
  if (typeof wait !== "boolean") {
    throw new TypeError(`clearOutput: "wait" must be a boolean, got ${typeof wait}`);
  }
  currentKernel()?.clearOutput(wait);
}
