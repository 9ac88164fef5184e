// The camlab kernel: zeromq sockets, message dispatch, output routing. Shell requests are handled
// strictly in arrival order (like ipykernel: a comm_open sent right after the execute_request that
// registers its target finds the target); control requests (interrupt, shutdown, kernel_info) are
// handled at once, even while a cell runs; heartbeats are answered by a worker thread.
import { AsyncLocalStorage } from "node:async_hooks";
import { randomUUID } from "node:crypto";
import * as zmq from "zeromq";
import { NOT_A_RESULT, clearOutput as clearOutputGlobal, display as displayGlobal } from "../display/display";
import { displayContent, type MimeBundle } from "../display/mime";
import { CommManager, CommProtocolError } from "./comms";
import { endpoint, type ConnectionInfo } from "./connection";
import { toCellError, type CellError } from "./errors";
import { CellExecutor } from "./executor";
import { startInterruptWatchdog, type InterruptWatchdog } from "./interruptWatchdog";
import { ProgressDisplay, progressDisplayEnabled } from "../display/progress";
import { startStdin, type StdinChannel } from "./stdin";
import { startHeartbeat, type Heartbeat } from "./heartbeat";
import { History } from "./history";
import { tslabTypeScript } from "./modules";
import { setCurrentKernel, type Comm, type CommTargetHandler, type KernelRuntime, type OutgoingBuffers } from "./runtime";
import { SendQueue } from "./sockets";
import { MAX_MESSAGE_BYTES, PROTOCOL_VERSION, ReplayGuard, Signer, decodeMessage, encodeMessage, newHeader, replyParentHeader, type JupyterMessage } from "./wire";

type Msg = JupyterMessage<Record<string, unknown>>;
type Channel = "shell" | "control";

export interface KernelOptions {
  /** Folder cells run in (the notebook's); module resolution starts there. */
  cwd: string;
  /** The kernel's own log (defaults to the process's real stderr). */
  log?: (line: string) => void;
  /** Loads the camlab package for `import ... from "camlab"` in cells. */
  loadCamlab?: () => unknown;
  /** An already running heartbeat for this connection (else start() starts one). */
  heartbeat?: Heartbeat;
}

function packageVersion(): string {
  try {
    return (require("../../../package.json") as { version: string }).version;
  } catch {
    return "0.0.0";
  }
}

export class Kernel implements KernelRuntime {
  readonly kernelId = randomUUID();
  private readonly session = randomUUID();
  private readonly signer: Signer;
  private readonly replay = new ReplayGuard();
  private readonly context = new AsyncLocalStorage<Msg>();
  private readonly history = new History();
  private readonly commManager: CommManager;
  private readonly logLine: (line: string) => void;
  private executor!: CellExecutor;
  private sockets!: { shell: zmq.Router; control: zmq.Router; iopub: zmq.XPublisher };
  private stdin?: StdinChannel;
  private watchdog?: InterruptWatchdog;
  private out!: { shell: SendQueue; control: SendQueue; iopub: SendQueue };
  private heartbeat?: Heartbeat;
  private executionCount = 0;
  private lastExecute?: Msg;
  private readonly shellQueue: Msg[] = [];
  private readonly aborted = new WeakSet<Msg>();
  /** Requests that got their reply (so a failure after it does not send a second one). */
  private readonly replied = new WeakSet<Msg>();
  private pumping = false;
  private pendingStream?: { name: "stdout" | "stderr"; text: string; parent?: Msg };
  private streamFlushScheduled = false;
  private stopping = false;

  constructor(
    private readonly connection: ConnectionInfo,
    private readonly options: KernelOptions,
  ) {
    this.signer = new Signer(connection.key, connection.signature_scheme);
    const realStderr = process.stderr.write.bind(process.stderr);
    this.logLine = options.log ?? ((line) => realStderr(`[camlab kernel] ${line}\n`));
    this.commManager = new CommManager(
      (msgType, content, buffers, metadata) => this.publish(msgType, content, { buffers, metadata }),
      (m) => this.log(m),
      // A widget reopened after a restart talks to "camlab.session" before any cell imported
      // camlab: load the package (its modules register their targets at import) and look again.
      // A widget manager (JupyterLab's, VS Code's) opens "jupyter.widget.control" when it connects:
      // the widget registry (small, no TensorFlow.js) answers it and notes that widgets can show.
      (target) => {
        if (target.startsWith("camlab.")) this.loadCamlab();
        else if (target.startsWith("jupyter.widget")) (require("../widgets/manager") as typeof import("../widgets/manager")).widgetRegistry();
      },
    );
  }

