// The comm registry's rules, with the publish function recording what would go on iopub.
import { describe, it } from "node:test";
import * as assert from "node:assert/strict";
import { CommManager, CommProtocolError } from "../../src/jupyter/comms";
import type { Comm } from "../../src/jupyter/runtime";

function setup() {
  const sent: { type: string; content: Record<string, unknown>; buffers: Buffer[] }[] = [];
  const logs: string[] = [];
  const manager = new CommManager((type, content, buffers) => sent.push({ type, content, buffers }), (m) => logs.push(m));
  return { manager, sent, logs };
}

describe("CommManager", () => {
  it("answers an open for an unknown target with comm_close and an error naming the known targets", async () => {
    const { manager, sent } = setup();
    manager.registerTarget("known", () => {});
    await assert.rejects(manager.handleOpen({ comm_id: "c1", target_name: "nope", data: {} }, []), (e: Error) => e instanceof CommProtocolError && /unknown target "nope" \(registered: "known"\)/.test(e.message));
    assert.deepEqual(sent, [{ type: "comm_close", content: { comm_id: "c1", data: {} }, buffers: [] }]);
    assert.deepEqual(manager.info(), {});
  });

  it("hands a front-end comm to its target and routes messages, buffers and close", async () => {
    const { manager, sent } = setup();
    const seen: unknown[] = [];
    let comm: Comm | undefined;
    manager.registerTarget("t", (c, data, buffers) => {
      comm = c;
      seen.push(["open", data, buffers.map((b) => Array.from(b))]);
      c.onMsg((d, b) => void seen.push(["msg", d, b.map((x) => Array.from(x))]));
      c.onClose((d) => void seen.push(["close", d]));
    });
    await manager.handleOpen({ comm_id: "c1", target_name: "t", data: { a: 1 } }, [Buffer.from([1])]);
    await manager.handleMsg({ comm_id: "c1", data: { b: 2 } }, [Buffer.from([2, 3])]);
    assert.deepEqual(manager.info("t"), { c1: { target_name: "t" } });
    manager.handleClose({ comm_id: "c1", data: { bye: 1 } }, []);
    assert.deepEqual(seen, [["open", { a: 1 }, [[1]]], ["msg", { b: 2 }, [[2, 3]]], ["close", { bye: 1 }]]);
    assert.equal(comm?.closed, true);
    assert.deepEqual(manager.info(), {});
    assert.throws(() => comm!.send({}), /is closed: cannot send/);
    assert.deepEqual(sent, []);
  });

  it("sends typed-array buffers as their exact bytes", () => {
    const { manager, sent } = setup();
    const comm = manager.openFromKernel("front", { n: 1 }, [new Float32Array([1.5, -2]), new DataView(new Uint8Array([5, 6, 7]).buffer, 1, 2)]);
    assert.equal(sent[0].type, "comm_open");
    assert.deepEqual(sent[0].content, { comm_id: comm.commId, target_name: "front", data: { n: 1 } });
    const expected = Buffer.alloc(8);
    expected.writeFloatLE(1.5, 0);
    expected.writeFloatLE(-2, 4);
    assert.deepEqual(sent[0].buffers[0], expected);
    assert.deepEqual(sent[0].buffers[1], Buffer.from([6, 7]));
    comm.send({ k: 2 }, [new ArrayBuffer(3)]);
    assert.deepEqual(sent[1].buffers, [Buffer.alloc(3)]);
    assert.throws(() => comm.send({}, [[1, 2] as unknown as Uint8Array]), /buffers\[0\] must be an ArrayBuffer or ArrayBufferView .* got Array/);
    assert.throws(() => comm.send({ big: 1n }), /must be JSON-serialisable/);
  });

  it("closes from the kernel once: one comm_close, close listeners run once", () => {
    const { manager, sent } = setup();
    const comm = manager.openFromKernel("front");
    let closes = 0;
    comm.onClose(() => void closes++);
    comm.close({ reason: "done" });
    comm.close();
    assert.equal(closes, 1);
    assert.deepEqual(sent.map((s) => s.type), ["comm_open", "comm_close"]);
  });

  it("rejects malformed messages with errors that say what was wrong", async () => {
    const { manager } = setup();
    await assert.rejects(manager.handleMsg({ data: {} }, []), /comm_msg without a string comm_id/);
    await assert.rejects(manager.handleMsg({ comm_id: "zz" }, []), /comm_msg for unknown comm id zz/);
    await assert.rejects(manager.handleOpen({ target_name: "t" }, []), /comm_open without a string comm_id/);
    assert.throws(() => manager.handleClose({ comm_id: 5 }, []), /comm_close without a string comm_id/);
    assert.throws(() => manager.registerTarget("", () => {}), /non-empty string/);
    assert.throws(() => manager.registerTarget("t", 5 as never), /handler must be a function/);
  });

  it("logs (never throws) what handlers throw or reject with", async () => {
    const { manager, logs } = setup();
    manager.registerTarget("sync", () => {
      throw new Error("sync boom");
    });
    manager.registerTarget("async", async (c) => {
      c.onMsg(async () => {
        throw new Error("async boom");
      });
    });
    await manager.handleOpen({ comm_id: "a", target_name: "sync" }, []);
    await manager.handleOpen({ comm_id: "b", target_name: "async" }, []);
    await manager.handleMsg({ comm_id: "b", data: {} }, []);
    assert.equal(logs.length, 2);
    assert.match(logs[0], /comm target "sync" open handler failed: Error: sync boom/);
    assert.match(logs[1], /message handler failed: Error: async boom/);
  });

  it("replaces a re-registered target and unregisters only its own handler", async () => {
    const { manager } = setup();
    const calls: string[] = [];
    const removeFirst = manager.registerTarget("t", () => void calls.push("first"));
    manager.registerTarget("t", () => void calls.push("second"));
    removeFirst(); // must not remove the second handler
    await manager.handleOpen({ comm_id: "x", target_name: "t" }, []);
    assert.deepEqual(calls, ["second"]);
  });
});

describe("CommManager target loading", () => {
  it("asks the loader for an unknown target before refusing, and serves what it registered", async () => {
    const sent: string[] = [];
    const asked: string[] = [];
    const opened: string[] = [];
    const manager: CommManager = new CommManager(
      (type) => void sent.push(type),
      () => {},
      (name) => {
        asked.push(name);
        if (name === "lazy.target") manager.registerTarget(name, (c) => void opened.push(c.commId));
      },
    );
    await manager.handleOpen({ comm_id: "c1", target_name: "lazy.target" }, []);
    assert.deepEqual(opened, ["c1"]);
    await assert.rejects(manager.handleOpen({ comm_id: "c2", target_name: "still.missing" }, []), /unknown target "still.missing" \(registered: "lazy.target"\)/);
    await manager.handleOpen({ comm_id: "c3", target_name: "lazy.target" }, []);
    assert.deepEqual(asked, ["lazy.target", "still.missing"]); // registered targets are not looked up again
    assert.deepEqual(sent, ["comm_close"]);
  });

  it("logs a loader that throws and still answers with comm_close", async () => {
    const logs: string[] = [];
    const sent: string[] = [];
    const manager = new CommManager((type) => void sent.push(type), (m) => void logs.push(m), () => {
      throw new Error("cannot load");
    });
    await assert.rejects(manager.handleOpen({ comm_id: "c", target_name: "x" }, []), /unknown target "x"/);
    assert.match(logs[0], /loading the code behind comm target "x" failed: Error: cannot load/);
    assert.deepEqual(sent, ["comm_close"]);
  });
});
