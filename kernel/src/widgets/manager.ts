// The kernel's side of the Jupyter widget protocol (ipywidgets 8, protocol 2.1.0) at the level
// of comm targets: the registry of live widget models, and the three targets a front end opens:
//   jupyter.widget.control  "request_states" → one "update_states" with every model's full state
//                           (how JupyterLab restores widgets after a page reload);
//   jupyter.widget          a model created by the front end (rare: the kernel creates most);
//   jupyter.widget.version  protocol 1's version handshake, answered for old front ends.
// One registry per process (on globalThis), so every copy of the camlab package loaded in the
// kernel shares the widgets and the targets.
import { currentKernel, type Comm } from "../jupyter/runtime";
import { removeBuffers, type BufferPath } from "./values";

/** The widget protocol version this kernel speaks (comm_open metadata `version`). */
export const PROTOCOL_VERSION = "2.1.0";
/** The comm target of widget models. */
export const WIDGET_TARGET = "jupyter.widget";
/** The comm target of the front end's "give me every state" request. */
export const CONTROL_TARGET = "jupyter.widget.control";
/** Protocol 1's version handshake target. */
export const VERSION_TARGET = "jupyter.widget.version";
/** The MIME type that displays a widget model. */
export const WIDGET_VIEW_MIME = "application/vnd.jupyter.widget-view+json";

/** What the registry needs of a widget model. */
export interface RegisteredModel {
  readonly modelId: string;
  readonly modelName: string;
  readonly modelModule: string;
  readonly modelModuleVersion: string;
  /** The full state as it goes on the wire (references as IPY_MODEL_ strings), buffers included. */
  wireState(): Record<string, unknown>;
}

/** Makes a kernel-side model for a comm the front end opened (set by widget.ts). */
export type FrontendModelFactory = (comm: Comm, data: unknown, buffers: Uint8Array[]) => void;

class WidgetRegistry {
  readonly models = new Map<string, RegisteredModel>();
  private attachedTo: unknown = null;
  frontendFactory: FrontendModelFactory | null = null;
  /** A front end with a widget manager has talked to this kernel (opened a widget comm). */
  frontEndSeen = false;
  /** The work scopes of widget messages being handled (observers, clicks): Interrupt aborts them. */
  readonly running = new Set<AbortController>();

  /** Aborts the widget callbacks running now (the kernel's Interrupt); returns how many. */
  interrupt(reason = "interrupted"): number {
    for (const c of this.running) c.abort(reason);
    return this.running.size;
  }

  /** Registers the comm targets with the running kernel (once per kernel). */
  attach(): void {
    const kernel = currentKernel();
    if (!kernel || this.attachedTo === kernel) return;
    this.attachedTo = kernel;
    kernel.registerCommTarget(CONTROL_TARGET, (comm) => {
      this.frontEndSeen = true;
      comm.onMsg((data) => {
        const method = (data as { method?: unknown } | null)?.method;
        if (method !== "request_states") {
          console.error(`${CONTROL_TARGET}: unknown method ${JSON.stringify(method)} (expected "request_states"); ignored`);
          return;
        }
        comm.send(...this.allStates());
      });
    });
    kernel.registerCommTarget(WIDGET_TARGET, (comm, data, buffers) => {
      this.frontEndSeen = true;
      if (!this.frontendFactory) {
        comm.close();
        return;
      }
      this.frontendFactory(comm, data, buffers);
    });
    kernel.registerCommTarget(VERSION_TARGET, (comm) => {
      this.frontEndSeen = true;
      comm.onMsg((data) => {
        const d = data as { validated?: unknown; frontend_version?: unknown } | null;
        if (d?.validated === false) kernel.log(`widget front end ${String(d.frontend_version)} reports it cannot talk protocol ${PROTOCOL_VERSION}`);
      });
      comm.send({ version: `~${PROTOCOL_VERSION}` });
    });
  }

  /** update_states: every model's state keyed by model id, buffers at [id, "state", …path]. */
  private allStates(): [Record<string, unknown>, Uint8Array[]] {
    const states: Record<string, unknown> = {};
    for (const m of this.models.values()) {
      states[m.modelId] = {
        model_name: m.modelName,
        model_module: m.modelModule,
        model_module_version: m.modelModuleVersion,
        state: m.wireState(),
      };
    }
    const { state, buffer_paths, buffers } = removeBuffers(states);
    return [{ method: "update_states", states: state, buffer_paths: buffer_paths as BufferPath[] }, buffers];
  }
}

const REGISTRY_KEY = Symbol.for("camlab.widgets.registry");

/** The process's widget registry (created, and attached to the kernel, on first use). */
export function widgetRegistry(): WidgetRegistry {
  const g = globalThis as Record<symbol, unknown>;
  let r = g[REGISTRY_KEY] as WidgetRegistry | undefined;
  if (!r) {
    r = new WidgetRegistry();
    g[REGISTRY_KEY] = r;
  }
  r.attach();
  return r;
}
