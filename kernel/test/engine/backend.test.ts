import { describe, it } from "node:test";
import * as assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { backendInfo, useBackend } from "../../src/engine";

describe("backend choice", () => {
  it("picks wasm here (best present), reports it, and notes the registered kernels", async () => {
    const info = await backendInfo();
    const expected = process.env.CAMLAB_BACKEND ?? "wasm";
    assert.equal(info.name, expected);
    assert.equal(tf.getBackend(), expected);
    assert.equal(info.fellBack, false);
    assert.ok(info.available.includes("wasm") && info.available.includes("cpu"));
    assert.match(info.unavailable.tensorflow ?? "", /tfjs-node/);
    if (expected === "wasm") assert.ok(info.notes.some((n) => n.includes("Conv2DBackpropFilter")), info.notes.join("; "));
  });

  it("switches with useBackend and rejects unknown names with the valid ones", async () => {
    const cpu = await useBackend("cpu");
    assert.equal(cpu.name, "cpu");
    assert.equal(tf.getBackend(), "cpu");
    await assert.rejects(useBackend("gpu"), /unknown backend "gpu".*tensorflow, webgpu, wasm, cpu/);
    await assert.rejects(useBackend("tensorflow"), /unavailable: install @tensorflow\/tfjs-node/);
    assert.equal(tf.getBackend(), "cpu", "a failed switch keeps the current backend");
    const back = await useBackend("wasm");
    assert.equal(back.name, "wasm");
  });
});
