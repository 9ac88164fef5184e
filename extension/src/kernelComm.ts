// The JupyterLab side of the session channel: one "camlab.session" comm per kernel connection,
// closed (and every waiting request failed) when the kernel restarts, dies or closes the comm.
// A cancel travels as a comm_msg on the *control* channel: the kernel handles shell messages one
// at a time, and the request being cancelled is the one holding the shell; control messages are
// read at once (the kernel dispatches comm_msg from either channel).
import type { Kernel, KernelMessage } from "@jupyterlab/services";
import { SESSION_COMM_TARGET } from "./protocol";
import { SessionClient, SessionError, utf8Length, type ChannelOpener } from "./session";

type CommData = Parameters<Kernel.IComm["send"]>[0];

function newMessageId(): string {
  const c = (globalThis as { crypto?: { randomUUID?: () => string } }).crypto;
  return c?.randomUUID ? c.randomUUID() : `camlab-${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}`;
}

/** A comm_msg for the control channel (JupyterLab's createMessage types comm_msg as shell only). */
function controlCommMessage(kernel: Kernel.IKernelConnection, commId: string, data: Record<string, unknown>): KernelMessage.IControlMessage {
  return {
    header: {
      msg_id: newMessageId(),
      msg_type: "comm_msg",
      session: kernel.clientId,
      username: kernel.username,
      date: new Date().toISOString(),
      version: "5.3",
    },
    parent_header: {},
    metadata: {},
    content: { comm_id: commId, data },
    channel: "control",
    buffers: [],
  } as unknown as KernelMessage.IControlMessage;
}

function toBytes(buffers: KernelMessage.ICommMsgMsg["buffers"]): Uint8Array[] {
  return (buffers ?? []).map((b) =>
    b instanceof ArrayBuffer ? new Uint8Array(b) : new Uint8Array(b.buffer, b.byteOffset, b.byteLength),
  );
}

export function kernelChannelOpener(kernel: Kernel.IKernelConnection): ChannelOpener {
  return (events) => {
    if (kernel.isDisposed) throw new SessionError("unavailable", "the notebook's kernel connection is closed");
    if (!kernel.handleComms) throw new SessionError("unavailable", "this kernel connection does not handle comms");
    const comm = kernel.createComm(SESSION_COMM_TARGET);
    let closed = false;
    const close = (reason: string): void => {
      if (closed) return;
      closed = true;
      kernel.statusChanged.disconnect(onStatus);
      kernel.disposed.disconnect(onDisposed);
      events.closed(reason);
    };
    const onStatus = (_: Kernel.IKernelConnection, status: Kernel.Status): void => {
      if (status === "restarting" || status === "autorestarting" || status === "dead") {
        // JupyterLab drops the comms of a restarted kernel without calling onClose.
        close(status === "dead" ? "the kernel died" : "the kernel was restarted");
        if (!comm.isDisposed) comm.dispose();
      }
    };
    const onDisposed = (): void => close("the kernel connection was closed");
    comm.onMsg = (msg) => events.message(msg.content.data, toBytes(msg.buffers));
    comm.onClose = () => close("the kernel closed the camlab.session comm (is this a camlab kernel?)");
    kernel.statusChanged.connect(onStatus);
    kernel.disposed.connect(onDisposed);
    comm.open({});
    return {
      send(request) {
        if (closed || comm.isDisposed) {
          close("the camlab.session comm is closed");
          throw new SessionError("unavailable", "the camlab.session comm is closed");
        }
        const data = request as unknown as CommData;
        comm.send(data, undefined, undefined, true);
        return utf8Length(JSON.stringify(request));
      },
      cancel(id) {
        if (closed || comm.isDisposed) throw new SessionError("unavailable", "the camlab.session comm is closed");
        try {
          const future = kernel.sendControlMessage(controlCommMessage(kernel, comm.commId, { cancel: id }), false, true);
          // Nothing to wait for (the request itself replies); a restart disposes the future.
          future.done.catch(() => undefined);
        } catch {
          // No control route (another front end's connection): the shell still gets it, after the
          // running request — which then replies as it would have; a queued one is cancelled.
          comm.send({ cancel: id } as unknown as CommData, undefined, undefined, true);
        }
      },
      close() {
        close("the session client was closed");
        if (!comm.isDisposed) comm.close();
      },
    };
  };
}

const clients = new WeakMap<Kernel.IKernelConnection, SessionClient>();

/** The one session client of a kernel connection (created on first use). */
export function clientFor(kernel: Kernel.IKernelConnection): SessionClient {
  let c = clients.get(kernel);
  if (!c) {
    c = new SessionClient(kernelChannelOpener(kernel));
    clients.set(kernel, c);
    kernel.disposed.connect(() => c!.dispose());
  }
  return c;
}
