// The executor bridge with tslab's real converter: results, structured errors, and interrupts by
// real SIGINTs (sent by a separate process, as Jupyter does), with variables surviving.
import { after, before, describe, it } from "node:test";
import * as assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CellExecutor, type ExecuteOutcome } from "../../src/jupyter/executor";
import { CompileError, KeyboardInterrupt } from "../../src/jupyter/errors";

let executor: CellExecutor;
const onSigint = () => void executor.interrupt();

/** SIGINT to this process from another one after `ms` (the way jupyter_client interrupts). */
function sigintAfter(ms: number): void {
  spawn("sh", ["-c", `sleep ${ms / 1000}; kill -INT ${process.pid}`], { stdio: "ignore" });
}

function errorOf(outcome: ExecuteOutcome): unknown {
  assert.equal(outcome.status, "error");
  return (outcome as { error: unknown }).error;
}

describe("CellExecutor", () => {
  before(() => {
    // A notebook folder outside the repository: camlab must resolve anyway.
    executor = new CellExecutor(mkdtempSync(join(tmpdir(), "camlab-exec-")), () => ({ marker: "camlab" }));
    process.on("SIGINT", onSigint);
  });
  after(() => {
    process.off("SIGINT", onSigint);
    executor.close();
  });

  it("returns the last expression's value, or none", async () => {
    assert.deepEqual(await executor.execute("let kept: number = 40; kept + 2"), { status: "ok", hasValue: true, value: 42 });
    assert.deepEqual(await executor.execute("let nothing = 1;"), { status: "ok", hasValue: false });
    assert.deepEqual(await executor.execute("await Promise.resolve('later')"), { status: "ok", hasValue: true, value: "later" });
  });

  it("gives thrown errors and compile errors as values", async () => {
    const thrown = errorOf(await executor.execute('throw new RangeError("out")'));
    assert.ok(thrown instanceof RangeError && thrown.message === "out");
    const compile = errorOf(await executor.execute("const s: string = 5;"));
    assert.ok(compile instanceof CompileError);
    assert.match(compile.message, /1:7 - Type 'number' is not assignable to type 'string'/);
  });

  it("resolves camlab to the instance it was given, whatever the notebook folder", async () => {
    assert.deepEqual(await executor.execute('const c = require("camlab"); c.marker'), { status: "ok", hasValue: true, value: "camlab" });
  });

  it("stops an endless synchronous loop on SIGINT; variables survive", async () => {
    sigintAfter(800);
    const error = errorOf(await executor.execute("kept = 1;\nwhile (true) {}"));
    assert.ok(error instanceof KeyboardInterrupt, String(error));
    assert.deepEqual(await executor.execute("kept"), { status: "ok", hasValue: true, value: 1 });
  });

  it("stops a never-settling await on SIGINT", async () => {
    sigintAfter(800);
    const error = errorOf(await executor.execute("await new Promise(() => {});"));
    assert.ok(error instanceof KeyboardInterrupt, String(error));
    assert.deepEqual(await executor.execute("kept + 1"), { status: "ok", hasValue: true, value: 2 });
  });

  it("does not lose a SIGINT that arrives while the cell is still being type-checked", async () => {
    process.kill(process.pid, "SIGINT"); // delivered while execute() compiles synchronously
    const error = errorOf(await executor.execute("kept = 100;\nwhile (true) {}"));
    assert.ok(error instanceof KeyboardInterrupt, String(error));
    assert.deepEqual(await executor.execute("kept"), { status: "ok", hasValue: true, value: 1 }); // the cell never ran
  });

  it("ignores an interrupt when no cell runs", async () => {
    assert.equal(executor.interrupt(), false);
    assert.deepEqual(await executor.execute("kept"), { status: "ok", hasValue: true, value: 1 });
  });

  it("answers is_complete with complete / incomplete / invalid", () => {
    assert.deepEqual(executor.isComplete("1 + 1"), { status: "complete" });
    assert.equal(executor.isComplete("function f() {").status, "incomplete");
    assert.equal(executor.isComplete("`open template").status, "incomplete");
    assert.deepEqual(executor.isComplete("let 5 = x;"), { status: "invalid" });
  });

  it("completes and inspects with the types of earlier cells", () => {
    const completion = executor.complete("kept.toFi", 9);
    assert.deepEqual(completion.matches, ["toFixed"]);
    assert.equal(completion.cursorStart, 5);
    assert.match(executor.inspect("kept", 2) ?? "", /let kept: number/);
  });

  it("Shift+Tab on camlab.cam shows its doc comment as a docstring: text, parameters, returns, example, paper", () => {
    const code = 'import * as camlab from "camlab";\ncamlab.cam';
    const text = executor.inspect(code, code.length) ?? "";
    assert.match(text, /^\(alias\) function cam\(model: AnyModel, input: ModelInputs, options\?: CamOptions \| CamPlan\): Promise<CamResult>/);
    assert.match(text, /Selvaraju et al\. 2017/);
    assert.match(text, /\nParameters\n {4}model\n {8}a tf\.LayersModel or tf\.GraphModel\./);
    assert.match(text, /\nReturns\n {4}a `CamResult`/);
    assert.match(text, /\nExample\n {4}const r = await camlab\.cam\(model, image/);
    assert.doesNotMatch(text, /@param|```/);
  });
});
