// Long session requests: progress messages while the work runs, {cancel: id} stopping it within
// a checkpoint (reply code "cancelled", no tensor left behind), cancels that overtake their
// request, eviction events, handles that differ between kernel instances, and the layer lists
// the selectors offer.
import { before, describe, it } from "node:test";
import * as assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { checkpoint, ensureBackend } from "../../src/engine";
import { activeHookCount } from "../../src/hooks";
import { RequestServer, Session, TensorRegistry, usableLayers, type OpDispatcher } from "../../src/session";
import type { OpName, ProgressMessage, SessionEventMessage, SessionReply } from "../../src/protocol";
import { randomImages, smallSequential } from "../engine/fixtures";

type Message = SessionReply | ProgressMessage | SessionEventMessage;

function recorder(): { sent: Message[]; channel: { send(d: unknown): void } } {
  const sent: Message[] = [];
  return { sent, channel: { send: (d: unknown) => sent.push(d as Message) } };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Stands in for engine work that reports (Score-CAM's masked runs once they call checkpoint):
 * `steps` batches of a few ms each, every batch allocating and freeing tensors in a tidy.
 */
function reportingWork(steps: number, msPerStep = 5): OpDispatcher {
  return async (op: OpName) => {
    let acc = 0;
    for (let i = 0; i < steps; i++) {
      acc += tf.tidy(() => tf.sum(tf.mul(tf.ones([32, 32]), i)).dataSync()[0]);
      const until = Date.now() + msPerStep;
      while (Date.now() < until) {
        // a busy stretch, like a backend running a batch
      }
      await checkpoint("masks", i + 1, steps);
    }
    return { result: { op, acc } as never, buffers: [] };
  };
}

describe("progress and cancel", () => {
  before(async () => {
    await ensureBackend();
  });

  it("a request's work sends {id, progress} messages before its one reply", async () => {
    const server = new RequestServer(reportingWork(40), { progressIntervalMs: 20 });
    const { sent, channel } = recorder();
    await server.handle(channel, { id: "p1", op: "session.info", handle: "h1-0000abcd", args: {} });
    const progress = sent.filter((m): m is ProgressMessage => "progress" in m);
    const replies = sent.filter((m): m is SessionReply => "ok" in m);
    assert.equal(replies.length, 1);
    assert.equal(sent[sent.length - 1], replies[0], "the reply comes last");
    assert.ok(replies[0].ok);
    assert.ok(progress.length >= 3, `several progress messages (got ${progress.length})`);
    assert.ok(progress.length < 40, "throttled, not one per step");
    for (const p of progress) {
      assert.equal(p.id, "p1");
      assert.equal(p.progress.label, "masks");
      assert.equal(p.progress.total, 40);
    }
    const done = progress.map((p) => p.progress.done);
    assert.deepEqual(done, [...done].sort((a, b) => a - b), "done only grows");
    assert.equal(done[done.length - 1], 40, "the last step is always reported");
  });

  it("{cancel: id} stops the running work at its next checkpoint: reply 'cancelled', tensors freed", async () => {
    const server = new RequestServer(reportingWork(100_000, 2), { progressIntervalMs: 10 });
    const { sent, channel } = recorder();
    const n0 = tf.memory().numTensors;
    const started = Date.now();
    const served = server.handle(channel, { id: "long", op: "cam.compute", handle: "h1-0000abcd", args: { method: "scorecam", layer: "conv3", classIndex: 0 } });
    while (!sent.some((m) => "progress" in m)) await sleep(5);
    assert.deepEqual(server.runningIds, ["long"]);
    const cancelAt = Date.now();
    await server.handle(channel, { cancel: "long" }); // resolves at once: it is not queued behind the work
    await served;
    const stoppedMs = Date.now() - cancelAt;
    const reply = sent[sent.length - 1] as SessionReply;
    assert.equal(reply.ok, false);
    assert.equal(reply.id, "long");
    assert.equal((reply as { error: { code: string } }).error.code, "cancelled");
    assert.match((reply as { error: { message: string } }).error.message, /cancelled by the widget during masks \(\d+ of 100000 done\)/);
    assert.ok(stoppedMs < 1000, `stopped within a second of the cancel (${stoppedMs} ms)`);
    assert.ok(Date.now() - started < 10_000);
    assert.equal(tf.memory().numTensors, n0, "no tensor left behind");
    assert.deepEqual(server.runningIds, []);
  });

  it("a cancel that arrives before its request answers the request 'cancelled' without running it", async () => {
    let ran = 0;
    const server = new RequestServer(async () => {
      ran++;
      return { result: {} as never, buffers: [] };
    });
    const { sent, channel } = recorder();
    await server.handle(channel, { cancel: "later" });
    await server.handle(channel, { id: "later", op: "session.info", handle: "h1-0000abcd", args: {} });
    assert.equal(ran, 0);
    assert.equal((sent[0] as { error: { code: string } }).error.code, "cancelled");
    await server.handle(channel, { id: "later2", op: "session.info", handle: "h1-0000abcd", args: {} });
    assert.equal(ran, 1, "other requests still run");
  });

  it("a malformed cancel is ignored; unknown messages still get an error reply", async () => {
    const server = new RequestServer(reportingWork(1));
    const { sent, channel } = recorder();
    await server.handle(channel, { cancel: 42 });
    assert.equal(sent.length, 0);
    await server.handle(channel, { id: "x", op: "eval" });
    assert.equal((sent[0] as { error: { code: string } }).error.code, "bad_request");
  });
});

describe("session: cancel, events, handles", () => {
  const model = smallSequential(4, 12);
  let x: tf.Tensor4D;

  before(async () => {
    await ensureBackend();
    x = randomImages(1, 12, 3);
  });

  it("a request cancelled while it waits behind another is answered 'cancelled'; the first one succeeds", async () => {
    const session = new Session(64 * 1024 * 1024, "queue");
    const handle = session.bind(model, x);
    const n0 = tf.memory().numTensors;
    const { sent, channel } = recorder();
    const first = session.server.handle(channel, { id: "q1", op: "cam.compute", handle, args: { method: "gradcampp", layer: "conv3", classIndex: 0 } });
    const second = session.server.handle(channel, { id: "q2", op: "cam.compute", handle, args: { method: "gradcam", layer: "conv2", classIndex: 1 } });
    await session.server.handle(channel, { cancel: "q2" });
    await Promise.all([first, second]);
    const byId = new Map(sent.filter((m): m is SessionReply => "ok" in m).map((m) => [m.id, m]));
    assert.equal(byId.get("q1")?.ok, true);
    assert.equal((byId.get("q2") as { error: { code: string } }).error.code, "cancelled");
    assert.equal(activeHookCount(), 0);
    session.clear();
    assert.ok(tf.memory().numTensors <= n0, "nothing kept beyond the bound entry");
  });

  it("a real Score-CAM request reports its masked inputs and stops on cancel, leaving no tensor or hook", async () => {
    const beforeBind = tf.memory().numTensors;
    const session = new Session(64 * 1024 * 1024, "scorecam");
    const handle = session.bind(model, x);
    await session.dispatch("predictions.topk", handle, { k: 1 }); // warm the bound entry's caches
    const n0 = tf.memory().numTensors;
    const { sent, channel } = recorder();
    const full = session.server.handle(channel, { id: "s0", op: "cam.compute", handle, args: { method: "scorecam", layer: "conv3", classIndex: 2 } });
    await full;
    const progress = sent.filter((m): m is ProgressMessage => "progress" in m && m.id === "s0");
    assert.ok(progress.length >= 1, "Score-CAM reports progress");
    assert.match(progress[0].progress.label, /scorecam conv3/);
    assert.equal(progress[progress.length - 1].progress.done, progress[progress.length - 1].progress.total);
    assert.equal((sent[sent.length - 1] as SessionReply).ok, true);

    // Cancel from inside the work: as soon as its first progress message goes out.
    const seen: Message[] = [];
    const cancelling = {
      send: (d: unknown) => {
        seen.push(d as Message);
        if ("progress" in (d as object)) session.server.cancel("s1");
      },
    };
    await session.server.handle(cancelling, { id: "s1", op: "cam.compute", handle, args: { method: "scorecam", layer: "conv2", classIndex: 1 } });
    const reply = seen[seen.length - 1] as SessionReply;
    assert.equal(reply.ok, false);
    assert.equal((reply as { error: { code: string } }).error.code, "cancelled");
    assert.match((reply as { error: { message: string } }).error.message, /scorecam conv2: masked inputs \(\d+ of 8 done\)/);
    assert.equal(activeHookCount(), 0, "hooks removed");
    // The finished CAM is host-cached; what stays on the backend is each CAM layer's output (conv3,
    // conv2), held by the entry so a class switch runs only the model after the layer.
    assert.equal(tf.memory().numTensors, n0 + 2, "numTensors: only the two held layer outputs added, nothing from the cancelled CAM");
    session.clear();
    assert.equal(tf.memory().numTensors, beforeBind, "clearing the session frees them");
  });

  it("handles differ between two registries of different kernel instances, and carry the instance's tag", () => {
    const a = new TensorRegistry<number>(1000, { kernelInstance: "kernel-a" });
    const b = new TensorRegistry<number>(1000, { kernelInstance: "kernel-b" });
    const ha = [a.add(1, 1, () => {}), a.add(2, 1, () => {})];
    const hb = [b.add(1, 1, () => {}), b.add(2, 1, () => {})];
    assert.equal(new Set([...ha, ...hb]).size, 4, `${ha} vs ${hb}`);
    for (const h of [...ha, ...hb]) assert.match(h, /^h\d+-[0-9a-f]{8}$/);
    assert.equal(b.get(ha[0]).status, "unknown", "a handle of the old kernel is unknown to the new one");
    const again = new TensorRegistry<number>(1000, { kernelInstance: "kernel-a" });
    assert.equal(again.add(1, 1, () => {}), ha[0], "the same instance names its handles the same way");
    const s1 = new Session(1 << 20, "instance-1"), s2 = new Session(1 << 20, "instance-2");
    assert.notEqual(s1.bind(model, null), s2.bind(model, null));
    s1.clear();
    s2.clear();
  });

  it("evictions are announced to the session's comms as one event per turn", async () => {
    const session = new Session(64 * 1024 * 1024, "events");
    const { sent, channel } = recorder();
    const stop = session.addListener(channel);
    const h1 = session.bind(model, x), h2 = session.bind(model, x);
    session.clear();
    await Promise.resolve();
    await Promise.resolve();
    assert.deepEqual(sent, [{ event: "evicted", handles: [h1, h2], kernelInstance: "events" }]);
    stop();
    session.evict(session.bind(model, x));
    await sleep(0);
    assert.equal(sent.length, 1, "a removed listener hears nothing");
  });
});

describe("layers.usable", () => {
  before(async () => {
    await ensureBackend();
  });

  it("CAM layers: spatial maps larger than 1x1 that ran, no InputLayer, default first then backwards", () => {
    const input = tf.input({ shape: [12, 12, 3], name: "input_1" });
    const c1 = tf.layers.conv2d({ filters: 4, kernelSize: 3, padding: "same", activation: "relu", name: "c1" }).apply(input) as tf.SymbolicTensor;
    const c2 = tf.layers.conv2d({ filters: 4, kernelSize: 3, strides: 2, padding: "same", activation: "relu", name: "c2" }).apply(c1) as tf.SymbolicTensor;
    const one = tf.layers.conv2d({ filters: 4, kernelSize: 6, name: "one_by_one" }).apply(c2) as tf.SymbolicTensor; // 1x1 map
    const flat = tf.layers.flatten({ name: "flat" }).apply(one) as tf.SymbolicTensor;
    const out = tf.layers.dense({ units: 3, activation: "softmax", name: "probs" }).apply(flat) as tf.SymbolicTensor;
    const model = tf.model({ inputs: input, outputs: out });
    const x = randomImages(1, 12, 5);
    const n0 = tf.memory().numTensors;
    const hooks0 = activeHookCount();
    const usable = usableLayers(model, x);
    assert.equal(tf.memory().numTensors, n0, "the probe keeps no tensor");
    assert.equal(activeHookCount(), hooks0, "and no hook");
    assert.deepEqual(usable.camLayers, ["c2", "c1"]);
    assert.deepEqual(usable.activationLayers, ["input_1", "c1", "c2", "one_by_one", "flat", "probs"]);
    assert.deepEqual(usableLayers(model, null).activationLayers, [], "no input, nothing to browse");
    assert.ok(!usableLayers(model, null).camLayers.includes("input_1"));
    x.dispose();
  });

  it("is served as the layers.usable operation", async () => {
    const session = new Session(64 * 1024 * 1024, "usable");
    const x = randomImages(1, 12, 3);
    const handle = session.bind(smallSequential(4, 12), x);
    const { sent, channel } = recorder();
    await session.server.handle(channel, { id: "u", op: "layers.usable", handle, args: {} });
    const reply = sent[0] as SessionReply<"layers.usable">;
    assert.ok(reply.ok, JSON.stringify(reply));
    const r = (reply as { result: { camLayers: string[]; activationLayers: string[] } }).result;
    assert.equal(r.camLayers[0], "conv3");
    assert.ok(r.activationLayers.includes("conv1"));
    session.clear();
    x.dispose();
  });
});
