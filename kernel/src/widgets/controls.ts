// The standard controls of ipywidgets 8 as typed TypeScript classes. Each is a Widget of its spec
// model with accessors for the attributes people use (`slider.value = 3`); every other attribute of
// the spec is there through get/set. Names and attributes follow ipywidgets, so its documentation
// reads across: IntSlider({ value, min, max, step, description, continuous_update, … }).
import { MODELS, type ModelName } from "./models.generated";
import { sameValue, Widget, type Observer, type WidgetChange } from "./widget";
import { asBytes, describeValue } from "./values";

/** Attributes most controls share. */
export interface DescriptionAttributes {
  /** The label shown beside the control. */
  description: string;
  /** Greyed out, no user changes. */
  disabled: boolean;
  /** A tooltip caption. */
  tooltip: string | null;
  [attribute: string]: unknown;
}

/** Installs accessors `w.name` ↔ `w.get/set(name)` for the listed attributes. */
function accessors(cls: { prototype: object }, names: readonly string[]): void {
  for (const name of names) {
    Object.defineProperty(cls.prototype, name, {
      get(this: Widget) {
        return this.get(name);
      },
      set(this: Widget, v: unknown) {
        this.set(name, v);
      },
      configurable: true,
      enumerable: false,
    });
  }
}

const COMMON = ["description", "disabled", "tooltip"] as const;

function attributesOf(model: ModelName): readonly string[] {
  return Object.keys(MODELS[model].attributes);
}

function checkOptions<T extends object>(what: string, options: T | undefined): T {
  if (options === undefined) return {} as T;
  if (options === null || typeof options !== "object" || Array.isArray(options)) {
    throw new TypeError(`${what}: options must be an object of attributes, e.g. { value: 1, description: "x" }, got ${describeValue(options)}`);
  }
  return options;
}

// ---- numbers ----

/** Attributes of IntSlider (ipywidgets 8 IntSliderModel). */
export interface IntSliderAttributes extends DescriptionAttributes {
  value: number;
  min: number;
  max: number;
  step: number;
  /** Send every move while dragging (true) or only on release. */
  continuous_update: boolean;
  orientation: "horizontal" | "vertical";
  readout: boolean;
  readout_format: string;
}

/** Attributes of FloatSlider (ipywidgets 8 FloatSliderModel). */
export interface FloatSliderAttributes extends IntSliderAttributes {}

/** The value clamped to [min, max], as ipywidgets' bounded widgets do. */
function clampInto(w: Widget, attrs: Record<string, unknown>): Record<string, unknown> {
  const min = (attrs.min ?? w.get("min")) as number;
  const max = (attrs.max ?? w.get("max")) as number;
  if (typeof min === "number" && typeof max === "number" && min > max) {
    throw new RangeError(`${w.widgetName}: min (${min}) must not be above max (${max})`);
  }
  const value = (attrs.value ?? w.get("value")) as number;
  if (typeof value === "number" && typeof min === "number" && typeof max === "number") {
    const clamped = Math.min(max, Math.max(min, value));
    if (clamped !== value || "value" in attrs) return { ...attrs, value: clamped };
  }
  return attrs;
}

/** Initial attributes with the value clamped into [min, max] (defaults from the spec). */
function clampInitial(model: ModelName, attrs: Record<string, unknown>): Record<string, unknown> {
  const d = MODELS[model].attributes as Record<string, { value?: unknown }>;
  const get = (k: string) => (k in attrs ? attrs[k] : d[k]?.value) as number;
  const [min, max, value] = [get("min"), get("max"), get("value")];
  if (typeof min !== "number" || typeof max !== "number" || typeof value !== "number") return attrs;
  if (min > max) throw new RangeError(`${model.replace(/Model$/, "")}: min (${min}) must not be above max (${max})`);
  return { ...attrs, value: Math.min(max, Math.max(min, value)) };
}

/** A slider whose value stays within [min, max] (a value outside is clamped, as in ipywidgets). */
abstract class BoundedNumber<A extends IntSliderAttributes> extends Widget<A> {
  override set(nameOrValues: string | object, value?: unknown): void {
    const attrs = typeof nameOrValues === "string" ? { [nameOrValues]: value } : { ...(nameOrValues as Record<string, unknown>) };
    if ("value" in attrs || "min" in attrs || "max" in attrs) super.set(clampInto(this as unknown as Widget, attrs));
    else super.set(attrs);
  }
}

