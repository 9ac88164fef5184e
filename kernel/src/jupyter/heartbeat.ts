// Starts the heartbeat echo in its own worker thread (see heartbeatWorker.ts for why, and for
// why it must be closed — never terminated — before the process exits).
import { Worker } from "node:worker_threads";
import { join } from "node:path";

export interface Heartbeat {
  /** Stops the echo and waits for the worker thread to end. */
  close(): Promise<void>;
}

export function startHeartbeat(address: string, log: (msg: string) => void): Promise<Heartbeat> {
  const worker = new Worker(join(__dirname, "heartbeatWorker.js"), { workerData: { address } });
  const exited = new Promise<void>((resolve) => worker.once("exit", () => resolve()));
  return new Promise((resolve, reject) => {
    worker.on("message", (msg: { bound?: string; error?: string }) => {
      if (msg.bound) {
        resolve({
          close: async () => {
            worker.postMessage("close");
            await exited;
          },
        });
      } else if (msg.error) {
        log(`heartbeat: ${msg.error}`);
        reject(new Error(`heartbeat socket on ${address}: ${msg.error}`));
      }
    });
    worker.on("error", (err) => {
      log(`heartbeat worker failed: ${err.message}`);
      reject(err);
    });
  });
}
