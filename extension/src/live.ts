// A display's link to live data: whether the kernel still holds its tensors, the status note
// that says so, and measurements of each interaction exposed on the DOM for the benchmark.
import { h } from "./dom";
import type { OpArgs, OpName, SessionRef } from "./protocol";
import { describeFailure, SessionError, type ClientEvent, type Outcome, type RequestOptions, type SessionClient } from "./session";

/** Where a renderer finds the session client of its notebook's kernel. */
export interface LiveLink {
  /** The client, or null when no kernel is connected (after waiting briefly for one). */
  client(): Promise<SessionClient | null>;
}

export type LiveState = "static" | "checking" | "live" | "unavailable" | "recompute" | "error";

/** The visible note at the top of each widget (data-testid="camlab-status", data-kind=state). */
export class StatusNote {
  readonly node = h("div", { cls: "camlab-status", testid: "camlab-status", attrs: { role: "status" } });

  set(kind: LiveState, text: string): void {
    this.node.dataset.kind = kind;
    this.node.className = `camlab-status camlab-status--${kind}`;
    this.node.textContent = text;
  }
}

const UNAVAILABLE = "Live data unavailable";
/** session.info tries after a timeout (15 s each): a kernel busy for up to ~5 min is waited for. */
const BUSY_RETRIES = 20;

export class LiveBinding {
  private client: SessionClient | null = null;
  private stateValue: LiveState = "static";
  private readonly listeners: Array<(s: LiveState) => void> = [];
  /** Stops hearing the client's events (evictions, a restarted kernel). */
  private unlisten: (() => void) | null = null;
  private disposed = false;
  private liveText = "";

  constructor(
    readonly ref: SessionRef | null,
    private readonly link: LiveLink | null,
    private readonly note: StatusNote,
    private readonly root: HTMLElement,
  ) {
    this.setState("static", `${UNAVAILABLE}: this output has no kernel session — showing the saved snapshot.`);
  }

  get state(): LiveState {
    return this.stateValue;
  }

  get isLive(): boolean {
    return this.stateValue === "live";
  }

  /** Calls `f` on every state change; returns a function that stops it. */
  onChange(f: (s: LiveState) => void): () => void {
    this.listeners.push(f);
    return () => {
      const i = this.listeners.indexOf(f);
      if (i >= 0) this.listeners.splice(i, 1);
    };
  }

  /** Finds the kernel and checks that it still holds this display's data. Never throws. */
  async start(): Promise<void> {
    if (!this.ref) return;
    if (!this.link) {
      this.setState("unavailable", `${UNAVAILABLE}: this view is not attached to a notebook kernel — showing the saved snapshot.`);
      return;
    }
    this.setState("checking", "Showing the saved snapshot; connecting to the kernel for live data…");
    let client: SessionClient | null = null;
    try {
      client = await this.link.client();
    } catch (e) {
      client = null;
    }
    if (!client) {
      this.setState("unavailable", `${UNAVAILABLE}: no kernel is running for this notebook — showing the saved snapshot. Run the cell again for live views.`);
      return;
    }
    let verdict = await client.verify(this.ref);
    // A timeout is most often a busy kernel: session.info waits behind the cells queued after this
    // one (a notebook run top to bottom). Ask again while the widget exists, rather than give up
    // on a display whose data is there.
    for (let attempt = 1; !verdict.live && verdict.code === "timeout" && !this.disposed && attempt <= BUSY_RETRIES; attempt++) {
      this.setState("checking", `Showing the saved snapshot; the kernel is busy — live data once it answers (asked ${attempt + 1} times)…`);
      verdict = await client.verify(this.ref);
    }
    if (this.disposed) return;
    if (verdict.live) {
      this.client = client;
      const where = verdict.info.device ? `${verdict.info.backend}, ${verdict.info.device}` : verdict.info.backend;
      this.liveText = `Live data from the kernel (backend: ${where}).`;
      this.listen(client);
      this.setState("live", this.liveText);
    } else {
      this.fail(verdict.code, verdict.reason);
    }
  }

  /**
   * Turns the state as soon as the kernel says so, not on the next click: an eviction of this
   * handle means "recompute", a closed channel (restart, dead kernel) means live data is gone.
   */
  private listen(client: SessionClient): void {
    this.unlisten?.();
    this.unlisten = client.onEvent((e: ClientEvent) => {
      if (!this.ref || this.client !== client) return;
      if (e.kind === "evicted") {
        if (e.kernelInstance === this.ref.kernelInstance && e.handles.includes(this.ref.handle)) {
          this.fail("evicted", `the kernel evicted this output's tensors to stay within its memory budget — re-run the cell to recompute`);
        }
      } else {
        this.fail("unavailable", /restart/.test(e.reason) ? "the kernel was restarted since this output was made — re-run the cell" : e.reason);
      }
    });
  }

