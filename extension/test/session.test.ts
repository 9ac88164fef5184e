// The comm client's request/reply bookkeeping, against a scripted in-memory channel (the real
// comm is JupyterLab's; browser tests cover it end to end).
import { test } from "node:test";
import assert from "node:assert/strict";
import { SessionClient, SessionError, utf8Length, type Channel, type ChannelEvents } from "../src/session";
import type { SessionRequest } from "../src/protocol";

class ScriptedKernel {
  opened = 0;
  sent: SessionRequest[] = [];
  cancels: string[] = [];
  events: ChannelEvents | null = null;
  refuseOpen: string | null = null;

  opener = (events: ChannelEvents): Channel => {
    if (this.refuseOpen) throw new SessionError("unavailable", this.refuseOpen);
    this.opened++;
    this.events = events;
    return {
      send: (r) => {
        this.sent.push(r);
        return utf8Length(JSON.stringify(r));
      },
      cancel: (id) => {
        this.cancels.push(id);
      },
      close: () => events.closed("closed by client"),
    };
  };

  reply(data: unknown, buffers: Uint8Array[] = []): void {
    this.events!.message(data, buffers);
  }
}

const tick = () => new Promise((r) => setImmediate(r));

test("replies are matched by id, in any order, with buffers and byte counts", async () => {
  const k = new ScriptedKernel();
  const c = new SessionClient(k.opener);
  const p1 = c.request("h1", "cam.compute", { method: "gradcam", layer: "conv", classIndex: 1 });
  const p2 = c.request("h1", "predictions.topk", { k: 3 });
  assert.equal(k.opened, 1, "one comm for both requests");
  assert.equal(k.sent.length, 2);
  assert.notEqual(k.sent[0].id, k.sent[1].id);
  const [r1, r2] = k.sent;
  k.reply({ id: r2.id, ok: true, op: "predictions.topk", result: { predictions: [{ classIndex: 0, label: "é", score: 3, probability: 1 }] } });
  const camBytes = new Uint8Array(49);
  const camReply = { id: r1.id, ok: true, op: "cam.compute", result: { method: "gradcam", layer: "conv", classIndex: 1, label: "x", width: 7, height: 7, scale: 1, offset: 0 } };
  k.reply(camReply, [camBytes]);
  const o2 = await p2;
  const o1 = await p1;
  assert.equal(o2.result.predictions[0].label, "é");
  assert.equal(o1.result.width, 7);
  assert.equal(o1.buffers[0], camBytes);
  assert.equal(o1.bytesReceived, Buffer.byteLength(JSON.stringify(camReply)) + 49);
  assert.equal(o1.bytesSent, Buffer.byteLength(JSON.stringify(r1)));
  assert.equal(c.pendingCount, 0);
});

test("error replies reject with the kernel's code and message", async () => {
  const k = new ScriptedKernel();
  const c = new SessionClient(k.opener);
  const p = c.request("h2", "activations.page", { layer: "conv", offset: 0, count: 4 });
  k.reply({ id: k.sent[0].id, ok: false, error: { code: "evicted", message: "h2 was evicted (budget 512 MB)" } });
  await assert.rejects(p, (e: SessionError) => e.code === "evicted" && /budget 512 MB/.test(e.message));
});

test("a reply for another op, or without a result, is a failure, not a result", async () => {
  const k = new ScriptedKernel();
  const c = new SessionClient(k.opener);
  const p = c.request("h2", "session.info", {});
  k.reply({ id: k.sent[0].id, ok: true, op: "cam.compute", result: {} });
  await assert.rejects(p, (e: SessionError) => e.code === "failed" && /malformed/.test(e.message));
});

test("timeouts reject; a late reply is ignored", async () => {
  const k = new ScriptedKernel();
  const c = new SessionClient(k.opener, { "session.info": 20 });
  const p = c.request("h1", "session.info", {});
  await assert.rejects(p, (e: SessionError) => e.code === "timeout" && /did not answer session.info/.test(e.message));
  k.reply({ id: k.sent[0].id, ok: true, op: "session.info", result: {} }); // must not throw
  assert.equal(c.pendingCount, 0);
});

