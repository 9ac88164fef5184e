// The wire layer: HMAC signing/verification and message framing, checked against an RFC 4231
// known answer and against frames produced by jupyter_client's own Session.
import { describe, it } from "node:test";
import * as assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import { DELIMITER, ReplayGuard, Signer, WireError, decodeMessage, encodeMessage, type JupyterMessage } from "../../src/jupyter/wire";

// jupyter_client 7.4.9: Session(key=b"secret").serialize(msg, ident=[b"client-id"]) for an
// execute_request (header msg_id "m1", session "s1", username "u", version "5.3").
const PYTHON_FRAMES = [
  "client-id",
  "<IDS|MSG>",
  "b0ccf9a239c10f71b63cd6ac369d33f93334bbfbdbe95c5bcd4c4db9f3c0cf55",
  '{"msg_id": "m1", "session": "s1", "username": "u", "date": "2026-11-26T21:00:00.000000Z", "msg_type": "execute_request", "version": "5.3"}',
  "{}",
  "{}",
  '{"code": "1+1", "silent": false}',
].map((s) => Buffer.from(s, "utf8"));

function sample(): JupyterMessage<unknown> {
  return {
    identities: [Buffer.from("id-1"), Buffer.from([0, 1, 2])],
    header: { msg_id: "abc", session: "s", username: "u", date: "2026-11-26T00:00:00Z", msg_type: "comm_msg", version: "5.3" },
    parent_header: {},
    metadata: { m: 1 },
    content: { comm_id: "c1", data: { x: [1, 2, 3], s: "héllo" } },
    buffers: [Buffer.from([9, 8, 7]), Buffer.alloc(0)],
  };
}

describe("Signer", () => {
  it("matches RFC 4231 test case 2 and signs the concatenation of the parts", () => {
    const signer = new Signer("Jefe");
    const expected = "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843";
    assert.equal(signer.sign(["what do ya want for nothing?"]), expected);
    assert.equal(signer.sign(["what do ya ", Buffer.from("want for "), "nothing?"]), expected);
    assert.ok(signer.verify(expected, ["what do ya want for nothing?"]));
  });

  it("rejects wrong, truncated and empty signatures", () => {
    const signer = new Signer("k");
    const good = signer.sign(["a", "b"]);
    assert.equal(signer.verify(good.replace(/^./, good[0] === "0" ? "1" : "0"), ["a", "b"]), false);
    assert.equal(signer.verify(good.slice(0, -2), ["a", "b"]), false);
    assert.equal(signer.verify("", ["a", "b"]), false);
    assert.equal(signer.verify(good, ["a", "c"]), false);
  });

  it("disables authentication for an empty key (the spec's rule)", () => {
    const signer = new Signer("");
    assert.equal(signer.enabled, false);
    assert.equal(signer.sign(["x"]), "");
    assert.ok(signer.verify("anything", ["x"]));
  });

  it("supports other hmac digests and names what is wrong with a bad scheme", () => {
    const s = new Signer("key", "hmac-sha512");
    assert.equal(s.sign(["p"]), createHmac("sha512", "key").update("p").digest("hex"));
    assert.throws(() => new Signer("key", "rsa-sha256"), (e: Error) => e instanceof WireError && /hmac-<digest>/.test(e.message));
    assert.throws(() => new Signer("key", "hmac-nosuchdigest"));
  });
});

