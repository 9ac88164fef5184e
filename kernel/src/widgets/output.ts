// The Output widget: an output area inside a widget. The front end shows in it every output whose
// parent message is the widget's `msg_id` (the protocol's way of capturing), so capture() sets
// msg_id to the message being handled — the running cell, or the click or slider move whose
// callback runs — and clears it afterwards.
import { currentKernel } from "../jupyter/runtime";
import { Widget } from "./widget";
import { describeValue } from "./values";

/** Attributes of Output. */
export interface OutputAttributes {
  /** The parent message id whose outputs the front end captures ("" when not capturing). */
  msg_id: string;
  /** The captured outputs, as the front end reports them. */
  outputs: Array<Record<string, unknown>>;
  [attribute: string]: unknown;
}

/** An output area in a widget: `out.capture(() => console.log("shown inside"))`. */
export class Output extends Widget<OutputAttributes> {
  constructor(options?: { layout?: Widget }) {
    // The front end owns `outputs` (it syncs them back); echoing them would only double traffic.
    super("OutputModel", options ?? {}, { noEcho: ["outputs"] });
  }

  /** The captured outputs (what the front end shows in this widget). */
  get outputs(): Array<Record<string, unknown>> {
    return this.get("outputs");
  }

  /**
   * Runs `body` with this widget capturing its outputs: console.log, display(), errors printed by
   * the body all show in the widget. Works in a cell and in widget callbacks (onClick, observe).
   */
  async capture<T>(body: () => T | Promise<T>): Promise<T> {
    if (typeof body !== "function") throw new TypeError(`Output.capture: the argument must be a function, got ${describeValue(body)}`);
    const request = currentKernel()?.currentRequest();
    const previous = this.get("msg_id");
    this.set("msg_id", request?.msg_id ?? "");
    try {
      return await body();
    } finally {
      if (!this.closed) this.set("msg_id", previous);
    }
  }

  /** Clears the widget's outputs; with wait=true, only when the next output arrives (no flicker). */
  async clear(wait = false): Promise<void> {
    await this.capture(() => currentKernel()?.clearOutput(wait));
    if (!currentKernel() && !this.closed) this.set("outputs", []);
  }
}
