// A widget model in the kernel: its state (checked against the ipywidgets 8 spec), its comm, and
// the protocol on that comm — comm_open with the full state and buffer_paths, "update" both ways,
// "echo_update" for every front-end change, "request_state", and "custom" messages.
//
//   const s = new IntSlider({ value: 3, max: 10, description: "k" });
//   s.observe(({ old, new: k }) => console.log(old, "→", k), "value");
//   display(s);              // or make it a cell's last expression
//   s.value = 7;             // one "update" to the front end
//
// Observers run in the kernel, inside the message that caused the change: what they print goes to
// that message (an Output widget's capture() shows it), and the kernel stays busy until async
// observers finish, so the next message (another slider move, a cell) waits for them.
import { closestNames } from "../engine/names";
import { runWork } from "../engine/work";
import { currentKernel, type Comm } from "../jupyter/runtime";
import { JUPYTER_DISPLAY, type DisplayResult } from "../display/mime";
import { MODELS, type ModelName } from "./models.generated";
import { copyDefault, type ModelSpec } from "./spec";
import { PROTOCOL_VERSION, WIDGET_TARGET, WIDGET_VIEW_MIME, widgetRegistry, type RegisteredModel } from "./manager";
import { MODEL_REF_PREFIX, describeValue, putBuffers, removeBuffers, typeMismatch } from "./values";

/** One attribute change, as observers get it (ipywidgets' change dict). */
export interface WidgetChange<T = unknown> {
  /** The attribute that changed. */
  name: string;
  old: T;
  new: T;
  /** The widget whose attribute changed. */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  owner: Widget<any>;
  type: "change";
}

/** An observer: may be async (the kernel waits for it before the next message). */
export type Observer<T = unknown> = (change: WidgetChange<T>) => unknown;

/** A handler of custom messages from the front end. */
export type CustomMessageHandler = (content: unknown, buffers: Uint8Array[]) => unknown;

/** Options every widget takes besides its attributes. */
export interface WidgetOptions {
  /** Attributes not echoed back to the front ends (large or front-end-owned values). */
  noEcho?: readonly string[];
}

function specOf(model: ModelName | ModelSpec): { name: string; spec: ModelSpec } {
  if (typeof model === "string") {
    const spec = (MODELS as Record<string, ModelSpec>)[model];
    if (!spec) {
      const near = closestNames(model, Object.keys(MODELS), 3);
      throw new TypeError(`unknown widget model "${model}"${near.length ? `; did you mean ${near.map((n) => `"${n}"`).join(", ")}?` : ""}`);
    }
    return { name: model, spec };
  }
  const name = model.attributes._model_name?.value;
  if (typeof name !== "string") throw new TypeError(`a widget model spec needs a _model_name attribute with a string default`);
  return { name, spec: model };
}

/** Whether two attribute values are equal (bytes by content, JSON values by their JSON). */
export function sameValue(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (ArrayBuffer.isView(a) && ArrayBuffer.isView(b)) {
    if (a.byteLength !== b.byteLength) return false;
    const x = new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
    const y = new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
    return x.every((v, i) => v === y[i]);
  }
  if (a instanceof Widget || b instanceof Widget) return false;
  if (a && b && typeof a === "object" && typeof b === "object") {
    try {
      return JSON.stringify(a) === JSON.stringify(b);
    } catch {
      return false;
    }
  }
  return false;
}

/** Kernel-side value → wire value (widgets become "IPY_MODEL_<id>"). */
function toWire(v: unknown): unknown {
  if (v instanceof Widget) return `${MODEL_REF_PREFIX}${v.modelId}`;
  if (Array.isArray(v)) return v.map(toWire);
  if (v && typeof v === "object" && !ArrayBuffer.isView(v) && !(v instanceof ArrayBuffer) && Object.getPrototypeOf(v) === Object.prototype) {
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, toWire(x)]));
  }
  return v;
}

/** Wire value → kernel-side value: references of reference-typed attributes become widgets. */
function fromWire(type: string, v: unknown): unknown {
  if (typeof v === "string" && v.startsWith(MODEL_REF_PREFIX) && type.includes("reference to")) {
    const id = v.slice(MODEL_REF_PREFIX.length);
    const w = widgetRegistry().models.get(id);
    if (!w) throw new TypeError(`refers to model ${id}, which the kernel does not know`);
    return w;
  }
  if (Array.isArray(v) && type.includes("array of reference to")) return v.map((x) => fromWire(type, x));
  return v;
}