/** An integer slider. `new IntSlider({ value: 3, min: 0, max: 10, description: "k" })` */
export class IntSlider extends BoundedNumber<IntSliderAttributes> {
  constructor(options?: Partial<IntSliderAttributes>) {
    super("IntSliderModel", clampInitial("IntSliderModel", checkOptions("IntSlider", options)));
  }
}
export interface IntSlider extends IntSliderAttributes {}
accessors(IntSlider, attributesOf("IntSliderModel").filter((a) => !a.startsWith("_") && a !== "layout" && a !== "style"));

/** A float slider. `new FloatSlider({ value: 0.5, min: 0, max: 1, step: 0.05 })` */
export class FloatSlider extends BoundedNumber<FloatSliderAttributes> {
  constructor(options?: Partial<FloatSliderAttributes>) {
    super("FloatSliderModel", clampInitial("FloatSliderModel", checkOptions("FloatSlider", options)));
  }
}
export interface FloatSlider extends FloatSliderAttributes {}
accessors(FloatSlider, attributesOf("FloatSliderModel").filter((a) => !a.startsWith("_") && a !== "layout" && a !== "style"));

// ---- selections ----

/** An option of a selection: a label, or a [label, value] pair. */
export type SelectionOption<V> = string | number | readonly [string, V];

/** Attributes of Dropdown and ToggleButtons, as the kernel sees them. */
export interface SelectionAttributes<V> extends DescriptionAttributes {
  /** The options: labels, or [label, value] pairs. */
  options: ReadonlyArray<SelectionOption<V>>;
  /** The selected value (of `options`), or null when nothing is selected. */
  value: V | null;
  /** The selected label. */
  label: string | null;
  /** The selected position in `options`, or null. */
  index: number | null;
}

function splitOptions<V>(what: string, options: unknown): { labels: string[]; values: V[] } {
  if (!Array.isArray(options)) throw new TypeError(`${what}.options must be an array of labels or [label, value] pairs, got ${describeValue(options)}`);
  const labels: string[] = [];
  const values: V[] = [];
  options.forEach((o, i) => {
    if (Array.isArray(o)) {
      if (o.length !== 2 || typeof o[0] !== "string") throw new TypeError(`${what}.options[${i}] must be a label or a [label, value] pair, got ${describeValue(o)}`);
      labels.push(o[0]);
      values.push(o[1] as V);
    } else if (typeof o === "string" || typeof o === "number") {
      labels.push(String(o));
      values.push(o as V);
    } else {
      throw new TypeError(`${what}.options[${i}] must be a string, a number or a [label, value] pair, got ${describeValue(o)}`);
    }
  });
  return { labels, values };
}


/**
 * A single selection (Dropdown, ToggleButtons): on the wire the front end knows only the labels
 * (`_options_labels`) and the selected `index`; `value` and `label` are the kernel's view of it,
 * observable like any attribute.
 */
abstract class Selection<V> extends Widget<SelectionAttributes<V>> {
  private optionValues: V[];

  protected constructor(model: "DropdownModel" | "ToggleButtonsModel", options: Partial<SelectionAttributes<V>> & Record<string, unknown>) {
    const what = model.replace(/Model$/, "");
    const { options: opts, value, label, index, ...rest } = checkOptions(what, options);
    const { labels, values } = splitOptions<V>(what, opts ?? []);
    let selected: number | null = labels.length ? 0 : null;
    if (index !== undefined) {
      if (index !== null && !(Number.isInteger(index) && index >= 0 && index < labels.length)) {
        throw new RangeError(`${what}.index must be an integer in [0, ${labels.length - 1}] or null, got ${describeValue(index)}`);
      }
      selected = index;
    } else if (label !== undefined) {
      selected = label === null ? null : labels.indexOf(label);
      if (selected === -1) throw new RangeError(`${what}.label ${JSON.stringify(label)} is not one of ${labels.map((x) => JSON.stringify(x)).join(", ")}`);
    } else if (value !== undefined) {
      selected = value === null ? null : values.findIndex((o) => sameValue(o, value));
      if (selected === -1) throw new RangeError(`${what}.value ${describeValue(value)} is not one of the options (${labels.map((l) => JSON.stringify(l)).join(", ")})`);
    }
    super(model, { ...rest, _options_labels: labels, index: selected });
    this.optionValues = values;
  }

