// Validation of comm requests. A request is data from the browser: it names one of a fixed set of
// operations and carries arguments that are checked here, field by field, before anything runs.
import { OP_NAMES, SORT_KEYS, type OpArgs, type OpName, type SessionRequest, type ChannelSortKey } from "../protocol";

/** A malformed comm request (unknown op, missing or invalid argument): replied with code "bad_request". */
export class BadRequest extends Error {
  readonly code = "bad_request" as const;
}

/** The most channels one "activations.page" request may ask for. */
export const MAX_PAGE_CHANNELS = 256;
/** The largest k of a "predictions.topk" request. */
export const MAX_TOPK = 100;
/** The most examples one "confusion.cell" page may ask for (thumbnails travel in one reply). */
export const MAX_CELL_PAGE = 64;

function isPlainObject(x: unknown): x is Record<string, unknown> {
  return typeof x === "object" && x !== null && !Array.isArray(x);
}

function str(args: Record<string, unknown>, key: string, op: string): string {
  const v = args[key];
  if (typeof v !== "string" || v.length === 0 || v.length > 256) {
    throw new BadRequest(`${op}: argument "${key}" must be a non-empty string (at most 256 characters), got ${describe(v)}`);
  }
  return v;
}

function int(args: Record<string, unknown>, key: string, op: string, min: number, max: number): number {
  const v = args[key];
  if (typeof v !== "number" || !Number.isInteger(v) || v < min || v > max) {
    throw new BadRequest(`${op}: argument "${key}" must be an integer from ${min} to ${max}, got ${describe(v)}`);
  }
  return v;
}

function describe(v: unknown): string {
  if (v === undefined) return "nothing";
  const s = JSON.stringify(v);
  return s === undefined ? typeof v : s.length > 60 ? `${s.slice(0, 57)}...` : s;
}

function checkArgs(op: OpName, raw: unknown): OpArgs[OpName] {
  const args = raw === undefined ? {} : raw;
  if (!isPlainObject(args)) throw new BadRequest(`${op}: "args" must be an object, got ${describe(raw)}`);
  const allowed: Record<OpName, string[]> = {
    "session.info": [],
    "layers.describe": [],
    "activations.page": ["layer", "offset", "count", "sort"],
    "activations.channel": ["layer", "channel"],
    "cam.compute": ["method", "layer", "classIndex"],
    "predictions.topk": ["k"],
    "layers.usable": [],
    "confusion.cell": ["truth", "predicted", "offset", "count"],
    "confusion.pair": ["index", "method", "layer"],
    "confusion.overlay": ["index", "method", "layer"],
  };
  const extra = Object.keys(args).filter((k) => !allowed[op].includes(k));
  if (extra.length) {
    throw new BadRequest(`${op}: unknown argument(s) ${extra.map((k) => `"${k}"`).join(", ")}; expected ${allowed[op].length ? allowed[op].join(", ") : "none"}`);
  }
  switch (op) {
    case "session.info":
    case "layers.describe":
    case "layers.usable":
      return {};
    case "activations.page": {
      const sort = args.sort === undefined ? "index" : args.sort;
      if (!SORT_KEYS.includes(sort as ChannelSortKey)) {
        throw new BadRequest(`${op}: argument "sort" must be one of ${SORT_KEYS.join(", ")}, got ${describe(sort)}`);
      }
      return {
        layer: str(args, "layer", op),
        offset: int(args, "offset", op, 0, 1 << 20),
        count: int(args, "count", op, 1, MAX_PAGE_CHANNELS),
        sort: sort as ChannelSortKey,
      };
    }
    case "activations.channel":
      return { layer: str(args, "layer", op), channel: int(args, "channel", op, 0, 1 << 20) };
    case "cam.compute":
      return { method: str(args, "method", op), layer: str(args, "layer", op), classIndex: int(args, "classIndex", op, 0, 1 << 20) };
    case "predictions.topk":
      return { k: int(args, "k", op, 1, MAX_TOPK) };
    case "confusion.cell":
      return {
        truth: int(args, "truth", op, 0, 1 << 20),
        predicted: int(args, "predicted", op, 0, 1 << 20),
        offset: int(args, "offset", op, 0, 1 << 30),
        count: int(args, "count", op, 1, MAX_CELL_PAGE),
      };
    case "confusion.pair":
    case "confusion.overlay":
      return { index: int(args, "index", op, 0, 1 << 30), method: str(args, "method", op), layer: str(args, "layer", op) };
  }
}

/** Session handles: "h<n>-<kernel tag>" (registry.ts); the bare "h<n>" of older kernels still parses. */
const HANDLE_PATTERN = /^h\d{1,12}(-[0-9a-f]{8})?$/;

/** The request id a {cancel: id} message names, or null when the message is not a cancel. */
export function cancelTargetOf(data: unknown): string | null {
  if (!isPlainObject(data) || !("cancel" in data)) return null;
  const id = data.cancel;
  if (typeof id !== "string" || id.length === 0 || id.length > 64) {
    throw new BadRequest(`a cancel message must be {cancel: "<request id>"} (a non-empty string of at most 64 characters), got ${describe(data)}`);
  }
  return id;
}

/** Checks a raw comm message and returns a typed request, or throws BadRequest saying what is wrong. */
export function parseRequest(data: unknown): SessionRequest {
  if (!isPlainObject(data)) throw new BadRequest(`a request must be a JSON object {id, op, handle, args}, got ${describe(data)}`);
  const { id, op, handle, args } = data;
  if (typeof id !== "string" || id.length === 0 || id.length > 64) {
    throw new BadRequest(`request "id" must be a non-empty string of at most 64 characters, got ${describe(id)}`);
  }
  if (typeof op !== "string" || !(OP_NAMES as readonly string[]).includes(op)) {
    throw new BadRequest(`unknown operation ${describe(op)}; known operations: ${OP_NAMES.join(", ")}`);
  }
  if (typeof handle !== "string" || !HANDLE_PATTERN.test(handle)) {
    throw new BadRequest(`request "handle" must be a session handle like "h12-0f3a9c21", got ${describe(handle)}`);
  }
  return { id, op: op as OpName, handle, args: checkArgs(op as OpName, args) };
}

/** The request id if the message has a usable one (so even a bad request's reply can be matched). */
export function requestIdOf(data: unknown): string | null {
  return isPlainObject(data) && typeof data.id === "string" && data.id.length <= 64 ? data.id : null;
}
