// The indicator a widget shows while the kernel works on one of its requests: a spinner and the
// request's name at once, then the kernel's progress (label, done of total, a bar) as it
// reports it, and a Cancel button. Cancel aborts the request's AbortController; the indicator
// then says "Cancelling…" until the kernel's reply ends the request.
import { h } from "./dom";
import type { WorkProgress } from "./protocol";

export class WorkIndicator {
  readonly node = h("div", { cls: "camlab-work", testid: "camlab-work", attrs: { role: "status", "aria-live": "polite" } });
  private readonly spinner = h("span", { cls: "camlab-spinner", attrs: { "aria-hidden": "true" } });
  private readonly text = h("span", { cls: "camlab-work-label", testid: "camlab-work-label" });
  private readonly count = h("span", { cls: "camlab-work-count", testid: "camlab-work-count" });
  private readonly bar = h("progress", { cls: "camlab-work-bar", testid: "camlab-work-bar" });
  readonly cancelButton = h("button", { cls: "camlab-button camlab-work-cancel", testid: "camlab-cancel", text: "Cancel", attrs: { type: "button" } });
  private controller: AbortController | null = null;

  constructor() {
    this.node.append(h("div", { cls: "camlab-work-line" }, [this.spinner, this.text]), this.bar, this.count, this.cancelButton);
    this.node.hidden = true;
    this.cancelButton.addEventListener("click", (e) => {
      e.stopPropagation(); // a click in a pane also activates it
      this.cancel();
    });
  }

  /** Shows the indicator for a new request (cancelling the one shown before, whose result would
   *  be drawn over anyway) and returns the signal that cancels it. */
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
    this.node.hidden = false;
    return controller.signal;
  }

  /** Whether a request is shown (running or cancelling). */
  get active(): boolean {
    return !this.node.hidden;
  }

  progress(p: WorkProgress): void {
    if (this.node.hidden || this.node.dataset.state === "cancelling") return;
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
    this.node.hidden = true;
    this.node.dataset.state = "idle";
  }
}