test("a closed channel (kernel restart) fails every waiting request; the next request reopens", async () => {
  const k = new ScriptedKernel();
  const c = new SessionClient(k.opener);
  const a = c.request("h1", "session.info", {});
  const b = c.request("h1", "layers.describe", {});
  k.events!.closed("the kernel was restarted");
  await assert.rejects(a, (e: SessionError) => e.code === "unavailable" && e.message === "the kernel was restarted");
  await assert.rejects(b, (e: SessionError) => e.code === "unavailable");
  const again = c.request("h1", "session.info", {});
  assert.equal(k.opened, 2);
  k.reply({ id: k.sent[2].id, ok: true, op: "session.info", result: { kernelInstance: "k2" } });
  assert.equal((await again).result.kernelInstance, "k2");
});

test("no kernel: requests reject as unavailable without throwing synchronously", async () => {
  const k = new ScriptedKernel();
  k.refuseOpen = "no kernel is running";
  const c = new SessionClient(k.opener);
  await assert.rejects(c.request("h1", "session.info", {}), (e: SessionError) => e.code === "unavailable" && e.message === "no kernel is running");
});

test("verify: live only when the kernel instance matches; asked once per handle", async () => {
  const k = new ScriptedKernel();
  const c = new SessionClient(k.opener);
  const info = { kernelInstance: "k1", backend: "wasm", numTensors: 3, numBytes: 10, registryBytes: 5, registryBudgetBytes: 100, handles: 1 };
  const v1 = c.verify({ handle: "h1", kernelInstance: "k1" });
  const v1again = c.verify({ handle: "h1", kernelInstance: "k1" });
  assert.equal(k.sent.length, 1);
  k.reply({ id: k.sent[0].id, ok: true, op: "session.info", result: info });
  assert.deepEqual(await v1, { live: true, info });
  assert.equal(await v1again, await v1);

  const stale = c.verify({ handle: "h2", kernelInstance: "k0" });
  await tick();
  k.reply({ id: k.sent[1].id, ok: true, op: "session.info", result: info });
  const s = await stale;
  assert.ok(!s.live && s.code === "unavailable" && /restarted/.test(s.reason));

  const gone = c.verify({ handle: "h9", kernelInstance: "k1" });
  k.reply({ id: k.sent[2].id, ok: false, error: { code: "unknown_handle", message: "no handle h9" } });
  const g = await gone;
  assert.ok(!g.live && g.code === "unknown_handle");
});

test("the time limit runs from the last progress message, not from the start", async () => {
  const k = new ScriptedKernel();
  const c = new SessionClient(k.opener, { "cam.compute": 60 });
  const seen: number[] = [];
  const started = Date.now();
  const p = c.request("h1", "cam.compute", { method: "scorecam", layer: "out_relu", classIndex: 3 }, { onProgress: (pr) => seen.push(pr.done) });
  const id = k.sent[0].id;
  for (let i = 1; i <= 5; i++) {
    await new Promise((r) => setTimeout(r, 30)); // each gap is under the limit; their sum is well over it
    k.reply({ id, progress: { label: "scorecam out_relu: masks", done: i * 256, total: 1280 } });
  }
  assert.ok(Date.now() - started > 120, "longer than the limit in total");
  assert.deepEqual(seen, [256, 512, 768, 1024, 1280]);
  assert.equal(c.pendingCount, 1, "still waiting: progress is a sign of life");
  await assert.rejects(p, (e: SessionError) => e.code === "timeout" && /sent no progress on cam.compute/.test(e.message));
  assert.equal(c.pendingCount, 0);
});

test("progress of an unknown request, or malformed progress, is ignored", async () => {
  const k = new ScriptedKernel();
  const c = new SessionClient(k.opener);
  const p = c.request("h1", "session.info", {}, { onProgress: () => assert.fail("malformed progress passed on") });
  k.reply({ id: "nobody", progress: { label: "x", done: 1, total: 2 } });
  k.reply({ id: k.sent[0].id, progress: { label: "x", done: "1", total: 2 } });
  k.reply({ id: k.sent[0].id, ok: true, op: "session.info", result: { kernelInstance: "k" } });
  assert.equal((await p).result.kernelInstance, "k");
});