  get options(): ReadonlyArray<SelectionOption<V>> {
    const labels = super.get("_options_labels") as string[];
    return labels.map((l, i) => (sameValue(l, this.optionValues[i]) ? (this.optionValues[i] as unknown as string) : ([l, this.optionValues[i]] as const)));
  }

  /** New options; the selection moves to the first option (or none when empty), as in ipywidgets. */
  set options(options: ReadonlyArray<SelectionOption<V>>) {
    const { labels, values } = splitOptions<V>(this.widgetName, options);
    this.optionValues = values;
    this.holdSync(() => {
      super.set("_options_labels", labels);
      super.set("index", labels.length ? 0 : null);
    });
  }

  get index(): number | null {
    return super.get("index") as number | null;
  }

  set index(i: number | null) {
    const n = this.optionValues.length;
    if (i !== null && !(Number.isInteger(i) && i >= 0 && i < n)) {
      throw new RangeError(`${this.widgetName}.index must be an integer in [0, ${n - 1}] or null, got ${describeValue(i)}`);
    }
    super.set("index", i);
  }

  get value(): V | null {
    const i = this.index;
    return i === null ? null : this.optionValues[i];
  }

  set value(v: V | null) {
    if (v === null) {
      this.index = null;
      return;
    }
    const i = this.optionValues.findIndex((o) => sameValue(o, v));
    if (i < 0) throw new RangeError(`${this.widgetName}.value ${describeValue(v)} is not one of the options (${(super.get("_options_labels") as string[]).map((l) => JSON.stringify(l)).join(", ")})`);
    this.index = i;
  }

  get label(): string | null {
    const i = this.index;
    return i === null ? null : (super.get("_options_labels") as string[])[i];
  }

  set label(l: string | null) {
    if (l === null) {
      this.index = null;
      return;
    }
    const labels = super.get("_options_labels") as string[];
    const i = labels.indexOf(l);
    if (i < 0) throw new RangeError(`${this.widgetName}.label ${JSON.stringify(l)} is not one of ${labels.map((x) => JSON.stringify(x)).join(", ")}`);
    this.index = i;
  }

  override get(name: string): never {
    if (name === "value" || name === "label" || name === "options") return this[name] as never;
    return super.get(name) as never;
  }

  override set(nameOrValues: string | object, value?: unknown): void {
    const entries = typeof nameOrValues === "string" ? { [nameOrValues]: value } : { ...(nameOrValues as Record<string, unknown>) };
    const { options, value: v, label, index, ...rest } = entries as Partial<SelectionAttributes<V>> & Record<string, unknown>;
    this.holdSync(() => {
      if (options !== undefined) this.options = options;
      if (Object.keys(rest).length) super.set(rest);
      if (index !== undefined) this.index = index;
      if (label !== undefined) this.label = label;
      if (v !== undefined) this.value = v;
    });
  }

  /** Observes "value", "label", "index" (all follow the selected index) or any other attribute. */
  override observe(fn: Observer<never>, names?: string | readonly string[]): () => void {
    const list = names === undefined ? null : typeof names === "string" ? [names] : [...names];
    const derived = (list ?? []).filter((n) => n === "value" || n === "label");
    const plain = (list ?? []).filter((n) => n !== "value" && n !== "label");
    const stops: Array<() => void> = [];
    if (list === null || plain.length) stops.push(super.observe(fn as Observer, list === null ? undefined : plain));
    if (derived.length) {
      stops.push(
        super.observe((change: WidgetChange) => {
          const oldIndex = change.old as number | null;
          const labels = super.get("_options_labels") as string[];
          const waits: Promise<void>[] = [];
          for (const name of derived) {
            const pick = (i: number | null) => (i === null ? null : name === "value" ? this.optionValues[i] : labels[i]);
            const result = (fn as Observer)({ name, old: pick(oldIndex), new: pick(change.new as number | null), owner: this as unknown as Widget, type: "change" });
            if (result && typeof (result as Promise<void>).then === "function") waits.push(result as Promise<void>);
          }
          if (waits.length) return Promise.all(waits).then(() => undefined);
        }, "index"),
      );
    }
    return () => stops.forEach((s) => s());
  }
}

