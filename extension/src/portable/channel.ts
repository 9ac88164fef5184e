// The session channel over a Jupyter widget's custom messages: how a camlab view rendered by a
// widget front end (anywidget, in any front end that hosts ipywidgets) reaches the kernel's
// session. Requests go as {session: request}; replies, progress and events come back as
// {session: message}, binary buffers alongside. A widget model's messages travel on the shell
// channel only, so a cancel waits behind the request it cancels (Interrupt still stops it).
import { SessionError, utf8Length, type ChannelOpener } from "../session";

/** The part of anywidget's model a channel needs. */
export interface AnyModelLike {
  send(content: unknown, callbacks?: unknown, buffers?: ArrayBuffer[] | ArrayBufferView[]): void;
  on(event: "msg:custom", handler: (content: unknown, buffers: ReadonlyArray<DataView | ArrayBuffer | Uint8Array>) => void): void;
  off(event: "msg:custom", handler?: (content: unknown, buffers: ReadonlyArray<DataView | ArrayBuffer | Uint8Array>) => void): void;
}

function toBytes(buffers: ReadonlyArray<DataView | ArrayBuffer | Uint8Array> | undefined): Uint8Array[] {
  return (buffers ?? []).map((b) => (b instanceof ArrayBuffer ? new Uint8Array(b) : new Uint8Array(b.buffer, b.byteOffset, b.byteLength)));
}

/** A ChannelOpener for SessionClient that talks through the widget model's custom messages. */
export function widgetChannelOpener(model: AnyModelLike): ChannelOpener {
  return (events) => {
    let closed = false;
    const onCustom = (content: unknown, buffers: ReadonlyArray<DataView | ArrayBuffer | Uint8Array>): void => {
      const c = content as { session?: unknown } | null;
      if (c && typeof c === "object" && "session" in c) events.message(c.session, toBytes(buffers));
    };
    model.on("msg:custom", onCustom);
    const send = (data: unknown): void => {
      if (closed) throw new SessionError("unavailable", "the widget's session channel is closed");
      model.send({ session: data });
    };
    return {
      send(request) {
        send(request);
        return utf8Length(JSON.stringify(request));
      },
      cancel(id) {
        send({ cancel: id });
      },
      close() {
        if (closed) return;
        closed = true;
        model.off("msg:custom", onCustom);
        events.closed("the widget view was removed");
      },
    };
  };
}
