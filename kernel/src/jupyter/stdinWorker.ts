// Runs in a worker thread: owns the kernel's stdin socket. The main thread may be blocked in
// prompt() (Atomics.wait) while the reply is awaited, so the socket cannot live there. Every
// frame is checked as it arrives: unsigned, badly signed, oversized (zeromq's maxMessageSize) or
// unexpected messages are dropped at once and never kept; only the input_reply to the request
// being waited for is passed on.
import { parentPort, workerData } from "node:worker_threads";
import * as zmq from "zeromq";
import { MAX_MESSAGE_BYTES, Signer, decodeMessage, encodeMessage, newHeader, type MessageHeader } from "./wire";

interface StdinData {
  address: string;
  key: string;
  scheme: string;
  /** [0]: state (0 idle, 1 waiting, 2 answered, 3 failed); [1]: bytes of the answer. */
  state: SharedArrayBuffer;
  /** The answer's UTF-8 bytes (truncated to its size). */
  answer: SharedArrayBuffer;
}

interface InputRequest {
  identities: Uint8Array[];
  parent: Partial<MessageHeader>;
  session: string;
  prompt: string;
  password: boolean;
}

async function main(): Promise<void> {
  const { address, key, scheme, state, answer } = workerData as StdinData;
  const flags = new Int32Array(state);
  const bytes = new Uint8Array(answer);
  const signer = new Signer(key, scheme);
  const socket = new zmq.Router({ linger: 0, maxMessageSize: Math.min(MAX_MESSAGE_BYTES, 16 * 1024 * 1024) });
  await socket.bind(address);
  let waitingFor: string | undefined;

  const settle = (code: 2 | 3, text: string): void => {
    const encoded = Buffer.from(text, "utf8");
    const n = Math.min(encoded.length, bytes.length);
    bytes.set(encoded.subarray(0, n));
    Atomics.store(flags, 1, n);
    Atomics.store(flags, 0, code);
    Atomics.notify(flags, 0);
    parentPort?.postMessage({ settled: code, text });
    waitingFor = undefined;
  };

  parentPort?.on("message", (msg: { request?: InputRequest; cancel?: string; close?: boolean }) => {
    if (msg.close) {
      socket.close();
      parentPort?.close();
      return;
    }
    if (msg.cancel !== undefined) {
      if (waitingFor) settle(3, msg.cancel);
      return;
    }
    const r = msg.request;
    if (!r) return;
    const header = newHeader("input_request", r.session);
    waitingFor = header.msg_id;
    const frames = encodeMessage(
      { identities: r.identities.map((i) => Buffer.from(i)), header, parent_header: r.parent, metadata: {}, content: { prompt: r.prompt, password: r.password }, buffers: [] },
      signer,
    );
    socket.send(frames).catch((err: Error) => settle(3, `could not send input_request: ${err.message}`));
  });
  parentPort?.postMessage({ bound: address });

  try {
    for await (const frames of socket) {
      let reply;
      try {
        reply = decodeMessage(frames, signer);
      } catch (err) {
        parentPort?.postMessage({ log: `stdin: dropped a message: ${(err as Error).message}` });
        continue;
      }
      // jupyter_client sends input_reply without a parent header (ipykernel takes the next reply
      // too); a reply that names another request as its parent is refused.
      const parentId = reply.parent_header.msg_id;
      if (reply.header.msg_type !== "input_reply" || !waitingFor || (parentId !== undefined && parentId !== waitingFor)) {
        parentPort?.postMessage({ log: `stdin: dropped an unexpected ${reply.header.msg_type}` });
        continue;
      }
      const value = (reply.content as { value?: unknown }).value;
      settle(2, typeof value === "string" ? value : "");
    }
  } catch (err) {
    if (!socket.closed) parentPort?.postMessage({ log: `stdin socket failed: ${(err as Error).message}` });
  }
}

main().catch((err) => parentPort?.postMessage({ error: (err as Error).message }));
