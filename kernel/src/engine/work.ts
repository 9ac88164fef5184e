// Long engine work — Score-CAM's masked runs, Ablation-CAM, metric curves, gradient health,
// training, dataset loops — runs inside a *work scope*: the caller (the kernel for a cell, the
// session server for a widget request, a script for itself) gives a cancellation signal and a
// progress sink; the engine calls `checkpoint()` between batches. A checkpoint yields to the
// event loop (so an interrupt or a Cancel message can be read at all), throws `Cancelled` once
// the signal has fired, and reports progress. Outside any scope a checkpoint only yields, so
// plain Node scripts behave as before.
//
// The scope travels with the async context (AsyncLocalStorage), so the engine's signatures do not
// grow a `signal` parameter each, and work started by one cell or one request is cancelled by
// that cell's interrupt or that request's Cancel, never by another's.
import { AsyncLocalStorage } from "node:async_hooks";

/** One progress report: `done` of `total` units of `label` ("scorecam out_relu: masks"). */
export interface Progress {
  /** What is being done, readable by a person. */
  label: string;
  done: number;
  total: number;
}

/** What a caller gives long work: when to stop, and where progress goes. */
export interface WorkScope {
  /** Fires when the work must stop (interrupt, Cancel). */
  signal?: AbortSignal;
  /** Receives progress reports; called at most every `progressIntervalMs` per label (and at the end). */
  onProgress?: (progress: Progress) => void;
  /** Minimum time between two reports of one label (default 100 ms): reports are for people. */
  progressIntervalMs?: number;
}

/**
 * Thrown by a checkpoint once the scope's signal has fired. Named like Python's
 * KeyboardInterrupt so that a cell stopped by Interrupt reads as it does in IPython; `where`
 * says what was running and how far it got.
 */
export class Cancelled extends Error {
  constructor(
    readonly where: string,
    readonly reason: string = "interrupted",
  ) {
    super(`${reason} during ${where}`);
    this.name = "KeyboardInterrupt";
  }
}

interface ActiveScope extends WorkScope {
  lastReport: Map<string, number>;
}

const storage = new AsyncLocalStorage<ActiveScope>();

/** Runs `fn` inside a work scope: its checkpoints observe `scope.signal` and report to `scope.onProgress`. */
export function runWork<T>(scope: WorkScope, fn: () => T): T {
  return storage.run({ ...scope, lastReport: new Map() }, fn);
}

/** The signal of the work scope that is running now (undefined outside any). */
export function currentSignal(): AbortSignal | undefined {
  return storage.getStore()?.signal;
}

/** Throws `Cancelled` if the current scope's signal has fired; never yields. For synchronous loops. */
export function throwIfCancelled(where: string): void {
  const signal = storage.getStore()?.signal;
  if (signal?.aborted) throw new Cancelled(where, reasonText(signal));
}

function reasonText(signal: AbortSignal): string {
  const r: unknown = signal.reason;
  if (typeof r === "string") return r;
  if (r instanceof Error && r.name !== "AbortError") return r.message;
  return "interrupted";
}

/**
 * Between two batches of long work: report progress (`done` of `total`), yield one turn of the
 * event loop, and throw `Cancelled` if the work was cancelled meanwhile. `where` names the work
 * ("scorecam: masks 64/1280") in the error. Costs one setImmediate (~microseconds).
 */
export async function checkpoint(label: string, done?: number, total?: number): Promise<void> {
  const scope = storage.getStore();
  if (scope?.onProgress && done !== undefined && total !== undefined) report(scope, { label, done, total });
  await new Promise<void>((resolve) => setImmediate(resolve));
  if (scope?.signal?.aborted) {
    throw new Cancelled(done !== undefined && total !== undefined ? `${label} (${done} of ${total} done)` : label, reasonText(scope.signal));
  }
}

/** Reports progress without yielding (for the last step, or synchronous stretches). */
export function reportProgress(label: string, done: number, total: number): void {
  const scope = storage.getStore();
  if (scope?.onProgress) report(scope, { label, done, total });
}

function report(scope: ActiveScope, p: Progress): void {
  const now = Date.now();
  const last = scope.lastReport.get(p.label);
  const interval = scope.progressIntervalMs ?? 100;
  if (last !== undefined && now - last < interval && p.done < p.total) return;
  scope.lastReport.set(p.label, now);
  try {
    scope.onProgress!(p);
  } catch {
    // A broken progress sink (a closed comm, a display that failed) must not stop the work.
  }
}
