import { describe, it } from "node:test";
import * as assert from "node:assert/strict";
import { History, globToRegExp } from "../../src/jupyter/history";

describe("globToRegExp", () => {
  it("follows fnmatch: * ? [set] [!set], everything else literal", () => {
    assert.ok(globToRegExp("1 +*").test("1 + 2"));
    assert.equal(globToRegExp("1 +*").test("11 + 2"), false);
    assert.ok(globToRegExp("a?c").test("abc"));
    assert.ok(globToRegExp("[ab]x").test("bx"));
    assert.equal(globToRegExp("[!ab]x").test("ax"), false);
    assert.ok(globToRegExp("(x).y$").test("(x).y$"));
    assert.ok(globToRegExp("*").test("multi\nline"));
  });
});

describe("History", () => {
  const h = new History();
  ["1 + 2", "x", "1 + 3", "1 + 2"].forEach((code, i) => h.add(i + 1, code));
  h.setOutput(1, "3");

  it("tail gives the last n", () => {
    assert.deepEqual(h.query({ hist_access_type: "tail", n: 2 }), [[1, 3, "1 + 3"], [1, 4, "1 + 2"]]);
    assert.deepEqual(h.query({ hist_access_type: "tail", n: 1, output: true }), [[1, 4, ["1 + 2", null]]]);
  });
  it("range is [start, stop) of this session", () => {
    assert.deepEqual(h.query({ hist_access_type: "range", session: 1, start: 1, stop: 2, output: true }), [[1, 1, ["1 + 2", "3"]]]);
    assert.deepEqual(h.query({ hist_access_type: "range", session: 0, start: 2, stop: 4 }), [[1, 2, "x"], [1, 3, "1 + 3"]]);
    assert.deepEqual(h.query({ hist_access_type: "range", session: 7 }), []);
  });
  it("search with unique keeps the latest of each input; n keeps the last n", () => {
    assert.equal(h.query({ hist_access_type: "search", pattern: "1 +*" }).length, 3);
    assert.deepEqual(h.query({ hist_access_type: "search", pattern: "1 +*", unique: true }), [[1, 3, "1 + 3"], [1, 4, "1 + 2"]]);
    assert.deepEqual(h.query({ hist_access_type: "search", pattern: "1 +*", n: 1 }), [[1, 4, "1 + 2"]]);
  });
  it("answers an unknown access type with nothing", () => {
    assert.deepEqual(h.query({ hist_access_type: "everything" }), []);
  });
});
