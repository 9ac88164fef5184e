import { before, describe, it } from "node:test";
import * as assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { defaultCamLayer, describeLayers, ensureBackend, findLayer, layerNames } from "../../src/engine";
import { smallNested, smallResidual, smallSequential } from "./fixtures";

describe("model introspection", () => {
  before(async () => {
    await ensureBackend();
  });

  it("describes a residual model: classes, shapes, params, inbound layers", () => {
    const m = smallResidual();
    const rows = describeLayers(m);
    const byName = new Map(rows.map((r) => [r.name, r]));
    assert.deepEqual(byName.get("skip_add")!.inbound.sort(), ["proj", "stem"]);
    assert.equal(byName.get("skip_add")!.className, "Add");
    assert.deepEqual(byName.get("dw")!.outputShape, [null, 10, 10, 6]);
    assert.equal(byName.get("stem")!.params, 3 * 3 * 3 * 6 + 6);
    assert.equal(byName.get("dw")!.params, 3 * 3 * 6 + 6);
    assert.equal(byName.get("logits")!.params, 6 * 3 + 3);
    assert.equal(rows.reduce((s, r) => s + r.params, 0), m.countParams());
    assert.equal(defaultCamLayer(m), "block_out");
    m.dispose();
  });

  it("walks nested models with paths and finds layers by path or unique name", () => {
    const m = smallNested();
    const names = layerNames(m);
    assert.ok(names.includes("backbone/b_conv2"), names.join(","));
    assert.equal(findLayer(m, "backbone/b_conv2"), findLayer(m, "b_conv2"));
    const nested = describeLayers(m).find((r) => r.name === "backbone/b_conv1")!;
    assert.equal(nested.depth, 1);
    assert.equal(defaultCamLayer(m), "backbone");
    m.dispose();
  });

  it("a wrong layer name lists the closest names", () => {
    const m = smallSequential();
    assert.throws(() => findLayer(m, "conv_2"), /no layer "conv_2"; closest: conv2, /);
    assert.throws(() => findLayer(m, "logit"), /closest: logits/);
    m.dispose();
  });

  it("rejects what is not a model", () => {
    assert.throws(() => describeLayers({} as tf.LayersModel), /expected a tf.LayersModel/);
  });
});
