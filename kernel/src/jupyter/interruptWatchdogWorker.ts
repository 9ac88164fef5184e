// Runs in a worker thread: notices SIGINT however the main thread is occupied.
//
// Why a thread: Node delivers SIGINT to a JavaScript handler on the main thread's event loop,
// which cannot run while the main thread is blocked — in prompt() (Atomics.wait on the stdin
// thread's answer) or in a long synchronous stretch of a cell. Node's SIGINT watchdog (the one
// the REPL and vm's breakOnSigint use) records a signal natively; this thread polls that record
// and tells the main thread, which handles the interrupt as soon as it can (prompt() also reads
// the record itself between its waits).
//
// What was tried and dropped: asking V8 through the inspector (Runtime.terminateExecution) to
// stop a synchronous loop that runs after an `await`. It stops the loop, but terminating a
// promise continuation while async hooks are on (AsyncLocalStorage, which the kernel and the
// engine's work scopes use) fails Node's assertion `execution_async_id == 0` and aborts the
// process. Such a loop is therefore interrupted only when it ends or yields; see the README.
import { parentPort, workerData } from "node:worker_threads";

interface WatchdogData {
  /** [0]: interrupts taken by the main thread. */
  flags: SharedArrayBuffer;
  pollMs: number;
}

interface Contextify {
  watchdogHasPendingSigint(): boolean;
}

const { flags, pollMs } = workerData as WatchdogData;
const state = new Int32Array(flags);
const contextify = (process as unknown as { binding(name: string): Contextify }).binding("contextify");

/** Interrupts the main thread had taken when the pending one was reported (so it is reported once). */
let reportedAt: number | undefined;

const timer = setInterval(() => {
  const taken = Atomics.load(state, 0);
  if (reportedAt !== undefined) {
    if (taken !== reportedAt) reportedAt = undefined; // the main thread took it
    return;
  }
  if (contextify.watchdogHasPendingSigint()) {
    reportedAt = taken;
    parentPort?.postMessage({ sigint: true });
  }
}, pollMs);

parentPort?.on("message", (msg: unknown) => {
  if (msg === "close") {
    clearInterval(timer);
    parentPort?.close();
  }
});
