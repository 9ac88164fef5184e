/**
 * The in-process API of the running camlab kernel, for other parts of camlab (the session layer
 * serves the comm target "camlab.session" through it) and for advanced cells.
 *
 *   import { currentKernel } from "camlab/dist/src/jupyter";   // inside camlab: "../jupyter"
 *   const kernel = currentKernel();          // undefined outside a kernel (plain node scripts)
 *   kernel?.registerCommTarget("my.target", (comm, data, buffers) => {
 *     comm.onMsg((data, buffers) => comm.send({ echo: data }, buffers));
 *     comm.onClose(() => console.log("closed"));
 *   });
 *   const comm = kernel!.openComm("front.target", { hello: 1 }, [new Float32Array([1, 2])]);
 *
 * Rules:
 * - Buffers going out may be any ArrayBuffer or ArrayBufferView (Uint8Array, Float32Array,
 *   DataView, Buffer); they travel as raw binary frames, not JSON. Buffers coming in are
 *   Uint8Array views (node Buffers) over the received frames.
 * - `data` must be JSON-serialisable; it is sent as JSON.
 * - A front end opening a comm for a target nobody registered gets a comm_close back. For target
 *   names starting with "camlab." the kernel first loads the camlab package (once), so a module
 *   that registers its target when imported (e.g. the session layer's "camlab.session") serves
 *   widgets of a reopened notebook before any cell imported camlab.
 * - Errors thrown (or rejected) by handlers are logged on the kernel's stderr log and never stop
 *   the kernel. Messages for unknown comm ids or with malformed content are logged and dropped.
 * - Handlers run "inside" the message that triggered them: output they print (console.log) and
 *   displays they make are attributed to that message.
 * - onClose callbacks run once, whichever side closed the comm (or when the kernel shuts down).
 * - The kernel instance is published on globalThis under Symbol.for("camlab.jupyter.kernel"),
 *   so every copy of the camlab package loaded in the process (e.g. one in the notebook folder's
 *   node_modules) sees the same kernel and the same comm registry.
 */

/** Binary payloads accepted when sending. */
export type OutgoingBuffers = ReadonlyArray<ArrayBufferView | ArrayBuffer>;

export type CommMsgHandler = (data: unknown, buffers: Uint8Array[]) => void | Promise<void>;
export type CommCloseHandler = (data: unknown, buffers: Uint8Array[]) => void;
export type CommTargetHandler = (comm: Comm, data: unknown, buffers: Uint8Array[]) => void | Promise<void>;

export interface Comm {
  readonly commId: string;
  readonly targetName: string;
  readonly closed: boolean;
  /** Sends comm_msg to the front end. Throws if the comm is closed or the data is not JSON. */
  send(data: unknown, buffers?: OutgoingBuffers): void;
  /** Adds a listener for comm_msg from the front end; returns a function that removes it. */
  onMsg(handler: CommMsgHandler): () => void;
  /** Adds a listener run once when the comm closes (either side); returns its remover. */
  onClose(handler: CommCloseHandler): () => void;
  /** Sends comm_close (once) and runs the onClose listeners. */
  close(data?: unknown, buffers?: OutgoingBuffers): void;
}

import type { MimeBundle } from "../display/mime";

export interface KernelRuntime {
  /** Unique per kernel process: a restarted kernel gets a new one. */
  readonly kernelId: string;
  /** Registers (or replaces) the handler for comm_open from the front end; returns its remover. */
  registerCommTarget(targetName: string, handler: CommTargetHandler): () => void;
  unregisterCommTarget(targetName: string): void;
  /** Opens a comm from the kernel (comm_open on iopub). */
  openComm(targetName: string, data?: unknown, buffers?: OutgoingBuffers, metadata?: Record<string, unknown>): Comm;
  /** The open comms, optionally only those of one target. */
  comms(targetName?: string): Comm[];
  /** display_data (update=false) or update_display_data (update=true) for a display id. */
  publishDisplay(data: MimeBundle, metadata: Record<string, unknown>, displayId: string, update: boolean): void;
  /** clear_output on the output area of the current cell. */
  clearOutput(wait: boolean): void;
  /** Writes one line to the kernel's own log (the process's stderr, not the notebook). */
  log(message: string): void;
  /**
   * Header of the request being handled (the running cell's execute_request, or the comm message
   * whose handler runs), else of the last cell. Output-capturing widgets need its msg_id.
   */
  currentRequest(): { msg_id: string; msg_type: string; session: string } | undefined;
}

const KERNEL_KEY = Symbol.for("camlab.jupyter.kernel");

/** The kernel running in this process, or undefined (e.g. camlab used from a plain script). */
export function currentKernel(): KernelRuntime | undefined {
  return (globalThis as Record<symbol, unknown>)[KERNEL_KEY] as KernelRuntime | undefined;
}

/** Set by the kernel itself at start-up and cleared at shutdown. */
export function setCurrentKernel(kernel: KernelRuntime | undefined): void {
  (globalThis as Record<symbol, unknown>)[KERNEL_KEY] = kernel;
}
