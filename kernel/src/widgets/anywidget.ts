// Custom widgets the anywidget way: the front-end code is an ES module sent as the `_esm`
// attribute (and styles as `_css`), run by anywidget's front end (npm `anywidget`, registered as
// the widget module "anywidget"), which gives it the model: get/set/save_changes/on/send.
//
//   const counter = new AnyWidget({
//     esm: `export default { render({ model, el }) {
//             const b = document.createElement("button");
//             const show = () => (b.textContent = "count " + model.get("count"));
//             b.onclick = () => { model.set("count", model.get("count") + 1); model.save_changes(); };
//             model.on("change:count", show); show(); el.append(b);
//           } }`,
//     state: { count: 0 },
//   });
//   counter.observe(({ new: n }) => console.log("clicked", n), "count");
//
// Your own attributes (`state`) are typed by the values they start with, unless `types` says
// otherwise (in the spec's words: "number (integer)", "`null` or string", "Bytes", "object", …).
import type { ModelSpec, AttributeSpec } from "./spec";
import { MODELS } from "./models.generated";
import { Widget } from "./widget";
import { describeValue } from "./values";

/** The anywidget front-end version this kernel's models are written for. */
export const ANYWIDGET_VERSION = "0.11.0";

/** What an AnyWidget is made of. */
export interface AnyWidgetOptions<S extends Record<string, unknown>> {
  /** The ES module: `export default { render({ model, el }) { … } }` (optionally `initialize`). */
  esm: string;
  /** CSS for the widget (anywidget scopes nothing: prefix your class names). */
  css?: string;
  /** The widget's own attributes and their initial values (synced both ways). */
  state?: S;
  /** A spec type per attribute, where the initial value does not say it (e.g. null at first). */
  types?: Partial<Record<keyof S & string, string>>;
  /** Attributes not echoed back (large values the front end sets). */
  noEcho?: ReadonlyArray<keyof S & string>;
}

function typeOfValue(name: string, v: unknown): string {
  if (typeof v === "string") return "string";
  if (typeof v === "boolean") return "boolean";
  if (typeof v === "number") return Number.isInteger(v) ? "number (float)" : "number (float)";
  if (v instanceof ArrayBuffer || ArrayBuffer.isView(v)) return "Bytes";
  if (Array.isArray(v)) return "array";
  if (v === null) return "any";
  if (typeof v === "object") return "object";
  throw new TypeError(`AnyWidget: state.${name} must be JSON data or bytes, got ${describeValue(v)}`);
}

const RESERVED = new Set(["_esm", "_css", "_anywidget_id", "layout"]);

/** The spec of one AnyWidget: DOMWidget's attributes, anywidget's, and the user's own. */
function anywidgetSpec(options: AnyWidgetOptions<Record<string, unknown>>): ModelSpec {
  const dom = MODELS.DOMWidgetModel.attributes as Record<string, AttributeSpec>;
  const attributes: Record<string, AttributeSpec> = {
    _dom_classes: dom._dom_classes,
    layout: dom.layout,
    tabbable: dom.tabbable,
    tooltip: dom.tooltip,
    _model_module: { type: "string", value: "anywidget" },
    _model_module_version: { type: "string", value: `~${ANYWIDGET_VERSION}` },
    _model_name: { type: "string", value: "AnyModel" },
    _view_module: { type: "string", value: "anywidget" },
    _view_module_version: { type: "string", value: `~${ANYWIDGET_VERSION}` },
    _view_name: { type: "string", value: "AnyView" },
    _esm: { type: "string", value: "" },
    _css: { type: "`null` or string", value: null },
    _anywidget_id: { type: "string", value: "" },
  };
  for (const [name, value] of Object.entries(options.state ?? {})) {
    if (RESERVED.has(name) || name.startsWith("_model_") || name.startsWith("_view_")) {
      throw new TypeError(`AnyWidget: state.${name} is reserved by the widget protocol; pick another name`);
    }
    const type = options.types?.[name] ?? typeOfValue(name, value);
    attributes[name] = { type, value: value instanceof ArrayBuffer || ArrayBuffer.isView(value) ? undefined : value, bytes: typeof value === "object" && value !== null && (value instanceof ArrayBuffer || ArrayBuffer.isView(value)) ? true : undefined };
  }
  return { module: "anywidget", version: `~${ANYWIDGET_VERSION}`, view: "AnyView", viewModule: "anywidget", viewVersion: `~${ANYWIDGET_VERSION}`, attributes };
}

/** A custom widget whose front end is an ES module (see the module comment for an example). */
export class AnyWidget<S extends Record<string, unknown> = Record<string, unknown>> extends Widget<S & { _esm: string; _css: string | null }> {
  constructor(options: AnyWidgetOptions<S>) {
    if (options === null || typeof options !== "object") throw new TypeError(`AnyWidget: options must be { esm, css?, state? }, got ${describeValue(options)}`);
    if (typeof options.esm !== "string" || !/\bexport\b/.test(options.esm)) {
      throw new TypeError(`AnyWidget: esm must be the source of an ES module that exports render (export default { render({ model, el }) { … } }), got ${describeValue(options.esm)}`);
    }
    if (options.css !== undefined && typeof options.css !== "string") throw new TypeError(`AnyWidget: css must be a string of CSS, got ${describeValue(options.css)}`);
    const spec = anywidgetSpec(options as AnyWidgetOptions<Record<string, unknown>>);
    super(spec, { ...(options.state ?? {}), _esm: options.esm, _css: options.css ?? null, _anywidget_id: "camlab.AnyWidget" }, { noEcho: options.noEcho as string[] | undefined });
  }

  /** The class's name ("AnyWidget", "PortableView"): all anywidgets share one model name. */
  override get widgetName(): string {
    return this.constructor.name;
  }
}