  // ---- KernelRuntime (public in-process API; see runtime.ts) ----

  registerCommTarget(targetName: string, handler: CommTargetHandler): () => void {
    return this.commManager.registerTarget(targetName, handler);
  }

  unregisterCommTarget(targetName: string): void {
    this.commManager.unregisterTarget(targetName);
  }

  openComm(targetName: string, data?: unknown, buffers?: OutgoingBuffers, metadata?: Record<string, unknown>): Comm {
    return this.commManager.openFromKernel(targetName, data, buffers, metadata);
  }

  comms(targetName?: string): Comm[] {
    return this.commManager.list(targetName);
  }

  publishDisplay(data: MimeBundle, metadata: Record<string, unknown>, displayId: string, update: boolean): void {
    this.publish(update ? "update_display_data" : "display_data", { data, metadata, transient: { display_id: displayId } });
  }

  clearOutput(wait: boolean): void {
    this.publish("clear_output", { wait });
  }

  log(message: string): void {
    this.logLine(message);
  }

  currentRequest(): { msg_id: string; msg_type: string; session: string } | undefined {
    const header = this.currentParent()?.header;
    return header ? { msg_id: header.msg_id, msg_type: header.msg_type, session: header.session } : undefined;
  }

  /** The camlab package as cells see it (loaded on first use: it pulls in TensorFlow.js). */
  private loadCamlab(): unknown {
    return (this.options.loadCamlab ?? (() => require("../index")))();
  }

  // ---- start / stop ----

  async start(): Promise<void> {
    const c = this.connection;
    // The heartbeat comes first: clients without a kernel manager judge liveness by it while the
    // (slow, synchronous) TypeScript set-up below runs.
    this.heartbeat = this.options.heartbeat ?? (await startHeartbeat(endpoint(c, c.hb_port), (m) => this.log(m)));
    this.sockets = {
      // maxMessageSize: zeromq drops (and never buffers) larger frames from any local process.
      shell: new zmq.Router({ linger: 1000, maxMessageSize: MAX_MESSAGE_BYTES }),
      control: new zmq.Router({ linger: 1000, maxMessageSize: MAX_MESSAGE_BYTES }),
      // XPUB (JEP 65): each new subscriber gets an iopub_welcome, so front ends know when their
      // subscription is live without a kernel_info retry loop; plain SUB clients work as before.
      iopub: new zmq.XPublisher({ linger: 1000, maxMessageSize: 64 * 1024, verbosity: "allSubs" }),
    };
    this.out = {
      shell: new SendQueue(this.sockets.shell, (m) => this.log(`shell ${m}`)),
      control: new SendQueue(this.sockets.control, (m) => this.log(`control ${m}`)),
      iopub: new SendQueue(this.sockets.iopub, (m) => this.log(`iopub ${m}`)),
    };
    await Promise.all([
      this.sockets.shell.bind(endpoint(c, c.shell_port)),
      this.sockets.control.bind(endpoint(c, c.control_port)),
      this.sockets.iopub.bind(endpoint(c, c.iopub_port)),
    ]);
    // stdin lives in its own thread: prompt() blocks the main thread until the reply arrives.
    this.stdin = await startStdin(endpoint(c, c.stdin_port), c.key, c.signature_scheme, (m) => this.log(m), () => this.watchdog?.pendingSigint() ?? false);
    this.executor = new CellExecutor(this.options.cwd, () => this.loadCamlab());
    this.installTslabDisplay();
    this.captureOutput();
    this.installProcessHandlers();
    this.guardProcessExit();
    setCurrentKernel(this);
    const g = globalThis as Record<string, unknown>;
    g.display = displayGlobal;
    g.clearOutput = clearOutputGlobal;
    // stdin, as in browsers and Deno: prompt() blocks until the front end answers; input() awaits.
    g.prompt = (message?: unknown): string | null => this.stdin!.prompt(message === undefined ? "" : String(message), false);
    g.input = (message?: unknown, options?: { password?: boolean }): Promise<string> =>
      this.stdin!.input(message === undefined ? "" : String(message), options?.password === true);
    this.publish("status", { execution_state: "starting" }, { parent: null });
    void this.readLoop("shell", this.sockets.shell, (msg) => {
      this.shellQueue.push(msg);
      void this.pump();
    });
    void this.readLoop("control", this.sockets.control, (msg) => void this.handle("control", msg));
    void this.welcomeSubscribers();
    this.log(`started (id ${this.kernelId}) in ${this.options.cwd}`);
  }