/** A drop-down list. `new Dropdown({ options: ["out_relu", "block_16_project"], description: "layer" })` */
export class Dropdown<V = string> extends Selection<V> {
  constructor(options?: Partial<SelectionAttributes<V>>) {
    super("DropdownModel", options ?? {});
  }
}
export interface Dropdown<V> extends DescriptionAttributes {}
accessors(Dropdown, COMMON);

/** Attributes of ToggleButtons beyond a selection's. */
export interface ToggleButtonsAttributes<V> extends SelectionAttributes<V> {
  /** One tooltip per button. */
  tooltips: string[];
  /** "primary", "success", "info", "warning", "danger" or "". */
  button_style: string;
}

/** A row of buttons, one selected. `new ToggleButtons({ options: [["cat", 281], ["dog", 207]] })` */
export class ToggleButtons<V = string> extends Selection<V> {
  constructor(options?: Partial<ToggleButtonsAttributes<V>>) {
    super("ToggleButtonsModel", options ?? {});
  }
}
export interface ToggleButtons<V> extends DescriptionAttributes {
  tooltips: string[];
  button_style: string;
}
accessors(ToggleButtons, [...COMMON, "tooltips", "button_style"]);

// ---- booleans, text, buttons ----

/** Calls `fn(widget)` on each custom message `{ event }` the control's front end sends (a click, a submit). */
function onFrontEndEvent<W extends Widget>(widget: W, event: string, what: string, param: string, fn: (widget: W) => unknown): () => void {
  if (typeof fn !== "function") throw new TypeError(`${what}: the argument must be a function (${param}) => void, got ${describeValue(fn)}`);
  return widget.onMsg((content) => {
    if ((content as { event?: unknown } | null)?.event === event) return fn(widget);
  });
}

/** Attributes of Checkbox. */
export interface CheckboxAttributes extends DescriptionAttributes {
  value: boolean;
  /** Indent the box to line up with other controls' descriptions. */
  indent: boolean;
}

/** A check box. `new Checkbox({ value: true, description: "relu" })` */
export class Checkbox extends Widget<CheckboxAttributes> {
  constructor(options?: Partial<CheckboxAttributes>) {
    super("CheckboxModel", checkOptions("Checkbox", options));
  }
}
export interface Checkbox extends CheckboxAttributes {}
accessors(Checkbox, [...COMMON, "value", "indent"]);

/** Attributes of Text. */
export interface TextAttributes extends DescriptionAttributes {
  value: string;
  placeholder: string;
  /** Send every keystroke (true) or only on Enter / blur. */
  continuous_update: boolean;
}

/** A one-line text box; `onSubmit` runs when the user presses Enter. */
export class Text extends Widget<TextAttributes> {
  constructor(options?: Partial<TextAttributes>) {
    super("TextModel", checkOptions("Text", options));
  }

  /** Calls `fn(text)` when the user presses Enter in the box. Returns a function that stops it. */
  onSubmit(fn: (text: Text) => unknown): () => void {
    return onFrontEndEvent(this, "submit", "Text.onSubmit", "text", fn);
  }
}
export interface Text extends TextAttributes {}
accessors(Text, [...COMMON, "value", "placeholder", "continuous_update"]);

/** Attributes of Button. */
export interface ButtonAttributes extends DescriptionAttributes {
  /** "primary", "success", "info", "warning", "danger" or "". */
  button_style: string;
  /** A Font Awesome icon name without "fa-". */
  icon: string;
}

/** A button; `onClick` runs kernel code when it is clicked. */
export class Button extends Widget<ButtonAttributes> {
  constructor(options?: Partial<ButtonAttributes>) {
    super("ButtonModel", checkOptions("Button", options));
  }

  /**
   * Calls `fn(button)` in the kernel on each click (the front end sends a custom "click" message).
   * What it prints goes to the click's message: wrap it in `output.capture(…)` to show it.
   */
  onClick(fn: (button: Button) => unknown): () => void {
    return onFrontEndEvent(this, "click", "Button.onClick", "button", fn);
  }

  /** Runs the click handlers as a click in the page would (for scripts and tests). */
  async click(): Promise<void> {
    await (this as unknown as { handleMessage(d: unknown, b: Uint8Array[]): Promise<void> }).handleMessage({ method: "custom", content: { event: "click" } }, []);
  }
}
export interface Button extends ButtonAttributes {}
accessors(Button, [...COMMON, "button_style", "icon"]);

