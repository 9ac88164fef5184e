// SIGINT for the kernel: the signal is recorded natively (Node's SIGINT watchdog) and read by a
// worker thread (interruptWatchdogWorker.ts), so an interrupt is noticed however the main thread
// is occupied (prompt() blocked on stdin reads the record directly). Falls back to a plain
// process.on("SIGINT") where that machinery is missing.
import { join } from "node:path";
import { Worker } from "node:worker_threads";

interface Contextify {
  startSigintWatchdog(): void;
  stopSigintWatchdog(): boolean;
}

export interface InterruptWatchdog {
  /** Whether a SIGINT arrived that the main thread has not handled yet (for code that blocks it: prompt()). */
  pendingSigint(): boolean;
  /** Stops the worker and gives SIGINT back to Node's default handling. */
  close(): Promise<void>;
}

export interface WatchdogEvents {
  /** A SIGINT arrived (called on the main thread once it is free). */
  onInterrupt(): void;
  log(message: string): void;
}

export function startInterruptWatchdog(events: WatchdogEvents): InterruptWatchdog {
  let contextify: Contextify | undefined;
  try {
    contextify = (process as unknown as { binding(name: string): Contextify }).binding("contextify");
    if (typeof contextify.startSigintWatchdog !== "function") contextify = undefined;
  } catch {
    contextify = undefined;
  }
  if (!contextify) {
    events.log("interrupt: Node's SIGINT watchdog is not available; interrupts reach cells only when the event loop is free");
    const handler = (): void => events.onInterrupt();
    process.on("SIGINT", handler);
    return { pendingSigint: () => false, close: async () => void process.off("SIGINT", handler) };
  }
  const cx = contextify;
  const flags = new SharedArrayBuffer(4);
  const state = new Int32Array(flags);
  const worker = new Worker(join(__dirname, "interruptWatchdogWorker.js"), { workerData: { flags, pollMs: 20 } });
  worker.unref();
  cx.startSigintWatchdog();
  const ncx = cx as Contextify & { watchdogHasPendingSigint(): boolean };
  worker.on("message", (msg: { sigint?: boolean }) => {
    if (msg.sigint) {
      // Clear the native record (stop + start) before telling the worker it was taken.
      cx.stopSigintWatchdog();
      cx.startSigintWatchdog();
      Atomics.add(state, 0, 1);
      events.onInterrupt();
    }
  });
  worker.on("error", (err) => events.log(`interrupt watchdog failed: ${err.message}`));
  const exited = new Promise<void>((resolve) => worker.once("exit", () => resolve()));
  return {
    pendingSigint: () => ncx.watchdogHasPendingSigint(),
    close: async () => {
      worker.postMessage("close");
      await exited;
      cx.stopSigintWatchdog();
    },
  };
}
