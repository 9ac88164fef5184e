// Runs in a worker thread: echoes heartbeat pings on the hb socket. Living outside the main
// thread means the kernel still answers heartbeats while a cell runs a long synchronous loop,
// so front ends do not declare a busy kernel dead.
//
// zeromq.js aborts the whole process if a worker holding a socket is terminated (or the process
// exits under it), so the worker must stop by itself: on "close" it closes the socket, the echo
// loop ends, the message port closes, and the thread exits normally.
import { parentPort, workerData } from "node:worker_threads";
import * as zmq from "zeromq";

async function main(): Promise<void> {
  const { address } = workerData as { address: string };
  const socket = new zmq.Reply({ linger: 0 });
  await socket.bind(address);
  parentPort?.on("message", (msg: unknown) => {
    if (msg === "close") {
      socket.close();
      parentPort?.close();
    }
  });
  parentPort?.postMessage({ bound: address });
  try {
    for await (const frames of socket) await socket.send(frames);
  } catch (err) {
    if (!socket.closed) parentPort?.postMessage({ error: (err as Error).message });
  }
}

main().catch((err) => parentPort?.postMessage({ error: (err as Error).message }));