/**
 * A Jupyter widget model living in the kernel. The typed controls (IntSlider, Dropdown, …) are
 * subclasses; `new Widget("ColorPickerModel", { value: "red" })` makes any model of the spec.
 */
export class Widget<A extends object = Record<string, unknown>> implements RegisteredModel {
  /** The model id: the id of the widget's comm. */
  readonly modelId: string;
  /** The model's name in the spec ("IntSliderModel"). */
  readonly modelName: string;
  /** The spec this widget's state follows. */
  readonly spec: ModelSpec;
  private readonly values: Record<string, unknown> = {};
  private comm: Comm | null = null;
  private isClosed = false;
  private readonly observers: Array<{ names: Set<string> | null; fn: Observer }> = [];
  private readonly customHandlers = new Set<CustomMessageHandler>();
  /** Values just received from the front end: setting them again sends nothing back. */
  private locked: Map<string, unknown> | null = null;
  /** Changes held back by holdSync, sent as one update. */
  private held: Set<string> | null = null;
  private readonly noEcho: Set<string>;

  constructor(model: ModelName | ModelSpec, attributes: Record<string, unknown> = {}, options: WidgetOptions & { comm?: Comm } = {}) {
    const { name, spec } = specOf(model);
    this.modelName = name;
    this.spec = spec;
    this.noEcho = new Set(options.noEcho ?? []);
    if (attributes === null || typeof attributes !== "object" || Array.isArray(attributes)) {
      throw new TypeError(`${this.widgetName}: attributes must be an object, got ${describeValue(attributes)}`);
    }
    for (const key of Object.keys(attributes)) this.attributeSpec(key);
    for (const [attr, a] of Object.entries(spec.attributes)) {
      if (attr in attributes && attributes[attr] !== undefined) continue;
      this.values[attr] = a.newModel ? new Widget(a.newModel as ModelName) : copyDefault(a);
    }
    for (const [key, value] of Object.entries(attributes)) {
      if (value === undefined) continue;
      this.check(key, value);
      this.values[key] = value;
    }
    const registry = widgetRegistry();
    if (options.comm) {
      this.comm = options.comm;
      this.modelId = options.comm.commId;
    } else {
      const kernel = currentKernel();
      const { state, buffer_paths, buffers } = removeBuffers(this.wireState());
      this.comm = kernel ? kernel.openComm(WIDGET_TARGET, { state, buffer_paths }, buffers, { version: PROTOCOL_VERSION }) : null;
      this.modelId = this.comm?.commId ?? `local-${Math.random().toString(36).slice(2)}`;
    }
    registry.models.set(this.modelId, this);
    this.comm?.onMsg((data, buffers) => this.handleMessage(data, buffers));
    this.comm?.onClose(() => this.forget());
  }

  /** The widget's kind for messages: "IntSlider". */
  get widgetName(): string {
    return this.modelName.replace(/Model$/, "");
  }

  get modelModule(): string {
    return String(this.values._model_module ?? this.spec.module);
  }

  get modelModuleVersion(): string {
    return String(this.values._model_module_version ?? this.spec.version);
  }

  /** True once closed (by close() or by the front end). */
  get closed(): boolean {
    return this.isClosed;
  }

  /** The widget's layout model (a LayoutModel widget: `w.layout.set("width", "300px")`). */
  get layout(): Widget {
    return this.values.layout as Widget;
  }

  /** The widget's style model, where it has one. */
  get style(): Widget {
    return this.values.style as Widget;
  }

  /** An attribute's current value. */
  get<K extends keyof A & string>(name: K): A[K];
  get(name: string): unknown;
  get(name: string): unknown {
    this.attributeSpec(name);
    return this.values[name];
  }

