// Attribute values between the kernel and the wire: the spec's type check (so a wrong value is
// refused in the cell that set it, naming the type the front end expects), widget references
// ("IPY_MODEL_<id>" on the wire, widget objects in the kernel) and binary buffers, which the
// protocol (2.x) lifts out of the JSON state and sends as separate frames named by their path.

/** A path into a state object: keys and list indices, as `buffer_paths` lists them. */
export type BufferPath = Array<string | number>;

/** A state with its binary values lifted out: what comm_open and update messages carry. */
export interface WireState {
  state: Record<string, unknown>;
  buffer_paths: BufferPath[];
  buffers: Uint8Array[];
}

/** Prefix of a serialised widget reference. */
export const MODEL_REF_PREFIX = "IPY_MODEL_";

function isBinary(v: unknown): v is ArrayBuffer | ArrayBufferView {
  return v instanceof ArrayBuffer || ArrayBuffer.isView(v);
}

/** Bytes of an ArrayBuffer or any view, without copying. */
export function asBytes(v: ArrayBuffer | ArrayBufferView): Uint8Array {
  return v instanceof ArrayBuffer ? new Uint8Array(v) : new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
}

/**
 * Lifts binary values out of a JSON-able state (ipywidgets' `_remove_buffers`): a buffer in a
 * list leaves null behind, a buffer under a key leaves the key out. The input is not changed.
 */
export function removeBuffers(state: Record<string, unknown>): WireState {
  const buffer_paths: BufferPath[] = [];
  const buffers: Uint8Array[] = [];
  const walk = (value: unknown, path: BufferPath): unknown => {
    if (Array.isArray(value)) {
      return value.map((v, i) => {
        if (isBinary(v)) {
          buffer_paths.push([...path, i]);
          buffers.push(asBytes(v));
          return null;
        }
        return walk(v, [...path, i]);
      });
    }
    if (value !== null && typeof value === "object" && !isBinary(value)) {
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(value)) {
        if (isBinary(v)) {
          buffer_paths.push([...path, k]);
          buffers.push(asBytes(v));
        } else {
          out[k] = walk(v, [...path, k]);
        }
      }
      return out;
    }
    return value;
  };
  return { state: walk(state, []) as Record<string, unknown>, buffer_paths, buffers };
}

/** Puts received buffers back at their paths (ipywidgets' `_put_buffers`); changes `state`. */
export function putBuffers(state: Record<string, unknown>, paths: unknown, buffers: readonly Uint8Array[]): void {
  if (paths === undefined || paths === null) return;
  if (!Array.isArray(paths)) throw new TypeError(`buffer_paths must be a list of paths, got ${typeof paths}`);
  if (paths.length > buffers.length) {
    throw new TypeError(`buffer_paths names ${paths.length} buffers but the message carries ${buffers.length}`);
  }
  paths.forEach((path, i) => {
    if (!Array.isArray(path) || path.length === 0 || !path.every((p) => typeof p === "string" || (Number.isInteger(p) && p >= 0))) {
      throw new TypeError(`buffer_paths[${i}] must be a non-empty list of keys and indices, got ${JSON.stringify(path)}`);
    }
    let obj: Record<string | number, unknown> = state as Record<string | number, unknown>;
    for (const key of path.slice(0, -1)) {
      const next = obj[key];
      if (next === null || typeof next !== "object") throw new TypeError(`buffer_paths[${i}] ${JSON.stringify(path)} leads through a non-container`);
      obj = next as Record<string | number, unknown>;
    }
    obj[path[path.length - 1]] = buffers[i];
  });
}

/** What a check found wrong with a value: undefined when the value fits the type. */
type Mismatch = string | undefined;

function oneOf(type: string): string[] | null {
  const m = /\(one of (.*)\)/.exec(type);
  return m ? [...m[1].matchAll(/'((?:[^'\\]|\\.)*)'/g)].map((x) => x[1]) : null;
}

/**
 * Checks `value` (kernel-side: widget objects, not references) against a type as the ipywidgets
 * spec writes it ("number (integer)", "`null` or string (one of 'a', 'b')", "array of reference
 * to Widget widget", …). `isWidget` tells a widget object apart. Returns what is wrong, or undefined.
 */
export function typeMismatch(type: string, value: unknown, isWidget: (v: unknown) => boolean): Mismatch {
  if (type.startsWith("`null` or ")) return value === null ? undefined : typeMismatch(type.slice("`null` or ".length), value, isWidget);
  const alternatives = type.split(/ or (?![^(]*\))/);
  if (alternatives.length > 1) {
    const fails = alternatives.map((t) => typeMismatch(t, value, isWidget));
    return fails.some((f) => f === undefined) ? undefined : fails.join("; or ");
  }
  const choices = oneOf(type);
  if (type.startsWith("string")) {
    if (typeof value !== "string") return "a string";
    if (choices && !choices.includes(value)) return `one of ${choices.map((c) => JSON.stringify(c)).join(", ")}`;
    return undefined;
  }
  if (type === "boolean") return typeof value === "boolean" ? undefined : "true or false";
  if (type.startsWith("number (integer)")) return Number.isInteger(value) ? undefined : "an integer";
  if (type.startsWith("number (float)")) return typeof value === "number" && !Number.isNaN(value) ? undefined : "a number";
  if (type === "Bytes") return isBinary(value) ? undefined : "bytes (a Uint8Array or ArrayBuffer)";
  if (type === "object") return value !== null && typeof value === "object" && !Array.isArray(value) ? undefined : "an object";
  if (/^reference to \w+ widget$/.test(type)) return isWidget(value) ? undefined : `a widget (${type})`;
  if (type.startsWith("array")) {
    if (!Array.isArray(value)) return `an array (${type})`;
    const of = /^array of (.*)$/.exec(type);
    if (!of) return undefined;
    for (let i = 0; i < value.length; i++) {
      const m = typeMismatch(of[1], value[i], isWidget);
      if (m !== undefined) return `an array whose items are ${m} (item ${i} is not)`;
    }
    return undefined;
  }
  // Date, Datetime, Time and other serialised objects: the front end's serializer decides.
  return undefined;
}

/** A short description of a value for error messages. */
export function describeValue(v: unknown): string {
  if (v === null) return "null";
  if (v === undefined) return "undefined";
  if (typeof v === "string") return JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v);
  if (typeof v === "number" || typeof v === "boolean") return String(v);
  if (Array.isArray(v)) return `an array of ${v.length}`;
  if (isBinary(v)) return `${v.constructor.name} of ${v.byteLength} bytes`;
  return `a ${(v as object).constructor?.name ?? "object"}`;
}