  /** Closes everything; the process can exit afterwards. */
  async stop(): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    this.flushStream();
    this.commManager.closeAll();
    await Promise.all([this.out.iopub.drain(), this.out.shell.drain(), this.out.control.drain()]);
    setCurrentKernel(undefined);
    for (const s of Object.values(this.sockets)) s.close();
    await Promise.all([this.heartbeat?.close(), this.stdin?.close(), this.watchdog?.close()]);
    this.executor.close();
  }

  // ---- I/O ----

  private async readLoop(name: string, socket: zmq.Router, onMessage: (msg: Msg) => void): Promise<void> {
    try {
      for await (const frames of socket) {
        let msg: Msg;
        try {
          msg = decodeMessage(frames, this.signer);
        } catch (err) {
          this.log(`dropped a message on ${name}: ${(err as Error).message}`);
          continue;
        }
        // Only the standard header fields are kept: a header may carry anything (a 100,000-deep
        // nested field once made every later JSON.stringify of it throw: no reply, no status).
        msg.header = replyParentHeader(msg.header) as Msg["header"];
        if (msg.signature !== undefined && this.signer.enabled && !this.replay.accept(msg.signature, msg.header)) {
          this.log(`dropped a replayed message on ${name} (${msg.header.msg_type} ${msg.header.msg_id})`);
          continue;
        }
        onMessage(msg);
      }
    } catch (err) {
      if (!this.stopping) this.log(`${name} socket failed: ${(err as Error).message}`);
    }
  }

  private currentParent(): Msg | undefined {
    return this.context.getStore() ?? this.lastExecute;
  }

  /** Sends on iopub; the parent defaults to the message being handled (or the last execute). */
  private publish(
    msgType: string,
    content: unknown,
    opts: { parent?: Msg | null; buffers?: Buffer[]; metadata?: Record<string, unknown> } = {},
  ): void {
    if (msgType !== "stream") this.flushStream();
    const parent = opts.parent === null ? undefined : (opts.parent ?? this.currentParent());
    const message: JupyterMessage<unknown> = {
      identities: [Buffer.from(`kernel.${this.kernelId}.${msgType}`)],
      header: newHeader(msgType, this.session),
      parent_header: parent?.header ?? {},
      metadata: opts.metadata ?? {},
      content,
      buffers: opts.buffers ?? [],
    };
    void this.out.iopub.send(encodeMessage(message, this.signer));
  }

  private reply(channel: Channel, request: Msg, msgType: string, content: Record<string, unknown>): void {
    this.flushStream();
    this.replied.add(request);
    const message: JupyterMessage<unknown> = {
      identities: request.identities,
      header: newHeader(msgType, this.session),
      parent_header: request.header,
      metadata: {},
      content,
      buffers: [],
    };
    let frames: Buffer[];
    try {
      frames = encodeMessage(message, this.signer);
    } catch (err) {
      // The content itself could not be encoded: the request still gets a reply.
      const e = toCellError(err);
      this.log(`could not encode ${msgType}: ${e.ename}: ${e.evalue}`);
      frames = encodeMessage({ ...message, content: { status: "error", ename: e.ename, evalue: `the kernel could not encode its ${msgType}: ${e.evalue}`, traceback: [] } }, this.signer);
    }
    void this.out[channel].send(frames);
  }

  /** JEP 65: an iopub_welcome to each new subscriber, with the topic it subscribed to. */
  private async welcomeSubscribers(): Promise<void> {
    try {
      for await (const [frame] of this.sockets.iopub) {
        if (!frame || frame.length === 0 || frame[0] !== 1) continue; // unsubscriptions and junk
        const subscription = frame.subarray(1).toString("utf8");
        this.publish("iopub_welcome", { subscription }, { parent: null });
      }
    } catch (err) {
      if (!this.stopping) this.log(`iopub subscription reader failed: ${(err as Error).message}`);
    }
  }

  /** tslab's own display API (`import * as tslab from "tslab"; tslab.display.html(…)`) shows through this kernel. */
  private installTslabDisplay(): void {
    try {
      const jupyter = require("tslab/dist/jupyter") as { lastWriteDisplayData: unknown };
      jupyter.lastWriteDisplayData = (d: { data: MimeBundle; metadata?: Record<string, unknown>; transient?: { display_id?: string } }, update: boolean) => {
        const id = d.transient?.display_id;
        this.publish(update && id ? "update_display_data" : "display_data", { data: d.data, metadata: d.metadata ?? {}, transient: id ? { display_id: id } : {} });
      };
    } catch (err) {
      this.log(`tslab's display API is not available: ${(err as Error).message}`);
    }
  }

  /** Consecutive writes to one stream for one parent are sent as one message. */
  private writeStream(name: "stdout" | "stderr", text: string): void {
    if (text === "") return;
    const parent = this.currentParent();
    if (this.pendingStream && (this.pendingStream.name !== name || this.pendingStream.parent !== parent)) this.flushStream();
    if (this.pendingStream) this.pendingStream.text += text;
    else this.pendingStream = { name, text, parent };
    if (!this.streamFlushScheduled) {
      this.streamFlushScheduled = true;
      setImmediate(() => {
        this.streamFlushScheduled = false;
        this.flushStream();
      });
    }
  }

  private flushStream(): void {
    const pending = this.pendingStream;
    if (!pending) return;
    this.pendingStream = undefined;
    this.publish("stream", { name: pending.name, text: pending.text }, { parent: pending.parent ?? null });
  }

  /** process.stdout/stderr of cells (console.log included) go to the notebook as streams. */
  private captureOutput(): void {
    for (const name of ["stdout", "stderr"] as const) {
      const stream = process[name];
      stream.write = ((chunk: unknown, encoding?: unknown, cb?: unknown): boolean => {
        const text =
          typeof chunk === "string"
            ? chunk
            : Buffer.from(chunk as Uint8Array).toString(typeof encoding === "string" ? (encoding as BufferEncoding) : "utf8");
        this.writeStream(name, text);
        const done = typeof encoding === "function" ? encoding : cb;
        if (typeof done === "function") process.nextTick(done as () => void);
        return true;
      }) as typeof stream.write;
    }
  }

  private installProcessHandlers(): void {
    this.watchdog = startInterruptWatchdog({
      onInterrupt: () => {
        this.interrupt();
      },
      log: (m) => this.log(m),
    });

    // Errors escaping cells later (timers, forgotten promises) must not kill the kernel: they are
    // reported on the stderr of the cell that started them (best guess: the last one) and logged.
    process.on("uncaughtException", (err) => this.reportStray("uncaught exception", err));
    process.on("unhandledRejection", (reason) => this.reportStray("unhandled promise rejection", reason));
    this.guardLaterStrayHandlers();
  }

  /**
   * Handlers for stray errors added later by libraries must not kill the kernel: Emscripten's
   * module (tfjs-backend-wasm) adds an uncaughtException handler that rethrows anything that is
   * not its own exit status, which aborted the process on the first error thrown in a timer.
   * Later handlers of these two events run, but what they throw is only logged.
   */
  private guardLaterStrayHandlers(): void {
    const events = new Set(["uncaughtException", "unhandledRejection"]);
    const log = (m: string): void => this.log(m);
    for (const method of ["on", "addListener", "prependListener", "once", "prependOnceListener"] as const) {
      const original = process[method].bind(process) as (event: string | symbol, listener: (...args: unknown[]) => void) => NodeJS.Process;
      (process as unknown as Record<string, unknown>)[method] = (event: string | symbol, listener: (...args: unknown[]) => void) => {
        if (typeof event !== "string" || !events.has(event) || typeof listener !== "function") return original(event, listener);
        const guarded = (...args: unknown[]): void => {
          try {
            listener(...args);
          } catch (err) {
            const e = toCellError(err);
            log(`a library's ${event} handler threw (ignored): ${e.ename}: ${e.evalue}`);
          }
        };
        // removeListener(event, listener) must still find it.
        (guarded as { listener?: unknown }).listener = listener;
        return original(event, guarded);
      };
    }
  }

  /**
   * process.exit() in a cell must not pull the process out from under zeromq (its heartbeat
   * worker aborts the process then): close everything first, then exit with the code asked for.
   */
  private guardProcessExit(): void {
    const realExit = process.exit.bind(process);
    process.exit = ((code?: number | string | null) => {
      this.log(`process.exit(${code ?? ""}) called: closing the kernel first`);
      void this.stop().finally(() => realExit(code ?? undefined));
    }) as typeof process.exit;
    this.realExit = realExit;
  }

  private realExit: (code?: number | string) => never = process.exit.bind(process);

  private reportStray(kind: string, err: unknown): void {
    // toCellError never throws, whatever was thrown (a revoked Proxy, a throwing inspect, …):
    // this handler throwing would abort the process.
    const e = toCellError(err);
    try {
      this.log(`${kind}: ${e.ename}: ${e.evalue}`);
      this.writeStream("stderr", `${kind}: ${e.ename}: ${e.evalue}\n`);
    } catch {
      // nothing more can be done safely here
    }
  }

  // ---- dispatch ----

  private async pump(): Promise<void> {
    if (this.pumping) return;
    this.pumping = true;
    try {
      for (let msg = this.shellQueue.shift(); msg; msg = this.shellQueue.shift()) await this.handle("shell", msg);
    } finally {
      this.pumping = false;
    }
  }

  private async handle(channel: Channel, msg: Msg): Promise<void> {
    if (this.stopping) return;
    const type = msg.header.msg_type;
    this.publish("status", { execution_state: "busy" }, { parent: msg });
    let exitAfter = false;
    try {
      await this.context.run(msg, async () => {
        switch (type) {
          case "kernel_info_request":
            return this.reply(channel, msg, "kernel_info_reply", this.kernelInfo());
          case "execute_request":
            return this.execute(channel, msg);
          case "complete_request":
            return this.replyOrError(channel, msg, "complete_reply", () => this.complete(msg.content));
          case "inspect_request":
            return this.replyOrError(channel, msg, "inspect_reply", () => this.inspect(msg.content));
          case "is_complete_request":
            return this.replyOrError(channel, msg, "is_complete_reply", () => this.isComplete(msg.content));
          case "history_request":
            return this.replyOrError(channel, msg, "history_reply", () => ({ status: "ok", history: this.history.query(msg.content) }));
          case "comm_info_request":
            return this.reply(channel, msg, "comm_info_reply", { status: "ok", comms: this.commManager.info(msg.content.target_name) });
          case "comm_open":
            return this.commManager.handleOpen(msg.content, msg.buffers);
          case "comm_msg":
            return this.commManager.handleMsg(msg.content, msg.buffers);
          case "comm_close":
            return this.commManager.handleClose(msg.content, msg.buffers);
          case "interrupt_request":
            this.interrupt();
            return this.reply(channel, msg, "interrupt_reply", { status: "ok" });
          case "shutdown_request": {
            const restart = msg.content.restart === true;
            this.reply(channel, msg, "shutdown_reply", { status: "ok", restart });
            this.publish("shutdown_reply", { status: "ok", restart });
            exitAfter = true;
            return;
          }
          default:
            this.log(`ignored unsupported ${channel} message type "${type}"`);
        }
      });
    } catch (err) {
      if (err instanceof CommProtocolError) this.log(err.message);
      else {
        const e = toCellError(err);
        this.log(`handling ${type} failed: ${e.ename}: ${e.evalue}`);
        // Every request gets its reply: a *_request that failed unexpectedly gets an error reply.
        if (type.endsWith("_request") && !this.replied.has(msg)) {
          this.reply(channel, msg, type.replace(/_request$/, "_reply"), { status: "error", ...e });
        }
      }
    } finally {
      this.publish("status", { execution_state: "idle" }, { parent: msg });
    }
    if (exitAfter) {
      await this.stop();
      this.realExit(0);
    }
  }

  /** Interrupt (SIGINT or interrupt_request): the running cell, and the widget requests in flight. */
  private interrupt(): void {
    const cell = this.executor.interrupt();
    // Widget work (Score-CAM from an overlay…) is stopped too, as ipykernel's interrupt stops
    // whatever runs. The session registers itself under this symbol when camlab is loaded.
    let widgets = 0;
    try {
      const session = (globalThis as Record<symbol, { server?: { cancelAll(reason?: string): number } } | undefined>)[Symbol.for("camlab.session")];
      widgets = session?.server?.cancelAll("interrupted") ?? 0;
    } catch (err) {
      this.log(`interrupt: could not cancel the widget requests: ${(err as Error).message}`);
    }
    // And the widget callbacks running (an observer computing a CAM on a slider move).
    const registry = (globalThis as Record<symbol, { interrupt?(reason?: string): number } | undefined>)[Symbol.for("camlab.widgets.registry")];
    widgets += registry?.interrupt?.("interrupted") ?? 0;
    if (!cell && widgets === 0) this.log("interrupt: no cell or widget request was running; nothing to interrupt");
  }

  private replyOrError(channel: Channel, msg: Msg, replyType: string, compute: () => Record<string, unknown>): void {
    let content: Record<string, unknown>;
    try {
      content = compute();
    } catch (err) {
      const e = toCellError(err);
      this.log(`${msg.header.msg_type} failed: ${e.ename}: ${e.evalue}`);
      content = { status: "error", ...e };
    }
    this.reply(channel, msg, replyType, content);
  }

  private kernelInfo(): Record<string, unknown> {
    const ts = tslabTypeScript();
    const version = packageVersion();
    return {
      status: "ok",
      protocol_version: PROTOCOL_VERSION,
      implementation: "camlab",
      implementation_version: version,
      language_info: {
        name: "typescript",
        version: ts.version,
        mimetype: "text/typescript",
        file_extension: ".ts",
        pygments_lexer: "typescript",
        // JupyterLab reads `mode`; the classic notebook reads name + typescript.
        // `version` too: strict protocol libraries reject a codemirror_mode dict without it.
        codemirror_mode: { mode: "typescript", name: "javascript", typescript: true, version: 3 },
      },
      banner: `camlab ${version}: TypeScript ${ts.version} on Node.js ${process.version} (tslab executor)`,
      help_links: [{ text: "TensorFlow.js API", url: "https://js.tensorflow.org/api/latest/" }],
      debugger: false,
    };
  }

  private complete(content: Record<string, unknown>): Record<string, unknown> {
    const { code, cursorPos } = codeAndCursor(content, "complete_request");
    const r = this.executor.complete(code, cursorPos);
    return {
      status: "ok",
      matches: r.matches,
      cursor_start: utf16ToCodePoints(code, r.cursorStart),
      cursor_end: utf16ToCodePoints(code, r.cursorEnd),
      metadata: {},
    };
  }

  private inspect(content: Record<string, unknown>): Record<string, unknown> {
    const { code, cursorPos } = codeAndCursor(content, "inspect_request");
    const text = this.executor.inspect(code, cursorPos);
    return { status: "ok", found: text !== undefined, data: text === undefined ? {} : { "text/plain": text }, metadata: {} };
  }

  private isComplete(content: Record<string, unknown>): Record<string, unknown> {
    if (typeof content.code !== "string") throw new TypeError("is_complete_request: content.code must be a string");
    return { ...this.executor.isComplete(content.code) };
  }

  private async execute(channel: Channel, msg: Msg): Promise<void> {
    const c = msg.content;
    if (this.aborted.has(msg)) {
      this.reply(channel, msg, "execute_reply", { status: "aborted", execution_count: this.executionCount });
      return;
    }
    if (typeof c.code !== "string") {
      const error = { ename: "TypeError", evalue: "execute_request: content.code must be a string", traceback: [] };
      this.publish("error", error);
      this.reply(channel, msg, "execute_reply", { status: "error", execution_count: this.executionCount, ...error });
      return;
    }
    const code = c.code;
    const silent = c.silent === true;
    const storeHistory = !silent && c.store_history !== false;
    if (storeHistory) this.executionCount++;
    const count = this.executionCount;
    if (!silent) {
      this.lastExecute = msg;
      this.publish("execute_input", { code, execution_count: count });
    }
    if (storeHistory) this.history.add(count, code);
    // busy and execute_input must be on the wire before the cell runs: a synchronous cell blocks
    // the event loop, and front ends should see the kernel busy while it does.
    await this.out.iopub.drain();

    const progress = silent || !progressDisplayEnabled() ? undefined : new ProgressDisplay((data, id, update) => this.publishDisplay(data, {}, id, update));
    const allowStdin = c.allow_stdin === true;
    const outcome = await this.stdin!.during(msg, allowStdin, this.session, () => this.executor.execute(code, { onProgress: progress?.report }));
    progress?.finish();
    let error: CellError | undefined;
    if (outcome.status === "ok") {
      if (outcome.hasValue && !silent && !isNotAResult(outcome.value)) {
        try {
          const shown = displayContent(outcome.value);
          this.publish("execute_result", { execution_count: count, data: shown.data, metadata: shown.metadata });
          if (storeHistory) this.history.setOutput(count, String(shown.data["text/plain"] ?? ""));
        } catch (err) {
          error = toCellError(err);
        }
      }
    } else {
      error = toCellError(outcome.error);
    }
    const userExpressions = this.executor.evaluateExpressions(c.user_expressions);
    if (error) {
      this.publish("error", error);
      if (c.stop_on_error !== false) {
        // Like ipykernel: requests queued behind a failed cell are answered "aborted", not run.
        // One short pause first lets the socket loop pick up requests that already arrived
        // while the cell ran (the cell may have blocked the event loop). It comes before the
        // reply so that the reply and the idle status follow each other closely.
        await new Promise((resolve) => setTimeout(resolve, 10));
        for (const queued of this.shellQueue) if (queued.header.msg_type === "execute_request") this.aborted.add(queued);
      }
      this.reply(channel, msg, "execute_reply", { status: "error", execution_count: count, ...error, user_expressions: userExpressions, payload: [] });
      return;
    }
    this.reply(channel, msg, "execute_reply", { status: "ok", execution_count: count, user_expressions: userExpressions, payload: [] });
  }
}

