// The source rewrites around tslab's converter, checked on their own (pure string → string) and
// through the real executor: shorthand over earlier cells, `export`, awaits that stop an
// interrupted cell, and what a cell that throws leaves defined.
import { after, before, describe, it } from "node:test";
import * as assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { declarationsAfterFailure, expandShorthandProperties, rewriteCellOutput } from "../../src/jupyter/cellSource";
import { CellExecutor, type ExecuteOutcome } from "../../src/jupyter/executor";
import { checkpoint } from "../../src/engine/work";

describe("cell source rewrites", () => {
  it("expands object shorthand, nested and in destructuring assignments, and nothing else", () => {
    assert.equal(expandShorthandProperties("({ a, b: 1, c })"), "({ a: a, b: 1, c: c })");
    assert.equal(expandShorthandProperties("({ x = 2 } = o)"), "({ x: x = 2 } = o)");
    assert.equal(expandShorthandProperties("const { p } = q; f({ n: { m } })"), "const { p } = q; f({ n: { m: m } })");
    assert.equal(expandShorthandProperties("const s = '{ a }'"), "const s = '{ a }'");
  });

  it("drops `export` from top-level declarations, keeping columns", () => {
    assert.equal(expandShorthandProperties("export const e = 1;"), "       const e = 1;");
    assert.equal(expandShorthandProperties("export default 3"), "export default 3");
    assert.equal(expandShorthandProperties("function f() { return { e } }"), "function f() { return { e: e } }");
  });

  it("drops the void-0 preamble, returning the declared names, and wraps every await", () => {
    const out = rewriteCellOutput('Object.defineProperty(exports, "__esModule", { value: true });\nexports.b = exports.a = void 0;\nconst a = await f(await g());\nexports.a = a;\nasync function h() { return await 1 }', "R");
    assert.deepEqual(out.declaredNames, ["b", "a"]);
    assert.ok(!out.code.includes("void 0"));
    assert.match(out.code, /const a = R\(await f\(R\(await g\(\)\)\)\);/);
    assert.match(out.code, /return R\(await 1\)/);
  });

  it("after a failure keeps what was assigned and falls back to earlier declarations for the rest", () => {
    const prev = "declare const u: string;\ndeclare let keep: number;\n";
    const next = "declare const k = 41;\ndeclare const u = 5;\ninterface T { x: number }\ndeclare let keep: number;\n";
    const decl = declarationsAfterFailure(prev, next, ["k", "u"], new Set(["k"]));
    assert.match(decl, /declare const k = 41;/);
    assert.match(decl, /declare const u: string;/);
    assert.doesNotMatch(decl, /declare const u = 5/);
    assert.match(decl, /interface T/);
    assert.match(decl, /declare let keep: number;/);
  });
});

describe("cells over the executor", () => {
  let ex: CellExecutor;
  const value = async (code: string): Promise<unknown> => {
    const o: ExecuteOutcome = await ex.execute(code);
    if (o.status !== "ok") throw o.error;
    return o.hasValue ? o.value : undefined;
  };
  before(() => {
    ex = new CellExecutor(mkdtempSync(join(tmpdir(), "camlab-cells-")), () => ({ checkpoint }));
  });
  after(() => ex.close());

  it("keeps names bound before a throw, with values and types; unreached names keep earlier values", async () => {
    await value("const untouched = 'old';");
    const o = await ex.execute("const kept = 41; let list = [1, 2];\nthrow new Error('x');\nconst untouched = 7;");
    assert.equal(o.status, "error");
    assert.equal(await value("kept + list.length"), 43);
    assert.equal(await value("untouched.toUpperCase()"), "OLD");
    assert.equal(await value("const kept = 'again'; kept"), "again");
  });

  it("object shorthand over an earlier cell's name", async () => {
    await value('const labels = ["a"];');
    assert.deepEqual(await value("({ labels })"), { labels: ["a"] });
  });

  it("an interrupt stops the cell's own awaits and the engine's checkpoints", async () => {
    const run = ex.execute("(globalThis as any).n = 0; for (;;) { await new Promise((r) => setTimeout(r, 20)); (globalThis as any).n++; }");
    await new Promise((r) => setTimeout(r, 150));
    ex.interrupt();
    const o = await run;
    assert.equal(o.status, "error");
    assert.equal((o as { error: Error }).error.name, "KeyboardInterrupt");
    const n = (globalThis as Record<string, unknown>).n;
    await new Promise((r) => setTimeout(r, 200));
    assert.equal((globalThis as Record<string, unknown>).n, n, "the loop went on after the interrupt");

    const run2 = ex.execute('const c = require("camlab"); for (let i = 0; i < 1e6; i++) await c.checkpoint("steps", i, 1e6);');
    await new Promise((r) => setTimeout(r, 150));
    const t0 = Date.now();
    ex.interrupt();
    const o2 = await run2;
    assert.equal(o2.status, "error");
    assert.match(String((o2 as { error: Error }).error.message), /steps \(\d+ of 1000000 done\)/);
    assert.ok(Date.now() - t0 < 500, `took ${Date.now() - t0} ms`);
  });
});