// ---- text and pictures ----

/** Attributes of Label and HTML. */
export interface LabelAttributes {
  /** The text (Label) or markup (HTML) shown. */
  value: string;
  description: string;
  tooltip: string | null;
  [attribute: string]: unknown;
}

/** A line of text. `new Label({ value: "p(cat) = 0.93" })` */
export class Label extends Widget<LabelAttributes> {
  constructor(options?: Partial<LabelAttributes>) {
    super("LabelModel", checkOptions("Label", options));
  }
}
export interface Label extends LabelAttributes {}
accessors(Label, ["value", "description", "tooltip"]);

/** HTML markup, shown as the front end's sanitiser allows. */
export class HTML extends Widget<LabelAttributes> {
  constructor(options?: Partial<LabelAttributes>) {
    super("HTMLModel", checkOptions("HTML", options));
  }
}
export interface HTML extends LabelAttributes {}
accessors(HTML, ["value", "description", "tooltip"]);

/** Attributes of Image. */
export interface ImageAttributes {
  /** The encoded image bytes (sent as a binary buffer, not base64). */
  value: Uint8Array;
  /** "png", "jpeg", "gif", "svg+xml", … */
  format: string;
  /** Displayed width / height in pixels ("" for the image's own). */
  width: string;
  height: string;
  tooltip: string | null;
  [attribute: string]: unknown;
}

/** An image from encoded bytes. `new Image({ value: pngBytes, width: "224" })` */
export class Image extends Widget<ImageAttributes> {
  constructor(options?: Partial<Omit<ImageAttributes, "value">> & { value?: Uint8Array | ArrayBuffer | ArrayBufferView }) {
    const o = checkOptions("Image", options);
    super("ImageModel", o.value === undefined ? o : { ...o, value: asBytes(o.value as ArrayBufferView) });
  }
}
export interface Image extends ImageAttributes {}
accessors(Image, ["value", "format", "width", "height", "tooltip"]);

// ---- layout ----

/** Attributes of HBox and VBox. */
export interface BoxAttributes {
  /** The widgets inside, in order. */
  children: Widget[];
  /** "success", "info", "warning", "danger" or "". */
  box_style: string;
  [attribute: string]: unknown;
}

function checkChildren(what: string, children: unknown): Widget[] {
  if (!Array.isArray(children)) throw new TypeError(`${what}: children must be an array of widgets, got ${describeValue(children)}`);
  children.forEach((c, i) => {
    if (!(c instanceof Widget)) throw new TypeError(`${what}: children[${i}] must be a widget (e.g. new IntSlider()), got ${describeValue(c)}`);
  });
  return children as Widget[];
}

/** Widgets side by side. `new HBox([slider, dropdown])` */
export class HBox extends Widget<BoxAttributes> {
  constructor(children: Widget[] = [], options?: Partial<Omit<BoxAttributes, "children">>) {
    super("HBoxModel", { ...checkOptions("HBox", options), children: checkChildren("HBox", children) });
  }
}
export interface HBox extends BoxAttributes {}
accessors(HBox, ["children", "box_style"]);

/** Widgets stacked. `new VBox([controls, image])` */
export class VBox extends Widget<BoxAttributes> {
  constructor(children: Widget[] = [], options?: Partial<Omit<BoxAttributes, "children">>) {
    super("VBoxModel", { ...checkOptions("VBox", options), children: checkChildren("VBox", children) });
  }
}
export interface VBox extends BoxAttributes {}
accessors(VBox, ["children", "box_style"]);

/** Attributes of IntProgress. */
export interface ProgressAttributes extends DescriptionAttributes {
  value: number;
  min: number;
  max: number;
  bar_style: string;
}

/** A progress bar. `new IntProgress({ max: 100 })` then `bar.value = 40` */
export class IntProgress extends Widget<ProgressAttributes> {
  constructor(options?: Partial<ProgressAttributes>) {
    super("IntProgressModel", checkOptions("IntProgress", options));
  }
}
export interface IntProgress extends ProgressAttributes {}
accessors(IntProgress, ["description", "value", "min", "max", "bar_style"]);
