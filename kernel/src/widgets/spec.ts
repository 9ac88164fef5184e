// The shape of one entry of models.generated.ts (the ipywidgets 8 model specification), and the
// state a new model starts with.

/** One attribute of a model: its type as the spec writes it, and its default. */
export interface AttributeSpec {
  /** The spec's type column, e.g. "number (integer)", "`null` or string", "reference to Layout widget". */
  readonly type: string;
  /** The default (a JSON value), when it is one. */
  readonly value?: unknown;
  /** The default is empty bytes (the spec's `b''`). */
  readonly bytes?: boolean;
  /** The default is a new model of this name (a widget's own layout or style). */
  readonly newModel?: string;
}

/** One model of the spec: where its front-end classes live and its attributes. */
export interface ModelSpec {
  readonly module: string;
  readonly version: string;
  /** The view's class name; null for models without a view (links, layouts' base). */
  readonly view: string | null;
  readonly viewModule: string;
  readonly viewVersion: string;
  readonly attributes: Readonly<Record<string, AttributeSpec>>;
}

/** A copy of a JSON default (so no two widgets share one array or object). */
export function copyDefault(spec: AttributeSpec): unknown {
  if (spec.bytes) return new Uint8Array(0);
  return spec.value === undefined ? null : structuredClone(spec.value);
}
