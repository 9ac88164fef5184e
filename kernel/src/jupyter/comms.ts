// Comms: the kernel's registry of comm targets and open comms, and the handling of comm_open /
// comm_msg / comm_close / comm_info_request from the front end. Transport-agnostic: it sends
// through a `publish` function, so the kernel wires it to iopub and tests can record messages.
import { randomUUID } from "node:crypto";
import type { Comm, CommCloseHandler, CommMsgHandler, CommTargetHandler, OutgoingBuffers } from "./runtime";
import { describe, toBuffer } from "./wire";

export type CommPublish = (
  msgType: "comm_open" | "comm_msg" | "comm_close",
  content: Record<string, unknown>,
  buffers: Buffer[],
  metadata?: Record<string, unknown>,
) => void;

/** A problem with a comm message from the front end: logged, never thrown out of the kernel. */
export class CommProtocolError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "CommProtocolError";
  }
}

function checkJson(data: unknown, what: string): void {
  try {
    JSON.stringify(data);
  } catch (err) {
    throw new TypeError(`${what} must be JSON-serialisable: ${(err as Error).message}`);
  }
}

function toBuffers(buffers: OutgoingBuffers | undefined, what: string): Buffer[] {
  if (buffers === undefined) return [];
  if (!Array.isArray(buffers)) {
    throw new TypeError(`${what} buffers must be an array of ArrayBuffer/ArrayBufferView, got ${describe(buffers)}`);
  }
  return buffers.map((b, i) => {
    try {
      return toBuffer(b);
    } catch {
      throw new TypeError(`${what} buffers[${i}] must be an ArrayBuffer or ArrayBufferView (e.g. Uint8Array), got ${describe(b)}`);
    }
  });
}

class KernelComm implements Comm {
  private msgHandlers = new Set<CommMsgHandler>();
  private closeHandlers = new Set<CommCloseHandler>();
  private isClosed = false;

  constructor(
    readonly commId: string,
    readonly targetName: string,
    private readonly manager: CommManager,
  ) {}

  get closed(): boolean {
    return this.isClosed;
  }

  send(data: unknown, buffers?: OutgoingBuffers): void {
    if (this.isClosed) throw new Error(`comm ${this.commId} (target "${this.targetName}") is closed: cannot send`);
    checkJson(data, "comm message data");
    this.manager.publish("comm_msg", { comm_id: this.commId, data: data ?? {} }, toBuffers(buffers, "comm message"));
  }

  onMsg(handler: CommMsgHandler): () => void {
    this.msgHandlers.add(handler);
    return () => this.msgHandlers.delete(handler);
  }

  onClose(handler: CommCloseHandler): () => void {
    this.closeHandlers.add(handler);
    return () => this.closeHandlers.delete(handler);
  }

  close(data?: unknown, buffers?: OutgoingBuffers): void {
    if (this.isClosed) return;
    checkJson(data, "comm close data");
    this.manager.publish("comm_close", { comm_id: this.commId, data: data ?? {} }, toBuffers(buffers, "comm close"));
    this.closedBy(data ?? {}, []);
  }

  /** Delivers a comm_msg to every listener; resolves when async listeners finish. */
  async deliver(data: unknown, buffers: Uint8Array[]): Promise<void> {
    if (this.msgHandlers.size === 0) {
      this.manager.log(`comm ${this.commId} (target "${this.targetName}") got a message but has no onMsg listener; dropped`);
    }
    await Promise.all(
      [...this.msgHandlers].map((h) =>
        this.manager.guard(`comm ${this.commId} (target "${this.targetName}") message handler`, () => h(data, buffers)),
      ),
    );
  }

  /** Marks closed and runs the close listeners once. */
  closedBy(data: unknown, buffers: Uint8Array[]): void {
    if (this.isClosed) return;
    this.isClosed = true;
    this.manager.forget(this.commId);
    const handlers = [...this.closeHandlers];
    this.closeHandlers.clear();
    this.msgHandlers.clear();
    for (const h of handlers) {
      void this.manager.guard(`comm ${this.commId} (target "${this.targetName}") close handler`, () => h(data, buffers));
    }
  }
}

export class CommManager {
  private readonly targets = new Map<string, CommTargetHandler>();
  private readonly open = new Map<string, KernelComm>();

  /**
   * @param loadTargetsFor called once per unknown target name before a comm_open is refused; it
   *   may load code that registers the target (the kernel loads the camlab package for "camlab.*").
   */
  constructor(
    readonly publish: CommPublish,
    readonly log: (message: string) => void,
    private readonly loadTargetsFor: (targetName: string) => void = () => {},
  ) {}

