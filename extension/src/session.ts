// The browser end of the "camlab.session" comm: one channel per kernel, request ids, one promise
// per request settled by exactly one reply (or a timeout, or the channel closing), binary
// buffers handed back as bytes. Pure logic: the JupyterLab comm is adapted in kernelComm.ts.
import type { OpArgs, OpName, OpResults, SessionErrorCode, SessionRef, SessionRequest } from "./protocol";

/** Why a request produced no result: the kernel's error codes plus what can go wrong on the way. */
export type FailureCode = SessionErrorCode | "unavailable" | "timeout";

export class SessionError extends Error {
  constructor(
    readonly code: FailureCode,
    message: string,
  ) {
    super(message);
    this.name = "SessionError";
  }
}

/** What a channel reports to the client. */
export interface ChannelEvents {
  message(data: unknown, buffers: readonly Uint8Array[]): void;
  /** The channel is gone for good (comm closed, kernel restarted or died). */
  closed(reason: string): void;
}

export interface Channel {
  /** Sends one request; returns the bytes sent (UTF-8 JSON). Throws SessionError when it cannot. */
  send(request: SessionRequest): number;
  close(): void;
}

/** Opens a channel (a comm to the kernel); throws SessionError("unavailable") when there is none. */
export type ChannelOpener = (events: ChannelEvents) => Channel;

export interface Outcome<K extends OpName> {
  result: OpResults[K];
  buffers: Uint8Array[];
  /** UTF-8 bytes of the reply's JSON plus its binary buffers. */
  bytesReceived: number;
  bytesSent: number;
}

export type Verdict = { live: true; info: OpResults["session.info"] } | { live: false; code: FailureCode; reason: string };

/** Per-operation time limits: computations (CAMs on a CPU backend) take longer than look-ups. */
export const DEFAULT_TIMEOUTS_MS: Record<OpName, number> = {
  "session.info": 15_000,
  "layers.describe": 15_000,
  "activations.page": 60_000,
  "activations.channel": 30_000,
  "cam.compute": 120_000,
  "predictions.topk": 60_000,
};

interface Pending {
  op: OpName;
  bytesSent: number;
  resolve(o: Outcome<OpName>): void;
  reject(e: SessionError): void;
  timer: ReturnType<typeof setTimeout>;
}

export function utf8Length(text: string): number {
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length) {
      n += 4; // a surrogate pair is one 4-byte code point
      i++;
    } else n += 3;
  }
  return n;
}

function isRecord(x: unknown): x is Record<string, unknown> {
  return typeof x === "object" && x !== null && !Array.isArray(x);
}

export class SessionClient {
  private channel: Channel | null = null;
  private readonly pending = new Map<string, Pending>();
  private readonly verdicts = new Map<string, Promise<Verdict>>();
  private counter = 0;
  private disposed = false;
  private readonly idPrefix: string;

  constructor(
    private readonly openChannel: ChannelOpener,
    private readonly timeouts: Partial<Record<OpName, number>> = {},
  ) {
    this.idPrefix = `r${Math.random().toString(36).slice(2, 8)}-`;
  }

  /** Requests waiting for their reply. */
  get pendingCount(): number {
    return this.pending.size;
  }

  request<K extends OpName>(handle: string, op: K, args: OpArgs[K]): Promise<Outcome<K>> {
    if (this.disposed) return Promise.reject(new SessionError("unavailable", "the session client was closed"));
    let channel: Channel;
    try {
      channel = this.ensureChannel();
    } catch (e) {
      return Promise.reject(asSessionError(e));
    }
    const id = `${this.idPrefix}${++this.counter}`;
    const request = { id, op, handle, args } as SessionRequest;
    return new Promise<Outcome<K>>((resolve, reject) => {
      const limit = this.timeouts[op] ?? DEFAULT_TIMEOUTS_MS[op];
      const timer = setTimeout(() => {
        if (this.pending.delete(id)) {
          reject(new SessionError("timeout", `the kernel did not answer ${op} within ${Math.round(limit / 1000)} s`));
        }
      }, limit);
      this.pending.set(id, { op, bytesSent: 0, resolve: resolve as (o: Outcome<OpName>) => void, reject, timer });
      try {
        this.pending.get(id)!.bytesSent = channel.send(request);
      } catch (e) {
        clearTimeout(timer);
        this.pending.delete(id);
        reject(asSessionError(e));
      }
    });
  }