  /** A binding to another handle of the same kernel, for a display opened from this one (the
   *  confusion explorer's full overlay of one example); call start() on it. */
  sibling(ref: SessionRef, note: StatusNote, root: HTMLElement): LiveBinding {
    return new LiveBinding(ref, this.link, note, root);
  }

  /** Stops listening to the kernel (the widget is gone). */
  dispose(): void {
    this.disposed = true;
    this.unlisten?.();
    this.unlisten = null;
    this.client = null;
  }

  /** Runs one operation for this display; on failure updates the note and rethrows. */
  async call<K extends OpName>(op: K, args: OpArgs[K], options: RequestOptions = {}): Promise<Outcome<K>> {
    if (!this.client || !this.ref || !this.isLive) {
      throw new SessionError("unavailable", "live data is unavailable for this output");
    }
    const client = this.client;
    // Cached per channel: free while the comm lives; after a kernel restart the channel is new
    // and this asks again, so a reused handle name in a new kernel is never taken for ours.
    const verdict = await client.verify(this.ref);
    if (!verdict.live) {
      this.fail(verdict.code, verdict.reason);
      throw new SessionError(verdict.code, verdict.reason);
    }
    try {
      const out = await client.request(this.ref.handle, op, args, options);
      // A success answers for the session: an earlier request's failure banner is stale now.
      this.clearBanner();
      return out;
    } catch (e) {
      const err = e instanceof SessionError ? e : new SessionError("failed", e instanceof Error ? e.message : String(e));
      if (err.code === "cancelled") {
        // Asked for by the person: the widget says so where it was cancelled, not as a failure.
        this.clearBanner();
      } else {
        this.fail(err.code, describeFailure(err), true);
      }
      throw err;
    }
  }

  /** Back to the plain live note (the state itself stays "live": listeners are not called). */
  private clearBanner(): void {
    if (this.isLive && this.note.node.dataset.kind !== "live") this.note.set("live", this.liveText);
  }

  private fail(code: SessionError["code"], reason: string, duringCall = false): void {
    if (code === "evicted" || code === "unavailable" || code === "unknown_handle") {
      this.unlisten?.();
      this.unlisten = null;
    }
    if (code === "evicted") {
      this.client = null;
      this.setState("recompute", `Recompute needed: ${reason}. The snapshot stays visible.`);
    } else if (code === "unavailable" || code === "unknown_handle") {
      this.client = null;
      this.setState("unavailable", `${UNAVAILABLE}: ${reason}. Showing the saved snapshot.`);
    } else if (duringCall) {
      // The session is still there; only this request failed (timeout, bad request, computation).
      this.setState("live", `Live data from the kernel — the last request failed: ${reason}`);
      this.note.node.dataset.kind = "error";
      this.note.node.classList.add("camlab-status--error");
    } else {
      this.setState("unavailable", `${UNAVAILABLE}: ${reason}. Showing the saved snapshot.`);
    }
  }

  private setState(state: LiveState, text: string): void {
    this.stateValue = state;
    this.root.dataset.state = state;
    this.note.set(state, text);
    for (const f of this.listeners) f(state);
  }
}

/**
 * Click → canvas-updated time and bytes per interaction, written on the widget's root element:
 * data-last-latency-ms, data-last-bytes (reply JSON + buffers), data-last-sent-bytes,
 * data-last-interaction (its kind), data-interactions (how many have completed).
 */
export class InteractionMeter {
  private generation = 0;

  constructor(private readonly root: HTMLElement) {
    root.dataset.interactions = "0";
  }

  begin(kind: string): Interaction {
    return new Interaction(this, ++this.generation, kind, performance.now());
  }

  /** Whether `i` is still the newest interaction (older ones must not draw over newer ones). */
  isCurrent(i: Interaction): boolean {
    return i.generation === this.generation;
  }

  record(i: Interaction): void {
    const d = this.root.dataset;
    d.lastLatencyMs = (performance.now() - i.startedAt).toFixed(1);
    d.lastBytes = String(i.bytesReceived);
    d.lastSentBytes = String(i.bytesSent);
    d.lastInteraction = i.kind;
    d.interactions = String(Number(d.interactions ?? "0") + 1);
  }
}

export class Interaction {
  bytesReceived = 0;
  bytesSent = 0;

  constructor(
    private readonly meter: InteractionMeter,
    readonly generation: number,
    readonly kind: string,
    readonly startedAt: number,
  ) {}

  get current(): boolean {
    return this.meter.isCurrent(this);
  }

  add(o: { bytesReceived: number; bytesSent: number }): void {
    this.bytesReceived += o.bytesReceived;
    this.bytesSent += o.bytesSent;
  }

  /** Call right after the canvas was updated. */
  done(): void {
    if (this.current) this.meter.record(this);
  }
}
