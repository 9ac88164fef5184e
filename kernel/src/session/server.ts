// The kernel end of the "camlab.session" comm: receives requests from live widgets, validates
// them, runs the named operation against the registry and replies exactly once per request —
// with a result (JSON header + binary buffers) or an error. A malformed request gets an error
// reply; nothing a widget sends can stop the kernel.
import type { OpName, SessionReply } from "../protocol";
import { BadRequest, parseRequest, requestIdOf } from "./validate";
import { HandleGone, type OpOutcome } from "./handlers";

/** The part of a Jupyter comm the server needs (the kernel runtime's Comm satisfies it). */
export interface ReplyChannel {
  send(data: unknown, buffers?: ArrayBufferView[]): void;
}

export type OpDispatcher = (op: OpName, handle: string, args: unknown) => Promise<OpOutcome>;

/** Handles one raw comm message: parse, dispatch, reply. Never throws. */
export async function serveRequest(channel: ReplyChannel, data: unknown, dispatch: OpDispatcher): Promise<void> {
  const id = requestIdOf(data);
  let reply: SessionReply;
  let buffers: ArrayBufferView[] = [];
  try {
    const req = parseRequest(data);
    const outcome = await dispatch(req.op, req.handle, req.args);
    reply = { id: req.id, ok: true, op: req.op, result: outcome.result } as SessionReply;
    buffers = outcome.buffers;
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    const code = err instanceof BadRequest ? "bad_request" : err instanceof HandleGone ? (err as HandleGone).code : "failed";
    reply = { id, ok: false, error: { code, message } };
    if (code === "failed") console.error(`camlab.session: request ${id ?? "(no id)"} failed: ${message}`);
  }
  try {
    channel.send(reply, buffers);
  } catch (err) {
    console.error(`camlab.session: could not send the reply to request ${id ?? "(no id)"}: ${(err as Error).message}`);
  }
}