function isNotAResult(value: unknown): boolean {
  return value !== null && typeof value === "object" && (value as Record<symbol, unknown>)[NOT_A_RESULT] === true;
}

/**
 * Since protocol 5.2, cursor positions count Unicode code points; JavaScript strings (and so
 * tslab) index UTF-16 code units. They differ after any character outside the BMP (emoji, …).
 */
export function codePointsToUtf16(text: string, codePoints: number): number {
  let index = 0;
  for (let n = 0; n < codePoints && index < text.length; n++) index += (text.codePointAt(index) ?? 0) > 0xffff ? 2 : 1;
  return index;
}

export function utf16ToCodePoints(text: string, index: number): number {
  return Array.from(text.slice(0, index)).length;
}

function codeAndCursor(content: Record<string, unknown>, what: string): { code: string; cursorPos: number } {
  if (typeof content.code !== "string") throw new TypeError(`${what}: content.code must be a string`);
  const code = content.code;
  const length = utf16ToCodePoints(code, code.length);
  const cursor = typeof content.cursor_pos === "number" ? content.cursor_pos : length;
  if (!Number.isInteger(cursor) || cursor < 0 || cursor > length) {
    throw new RangeError(`${what}: cursor_pos ${cursor} is outside the code (0..${length} code points)`);
  }
  return { code, cursorPos: codePointsToUtf16(code, cursor) };
}
