// The browser end of the "camlab.session" comm: one channel per kernel, request ids, one promise
// per request settled by exactly one reply (or a timeout, or the channel closing), binary
// buffers handed back as bytes. Pure logic: the JupyterLab comm is adapted in kernelComm.ts.
// While a request's work runs the kernel sends {id, progress} messages: each one is passed on and
// restarts the request's time limit (a long Score-CAM that reports is never "too slow"; one that
// went quiet is). A request is cancelled through its AbortSignal: the client sends {cancel: id}
// and waits for the kernel's reply ("cancelled", or the result if the work was already done).
import type { OpArgs, OpName, OpResults, SessionErrorCode, SessionRef, SessionRequest, WorkProgress } from "./protocol";

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
  /** Asks the kernel to stop request `id` ({cancel: id}), by a route that overtakes the running request. */
  cancel(id: string): void;
  close(): void;
}

/** What the client tells widgets without being asked. */
export type ClientEvent =
  /** The kernel evicted these handles of its instance `kernelInstance`. */
  | { kind: "evicted"; handles: readonly string[]; kernelInstance: string }
  /** The channel closed (kernel restarted, died, comm closed): live data of every display is gone. */
  | { kind: "closed"; reason: string };

export interface RequestOptions {
  /** Progress of the request's work in the kernel, as it reports it. */
  onProgress?(progress: WorkProgress): void;
  /** Aborting it cancels the request in the kernel. */
  signal?: AbortSignal;
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
  "layers.usable": 60_000,
  "confusion.cell": 60_000,
  "confusion.pair": 120_000,
  "confusion.overlay": 120_000,
};

/** After a cancel, how long the client waits for the kernel to confirm before giving up on it. */
export const CANCEL_GRACE_MS = 15_000;

/** Per-operation limits (ms between signs of life), and how long a cancel may take to confirm. */
export type ClientTimeouts = Partial<Record<OpName, number>> & { cancelGraceMs?: number };

interface Pending {
  op: OpName;
  bytesSent: number;
  resolve(o: Outcome<OpName>): void;
  reject(e: SessionError): void;
  timer: ReturnType<typeof setTimeout>;
  /** Ms allowed between two signs of life (the request, a progress message). */
  limit: number;
  sawProgress: boolean;
  cancelledAt: number | null;
  onProgress?(progress: WorkProgress): void;
  /** Removes the abort listener from the caller's signal. */
  unlisten(): void;
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
  /** By kernel instance and handle: handle names of two kernels may coincide (older kernels). */
  private readonly verdicts = new Map<string, Promise<Verdict>>();
  private readonly listeners = new Set<(e: ClientEvent) => void>();
  private counter = 0;
  private disposed = false;
  private readonly idPrefix: string;

  constructor(
    private readonly openChannel: ChannelOpener,
    private readonly timeouts: ClientTimeouts = {},
  ) {
    this.idPrefix = `r${Math.random().toString(36).slice(2, 8)}-`;
  }

  /** Requests waiting for their reply. */
  get pendingCount(): number {
    return this.pending.size;
  }

  /** Calls `f` with every ClientEvent; returns a function that stops it. */
  onEvent(f: (e: ClientEvent) => void): () => void {
    this.listeners.add(f);
    return () => this.listeners.delete(f);
  }

  request<K extends OpName>(handle: string, op: K, args: OpArgs[K], options: RequestOptions = {}): Promise<Outcome<K>> {
    if (this.disposed) return Promise.reject(new SessionError("unavailable", "the session client was closed"));
    if (options.signal?.aborted) return Promise.reject(new SessionError("cancelled", `${op} was cancelled before it was sent`));
    let channel: Channel;
    try {
      channel = this.ensureChannel();
    } catch (e) {
      return Promise.reject(asSessionError(e));
    }
    const id = `${this.idPrefix}${++this.counter}`;
    const request = { id, op, handle, args } as SessionRequest;
    return new Promise<Outcome<K>>((resolve, reject) => {
      const signal = options.signal;
      const onAbort = (): void => this.cancel(id);
      signal?.addEventListener("abort", onAbort, { once: true });
      const p: Pending = {
        op,
        bytesSent: 0,
        resolve: resolve as (o: Outcome<OpName>) => void,
        reject,
        timer: undefined as unknown as ReturnType<typeof setTimeout>,
        limit: this.timeouts[op] ?? DEFAULT_TIMEOUTS_MS[op],
        sawProgress: false,
        cancelledAt: null,
        onProgress: options.onProgress,
        unlisten: () => signal?.removeEventListener("abort", onAbort),
      };
      this.pending.set(id, p);
      this.arm(id, p);
      try {
        p.bytesSent = channel.send(request);
      } catch (e) {
        this.settle(id, p);
        reject(asSessionError(e));
      }
    });
  }

