// MIME bundles: what a value looks like in a notebook.
//
// The rich display protocol: a value that has a method under Symbol.for("Jupyter.display") is
// shown with what that method returns. It may return either
//   1. a plain MIME bundle:          { "text/html": "<b>hi</b>", "text/plain": "hi" }
//   2. data plus display metadata:   { data: { "image/png": pngBytes }, metadata: { "image/png": { width: 64 } } }
// Shape 2 is recognised by having ONLY the keys "data" and (optionally) "metadata" — a MIME type
// always contains a "/", so the two shapes cannot be confused.
// Values: strings; JSON for JSON types (application/json, anything "+json"); binary (Uint8Array,
// ArrayBuffer, any ArrayBufferView, e.g. PNG bytes) is base64-encoded as the spec requires.
// A bundle without "text/plain" gets one (from the value's text repr) so every front end can show
// something.
import { inspect } from "node:util";

/** The rich display protocol's method key: an object with a method under this symbol returning a MIME bundle shows itself that way (as in Deno's kernel). */
export const JUPYTER_DISPLAY = Symbol.for("Jupyter.display");

/** MIME type → data, as a Jupyter display_data message carries it. */
export type MimeBundle = Record<string, unknown>;

/** What a display sends: the MIME bundle and its metadata. */
export interface DisplayContent {
  data: MimeBundle;
  metadata: Record<string, unknown>;
}

/** What the display method may return. */
export type DisplayResult = MimeBundle | { data: MimeBundle; metadata?: Record<string, unknown> };

/** Something with the rich display method. */
export interface Displayable {
  [JUPYTER_DISPLAY](): DisplayResult;
}

const MIME_KEY = /^[\w\-+.]+\/[\w\-+.]+$/;

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== "object") return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

function isJsonMime(mime: string): boolean {
  return mime === "application/json" || mime.endsWith("+json");
}

const BUILTIN_CLASSES: Function[] = [Array, Error, Date, RegExp, Map, Set, WeakMap, WeakSet, Promise, Function, Boolean, Number, String, ArrayBuffer];

/**
 * text/plain for any value, like node's REPL (util.inspect), except that class instances with
 * their own toString (tf.Tensor prints its values that way) use it.
 */
export function textRepr(value: unknown): string {
  if (value !== null && typeof value === "object" && !ArrayBuffer.isView(value) && !BUILTIN_CLASSES.some((c) => value instanceof c)) {
    const own = (value as { toString?: unknown }).toString;
    if (typeof own === "function" && own !== Object.prototype.toString && Object.getPrototypeOf(value) !== Object.prototype) {
      try {
        const text = own.call(value);
        if (typeof text === "string") return text;
      } catch {
        // fall through to inspect: a broken toString must not hide the value
      }
    }
  }
  return inspect(value, { depth: 4, maxArrayLength: 100, maxStringLength: 10_000, breakLength: 100 });
}

export function hasDisplayMethod(value: unknown): value is Displayable {
  return (
    value !== null &&
    (typeof value === "object" || typeof value === "function") &&
    typeof (value as Record<symbol, unknown>)[JUPYTER_DISPLAY] === "function"
  );
}

function encodeMimeValue(mime: string, raw: unknown, where: string): unknown {
  if (typeof raw === "string") return raw;
  if (raw instanceof ArrayBuffer) return Buffer.from(raw).toString("base64");
  if (ArrayBuffer.isView(raw)) return Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength).toString("base64");
  if (isJsonMime(mime)) {
    try {
      const text = JSON.stringify(raw);
      if (text === undefined) throw new Error("it has no JSON representation");
      return JSON.parse(text);
    } catch (err) {
      throw new TypeError(`${where}: the value for "${mime}" must be JSON-serialisable (${(err as Error).message})`);
    }
  }
  const kind = raw === null ? "null" : typeof raw === "object" ? (raw as object).constructor?.name ?? "object" : typeof raw;
  throw new TypeError(
    `${where}: the value for "${mime}" must be a string or binary data (Uint8Array/ArrayBuffer, sent base64), got ${kind}; only JSON MIME types (application/json, *+json) take objects`,
  );
}

/** Checks and encodes a bundle; errors name the offending key and what would be right. */
export function normalizeBundle(bundle: unknown, where: string): MimeBundle {
  if (!isPlainObject(bundle)) {
    throw new TypeError(`${where}: a MIME bundle must be a plain object { "mime/type": data }, got ${bundle === null ? "null" : typeof bundle}`);
  }
  const out: MimeBundle = {};
  for (const [mime, raw] of Object.entries(bundle)) {
    if (!MIME_KEY.test(mime)) {
      throw new TypeError(`${where}: "${mime}" is not a MIME type; bundle keys look like "text/html" or "application/vnd.camlab.heatmap+json"`);
    }
    if (raw === undefined) continue;
    out[mime] = encodeMimeValue(mime, raw, where);
  }
  return out;
}

/** The display content for any value: its Jupyter.display bundle, or its text repr. */
export function displayContent(value: unknown): DisplayContent {
  if (!hasDisplayMethod(value)) return { data: { "text/plain": textRepr(value) }, metadata: {} };
  const where = "the value's [Symbol.for(\"Jupyter.display\")]()";
  const result = value[JUPYTER_DISPLAY]();
  let data: unknown = result;
  let metadata: unknown = {};
  if (isPlainObject(result) && "data" in result && Object.keys(result).every((k) => k === "data" || k === "metadata")) {
    data = result.data;
    metadata = result.metadata ?? {};
  }
  const bundle = normalizeBundle(data, where);
  if (!isPlainObject(metadata)) {
    throw new TypeError(`${where}: "metadata" must be a plain object keyed by MIME type, got ${metadata === null ? "null" : typeof metadata}`);
  }
  if (!("text/plain" in bundle)) {
    const kind = Object.getPrototypeOf(value) === Object.prototype ? "object" : (value as object).constructor?.name ?? "object";
    bundle["text/plain"] = `<${kind} shown as ${Object.keys(bundle).join(", ") || "nothing"}>`;
  }
  return { data: bundle, metadata: metadata as Record<string, unknown> };
}
