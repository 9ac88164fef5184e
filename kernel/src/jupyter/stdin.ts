// stdin for cells: `prompt(message)` (synchronous, as in browsers and Deno) and
// `await input(message, { password })`, answered by the front end's input_reply. The socket is
// owned by a worker thread (stdinWorker.ts); prompt() waits for it with Atomics.wait, in short
// slices so that an interrupt (SIGINT) still ends the wait.
import { join } from "node:path";
import { Worker } from "node:worker_threads";
import type { JupyterMessage } from "./wire";
import { KeyboardInterrupt } from "./errors";
import { currentSignal } from "../engine/work";

type Msg = JupyterMessage<Record<string, unknown>>;

/** Longest answer kept (bytes of UTF-8); longer answers are cut. */
const MAX_ANSWER_BYTES = 1024 * 1024;

export class StdinNotAllowed extends Error {
  constructor(fn: string) {
    super(`${fn}(): this front end does not accept input (the execute_request has allow_stdin: false, e.g. nbconvert/nbclient or a widget callback); pass values as variables instead`);
    this.name = "StdinNotAllowedError";
  }
}

export interface StdinChannel {
  /** Runs one execute_request's cell with stdin allowed (or not) for it. */
  during<T>(request: Msg, allowStdin: boolean, session: string, run: () => Promise<T>): Promise<T>;
  /** Blocks until the front end answers; null when the wait was cancelled. */
  prompt(message: string, password: boolean): string | null;
  /** Resolves with the front end's answer. */
  input(message: string, password: boolean): Promise<string>;
  close(): Promise<void>;
}

interface Current {
  request: Msg;
  allowStdin: boolean;
  session: string;
}

/** `pendingSigint()` tells prompt() that an interrupt arrived while it blocked the main thread. */
export async function startStdin(address: string, key: string, scheme: string, log: (m: string) => void, pendingSigint: () => boolean = () => false): Promise<StdinChannel> {
  const state = new SharedArrayBuffer(8);
  const answer = new SharedArrayBuffer(MAX_ANSWER_BYTES);
  const flags = new Int32Array(state);
  const worker = new Worker(join(__dirname, "stdinWorker.js"), { workerData: { address, key, scheme, state, answer } });
  const exited = new Promise<void>((resolve) => worker.once("exit", () => resolve()));
  let current: Current | undefined;
  let asyncWaiter: ((r: { settled: number; text: string }) => void) | undefined;
  await new Promise<void>((resolve, reject) => {
    worker.on("message", (m: { bound?: string; error?: string; log?: string; settled?: number; text?: string }) => {
      if (m.bound) resolve();
      if (m.error) reject(new Error(`stdin socket on ${address}: ${m.error}`));
      if (m.log) log(m.log);
      if (m.settled !== undefined && asyncWaiter) {
        const w = asyncWaiter;
        asyncWaiter = undefined;
        w({ settled: m.settled, text: m.text ?? "" });
      }
    });
    worker.on("error", reject);
  });

  const send = (fn: string, message: string, password: boolean): void => {
    if (!current || !current.allowStdin) throw new StdinNotAllowed(fn);
    if (Atomics.load(flags, 0) === 1 && !asyncWaiter) {
      // A prompt() left waiting: its cell was stopped by SIGINT inside the wait (vm's
      // breakOnSigint terminates without running finally blocks). Withdraw that request first.
      worker.postMessage({ cancel: "superseded" });
      while (Atomics.load(flags, 0) === 1) Atomics.wait(flags, 0, 1, 50);
      Atomics.store(flags, 0, 0);
    }
    if (Atomics.load(flags, 0) === 1 || asyncWaiter) throw new Error(`${fn}(): another prompt is still waiting for its answer`);
    Atomics.store(flags, 0, 1);
    const r = current.request;
    worker.postMessage({ request: { identities: r.identities, parent: r.header, session: current.session, prompt: message, password } });
  };

  return {
    async during(request, allowStdin, session, run) {
      const previous = current;
      current = { request, allowStdin, session };
      try {
        return await run();
      } finally {
        current = previous;
      }
    },
    prompt(message, password) {
      send("prompt", message, password);
      // Short slices: between them an interrupt is noticed and ends the wait.
      while (Atomics.load(flags, 0) === 1) {
        Atomics.wait(flags, 0, 1, 50);
        if (Atomics.load(flags, 0) === 1 && pendingSigint()) {
          worker.postMessage({ cancel: "interrupted" });
          while (Atomics.load(flags, 0) === 1) Atomics.wait(flags, 0, 1, 50);
          Atomics.store(flags, 0, 0);
          throw new KeyboardInterrupt("the kernel was interrupted while prompt() waited for input");
        }
      }
      const code = Atomics.load(flags, 0);
      const n = Atomics.load(flags, 1);
      const text = Buffer.from(new Uint8Array(answer, 0, n)).toString("utf8");
      Atomics.store(flags, 0, 0);
      if (code === 3) throw new Error(`prompt(): ${text}`);
      asyncWaiter = undefined;
      return text;
    },
    async input(message, password) {
      send("input", message, password);
      // Set after send(): the answer arrives as a worker message, never before this line.
      const settled = new Promise<{ settled: number; text: string }>((resolve) => {
        asyncWaiter = resolve;
      });
      // An interrupt of the cell withdraws the request.
      const signal = currentSignal();
      const onAbort = (): void => worker.postMessage({ cancel: "interrupted" });
      signal?.addEventListener("abort", onAbort, { once: true });
      const r = await settled.finally(() => signal?.removeEventListener("abort", onAbort));
      Atomics.store(flags, 0, 0);
      if (r.settled === 3) throw new Error(`input(): ${r.text}`);
      return r.text;
    },
    async close() {
      worker.postMessage({ close: true });
      await exited;
    },
  };
}