  registerTarget(targetName: string, handler: CommTargetHandler): () => void {
    if (typeof targetName !== "string" || targetName === "") {
      throw new TypeError(`registerCommTarget: the target name must be a non-empty string, got ${JSON.stringify(targetName)}`);
    }
    if (typeof handler !== "function") {
      throw new TypeError(`registerCommTarget("${targetName}"): the handler must be a function (comm, data, buffers) => void, got ${describe(handler)}`);
    }
    this.targets.set(targetName, handler);
    return () => {
      if (this.targets.get(targetName) === handler) this.targets.delete(targetName);
    };
  }

  unregisterTarget(targetName: string): void {
    this.targets.delete(targetName);
  }

  openFromKernel(targetName: string, data?: unknown, buffers?: OutgoingBuffers, metadata?: Record<string, unknown>): Comm {
    if (typeof targetName !== "string" || targetName === "") {
      throw new TypeError(`openComm: the target name must be a non-empty string, got ${JSON.stringify(targetName)}`);
    }
    checkJson(data, "comm open data");
    const bufs = toBuffers(buffers, "comm open");
    const comm = new KernelComm(randomUUID().replace(/-/g, ""), targetName, this);
    this.open.set(comm.commId, comm);
    this.publish("comm_open", { comm_id: comm.commId, target_name: targetName, data: data ?? {} }, bufs, metadata ?? {});
    return comm;
  }

  list(targetName?: string): Comm[] {
    return [...this.open.values()].filter((c) => targetName === undefined || c.targetName === targetName);
  }

  /** comm_info_reply content: every open comm, filtered by target_name when the request names one. */
  info(targetName?: unknown): Record<string, { target_name: string }> {
    const filter = typeof targetName === "string" && targetName !== "" ? targetName : undefined;
    const comms: Record<string, { target_name: string }> = {};
    for (const comm of this.list(filter)) comms[comm.commId] = { target_name: comm.targetName };
    return comms;
  }

  /** comm_open from the front end. Unknown target → comm_close back (the front end cleans up). */
  async handleOpen(content: Record<string, unknown>, buffers: Uint8Array[]): Promise<void> {
    const commId = content.comm_id;
    const targetName = content.target_name;
    if (typeof commId !== "string" || commId === "") {
      throw new CommProtocolError(`comm_open without a string comm_id (got ${JSON.stringify(commId)}); ignored`);
    }
    if (typeof targetName !== "string") {
      this.publish("comm_close", { comm_id: commId, data: {} }, []);
      throw new CommProtocolError(`comm_open ${commId} without a string target_name (got ${JSON.stringify(targetName)}); closed`);
    }
    if (!this.targets.has(targetName)) {
      try {
        this.loadTargetsFor(targetName);
      } catch (err) {
        this.log(`loading the code behind comm target "${targetName}" failed: ${err instanceof Error ? err.stack ?? err.message : String(err)}`);
      }
    }
    const handler = this.targets.get(targetName);
    if (!handler) {
      this.publish("comm_close", { comm_id: commId, data: {} }, []);
      const known = [...this.targets.keys()];
      throw new CommProtocolError(
        `comm_open ${commId} for unknown target "${targetName}" (registered: ${known.length ? known.map((t) => `"${t}"`).join(", ") : "none"}); closed`,
      );
    }
    if (this.open.has(commId)) {
      throw new CommProtocolError(`comm_open for comm id ${commId}, which is already open; ignored`);
    }
    const comm = new KernelComm(commId, targetName, this);
    this.open.set(commId, comm);
    await this.guard(`comm target "${targetName}" open handler`, () => handler(comm, content.data ?? {}, buffers));
  }

  async handleMsg(content: Record<string, unknown>, buffers: Uint8Array[]): Promise<void> {
    const comm = this.lookup(content.comm_id, "comm_msg");
    await comm.deliver(content.data ?? {}, buffers);
  }

  handleClose(content: Record<string, unknown>, buffers: Uint8Array[]): void {
    const comm = this.lookup(content.comm_id, "comm_close");
    comm.closedBy(content.data ?? {}, buffers);
  }

  /** At shutdown: every comm's close listeners run; nothing is sent (the kernel is going away). */
  closeAll(): void {
    for (const comm of [...this.open.values()]) comm.closedBy({}, []);
  }

  forget(commId: string): void {
    this.open.delete(commId);
  }

  /** Runs a user handler; logs what it throws or rejects with, never rethrows. */
  async guard(what: string, fn: () => unknown): Promise<void> {
    try {
      await fn();
    } catch (err) {
      this.log(`${what} failed: ${err instanceof Error ? err.stack ?? err.message : String(err)}`);
    }
  }

  private lookup(commId: unknown, msgType: string): KernelComm {
    if (typeof commId !== "string") {
      throw new CommProtocolError(`${msgType} without a string comm_id (got ${JSON.stringify(commId)}); ignored`);
    }
    const comm = this.open.get(commId);
    if (!comm) throw new CommProtocolError(`${msgType} for unknown comm id ${commId}; ignored`);
    return comm;
  }
}