describe("message framing", () => {
  it("decodes jupyter_client's frames and verifies their signature", () => {
    const msg = decodeMessage(PYTHON_FRAMES, new Signer("secret"));
    assert.deepEqual(msg.identities.map((b) => b.toString()), ["client-id"]);
    assert.equal(msg.header.msg_type, "execute_request");
    assert.deepEqual(msg.content, { code: "1+1", silent: false });
    assert.deepEqual(msg.buffers, []);
    assert.equal(msg.signature, "b0ccf9a239c10f71b63cd6ac369d33f93334bbfbdbe95c5bcd4c4db9f3c0cf55");
  });

  it("refuses those frames under another key", () => {
    assert.throws(() => decodeMessage(PYTHON_FRAMES, new Signer("other")), /bad HMAC signature/);
  });

  it("round-trips identities, JSON parts and binary buffers", () => {
    const signer = new Signer("secret");
    const frames = encodeMessage(sample(), signer);
    assert.equal(frames.findIndex((f) => f.equals(DELIMITER)), 2);
    const back = decodeMessage(frames, signer);
    const orig = sample();
    assert.deepEqual(back.identities, orig.identities);
    assert.deepEqual(back.header, orig.header);
    assert.deepEqual(back.content, orig.content);
    assert.deepEqual(back.metadata, orig.metadata);
    assert.deepEqual(back.buffers, orig.buffers);
    // The signature is the HMAC of exactly the four JSON frames, computed independently here.
    const independent = createHmac("sha256", "secret");
    for (const f of frames.slice(4, 8)) independent.update(f);
    assert.equal(frames[3].toString(), independent.digest("hex"));
  });

  it("signs the JSON frames only: tampered content fails, buffers are not covered (per spec)", () => {
    const signer = new Signer("secret");
    const frames = encodeMessage(sample(), signer);
    const tampered = frames.slice();
    tampered[7] = Buffer.from(tampered[7].toString().replace("héllo", "hallo"));
    assert.throws(() => decodeMessage(tampered, signer), /bad HMAC signature/);
    const otherBuffer = frames.slice();
    otherBuffer[8] = Buffer.from([1]);
    assert.deepEqual(decodeMessage(otherBuffer, signer).buffers[0], Buffer.from([1]));
  });

  it("explains malformed frame lists", () => {
    const signer = new Signer("k");
    const sign = (parts: string[]) => [DELIMITER, Buffer.from(signer.sign(parts)), ...parts.map((p) => Buffer.from(p))];
    assert.throws(() => decodeMessage([Buffer.from("x")], signer), /no <IDS\|MSG> delimiter/);
    assert.throws(() => decodeMessage([DELIMITER, Buffer.from("sig"), Buffer.from("{}")], signer), /got 2 frame/);
    assert.throws(() => decodeMessage(sign(['{"msg_id":"1","msg_type":"t"}', "{}", "{}", "{not json"]), signer), /content frame is not valid JSON/);
    assert.throws(() => decodeMessage(sign(['{"msg_id":"1","msg_type":"t"}', "{}", "[]", "{}"]), signer), /metadata frame must be a JSON object, got an array/);
    assert.throws(() => decodeMessage(sign(['{"msg_id":"1"}', "{}", "{}", "{}"]), signer), /lacks a string msg_type/);
    // A bad signature is reported before anything is parsed.
    const bad = sign(['{"msg_id":"1","msg_type":"t"}', "{}", "{}", "{not json"]);
    bad[1] = Buffer.from("0".repeat(64));
    assert.throws(() => decodeMessage(bad, signer), /bad HMAC signature/);
  });
});

describe("ReplayGuard", () => {
  it("accepts a signature once", () => {
    const g = new ReplayGuard();
    assert.equal(g.accept("aa"), true);
    assert.equal(g.accept("aa"), false);
    assert.equal(g.accept("bb"), true);
    assert.equal(g.accept(""), true); // unsigned (auth disabled): nothing to compare
    assert.equal(g.accept(""), true);
  });

  it("stays bounded, forgetting the oldest half when full", () => {
    const g = new ReplayGuard(4);
    for (const s of ["a", "b", "c", "d"]) assert.ok(g.accept(s));
    assert.ok(g.accept("e")); // evicts a, b
    assert.ok(g.accept("a"));
    assert.equal(g.accept("d"), false);
    assert.equal(g.accept("e"), false);
  });
});

describe("cursor positions (code points on the wire, UTF-16 in JavaScript)", () => {
  it("converts both ways around characters outside the BMP", async () => {
    const { codePointsToUtf16, utf16ToCodePoints } = await import("../../src/jupyter/kernel");
    const text = "a😀b"; // 😀 is two UTF-16 code units, one code point
    assert.equal(codePointsToUtf16(text, 2), 3);
    assert.equal(codePointsToUtf16(text, 3), 4);
    assert.equal(utf16ToCodePoints(text, 3), 2);
    assert.equal(utf16ToCodePoints("plain", 4), 4);
  });
});

describe("ReplayGuard beyond its window", () => {
  it("refuses a forgotten signature by its date, per session, and keeps other sessions apart", () => {
    const g = new ReplayGuard(8);
    const at = (ms: number) => new Date(Date.UTC(2026, 0, 1) + ms).toISOString();
    assert.ok(g.accept("first", { session: "A", date: at(0) }));
    for (let i = 1; i <= 20; i++) assert.ok(g.accept(`s${i}`, { session: "A", date: at(i) }));
    // "first" was forgotten long ago; its date is behind the session's horizon.
    assert.equal(g.accept("first", { session: "A", date: at(0) }), false);
    assert.ok(g.accept("new", { session: "A", date: at(100) }));
    // Another client whose clock is behind is not refused.
    assert.ok(g.accept("other", { session: "B", date: at(-1000) }));
  });
});
