// The Jupyter wire protocol (messaging spec 5.3): turning zeromq multipart frames into messages
// and back, with HMAC signing AND verification. Pure functions and small classes only — no
// sockets — so the framing and the signature rules can be unit-tested byte for byte.
//
// A message on the wire is:
//   [routing identities..., "<IDS|MSG>", signature, header, parent_header, metadata, content, buffers...]
// The signature is the hex HMAC of the four JSON frames (header, parent_header, metadata, content)
// in that order; binary buffers are NOT signed (that is the spec, not an oversight).
import { createHmac, randomUUID, timingSafeEqual } from "node:crypto";

export const DELIMITER = Buffer.from("<IDS|MSG>", "utf8");
export const PROTOCOL_VERSION = "5.3";

/** Largest frame any kernel socket accepts (zeromq drops larger ones before they are buffered). */
export const MAX_MESSAGE_BYTES = 512 * 1024 * 1024;

const HEADER_FIELDS = ["msg_id", "msg_type", "session", "username", "date", "version", "subshell_id"] as const;

/** The standard fields of a request's header, as strings, for the parent_header of its replies. */
export function replyParentHeader(header: Partial<MessageHeader>): Partial<MessageHeader> {
  const out: Record<string, string> = {};
  for (const k of HEADER_FIELDS) {
    const v = (header as Record<string, unknown>)[k];
    if (typeof v === "string") out[k] = v;
  }
  return out as Partial<MessageHeader>;
}

export interface MessageHeader {
  msg_id: string;
  session: string;
  username: string;
  date: string;
  msg_type: string;
  version: string;
  [extra: string]: unknown;
}

/** A decoded Jupyter message. `parent_header` is `{}` for messages that answer nothing. */
export interface JupyterMessage<Content = Record<string, unknown>> {
  identities: Buffer[];
  header: MessageHeader;
  parent_header: Partial<MessageHeader>;
  metadata: Record<string, unknown>;
  content: Content;
  buffers: Buffer[];
  /** The signature it arrived with (decoded messages only; used against replays). */
  signature?: string;
}

/** Why a frame list could not become a message; the kernel logs it and drops the message. */
export class WireError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "WireError";
  }
}

/**
 * Signs and verifies with the connection file's key and signature_scheme ("hmac-sha256" is what
 * every Jupyter client uses). An empty key means authentication is disabled (the spec's rule):
 * signatures are then empty and not checked.
 */
export class Signer {
  readonly algorithm: string;
  private readonly key: Buffer;

  constructor(key: string, scheme = "hmac-sha256") {
    const match = /^hmac-([a-z0-9-]+)$/i.exec(scheme);
    if (!match) {
      throw new WireError(`unsupported signature_scheme ${JSON.stringify(scheme)}: expected "hmac-<digest>", e.g. "hmac-sha256"`);
    }
    this.algorithm = match[1].toLowerCase();
    this.key = Buffer.from(key, "utf8");
    // Fail at start-up, not on the first message, when node lacks the digest.
    createHmac(this.algorithm, "probe");
  }

  get enabled(): boolean {
    return this.key.length > 0;
  }

  sign(parts: ReadonlyArray<Buffer | string>): string {
    if (!this.enabled) return "";
    const hmac = createHmac(this.algorithm, this.key);
    for (const part of parts) hmac.update(part);
    return hmac.digest("hex");
  }

  /** Constant-time comparison, so the check leaks nothing about the expected digest. */
  verify(signature: string, parts: ReadonlyArray<Buffer | string>): boolean {
    if (!this.enabled) return true;
    const expected = Buffer.from(this.sign(parts), "utf8");
    const given = Buffer.from(signature, "utf8");
    return given.length === expected.length && timingSafeEqual(given, expected);
  }
}

/**
 * Remembers recent signatures so a captured message cannot be replayed (ipykernel does the same),
 * and bounds replays beyond that memory by the message's own date: when old signatures are
 * forgotten, the newest date among them becomes that session's horizon, and a later message of
 * the session dated at or before it is refused (a replay of a forgotten message carries its old
 * date). Horizons are per session, so clients with different clocks do not refuse each other.
 */
export class ReplayGuard {
  private readonly seen = new Map<string, { session: string; time: number }>();
  private readonly horizon = new Map<string, number>();
  constructor(private readonly capacity = 4096) {}