  /**
   * Sets one attribute (`set("value", 3)`) or several (`set({ min: 0, max: 9 })`, one update).
   * The value is checked against the spec before anything changes.
   */
  set<K extends keyof A & string>(name: K, value: A[K]): void;
  set(name: string, value: unknown): void;
  set(values: Partial<A> | Record<string, unknown>): void;
  set(nameOrValues: string | object, value?: unknown): void {
    const entries: Array<[string, unknown]> = typeof nameOrValues === "string" ? [[nameOrValues, value]] : Object.entries(nameOrValues ?? {});
    for (const [k, v] of entries) this.check(k, v);
    this.holdSync(() => {
      for (const [k, v] of entries) this.assign(k, v);
    });
  }

  /** Runs `body` and sends every attribute it changed in one update message. */
  holdSync<T>(body: () => T): T {
    if (this.held) return body();
    this.held = new Set();
    try {
      return body();
    } finally {
      const names = [...this.held];
      this.held = null;
      if (names.length) this.sendState(names);
    }
  }

  /**
   * Calls `fn` when one of `names` (default: any attribute) changes, from a cell or from the
   * front end. Returns a function that stops it.
   */
  observe<K extends keyof A & string>(fn: Observer<A[K]>, names: K | readonly K[]): () => void;
  observe(fn: Observer, names?: string | readonly string[]): () => void;
  observe(fn: Observer<never>, names?: string | readonly string[]): () => void {
    if (typeof fn !== "function") throw new TypeError(`${this.widgetName}.observe: the first argument must be a function (change) => void, got ${describeValue(fn)}`);
    const list = names === undefined ? null : typeof names === "string" ? [names] : [...names];
    for (const n of list ?? []) this.attributeSpec(n);
    const entry = { names: list ? new Set(list) : null, fn: fn as Observer };
    this.observers.push(entry);
    return () => {
      const i = this.observers.indexOf(entry);
      if (i >= 0) this.observers.splice(i, 1);
    };
  }

  /**
   * Backbone-style listening, as anywidget's front-end model has it: `on("change:value", fn)` is
   * `observe(fn, "value")`; `on("msg:custom", fn)` is `onMsg(fn)`. Returns a function that stops it.
   */
  on<K extends keyof A & string>(event: `change:${K}`, fn: Observer<A[K]>): () => void;
  on(event: "msg:custom", fn: CustomMessageHandler): () => void;
  on(event: string, fn: Observer<never> | CustomMessageHandler): () => void {
    if (event === "msg:custom") return this.onMsg(fn as CustomMessageHandler);
    const m = /^change:(.+)$/.exec(String(event));
    if (!m) throw new TypeError(`${this.widgetName}.on: the event must be "change:<attribute>" or "msg:custom", got ${describeValue(event)}`);
    return this.observe(fn as Observer, m[1]);
  }

  /** Calls `fn` for each custom message from the front end. Returns a function that stops it. */
  onMsg(fn: CustomMessageHandler): () => void {
    if (typeof fn !== "function") throw new TypeError(`${this.widgetName}.onMsg: the argument must be a function (content, buffers) => void, got ${describeValue(fn)}`);
    this.customHandlers.add(fn);
    return () => this.customHandlers.delete(fn);
  }

  /** Sends a custom message (content as JSON, buffers as binary frames) to the front-end model. */
  send(content: unknown, buffers: ReadonlyArray<ArrayBufferView | ArrayBuffer> = []): void {
    this.comm?.send({ method: "custom", content }, buffers);
  }

  /** Calls `fn` once when the widget closes (by close() or by the front end). */
  protected whenClosed(fn: () => void): void {
    if (this.isClosed) fn();
    else if (this.comm) this.comm.onClose(fn);
  }

  /** Closes the model's comm: its views go away, and it can no longer change. */
  close(): void {
    if (this.isClosed) return;
    this.comm?.close();
    this.forget();
  }

  /** The full state as the wire carries it (references as IPY_MODEL_ strings, buffers in place). */
  wireState(): Record<string, unknown> {
    return toWire(this.values) as Record<string, unknown>;
  }

  /** Shows the widget (`display(w)`, or as a cell's last expression). */
  [JUPYTER_DISPLAY](): DisplayResult {
    return {
      [WIDGET_VIEW_MIME]: { version_major: 2, version_minor: 0, model_id: this.modelId },
      "text/plain": this.toString(),
    };
  }