  /**
   * Whether the kernel still holds the display's data: asks session.info once per handle and
   * channel, and compares the kernel's instance id with the one the display recorded.
   */
  verify(ref: SessionRef): Promise<Verdict> {
    let v = this.verdicts.get(ref.handle);
    if (!v) {
      v = this.request(ref.handle, "session.info", {}).then(
        ({ result }): Verdict => {
          if (typeof result.kernelInstance !== "string") {
            return { live: false, code: "unavailable", reason: "the kernel did not report its instance id (it may run an older camlab)" };
          }
          if (result.kernelInstance !== ref.kernelInstance) {
            return { live: false, code: "unavailable", reason: "the kernel was restarted since this output was made" };
          }
          return { live: true, info: result };
        },
        (e: SessionError): Verdict => ({ live: false, code: e.code, reason: describeFailure(e) }),
      );
      this.verdicts.set(ref.handle, v);
      // A timeout may be a busy kernel: let a later display ask again.
      void v.then((verdict) => {
        if (!verdict.live && verdict.code === "timeout") this.verdicts.delete(ref.handle);
      });
    }
    return v;
  }

  /** Closes the channel and fails every waiting request. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    const ch = this.channel;
    this.failAll("the session client was closed");
    ch?.close();
  }

  private ensureChannel(): Channel {
    if (this.channel) return this.channel;
    let opened: Channel | null = null;
    let closedEarly: string | null = null;
    const events: ChannelEvents = {
      message: (data, buffers) => this.onMessage(data, buffers),
      closed: (reason) => {
        if (opened === null) closedEarly = reason;
        else if (this.channel === opened) this.failAll(reason);
      },
    };
    opened = this.openChannel(events);
    if (closedEarly !== null) throw new SessionError("unavailable", closedEarly);
    this.channel = opened;
    return opened;
  }

  private failAll(reason: string): void {
    this.channel = null;
    this.verdicts.clear();
    const waiting = [...this.pending.values()];
    this.pending.clear();
    for (const p of waiting) {
      clearTimeout(p.timer);
      p.reject(new SessionError("unavailable", reason));
    }
  }

  private onMessage(data: unknown, buffers: readonly Uint8Array[]): void {
    if (!isRecord(data) || typeof data.id !== "string") return; // not a reply to anything we sent
    const p = this.pending.get(data.id);
    if (!p) return; // a late reply to a request that already timed out
    this.pending.delete(data.id);
    clearTimeout(p.timer);
    let bytesReceived = 0;
    try {
      bytesReceived = utf8Length(JSON.stringify(data));
    } catch {
      bytesReceived = 0;
    }
    for (const b of buffers) bytesReceived += b.byteLength;
    if (data.ok === true) {
      if (data.op !== p.op || !isRecord(data.result)) {
        p.reject(new SessionError("failed", `the kernel's reply to ${p.op} was malformed (op ${JSON.stringify(data.op)})`));
        return;
      }
      p.resolve({ result: data.result as OpResults[OpName], buffers: [...buffers], bytesReceived, bytesSent: p.bytesSent });
      return;
    }
    const err = isRecord(data.error) ? data.error : {};
    const code = typeof err.code === "string" ? (err.code as FailureCode) : "failed";
    const message = typeof err.message === "string" ? err.message : `the kernel refused ${p.op}`;
    p.reject(new SessionError(code, message));
  }
}

function asSessionError(e: unknown): SessionError {
  if (e instanceof SessionError) return e;
  return new SessionError("unavailable", e instanceof Error ? e.message : String(e));
}

/** A sentence for the status note. */
export function describeFailure(e: SessionError): string {
  switch (e.code) {
    case "evicted":
      return `the kernel evicted this output's tensors to stay within its memory budget — re-run the cell to recompute (${e.message})`;
    case "unknown_handle":
      return `the kernel does not know this output (it was restarted or the output comes from another session) — re-run the cell`;
    case "timeout":
      return e.message;
    case "unavailable":
      return e.message;
    case "bad_request":
      return `the kernel rejected the request: ${e.message}`;
    case "failed":
      return `the kernel could not compute it: ${e.message}`;
  }
  return e.message;
}
