// The indicator a widget shows while the kernel works on one of its requests: a spinner and the
// request's name, then the kernel's progress (label, done of total, a bar) as it reports it, and
// a Cancel button. Cancel aborts the request's AbortController; the indicator then says
// "Cancelling…" until the kernel's reply ends the request.
//
// It appears only once a request has run for SHOW_WORK_AFTER_MS: most replies (a class switch, a
// page of tiles) come sooner, and showing then hiding the indicator made the browser lay out and
// paint the widget twice, about 10 ms of a 30 ms class switch, for a flash nobody could read.
import { h } from "./dom";
import type { WorkProgress } from "./protocol";

/** How long a request runs before its indicator (and the dimming of what it will replace) shows. */
export const SHOW_WORK_AFTER_MS = 150;

export class WorkIndicator {
  readonly node = h("div", { cls: "camlab-work", testid: "camlab-work", attrs: { role: "status", "aria-live": "polite" } });
  private readonly spinner = h("span", { cls: "camlab-spinner", attrs: { "aria-hidden": "true" } });
  private readonly text = h("span", { cls: "camlab-work-label", testid: "camlab-work-label" });
  private readonly count = h("span", { cls: "camlab-work-count", testid: "camlab-work-count" });
  private readonly bar = h("progress", { cls: "camlab-work-bar", testid: "camlab-work-bar" });
  readonly cancelButton = h("button", { cls: "camlab-button camlab-work-cancel", testid: "camlab-cancel", text: "Cancel", attrs: { type: "button" } });
  private controller: AbortController | null = null;
  private showTimer: ReturnType<typeof setTimeout> | null = null;
  private readonly dimmed: HTMLElement[] = [];

  constructor() {
    this.node.append(h("div", { cls: "camlab-work-line" }, [this.spinner, this.text]), this.bar, this.count, this.cancelButton);
    this.node.hidden = true;
    this.cancelButton.addEventListener("click", (e) => {
      e.stopPropagation(); // a click in a pane also activates it
      this.cancel();
    });
  }

  /** Gives `el` the busy look (class camlab-busy) whenever the indicator shows. */
  dims(el: HTMLElement): void {
    this.dimmed.push(el);
  }

  /** Starts the indicator for a new request (cancelling the one before, whose result would be
   *  drawn over anyway) and returns the signal that cancels it. The indicator shows after
   *  SHOW_WORK_AFTER_MS, or at once when the request before was showing. */
  start(what: string): AbortSignal {
    this.controller?.abort();
    const controller = new AbortController();
    this.controller = controller;
    this.text.textContent = what;
    this.count.textContent = "";
    this.bar.removeAttribute("value"); // indeterminate until the kernel reports
    this.bar.setAttribute("aria-label", what);
    this.cancelButton.disabled = false;
    this.cancelButton.textContent = "Cancel";
    this.node.dataset.state = "running";
    delete this.node.dataset.done;
    delete this.node.dataset.total;
    if (this.showTimer !== null) clearTimeout(this.showTimer);
    this.showTimer = null;
    if (this.node.hidden) this.showTimer = setTimeout(() => this.show(), SHOW_WORK_AFTER_MS);
    return controller.signal;
  }

  /** Whether a request is running or cancelling (shown or not yet). */
  get active(): boolean {
    return this.controller !== null;
  }

  private show(): void {
    this.showTimer = null;
    if (!this.controller) return;
    this.node.hidden = false;
    for (const el of this.dimmed) el.classList.add("camlab-busy");
  }

  progress(p: WorkProgress): void {
    if (!this.controller || this.node.dataset.state === "cancelling") return;
    this.text.textContent = p.label;
    const total = Math.max(0, p.total);
    const done = Math.min(Math.max(0, p.done), total);
    this.count.textContent = total > 0 ? `${done} / ${total}` : "";
    if (total > 0) {
      this.bar.max = total;
      this.bar.value = done;
    }
    this.node.dataset.done = String(done);
    this.node.dataset.total = String(total);
  }

  /** Drops the request shown (or pending), aborting its signal, as a new one answered at once
   *  would: nothing is shown, and its late reply is not drawn. */
  supersede(): void {
    this.stop(this.start(""));
  }

  /** Sends the cancel (through the signal) and says so until the request ends. */
  cancel(): void {
    if (!this.controller || this.node.dataset.state === "cancelling") return;
    this.node.dataset.state = "cancelling";
    this.node.dataset.cancelledAt = String(performance.now());
    this.cancelButton.disabled = true;
    this.cancelButton.textContent = "Cancelling…";
    this.controller.abort();
  }

  /** The request of `signal` ended (result, error or cancelled); a newer request's display stays. */
  stop(signal: AbortSignal): void {
    if (this.controller?.signal !== signal) return;
    this.controller = null;
    if (this.showTimer !== null) clearTimeout(this.showTimer);
    this.showTimer = null;
    this.node.hidden = true;
    this.node.dataset.state = "idle";
    for (const el of this.dimmed) el.classList.remove("camlab-busy");
  }
}
