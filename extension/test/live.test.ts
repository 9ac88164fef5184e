// LiveBinding, the widget's link to the kernel: the failure banner of one request goes away with
// the next success; a cancel is not a failure; evictions and a restarted kernel change the
// widget's state as soon as the client hears of them. Runs on a minimal stand-in for the DOM.
import { test } from "node:test";
import assert from "node:assert/strict";
import { SessionClient, utf8Length, type Channel, type ChannelEvents } from "../src/session";
import type { SessionRequest } from "../src/protocol";

interface FakeElement {
  dataset: Record<string, string>;
  className: string;
  textContent: string;
  children: FakeElement[];
  attributes: Record<string, string>;
  classList: { add(c: string): void; remove(c: string): void; toggle(c: string, on?: boolean): void; contains(c: string): boolean };
  setAttribute(k: string, v: string): void;
  appendChild(c: FakeElement): FakeElement;
}

function fakeElement(): FakeElement {
  const el: FakeElement = {
    dataset: {},
    className: "",
    textContent: "",
    children: [],
    attributes: {},
    classList: {
      add: (c) => {
        if (!el.className.split(" ").includes(c)) el.className = `${el.className} ${c}`.trim();
      },
      remove: (c) => {
        el.className = el.className.split(" ").filter((x) => x !== c).join(" ");
      },
      toggle: (c, on) => ((on ?? !el.classList.contains(c)) ? el.classList.add(c) : el.classList.remove(c)),
      contains: (c) => el.className.split(" ").includes(c),
    },
    setAttribute: (k, v) => {
      el.attributes[k] = v;
    },
    appendChild: (c) => {
      el.children.push(c);
      return c;
    },
  };
  return el;
}

(globalThis as { document?: unknown }).document = { createElement: () => fakeElement() };

// Imported after the stand-in exists (StatusNote builds its node when constructed).
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { LiveBinding, StatusNote } = require("../src/live") as typeof import("../src/live");

const INFO = { kernelInstance: "k1", backend: "wasm", numTensors: 0, numBytes: 0, registryBytes: 0, registryBudgetBytes: 1, handles: 1 };

class Kernel {
  sent: SessionRequest[] = [];
  events: ChannelEvents | null = null;
  auto = true;
  opener = (events: ChannelEvents): Channel => {
    this.events = events;
    return {
      send: (r) => {
        this.sent.push(r);
        if (this.auto && r.op === "session.info") queueMicrotask(() => events.message({ id: r.id, ok: true, op: "session.info", result: INFO }, []));
        return utf8Length(JSON.stringify(r));
      },
      cancel: () => {},
      close: () => events.closed("closed by client"),
    };
  };
  last(): SessionRequest {
    return this.sent[this.sent.length - 1];
  }
  reply(data: unknown): void {
    this.events!.message(data, []);
  }
}

async function liveBinding(handle = "h1-0000abcd") {
  const k = new Kernel();
  const client = new SessionClient(k.opener);
  const note = new StatusNote();
  const root = document.createElement("div");
  const binding = new LiveBinding({ handle, kernelInstance: "k1" }, { client: async () => client }, note, root);
  await binding.start();
  assert.equal(binding.state, "live");
  return { k, client, note, root, binding };
}

const tick = () => new Promise((r) => setTimeout(r, 0));

test("after a failed request, the next success clears the failure banner", async () => {
  const { k, note, binding } = await liveBinding();
  const failing = binding.call("cam.compute", { method: "scorecam", layer: "out_relu", classIndex: 1 });
  await tick();
  k.reply({ id: k.last().id, ok: false, error: { code: "failed", message: "out of memory" } });
  await assert.rejects(failing);
  assert.equal(note.node.dataset.kind, "error");
  assert.match(note.node.textContent ?? "", /the last request failed: .*out of memory/);
  assert.equal(binding.state, "live", "the session is still there");
  const ok = binding.call("predictions.topk", { k: 1 });
  await tick();
  k.reply({ id: k.last().id, ok: true, op: "predictions.topk", result: { predictions: [] } });
  await ok;
  assert.equal(note.node.dataset.kind, "live");
  assert.doesNotMatch(note.node.textContent ?? "", /failed/);
});

test("a cancelled request is not shown as a failure", async () => {
  const { k, note, binding } = await liveBinding();
  const ctl = new AbortController();
  const p = binding.call("cam.compute", { method: "scorecam", layer: "out_relu", classIndex: 1 }, { signal: ctl.signal });
  await tick();
  ctl.abort();
  k.reply({ id: k.last().id, ok: false, error: { code: "cancelled", message: "cancelled by the widget" } });
  await assert.rejects(p, (e: { code: string }) => e.code === "cancelled");
  assert.equal(note.node.dataset.kind, "live");
});

test("an eviction event for this handle turns the widget to 'recompute' without a click; others are left alone", async () => {
  const { k, root, binding } = await liveBinding("h2-0000abcd");
  k.reply({ event: "evicted", handles: ["h9-0000abcd"], kernelInstance: "k1" });
  k.reply({ event: "evicted", handles: ["h2-0000abcd"], kernelInstance: "another-kernel" });
  assert.equal(binding.state, "live");
  k.reply({ event: "evicted", handles: ["h2-0000abcd"], kernelInstance: "k1" });
  assert.equal(binding.state, "recompute");
  assert.equal(root.dataset.state, "recompute");
});

test("a restarted kernel (channel closed) turns live widgets 'unavailable' at once", async () => {
  const { k, note, binding } = await liveBinding();
  k.events!.closed("the kernel was restarted");
  assert.equal(binding.state, "unavailable");
  assert.match(note.node.textContent ?? "", /restarted/);
});

test("a disposed binding stops listening", async () => {
  const { k, binding } = await liveBinding();
  binding.dispose();
  k.events!.closed("the kernel was restarted");
  assert.equal(binding.state, "live", "nobody changes a widget that is gone");
});