  toString(): string {
    const shown = ["value", "description"].filter((k) => k in this.spec.attributes && !ArrayBuffer.isView(this.values[k])).map((k) => `${k}=${JSON.stringify(this.values[k])}`);
    if (Array.isArray(this.values.children)) shown.push(`${this.values.children.length} children`);
    return `${this.widgetName}(${shown.join(", ")})`;
  }

  // ---- internals ----

  private attributeSpec(name: string) {
    const a = this.spec.attributes[name];
    if (!a) {
      const near = closestNames(name, Object.keys(this.spec.attributes), 3);
      throw new TypeError(`${this.widgetName} has no attribute "${name}"${near.length ? `; did you mean ${near.map((n) => `"${n}"`).join(", ")}?` : ""}`);
    }
    return a;
  }

  /** Throws a TypeError naming the expected type when `value` does not fit attribute `name`. */
  private check(name: string, value: unknown): void {
    const a = this.attributeSpec(name);
    if (name.startsWith("_model_") || name.startsWith("_view_")) {
      if (this.values[name] !== undefined && value !== this.values[name]) throw new TypeError(`${this.widgetName}.${name} is fixed at creation`);
    }
    const wrong = typeMismatch(a.type, value, (v) => v instanceof Widget);
    if (wrong !== undefined) throw new TypeError(`${this.widgetName}.${name} must be ${wrong}, got ${describeValue(value)}`);
  }

  private assign(name: string, value: unknown): void {
    if (this.isClosed) throw new Error(`${this.widgetName} ${this.modelId} was closed: it cannot change`);
    const old = this.values[name];
    if (sameValue(old, value)) return;
    this.values[name] = value;
    const lockedValue = this.locked?.get(name);
    const fromFrontEnd = this.locked?.has(name) && sameValue(lockedValue, value);
    if (!fromFrontEnd) {
      if (this.held) this.held.add(name);
      else this.sendState([name]);
    }
    this.notify({ name, old, new: value, owner: this, type: "change" });
  }

  private pendingObservers: Promise<void>[] | null = null;
  /** Async observers still running. */
  private readonly inFlight = new Set<Promise<void>>();

  /**
   * Resolves when every async observer started so far has finished: after `w.value = 3` in a
   * cell, `await w.settled()` waits for what the change set off (a front-end change is waited
   * for by the kernel itself).
   */
  async settled(): Promise<void> {
    while (this.inFlight.size) await Promise.all([...this.inFlight]);
  }

  private notify(change: WidgetChange): void {
    for (const { names, fn } of [...this.observers]) {
      if (names && !names.has(change.name)) continue;
      const p = this.runCallback(`an observer of ${change.name}`, () => fn(change));
      if (!p) continue;
      if (this.pendingObservers) this.pendingObservers.push(p);
      this.inFlight.add(p);
      void p.finally(() => this.inFlight.delete(p));
    }
  }

  /**
   * Runs user code (an observer, a message handler): what it throws or rejects is reported, never
   * passed on. Returns the promise of async code (settled, never rejected), else undefined.
   */
  private runCallback(what: string, call: () => unknown): Promise<void> | undefined {
    let result: unknown;
    try {
      result = call();
    } catch (err) {
      this.report(what, err);
      return undefined;
    }
    if (!result || typeof (result as Promise<unknown>).then !== "function") return undefined;
    return (result as Promise<unknown>).then(
      () => undefined,
      (err) => this.report(what, err),
    );
  }

  /** An error in user code run by the widget: printed where the message's output goes. */
  private report(what: string, err: unknown): void {
    console.error(`${this.widgetName} ${this.modelId}: ${what} threw: ${err instanceof Error ? err.stack ?? err.message : String(err)}`);
  }

  private sendState(names: readonly string[], method: "update" | "echo_update" = "update"): void {
    if (!this.comm || this.comm.closed) return;
    const partial: Record<string, unknown> = {};
    for (const n of names) partial[n] = this.values[n];
    const { state, buffer_paths, buffers } = removeBuffers(toWire(partial) as Record<string, unknown>);
    this.comm.send({ method, state, buffer_paths }, buffers);
  }

  /**
   * A message from the front end, handled in a work scope of its own: the callbacks it runs
   * (observers, clicks) stop at their next engine checkpoint when the kernel is interrupted.
   */
  private async handleMessage(data: unknown, buffers: Uint8Array[]): Promise<void> {
    const registry = widgetRegistry();
    const controller = new AbortController();
    registry.running.add(controller);
    try {
      await runWork({ signal: controller.signal }, () => this.dispatch(data, buffers));
    } finally {
      registry.running.delete(controller);
    }
  }

