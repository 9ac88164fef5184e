// The kernel end of the "camlab.session" comm: receives requests from live widgets, validates
// them, runs the named operation against the registry and replies exactly once per request —
// with a result (JSON header + binary buffers) or an error. A malformed request gets an error
// reply; nothing a widget sends can stop the kernel.
//
// Each request runs in its own engine work scope (engine/work.ts) with its own AbortController:
// the engine's checkpoints report progress, sent as {id, progress} messages, and a {cancel: id}
// message aborts that controller, so the work stops at its next checkpoint and the request
// replies with error code "cancelled".
import { Cancelled, runWork } from "../engine/work";
import type { OpName, ProgressMessage, SessionReply } from "../protocol";
import { BadRequest, cancelTargetOf, parseRequest, requestIdOf } from "./validate";
import { HandleGone, type OpOutcome } from "./handlers";

/** The part of a Jupyter comm the server needs (the kernel runtime's Comm satisfies it). */
export interface ReplyChannel {
  send(data: unknown, buffers?: ArrayBufferView[]): void;
}

/** Runs one named operation against a handle (the session's dispatch). */
export type OpDispatcher = (op: OpName, handle: string, args: unknown) => Promise<OpOutcome>;

/** Cancels remembered for requests that have not arrived yet (bounded: ids are never reused). */
const EARLY_CANCELS_KEPT = 256;

/** Options of a RequestServer: progress message rate and time limits. */
export interface RequestServerOptions {
  /** Minimum time between two progress messages of one label (default 100 ms). */
  progressIntervalMs?: number;
}

/**
 * Serves the requests of every session comm: one AbortController per running request, so a
 * cancel finds its request whichever comm (or channel) it came on.
 */
export class RequestServer {
  private readonly running = new Map<string, AbortController>();
  private readonly cancelledEarly = new Set<string>();

  constructor(
    private readonly dispatch: OpDispatcher,
    private readonly options: RequestServerOptions = {},
  ) {}

  /** Ids of the requests whose work is running now. */
  get runningIds(): string[] {
    return [...this.running.keys()];
  }

  /**
   * Handles one raw comm message: a cancel (aborts at once, resolves at once) or a request
   * (resolves after its reply was sent). Never throws.
   */
  async handle(channel: ReplyChannel, data: unknown): Promise<void> {
    let target: string | null;
    try {
      target = cancelTargetOf(data);
    } catch (err) {
      console.error(`camlab.session: ${(err as Error).message}; ignored`);
      return;
    }
    if (target !== null) {
      this.cancel(target);
      return;
    }
    await this.serve(channel, data);
  }

  /** Aborts request `id`; a request not seen yet is answered "cancelled" when it arrives. */
  cancel(id: string): boolean {
    const controller = this.running.get(id);
    if (controller) {
      controller.abort("cancelled by the widget");
      return true;
    }
    this.cancelledEarly.add(id);
    if (this.cancelledEarly.size > EARLY_CANCELS_KEPT) this.cancelledEarly.delete(this.cancelledEarly.values().next().value as string);
    return false;
  }

  /** Aborts every running request (e.g. on a kernel interrupt); returns how many. */
  cancelAll(reason = "interrupted"): number {
    for (const c of this.running.values()) c.abort(reason);
    return this.running.size;
  }

  private async serve(channel: ReplyChannel, data: unknown): Promise<void> {
    const id = requestIdOf(data);
    let reply: SessionReply;
    let buffers: ArrayBufferView[] = [];
    const controller = new AbortController();
    try {
      const req = parseRequest(data);
      if (this.cancelledEarly.delete(req.id)) throw new Cancelled(`${req.op} (before it started)`, "cancelled by the widget");
      this.running.set(req.id, controller);
      const onProgress = (progress: ProgressMessage["progress"]): void => {
        const message: ProgressMessage = { id: req.id, progress: { label: progress.label, done: progress.done, total: progress.total } };
        channel.send(message);
      };
      const outcome = await runWork({ signal: controller.signal, onProgress, progressIntervalMs: this.options.progressIntervalMs }, () =>
        this.dispatch(req.op, req.handle, req.args),
      );
      reply = { id: req.id, ok: true, op: req.op, result: outcome.result } as SessionReply;
      buffers = outcome.buffers;
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      // Work stopped by the abort may surface as another error (a tfjs op on a freed tensor…): the
      // cause is still the cancel.
      const code = err instanceof BadRequest ? "bad_request" : err instanceof HandleGone ? err.code : err instanceof Cancelled || controller.signal.aborted ? "cancelled" : "failed";
      reply = { id, ok: false, error: { code, message } };
      if (code === "failed") console.error(`camlab.session: request ${id ?? "(no id)"} failed: ${message}`);
    } finally {
      if (id !== null && this.running.get(id) === controller) this.running.delete(id);
    }
    try {
      channel.send(reply, buffers);
    } catch (err) {
      console.error(`camlab.session: could not send the reply to request ${id ?? "(no id)"}: ${(err as Error).message}`);
    }
  }
}

/** Handles one raw comm message with a server of its own (tests, one-off use). Never throws. */
export async function serveRequest(channel: ReplyChannel, data: unknown, dispatch: OpDispatcher): Promise<void> {
  await new RequestServer(dispatch).handle(channel, data);
}