  /** (Re)starts a request's time limit: measured from its last sign of life, not from its start. */
  private arm(id: string, p: Pending): void {
    clearTimeout(p.timer);
    const limit = p.cancelledAt !== null ? Math.min(p.limit, this.timeouts.cancelGraceMs ?? CANCEL_GRACE_MS) : p.limit;
    p.timer = setTimeout(() => {
      if (this.pending.get(id) !== p) return;
      this.settle(id, p);
      const s = Math.round(limit / 1000);
      if (p.cancelledAt !== null) {
        p.reject(new SessionError("cancelled", `${p.op} was cancelled; the kernel has not confirmed it stopped within ${s} s (it may still be finishing a step)`));
      } else {
        p.reject(new SessionError("timeout", p.sawProgress ? `the kernel sent no progress on ${p.op} for ${s} s` : `the kernel did not answer ${p.op} within ${s} s`));
      }
    }, limit);
  }

  private settle(id: string, p: Pending): void {
    clearTimeout(p.timer);
    p.unlisten();
    this.pending.delete(id);
  }

  /** Asks the kernel to stop request `id`; its promise settles with the kernel's reply. */
  private cancel(id: string): void {
    const p = this.pending.get(id);
    if (!p || p.cancelledAt !== null) return;
    p.cancelledAt = Date.now();
    this.arm(id, p);
    try {
      this.channel?.cancel(id);
    } catch (e) {
      this.settle(id, p);
      p.reject(new SessionError("cancelled", `${p.op} was cancelled here, but the cancel could not be sent: ${asSessionError(e).message}`));
    }
  }

  /**
   * Whether the kernel still holds the display's data: asks session.info once per handle and
   * channel, and compares the kernel's instance id with the one the display recorded.
   */
  verify(ref: SessionRef): Promise<Verdict> {
    const key = `${ref.kernelInstance}\u0000${ref.handle}`;
    let v = this.verdicts.get(key);
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
      this.verdicts.set(key, v);
      // A timeout may be a busy kernel: let a later display ask again.
      void v.then((verdict) => {
        if (!verdict.live && verdict.code === "timeout") this.verdicts.delete(key);
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
    const hadChannel = this.channel !== null;
    this.channel = null;
    this.verdicts.clear();
    const waiting = [...this.pending.entries()];
    for (const [id, p] of waiting) {
      this.settle(id, p);
      p.reject(new SessionError("unavailable", reason));
    }
    if (hadChannel) this.emit({ kind: "closed", reason });
  }

  private emit(e: ClientEvent): void {
    for (const f of [...this.listeners]) {
      try {
        f(e);
      } catch {
        // one widget's listener must not keep the others from hearing
      }
    }
  }

  private onMessage(data: unknown, buffers: readonly Uint8Array[]): void {
    if (isRecord(data) && data.event === "evicted" && Array.isArray(data.handles) && typeof data.kernelInstance === "string") {
      const handles = data.handles.filter((h): h is string => typeof h === "string");
      const instance = data.kernelInstance;
      for (const h of handles) this.verdicts.delete(`${instance}\u0000${h}`);
      this.emit({ kind: "evicted", handles, kernelInstance: instance });
      return;
    }
    if (!isRecord(data) || typeof data.id !== "string") return; // not a reply to anything we sent
    const p = this.pending.get(data.id);
    if (!p) return; // a late reply to a request that already timed out
    if (isRecord(data.progress)) {
      const { label, done, total } = data.progress;
      if (typeof label === "string" && typeof done === "number" && typeof total === "number") {
        p.sawProgress = true;
        if (p.cancelledAt === null) this.arm(data.id, p);
        try {
          p.onProgress?.({ label, done, total });
        } catch {
          // a widget's progress display must not break the request
        }
      }
      return;
    }
    this.settle(data.id, p);
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
    case "cancelled":
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
