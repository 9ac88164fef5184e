// interact(): controls made from a description of a function's arguments, and the function re-run
// (into an Output widget) whenever one of them changes — ipywidgets' interact, typed:
//
//   interact(({ k, relu }) => console.log(k * 2, relu), { k: [0, 10], relu: true });
//
// Abbreviations, as ipywidgets reads them: [min, max] or [min, max, step] → IntSlider (all
// integers) or FloatSlider; a number → a slider around it; true/false → Checkbox; a string → Text;
// an array of labels or [label, value] pairs → Dropdown; a widget → used as it is; { fixed: v } → v
// passed through without a control.
import { display, NOT_A_RESULT } from "../display/display";
import { Checkbox, Dropdown, FloatSlider, IntSlider, Text, VBox } from "./controls";
import { Output } from "./output";
import { Widget } from "./widget";
import { describeValue } from "./values";

/** One argument's description: an abbreviation or a widget (see the module comment). */
export type InteractAbbreviation =
  | Widget
  | boolean
  | number
  | string
  | readonly [number, number]
  | readonly [number, number, number]
  | ReadonlyArray<string | number | readonly [string, unknown]>
  | { readonly fixed: unknown };

/** The values a function gets, by argument name. */
export type InteractValues = Record<string, unknown>;

function isNumberRange(a: readonly unknown[]): a is readonly [number, number] | readonly [number, number, number] {
  return (a.length === 2 || a.length === 3) && a.every((x) => typeof x === "number");
}

/** The control for one abbreviation (null for fixed values). */
export function widgetFor(name: string, abbreviation: InteractAbbreviation): Widget | null {
  const a = abbreviation as unknown;
  if (a instanceof Widget) return a;
  if (a !== null && typeof a === "object" && !Array.isArray(a) && "fixed" in (a as object)) return null;
  if (typeof a === "boolean") return new Checkbox({ value: a, description: name });
  if (typeof a === "string") return new Text({ value: a, description: name });
  if (typeof a === "number") {
    // ipywidgets: a slider from -v to 3v (v > 0), or 3v to -v (v < 0), starting at v.
    const [min, max] = a > 0 ? [-a, 3 * a] : a < 0 ? [3 * a, -a] : [0, 1];
    return Number.isInteger(a) ? new IntSlider({ value: a, min, max, description: name }) : new FloatSlider({ value: a, min, max, step: Math.abs(a) / 100 || 0.01, description: name });
  }
  if (Array.isArray(a)) {
    if (isNumberRange(a)) {
      const [min, max, step] = a;
      if (!(min < max)) throw new RangeError(`interact: ${name}: [min, max] needs min < max, got [${min}, ${max}]`);
      const ints = [min, max, step ?? 1].every(Number.isInteger);
      const mid = ints ? Math.round((min + max) / 2 / (step ?? 1)) * (step ?? 1) : (min + max) / 2;
      return ints
        ? new IntSlider({ value: mid, min, max, step: step ?? 1, description: name })
        : new FloatSlider({ value: mid, min, max, step: step ?? (max - min) / 100, description: name });
    }
    if (a.length === 0) throw new TypeError(`interact: ${name}: an empty array gives no options; give labels, [label, value] pairs or [min, max]`);
    return new Dropdown({ options: a as ReadonlyArray<string>, description: name });
  }
  throw new TypeError(
    `interact: ${name}: cannot make a control from ${describeValue(a)}; use [min, max(, step)], a number, true/false, a string, an array of options, a widget or { fixed: value }`,
  );
}

/** The value a control holds now. */
function valueOf(w: Widget): unknown {
  return (w as unknown as { value: unknown }).value;
}

/**
 * The controls and output of an interact() call: a VBox showing the controls above the output.
 * `kwargs` are the current values, `result` the function's last return value.
 */
export class Interactive<R = unknown> extends VBox {
  /** The controls by argument name. */
  readonly controls: Readonly<Record<string, Widget>>;
  /** Where the function's outputs show. */
  readonly out: Output;
  /** The function's last return value. */
  result: R | undefined;
  private readonly fixed: InteractValues;
  private runs = 0;

  constructor(
    private readonly fn: (values: InteractValues) => R | Promise<R>,
    abbreviations: Record<string, InteractAbbreviation>,
  ) {
    if (typeof fn !== "function") throw new TypeError(`interact: the first argument must be a function ({ ...values }) => …, got ${describeValue(fn)}`);
    if (abbreviations === null || typeof abbreviations !== "object" || Array.isArray(abbreviations)) {
      throw new TypeError(`interact: the second argument must be an object naming each argument's control, e.g. { k: [0, 10], relu: true }, got ${describeValue(abbreviations)}`);
    }
    const controls: Record<string, Widget> = {};
    const fixed: InteractValues = {};
    for (const [name, abbreviation] of Object.entries(abbreviations)) {
      const w = widgetFor(name, abbreviation);
      if (w) controls[name] = w;
      else fixed[name] = (abbreviation as { fixed: unknown }).fixed;
    }
    const out = new Output();
    super([...Object.values(controls), out]);
    this.controls = controls;
    this.out = out;
    this.fixed = fixed;
    for (const w of Object.values(controls)) w.observe(() => this.update(), "value");
  }

  /** The current values, by argument name (fixed ones included). */
  get kwargs(): InteractValues {
    return { ...this.fixed, ...Object.fromEntries(Object.entries(this.controls).map(([k, w]) => [k, valueOf(w)])) };
  }

  /** How many times the function ran. */
  get runCount(): number {
    return this.runs;
  }

  /** Runs the function with the current values, its outputs replacing the previous ones. */
  async update(): Promise<void> {
    await this.out.capture(async () => {
      await this.out.clear(true);
      this.runs++;
      const result = await this.fn(this.kwargs);
      this.result = result;
      if (result !== undefined) display(result);
    });
  }
}

/**
 * Builds controls for `fn`'s arguments, shows them with an output area, and runs `fn` now and
 * whenever a control changes (the kernel waits for an async `fn` before the next change).
 * Returns the Interactive (controls, output, last result); use `interactive` to build without showing.
 */
export async function interact<R>(fn: (values: InteractValues) => R | Promise<R>, abbreviations: Record<string, InteractAbbreviation>): Promise<Interactive<R>> {
  const w = interactive(fn, abbreviations);
  display(w);
  await w.update();
  // Shown already: a cell ending in `await interact(…)` must not show it twice.
  (w as unknown as Record<symbol, unknown>)[NOT_A_RESULT] = true;
  return w;
}

/** Like interact, without showing it or running `fn`: display it yourself, or put it in a Box. */
export function interactive<R>(fn: (values: InteractValues) => R | Promise<R>, abbreviations: Record<string, InteractAbbreviation>): Interactive<R> {
  return new Interactive(fn, abbreviations);
}