  private async dispatch(data: unknown, buffers: Uint8Array[]): Promise<void> {
    const d = (data ?? {}) as { method?: unknown; state?: unknown; buffer_paths?: unknown; content?: unknown };
    switch (d.method) {
      case "update":
        return this.applyFrontEndState(d.state, d.buffer_paths, buffers);
      case "request_state": {
        const { state, buffer_paths, buffers: bufs } = removeBuffers(this.wireState());
        this.comm?.send({ method: "update", state, buffer_paths }, bufs);
        return;
      }
      case "custom": {
        await Promise.all([...this.customHandlers].map((h) => this.runCallback("a custom message handler", () => h(d.content, buffers))));
        return;
      }
      default:
        currentKernel()?.log(`${this.widgetName} ${this.modelId}: unknown widget message method ${JSON.stringify(d.method)}; ignored`);
    }
  }

  private async applyFrontEndState(rawState: unknown, paths: unknown, buffers: Uint8Array[]): Promise<void> {
    if (rawState === null || typeof rawState !== "object" || Array.isArray(rawState)) {
      currentKernel()?.log(`${this.widgetName} ${this.modelId}: an update without a state object; ignored`);
      return;
    }
    const state = { ...(rawState as Record<string, unknown>) };
    try {
      putBuffers(state, paths, buffers);
    } catch (err) {
      currentKernel()?.log(`${this.widgetName} ${this.modelId}: ${(err as Error).message}; update ignored`);
      return;
    }
    const known = Object.keys(state).filter((k) => k in this.spec.attributes);
    // Echo first (protocol 2.1.0), so every front end learns the order of this change.
    const echoed = known.filter((k) => !this.noEcho.has(k));
    if (echoed.length && this.comm && !this.comm.closed) {
      const echo = removeBuffers(Object.fromEntries(echoed.map((k) => [k, state[k]])));
      this.comm.send({ method: "echo_update", state: echo.state, buffer_paths: echo.buffer_paths }, echo.buffers);
    }
    const accepted = new Map<string, unknown>();
    for (const k of known) {
      try {
        const v = fromWire(this.spec.attributes[k].type, state[k]);
        this.check(k, v);
        accepted.set(k, v);
      } catch (err) {
        console.error(`${this.widgetName}.${k}: the front end sent ${describeValue(state[k])}, which the kernel refused: ${(err as Error).message}`);
      }
    }
    this.locked = accepted;
    this.pendingObservers = [];
    const pending = this.pendingObservers;
    try {
      this.holdSync(() => {
        for (const [k, v] of accepted) this.assign(k, v);
      });
    } finally {
      this.locked = null;
      this.pendingObservers = null;
    }
    await Promise.all(pending);
  }

  private forget(): void {
    this.isClosed = true;
    widgetRegistry().models.delete(this.modelId);
  }
}

// Models the front end creates (comm_open on jupyter.widget): kept with the state they came with.
widgetRegistry().frontendFactory = (comm, data, buffers) => {
  const d = (data ?? {}) as { state?: Record<string, unknown>; buffer_paths?: unknown };
  const state = { ...(d.state ?? {}) };
  putBuffers(state, d.buffer_paths, buffers);
  const name = String(state._model_name ?? "");
  const known = (MODELS as Record<string, ModelSpec>)[name];
  const spec: ModelSpec = known ?? {
    module: String(state._model_module ?? ""),
    version: String(state._model_module_version ?? ""),
    view: typeof state._view_name === "string" ? state._view_name : null,
    viewModule: String(state._view_module ?? ""),
    viewVersion: String(state._view_module_version ?? ""),
    attributes: Object.fromEntries(Object.entries(state).map(([k, v]) => [k, { type: "any", value: v }])),
  };
  const attrs: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(state)) {
    const a = spec.attributes[k];
    if (!a) continue;
    try {
      attrs[k] = fromWire(a.type, v);
    } catch {
      // an unknown reference: leave the default
    }
  }
  new Widget(spec, attrs, { comm });
};
