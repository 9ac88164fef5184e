// The kernel session: the registry of bound models that displays refer to by handle, and the
// "camlab.session" comm target that serves live widgets from it. One session per kernel process
// (shared through globalThis, so every copy of the camlab package loaded in the process — e.g.
// one in the notebook folder's node_modules — uses the same registry and the same target).
import { randomUUID } from "node:crypto";
import type * as tf from "@tensorflow/tfjs";
import type { AnyModel } from "../engine/model";
import { throwIfCancelled } from "../engine/work";
import { currentKernel, type Comm } from "../jupyter/runtime";
import { SESSION_COMM_TARGET, type OpName, type SessionEventMessage } from "../protocol";
import { BoundModel, type BindOptions } from "./bound";
import { HandleGone, runOp, type OpOutcome } from "./handlers";
import { DEFAULT_BUDGET_BYTES, TensorRegistry } from "./registry";
import { RequestServer, type ReplyChannel } from "./server";

function budgetFromEnv(): number {
  const mb = Number(process.env.CAMLAB_SESSION_BUDGET_MB);
  return Number.isFinite(mb) && mb > 0 ? mb * 1024 * 1024 : DEFAULT_BUDGET_BYTES;
}

/** How much the session holds: handles, bytes and the budget. */
export interface SessionStats {
  handles: number;
  bytes: number;
  budgetBytes: number;
}

/** The kernel's session: the registry of bound models that live widgets query over the "camlab.session" comm. */
export class Session {
  readonly registry: TensorRegistry<BoundModel>;
  /** Compared by widgets with the id their display recorded: differs after a kernel restart. */
  readonly kernelInstance: string;
  /** Requests run one at a time: two CAMs on one model must not interleave their hooks. */
  private queue: Promise<unknown> = Promise.resolve();
  private detach: (() => void) | null = null;
  /** Serves requests and cancels of every session comm. */
  readonly server = new RequestServer((op, handle, args) => this.dispatch(op, handle, args));
  /** Open session comms: evictions are announced on each. */
  private readonly listeners = new Set<ReplyChannel>();
  private evictedSinceAnnounce: string[] = [];

  constructor(budgetBytes = budgetFromEnv(), kernelInstance?: string) {
    this.kernelInstance = kernelInstance ?? currentKernel()?.kernelId ?? `process-${process.pid}-${randomUUID()}`;
    this.registry = new TensorRegistry<BoundModel>(budgetBytes, { kernelInstance: this.kernelInstance });
    this.registry.onEvicted((handle) => this.announceEviction(handle));
  }

  /**
   * Adds a channel that hears session events ({event: "evicted", handles, kernelInstance});
   * returns its remover. The kernel's session comms are added by attachToKernel.
   */
  addListener(channel: ReplyChannel): () => void {
    this.listeners.add(channel);
    return () => this.listeners.delete(channel);
  }

  /** Evictions of one turn (a budget sweep, clear()) go out as one event. */
  private announceEviction(handle: string): void {
    this.evictedSinceAnnounce.push(handle);
    if (this.evictedSinceAnnounce.length > 1) return;
    queueMicrotask(() => {
      const event: SessionEventMessage = { event: "evicted", handles: this.evictedSinceAnnounce, kernelInstance: this.kernelInstance };
      this.evictedSinceAnnounce = [];
      for (const channel of [...this.listeners]) {
        try {
          channel.send(event);
        } catch {
          this.listeners.delete(channel); // a closed comm
        }
      }
    });
  }

  /**
   * Keeps a model and its own copy of one input resident for live widgets; returns the handle.
   * The input (a batch of one) is cloned: the caller may dispose its tensor.
   */
  bind(model: AnyModel, input: tf.Tensor | null, options: BindOptions = {}): string {
    const bound = new BoundModel(model, input, options);
    const handle = this.registry.add(bound, bound.bytes, () => bound.release());
    bound.onResize = (bytes) => this.registry.resize(handle, bytes);
    return handle;
  }

  /** The bound model of a handle, or a HandleGone error saying whether it was evicted or never known. */
  lookup(handle: string): BoundModel {
    const found = this.registry.get(handle);
    if (found.status === "ok") return found.value;
    if (found.status === "evicted") {
      throw new HandleGone("evicted", `handle ${handle} was evicted to keep the session within its ${formatBytes(this.registry.budget)} budget`);
    }
    throw new HandleGone("unknown_handle", `handle ${handle} is not known to this kernel (it may come from an earlier kernel process)`);
  }

  /** Runs one operation for a handle, after the requests before it. */
  dispatch(op: OpName, handle: string, args: unknown): Promise<OpOutcome> {
    const run = async (): Promise<OpOutcome> => {
      throwIfCancelled(`${op} (queued)`); // cancelled while it waited for the requests before it
      const bound = this.lookup(handle);
      return runOp(op, bound, args as never, {
        kernelInstance: this.kernelInstance,
        registryBytes: this.registry.bytes,
        registryBudgetBytes: this.registry.budget,
        handles: this.registry.size,
      }) as Promise<OpOutcome>;
    };
    const next = this.queue.then(run, run);
    this.queue = next.catch(() => undefined);
    return next;
  }

  /** Frees one handle's tensors now; its widgets will say "recompute". */
  evict(handle: string): boolean {
    return this.registry.evict(handle);
  }

  /** Frees every bound model. */
  clear(): void {
    this.registry.clear();
  }

  /** Bytes the bound models may hold before the least recently used are evicted. */
  get budgetBytes(): number {
    return this.registry.budget;
  }

  set budgetBytes(bytes: number) {
    this.registry.budget = bytes;
  }

  stats(): SessionStats {
    return { handles: this.registry.size, bytes: this.registry.bytes, budgetBytes: this.registry.budget };
  }

  /** Serves "camlab.session" comms of the running kernel (no-op outside a kernel). */
  attachToKernel(): boolean {
    const kernel = currentKernel();
    if (!kernel || this.detach) return !!kernel;
    this.detach = kernel.registerCommTarget(SESSION_COMM_TARGET, (comm: Comm) => {
      // A request's promise is returned, so the kernel stays busy (and runs no cell) until it
      // replied. A cancel resolves at once; widgets send it on the control channel, which the
      // kernel reads even while the shell waits for the running request.
      comm.onMsg((data) => this.server.handle(comm, data));
      const remove = this.addListener(comm);
      comm.onClose(remove);
    });
    return true;
  }
}

function formatBytes(n: number): string {
  return n >= 1024 * 1024 ? `${Math.round(n / (1024 * 1024))} MB` : `${Math.round(n / 1024)} KB`;
}

const SESSION_KEY = Symbol.for("camlab.session");

/** The session of this process (created on first use and attached to the kernel when there is one). */
export function currentSession(): Session {
  const g = globalThis as Record<symbol, unknown>;
  let s = g[SESSION_KEY] as Session | undefined;
  if (!s) {
    s = new Session();
    g[SESSION_KEY] = s;
  }
  s.attachToKernel();
  return s;
}