test("aborting the signal sends {cancel: id}; the kernel's 'cancelled' reply rejects the request", async () => {
  const k = new ScriptedKernel();
  const c = new SessionClient(k.opener);
  const ctl = new AbortController();
  const p = c.request("h1", "cam.compute", { method: "scorecam", layer: "out_relu", classIndex: 3 }, { signal: ctl.signal });
  const id = k.sent[0].id;
  ctl.abort();
  ctl.abort();
  assert.deepEqual(k.cancels, [id], "one cancel, naming the request");
  assert.equal(c.pendingCount, 1, "waits for the kernel to confirm");
  k.reply({ id, ok: false, error: { code: "cancelled", message: "cancelled by the widget during masks (64 of 1280 done)" } });
  await assert.rejects(p, (e: SessionError) => e.code === "cancelled" && /64 of 1280/.test(e.message));
  // A signal aborted before the request is even sent: nothing goes to the kernel.
  await assert.rejects(c.request("h1", "session.info", {}, { signal: ctl.signal }), (e: SessionError) => e.code === "cancelled");
  assert.equal(k.sent.length, 1);
});

test("a cancelled request the kernel does not confirm gives up after the cancel grace time", async () => {
  const k = new ScriptedKernel();
  const c = new SessionClient(k.opener, { cancelGraceMs: 30 });
  const ctl = new AbortController();
  const p = c.request("h1", "cam.compute", { method: "scorecam", layer: "out_relu", classIndex: 3 }, { signal: ctl.signal });
  ctl.abort();
  await assert.rejects(p, (e: SessionError) => e.code === "cancelled" && /has not confirmed/.test(e.message));
  assert.equal(c.pendingCount, 0);
});

test("a result that arrives after the cancel is still the result", async () => {
  const k = new ScriptedKernel();
  const c = new SessionClient(k.opener);
  const ctl = new AbortController();
  const p = c.request("h1", "predictions.topk", { k: 1 }, { signal: ctl.signal });
  ctl.abort();
  k.reply({ id: k.sent[0].id, ok: true, op: "predictions.topk", result: { predictions: [] } });
  assert.deepEqual((await p).result.predictions, []);
});

test("verdicts are kept per kernel instance: a new kernel's h1 is not judged by the old kernel's h1", async () => {
  const k = new ScriptedKernel();
  const c = new SessionClient(k.opener);
  const info = (instance: string) => ({ kernelInstance: instance, backend: "wasm", numTensors: 0, numBytes: 0, registryBytes: 0, registryBudgetBytes: 1, handles: 1 });
  const old = c.verify({ handle: "h1", kernelInstance: "old" });
  k.reply({ id: k.sent[0].id, ok: true, op: "session.info", result: info("new") });
  assert.ok(!(await old).live, "the old display is dead");
  const fresh = c.verify({ handle: "h1", kernelInstance: "new" });
  assert.equal(k.sent.length, 2, "asked again for the new display");
  k.reply({ id: k.sent[1].id, ok: true, op: "session.info", result: info("new") });
  assert.ok((await fresh).live, "the re-run cell's display is live");
});

test("events: evictions and a closed channel reach the listeners; an eviction forgets the verdict", async () => {
  const k = new ScriptedKernel();
  const c = new SessionClient(k.opener);
  const events: unknown[] = [];
  const stop = c.onEvent((e) => events.push(e));
  const v = c.verify({ handle: "h3-0000abcd", kernelInstance: "k" });
  k.reply({ id: k.sent[0].id, ok: true, op: "session.info", result: { kernelInstance: "k" } });
  await v;
  k.reply({ event: "evicted", handles: ["h3-0000abcd", 7], kernelInstance: "k" });
  assert.deepEqual(events, [{ kind: "evicted", handles: ["h3-0000abcd"], kernelInstance: "k" }]);
  void c.verify({ handle: "h3-0000abcd", kernelInstance: "k" });
  assert.equal(k.sent.length, 2, "an evicted handle is asked about again");
  k.events!.closed("the kernel was restarted");
  assert.deepEqual(events[1], { kind: "closed", reason: "the kernel was restarted" });
  stop();
  c.request("h1", "session.info", {}).catch(() => {});
  k.events!.closed("again");
  assert.equal(events.length, 2, "a stopped listener hears nothing");
});

test("utf8Length counts UTF-8 bytes like Buffer.byteLength", () => {
  for (const s of ["", "abc", "é", "日本", "😀 x", '{"label":"<img src=x>"}']) assert.equal(utf8Length(s), Buffer.byteLength(s));
});
