// MIME bundles and the rich display protocol.
import { describe, it } from "node:test";
import * as assert from "node:assert/strict";
import { JUPYTER_DISPLAY, displayContent, normalizeBundle, textRepr } from "../../src/display";

describe("displayContent", () => {
  it("uses util.inspect-like text for plain values", () => {
    assert.deepEqual(displayContent(2), { data: { "text/plain": "2" }, metadata: {} });
    assert.equal(displayContent("a").data["text/plain"], "'a'");
    assert.equal(displayContent([1, 2]).data["text/plain"], "[ 1, 2 ]");
    assert.equal(displayContent(null).data["text/plain"], "null");
  });

  it("prefers a class's own toString (how tf.Tensor prints its values)", () => {
    class Matrix {
      toString() {
        return "Matrix[[1, 2]]";
      }
    }
    assert.equal(textRepr(new Matrix()), "Matrix[[1, 2]]");
    assert.equal(textRepr(new Date(0)), "1970-01-01T00:00:00.000Z");
    assert.equal(textRepr(new Map([[1, 2]])), "Map(1) { 1 => 2 }");
  });

  it("shows a plain bundle from Symbol.for('Jupyter.display')", () => {
    const v = { [JUPYTER_DISPLAY]: () => ({ "text/html": "<b>b</b>", "text/plain": "b" }) };
    assert.deepEqual(displayContent(v), { data: { "text/html": "<b>b</b>", "text/plain": "b" }, metadata: {} });
    assert.equal(JUPYTER_DISPLAY, Symbol.for("Jupyter.display"));
  });

  it("accepts the {data, metadata} shape and base64-encodes binary data", () => {
    const png = new Uint8Array([137, 80, 78, 71]);
    const v = { [JUPYTER_DISPLAY]: () => ({ data: { "image/png": png }, metadata: { "image/png": { width: 4 } } }) };
    const c = displayContent(v);
    assert.equal(c.data["image/png"], Buffer.from(png).toString("base64"));
    assert.deepEqual(c.metadata, { "image/png": { width: 4 } });
    assert.match(String(c.data["text/plain"]), /shown as image\/png/);
  });

  it("keeps JSON for JSON MIME types", () => {
    const v = { [JUPYTER_DISPLAY]: () => ({ "application/vnd.camlab.x+json": { a: [1] }, "text/plain": "x" }) };
    assert.deepEqual(displayContent(v).data["application/vnd.camlab.x+json"], { a: [1] });
  });
});

describe("normalizeBundle errors", () => {
  it("names a key that is not a MIME type", () => {
    assert.throws(() => normalizeBundle({ html: "x" }, "here"), /here: "html" is not a MIME type; bundle keys look like "text\/html"/);
  });
  it("names a non-string value of a non-JSON type", () => {
    assert.throws(() => normalizeBundle({ "text/html": 5 }, "here"), /"text\/html" must be a string or binary data .* got number/);
  });
  it("rejects non-objects and unserialisable JSON", () => {
    assert.throws(() => normalizeBundle("text", "here"), /must be a plain object/);
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    assert.throws(() => normalizeBundle({ "application/json": cyclic }, "here"), /must be JSON-serialisable/);
  });
  it("reports bad metadata from a display method", () => {
    const v = { [JUPYTER_DISPLAY]: () => ({ data: { "text/plain": "x" }, metadata: 3 }) };
    assert.throws(() => displayContent(v), /"metadata" must be a plain object/);
  });
});

describe("display() outside a kernel", () => {
  it("prints the text form, returns a handle, and checks its options", async () => {
    const { display, clearOutput, DisplayHandle } = await import("../../src/display");
    const written: string[] = [];
    const original = process.stdout.write;
    process.stdout.write = ((chunk: string) => (written.push(String(chunk)), true)) as typeof process.stdout.write;
    let handle: InstanceType<typeof DisplayHandle>;
    try {
      handle = display({ a: 1 }, { displayId: "d1" });
      handle.update({ [Symbol.for("Jupyter.display")]: () => ({ "text/plain": "rich", "text/html": "<b>rich</b>" }) });
      clearOutput();
    } finally {
      process.stdout.write = original;
    }
    assert.deepEqual(written, ["{ a: 1 }\n", "rich\n"]);
    assert.equal(handle.displayId, "d1");
    assert.throws(() => display(1, { displayId: "" }), /options.displayId must be a non-empty string/);
    assert.throws(() => display(1, null as never), /second argument must be an options object/);
    assert.throws(() => clearOutput("yes" as never), /"wait" must be a boolean/);
  });
});
