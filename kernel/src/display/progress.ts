// The live progress display of a cell's long engine work: one output per cell, updated in place
// (update_display_data), with a text/plain line for front ends and saved notebooks that show
// text only and a small HTML bar. The kernel creates one per execute_request and feeds it the
// engine's progress reports (engine/work.ts); nothing is shown for cells that report none, and
// nothing outside a kernel. Turn it off with `camlab.setProgressDisplay(false)` or
// CAMLAB_PROGRESS=0.
import { randomUUID } from "node:crypto";
import type { Progress } from "../engine/work";
import type { MimeBundle } from "./mime";

let enabled = process.env.CAMLAB_PROGRESS !== "0";

/** Turns the live progress display of long work in cells on or off (default on; CAMLAB_PROGRESS=0 turns it off). */
export function setProgressDisplay(on: boolean): void {
  enabled = on;
}

/** Whether cells show live progress for long engine work. */
export function progressDisplayEnabled(): boolean {
  return enabled;
}

/** Renders one progress report as text (`scorecam out_relu: 640/1280 (50%) · 12.1 s`). */
export function progressText(p: Progress, elapsedMs: number): string {
  const pct = p.total > 0 ? Math.floor((100 * p.done) / p.total) : 0;
  return `${p.label}: ${p.done}/${p.total} (${pct}%) · ${(elapsedMs / 1000).toFixed(1)} s`;
}

const escapeHtml = (s: string): string => s.replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" })[c]!);

/** One cell's progress output; `report` may be handed to the engine as its onProgress. */
export class ProgressDisplay {
  private readonly id = `camlab-progress-${randomUUID()}`;
  private readonly started = Date.now();
  private shown = false;
  private last?: Progress;

  constructor(private readonly publish: (data: MimeBundle, displayId: string, update: boolean) => void) {}

  readonly report = (p: Progress): void => {
    this.last = p;
    this.render(p);
  };

  /** The cell ended: the display keeps its last state (like tqdm), marked as stopped if unfinished. */
  finish(): void {
    if (this.shown && this.last && this.last.done < this.last.total) this.render(this.last, " — stopped");
  }

  private render(p: Progress, suffix = ""): void {
    const text = progressText(p, Date.now() - this.started) + suffix;
    const html = `<div class="camlab-progress" style="font-family: var(--jp-code-font-family, monospace); font-size: var(--jp-code-font-size, 12px)"><progress max="${p.total}" value="${p.done}" style="width: 16em; vertical-align: middle" aria-label="${escapeHtml(p.label)}"></progress> <span>${escapeHtml(text)}</span></div>`;
    this.publish({ "text/plain": text, "text/html": html }, this.id, this.shown);
    this.shown = true;
  }
}