  /** Returns false when this signature was already used, or the message is older than what was forgotten. */
  accept(signature: string, header?: Partial<MessageHeader>): boolean {
    if (signature === "") return true;
    if (this.seen.has(signature)) return false;
    const session = typeof header?.session === "string" ? header.session : "";
    const time = typeof header?.date === "string" ? Date.parse(header.date) : NaN;
    const limit = this.horizon.get(session);
    if (limit !== undefined && (!Number.isFinite(time) || time <= limit)) return false;
    if (this.seen.size >= this.capacity) {
      let drop = this.capacity / 2;
      for (const [old, info] of this.seen) {
        if (drop-- <= 0) break;
        this.seen.delete(old);
        if (Number.isFinite(info.time)) this.horizon.set(info.session, Math.max(this.horizon.get(info.session) ?? -Infinity, info.time));
      }
    }
    this.seen.set(signature, { session, time });
    return true;
  }
}

function parseJsonFrame(frame: Buffer, what: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(frame.toString("utf8"));
  } catch (err) {
    throw new WireError(`the ${what} frame is not valid JSON (${(err as Error).message})`);
  }
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    throw new WireError(`the ${what} frame must be a JSON object, got ${Array.isArray(value) ? "an array" : typeof value}`);
  }
  return value as Record<string, unknown>;
}

/**
 * Frames → message. Throws WireError (never anything else) for a missing delimiter, too few
 * frames, a bad signature or non-JSON parts. The signature is checked BEFORE any JSON is parsed.
 */
export function decodeMessage(frames: ReadonlyArray<Buffer>, signer: Signer): JupyterMessage {
  const delimiterAt = frames.findIndex((f) => f.equals(DELIMITER));
  if (delimiterAt < 0) throw new WireError("no <IDS|MSG> delimiter frame");
  const rest = frames.slice(delimiterAt + 1);
  if (rest.length < 5) {
    throw new WireError(`expected signature + 4 JSON frames after the delimiter, got ${rest.length} frame(s)`);
  }
  const signature = rest[0].toString("utf8");
  const signed = rest.slice(1, 5);
  if (!signer.verify(signature, signed)) {
    throw new WireError(`bad HMAC signature ${JSON.stringify(signature.slice(0, 16))}${signature.length > 16 ? "…" : ""}`);
  }
  const header = parseJsonFrame(signed[0], "header");
  if (typeof header.msg_type !== "string" || typeof header.msg_id !== "string") {
    throw new WireError("the header lacks a string msg_type or msg_id");
  }
  return {
    identities: frames.slice(0, delimiterAt).map((f) => Buffer.from(f)),
    header: header as MessageHeader,
    parent_header: parseJsonFrame(signed[1], "parent_header") as Partial<MessageHeader>,
    metadata: parseJsonFrame(signed[2], "metadata"),
    content: parseJsonFrame(signed[3], "content"),
    buffers: rest.slice(5).map((f) => Buffer.from(f)),
    signature,
  };
}

/** Message → frames, signed. */
export function encodeMessage(msg: JupyterMessage<unknown>, signer: Signer): Buffer[] {
  const json = [msg.header, msg.parent_header, msg.metadata, msg.content].map((part) =>
    Buffer.from(JSON.stringify(part), "utf8"),
  );
  return [...msg.identities, DELIMITER, Buffer.from(signer.sign(json), "utf8"), ...json, ...msg.buffers];
}

/** Any binary view → Buffer sharing its memory (no copy). */
export function toBuffer(view: ArrayBufferView | ArrayBuffer): Buffer {
  if (view instanceof ArrayBuffer) return Buffer.from(view);
  if (ArrayBuffer.isView(view)) return Buffer.from(view.buffer, view.byteOffset, view.byteLength);
  throw new TypeError(`a binary buffer must be an ArrayBuffer or an ArrayBufferView (Uint8Array, Float32Array, DataView…), got ${describe(view)}`);
}

export function describe(value: unknown): string {
  if (value === null) return "null";
  if (typeof value === "object") return (value as object).constructor?.name ?? "object";
  return typeof value;
}

/** Builds a new message header for a message this kernel originates. */
export function newHeader(msgType: string, session: string, username = "camlab"): MessageHeader {
  return {
    msg_id: randomUUID(),
    session,
    username,
    date: new Date().toISOString(),
    msg_type: msgType,
    version: PROTOCOL_VERSION,
  };
}
