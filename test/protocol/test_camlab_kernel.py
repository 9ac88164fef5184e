"""camlab-specific protocol tests, driven by jupyter_client against the installed kernelspec:
comms (both directions, binary buffers, comm_info filtering, unknown targets, malformed
messages), interrupts (sync loop and await), HMAC (bad signature, tampering, replay), displays
with updates, aborting after an error, heartbeat during a busy cell, shutdown and restart.

Each kernel runs in a temporary folder outside the repository (see kernel_harness)."""
import struct
import time
import unittest
import uuid

import zmq

from kernel_harness import RawShell, KernelUnderTest

ECHO_TARGET = """
import { currentKernel } from "camlab/dist/src/jupyter";
const kernel = currentKernel()!;
const state: { kernelSideClosedWith: unknown; echoClosedWith: unknown } = { kernelSideClosedWith: null, echoClosedWith: null };
kernel.registerCommTarget("test.echo", (comm, data, buffers) => {
  comm.send({ opened: data, openBuffers: buffers.map((b) => Array.from(b)) });
  comm.onMsg((d, bufs) =>
    comm.send({ echo: d, sizes: bufs.map((b) => b.byteLength) }, bufs.map((b) => Uint8Array.from(b).reverse())),
  );
  comm.onClose((d) => { state.echoClosedWith = d; });
});
kernel.registerCommTarget("test.throws", () => { throw new Error("open handler boom"); });
"""


def comm_msgs(msgs, msg_type="comm_msg"):
    return [m for m in msgs if m["msg_type"] == msg_type]


class CamlabKernelTests(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.k = KernelUnderTest()
        reply, _ = cls.k.execute(ECHO_TARGET)
        assert reply["status"] == "ok", reply
        cls.raw = RawShell(cls.k.km)

    @classmethod
    def tearDownClass(cls):
        cls.raw.close()
        cls.k.close()

    def setUp(self):
        self.k.flush()

    # ---- imports, execute basics --------------------------------------------------------------

    def test_imports_work_outside_the_repository_and_share_the_kernels_camlab(self):
        self.assertEqual(self.k.value('import * as tf from "@tensorflow/tfjs";\ntf.add(tf.scalar(2), tf.scalar(3)).dataSync()[0]'), "5")
        # `display` the cell global and camlab's exported display are one function: one module instance.
        self.assertEqual(self.k.value('import * as camlab from "camlab";\ncamlab.display === display'), "true")

    def test_execute_result_error_reply_and_streams(self):
        reply, msgs = self.k.execute('console.log("out"); console.error("err"); 6 * 7')
        self.assertEqual(reply["status"], "ok")
        kinds = [(m["msg_type"], m["content"].get("name")) for m in msgs]
        self.assertEqual(kinds[:2], [("status", None), ("execute_input", None)])
        self.assertIn(("stream", "stdout"), kinds)
        self.assertIn(("stream", "stderr"), kinds)
        result = comm_msgs(msgs, "execute_result")[0]["content"]
        self.assertEqual(result["data"]["text/plain"], "42")
        self.assertEqual(result["execution_count"], reply["execution_count"])

        reply, msgs = self.k.execute('class Boom extends Error { name = "Boom" }\nthrow new Boom("kaput")')
        self.assertEqual((reply["status"], reply["ename"], reply["evalue"]), ("error", "Boom", "kaput"))
        self.assertTrue(reply["traceback"] and isinstance(reply["traceback"][0], str))
        err = comm_msgs(msgs, "error")[0]["content"]
        self.assertEqual((err["ename"], err["evalue"]), ("Boom", "kaput"))

        reply, _ = self.k.execute("const typed: number = 'not a number';")
        self.assertEqual((reply["status"], reply["ename"]), ("error", "CompileError"))
        self.assertIn("not assignable", reply["evalue"])

    def test_completion_and_inspection_count_cursor_positions_in_code_points(self):
        code = 'const face = "😀"; Math.fl'  # the emoji is 1 code point, 2 UTF-16 units
        reply = self.k.shell_reply(self.k.kc.complete(code, len(code)))["content"]
        self.assertEqual(reply["status"], "ok")
        self.assertIn("floor", reply["matches"])
        self.assertEqual((reply["cursor_start"], reply["cursor_end"]), (len(code) - 2, len(code)))
        code = '"😀"; Math.max'
        reply = self.k.shell_reply(self.k.kc.inspect(code, len(code)))["content"]
        self.assertTrue(reply["found"])
        self.assertIn("max(...values: number[]): number", reply["data"]["text/plain"])

    def test_user_expressions_are_evaluated_after_the_cell(self):
        reply, _ = self.k.execute("const ue = 21;", user_expressions={"double": "ue * 2", "broken": "ue +* 2"})
        self.assertEqual(reply["status"], "ok")
        expr = reply["user_expressions"]
        self.assertEqual(expr["double"], {"status": "ok", "data": {"text/plain": "42"}, "metadata": {}})
        self.assertEqual((expr["broken"]["status"], expr["broken"]["ename"]), ("error", "SyntaxError"))

    def test_queued_cells_after_an_error_are_aborted(self):
        first = self.k.kc.execute('throw new Error("first")')
        second = self.k.kc.execute("1 + 1")
        self.assertEqual(self.k.shell_reply(first)["content"]["status"], "error")
        self.assertEqual(self.k.shell_reply(second)["content"]["status"], "aborted")
        # ...but the kernel runs the next request normally.
        self.assertEqual(self.k.value("2 + 2"), "4")

    # ---- display --------------------------------------------------------------------------------

    def test_display_update_and_rich_bundles(self):
        code = (
            'const h = display("v1", { displayId: "progress" });\n'
            'h.update("v2");\n'
            'display({ [Symbol.for("Jupyter.display")]: () => ({ data: { "text/html": "<i>x</i>" }, metadata: { "text/html": { isolated: true } } }) });\n'
        )
        reply, msgs = self.k.execute(code)
        self.assertEqual(reply["status"], "ok")
        shown = [m for m in msgs if m["msg_type"] in ("display_data", "update_display_data", "execute_result")]
        self.assertEqual([m["msg_type"] for m in shown], ["display_data", "update_display_data", "display_data"])
        self.assertEqual(shown[0]["content"]["transient"]["display_id"], "progress")
        self.assertEqual(shown[0]["content"]["data"]["text/plain"], "'v1'")
        self.assertEqual(shown[1]["content"]["transient"]["display_id"], "progress")
        self.assertEqual(shown[1]["content"]["data"]["text/plain"], "'v2'")
        self.assertEqual(shown[2]["content"]["data"]["text/html"], "<i>x</i>")
        self.assertEqual(shown[2]["content"]["metadata"], {"text/html": {"isolated": True}})

        # A rich value as the cell's last expression is its execute_result, with its bundle.
        reply, msgs = self.k.execute('({ [Symbol.for("Jupyter.display")]() { return { "text/markdown": "**b**", "text/plain": "b" }; } })')
        result = comm_msgs(msgs, "execute_result")[0]["content"]["data"]
        self.assertEqual(result, {"text/markdown": "**b**", "text/plain": "b"})

        # A broken bundle is an error that names the bad key.
        reply, _ = self.k.execute('display({ [Symbol.for("Jupyter.display")]: () => ({ "not a mime": 1 }) })')
        self.assertEqual((reply["status"], reply["ename"]), ("error", "TypeError"))
        self.assertIn('"not a mime" is not a MIME type', reply["evalue"])

    # ---- comms ----------------------------------------------------------------------------------

    def test_comm_round_trip_with_binary_buffers_from_the_front_end(self):
        comm_id = uuid.uuid4().hex
        open_id = self.raw.send("comm_open", {"comm_id": comm_id, "target_name": "test.echo", "data": {"hello": 1}}, [b"\x01\x02\x03"])
        sent = comm_msgs(self.k.iopub_until_idle(open_id))
        self.assertEqual(len(sent), 1)
        self.assertEqual(sent[0]["content"], {"comm_id": comm_id, "data": {"opened": {"hello": 1}, "openBuffers": [[1, 2, 3]]}})

        payload = [bytes(range(256)), b"camlab"]
        msg_id = self.raw.send("comm_msg", {"comm_id": comm_id, "data": {"x": [1, 2]}}, payload)
        echo = comm_msgs(self.k.iopub_until_idle(msg_id))
        self.assertEqual(len(echo), 1)
        self.assertEqual(echo[0]["content"]["data"], {"echo": {"x": [1, 2]}, "sizes": [256, 6]})
        self.assertEqual([bytes(b) for b in echo[0]["buffers"]], [bytes(reversed(p)) for p in payload])

        close_id = self.raw.send("comm_close", {"comm_id": comm_id, "data": {"reason": "done"}})
        self.k.iopub_until_idle(close_id)
        self.assertEqual(self.k.value("state.echoClosedWith"), "{ reason: 'done' }")
        self.assertNotIn(comm_id, self.comm_info())

    def test_kernel_initiated_comm_with_binary_buffers_both_ways(self):
        reply, msgs = self.k.execute(
            'const fromKernel = kernel.openComm("test.kernel_side", { n: 1 }, [new Float32Array([1.5, -2])]);\n'
            "fromKernel.onMsg((d, bufs) => fromKernel.send({ got: d, bytes: bufs.map((b) => Array.from(b)) }, [new Uint16Array([7, 65535])]));\n"
            "fromKernel.onClose((d) => { state.kernelSideClosedWith = d; });\n"
            "fromKernel.commId"
        )
        self.assertEqual(reply["status"], "ok")
        opened = comm_msgs(msgs, "comm_open")
        self.assertEqual(len(opened), 1)
        comm_id = opened[0]["content"]["comm_id"]
        self.assertEqual(comm_msgs(msgs, "execute_result")[0]["content"]["data"]["text/plain"], repr(comm_id))
        self.assertEqual(opened[0]["content"]["target_name"], "test.kernel_side")
        self.assertEqual(opened[0]["content"]["data"], {"n": 1})
        self.assertEqual(bytes(opened[0]["buffers"][0]), struct.pack("<ff", 1.5, -2.0))

        msg_id = self.raw.send("comm_msg", {"comm_id": comm_id, "data": {"from": "front"}}, [b"\xff\x00\x10"])
        answer = comm_msgs(self.k.iopub_until_idle(msg_id))
        self.assertEqual(len(answer), 1)
        self.assertEqual(answer[0]["content"]["data"], {"got": {"from": "front"}, "bytes": [[255, 0, 16]]})
        self.assertEqual(bytes(answer[0]["buffers"][0]), struct.pack("<HH", 7, 65535))

        self.assertEqual(self.comm_info("test.kernel_side"), {comm_id: {"target_name": "test.kernel_side"}})
        close_id = self.raw.send("comm_close", {"comm_id": comm_id, "data": {"bye": True}})
        self.k.iopub_until_idle(close_id)
        self.assertEqual(self.k.value("state.kernelSideClosedWith"), "{ bye: true }")
        self.assertEqual(self.comm_info("test.kernel_side"), {})

    def comm_info(self, target=None):
        msg_id = self.k.kc.comm_info(target_name=target)
        reply = self.k.shell_reply(msg_id)
        self.assertEqual(reply["msg_type"], "comm_info_reply")
        self.assertEqual(reply["content"]["status"], "ok")
        return reply["content"]["comms"]

    def test_comm_info_is_filtered_by_target(self):
        a, b = uuid.uuid4().hex, uuid.uuid4().hex
        for comm_id in (a, b):
            self.k.iopub_until_idle(self.raw.send("comm_open", {"comm_id": comm_id, "target_name": "test.echo", "data": {}}))
        _, msgs = self.k.execute('kernel.openComm("test.other", {}).commId')
        other = comm_msgs(msgs, "comm_open")[0]["content"]["comm_id"]
        echo_only = self.comm_info("test.echo")
        self.assertIn(a, echo_only)
        self.assertIn(b, echo_only)
        self.assertNotIn(other, echo_only)
        self.assertTrue(all(v == {"target_name": "test.echo"} for v in echo_only.values()))
        everything = self.comm_info()
        self.assertTrue({a, b, other} <= set(everything))
        self.assertEqual(everything[other], {"target_name": "test.other"})
        self.assertEqual(self.comm_info("no.such.target"), {})

    def test_comm_open_for_an_unknown_target_is_answered_with_comm_close(self):
        comm_id = uuid.uuid4().hex
        msg_id = self.raw.send("comm_open", {"comm_id": comm_id, "target_name": "no.such.target", "data": {}})
        closes = comm_msgs(self.k.iopub_until_idle(msg_id), "comm_close")
        self.assertEqual([c["content"]["comm_id"] for c in closes], [comm_id])
        self.assertNotIn(comm_id, self.comm_info())
        self.assertIn('unknown target "no.such.target"', self.k.log())
        # For "camlab.*" targets the kernel first loads the camlab package (whose modules may
        # register the target); a name nobody registers is still answered with comm_close.
        comm_id = uuid.uuid4().hex
        msg_id = self.raw.send("comm_open", {"comm_id": comm_id, "target_name": "camlab.no_such_target", "data": {}})
        closes = comm_msgs(self.k.iopub_until_idle(msg_id), "comm_close")
        self.assertEqual([c["content"]["comm_id"] for c in closes], [comm_id])
        self.assertEqual(self.k.value("1 + 1"), "2")

    def test_malformed_comm_messages_are_logged_and_the_kernel_keeps_running(self):
        bad = [
            ("comm_msg", {"data": {}}),  # no comm_id
            ("comm_msg", {"comm_id": "does-not-exist", "data": {}}),
            ("comm_close", {"comm_id": 12345}),
            ("comm_open", {"target_name": "test.echo", "data": {}}),  # no comm_id
            ("comm_open", {"comm_id": "c-without-target", "data": {}}),
            ("comm_open", {"comm_id": uuid.uuid4().hex, "target_name": "test.throws", "data": {}}),
        ]
        for msg_type, content in bad:
            self.k.iopub_until_idle(self.raw.send(msg_type, content))
        # Frames that are not a message at all (no delimiter) and properly signed non-JSON content.
        self.raw.send_frames([b"garbage", b"more garbage"])
        msg, frames = self.raw.frames("comm_msg", {})
        frames[-1] = b"{not json"
        frames[1] = self.raw.session.sign(frames[2:6])
        self.raw.send_frames(frames)

        self.assertEqual(self.k.value("1 + 1"), "2")
        log = self.k.log()
        for expected in [
            "comm_msg without a string comm_id",
            "comm_msg for unknown comm id does-not-exist",
            "comm_close without a string comm_id",
            "comm_open without a string comm_id",
            "without a string target_name",
            "open handler boom",
            "no <IDS|MSG> delimiter",
            "the content frame is not valid JSON",
        ]:
            self.assertIn(expected, log)

    # ---- interrupts ------------------------------------------------------------------------------

    def interrupt_running(self, code):
        msg_id = self.k.kc.execute(code)
        try:
            # execute_input is on the wire before the cell runs, even for a blocking cell.
            self.k.wait_for(lambda m: m["msg_type"] == "execute_input" and m["parent_header"].get("msg_id") == msg_id, timeout=15)
        except Exception:
            self.k.km.interrupt_kernel()  # leave a usable kernel to the other tests
            raise
        time.sleep(0.7)  # let the cell get into its loop / await
        return msg_id

    def test_interrupt_of_a_synchronous_infinite_loop(self):
        self.assertEqual(self.k.value("let kept = 41; kept"), "41")
        msg_id = self.interrupt_running("kept = 0;\nwhile (true) {}")
        # The heartbeat answers although the main thread is stuck in the loop.
        info = self.k.km.get_connection_info()
        ctx = zmq.Context()
        hb = ctx.socket(zmq.REQ)
        hb.linger = 0
        hb.connect(f"{info['transport']}://{info['ip']}:{info['hb_port']}")
        hb.send(b"ping during a busy cell")
        self.assertTrue(hb.poll(3000), "no heartbeat reply while a cell was busy")
        self.assertEqual(hb.recv(), b"ping during a busy cell")
        hb.close()
        ctx.term()

        self.k.km.interrupt_kernel()
        reply = self.k.shell_reply(msg_id, timeout=15)["content"]
        self.assertEqual((reply["status"], reply["ename"]), ("error", "KeyboardInterrupt"))
        errors = comm_msgs(self.k.iopub_until_idle(msg_id), "error")
        self.assertEqual(errors[0]["content"]["ename"], "KeyboardInterrupt")
        # Same kernel, same variables: the assignment before the loop ran, earlier state survives.
        self.assertEqual(self.k.value("kept + 42"), "42")
        self.assertEqual(self.k.value("typeof kernel.registerCommTarget"), "'function'")

    def test_interrupt_of_a_pending_await(self):
        self.assertEqual(self.k.value("const before = 'still here'; before"), "'still here'")
        msg_id = self.interrupt_running("await new Promise(() => {});")
        self.k.km.interrupt_kernel()
        reply = self.k.shell_reply(msg_id, timeout=15)["content"]
        self.assertEqual((reply["status"], reply["ename"]), ("error", "KeyboardInterrupt"))
        self.k.iopub_until_idle(msg_id)
        self.assertEqual(self.k.value("before"), "'still here'")
        self.assertEqual(self.k.value("await Promise.resolve(5)"), "5")

    # ---- message authentication ------------------------------------------------------------------

    EXEC = {"silent": False, "store_history": True, "user_expressions": {}, "allow_stdin": False, "stop_on_error": True}

    def assert_dropped(self, raw, msg_id):
        self.assertIsNone(raw.recv(timeout=2), "the kernel answered a message it should have dropped")
        try:
            self.k.wait_for(lambda m: m["parent_header"].get("msg_id") == msg_id, timeout=1)
        except Exception:  # queue.Empty: nothing was published for it
            return
        self.fail("the kernel published iopub traffic for a message it should have dropped")

    def test_bad_signature_is_dropped_never_executed(self):
        forger = RawShell(self.k.km, key=b"not-the-right-key")
        try:
            msg_id = forger.send("execute_request", dict(self.EXEC, code="(globalThis as any).hacked = 1"))
            self.assert_dropped(forger, msg_id)
        finally:
            forger.close()
        # Tampering: a well-signed message whose content is changed after signing.
        msg, frames = self.raw.frames("execute_request", dict(self.EXEC, code="(globalThis as any).hacked = 2"))
        frames[5] = frames[5].replace(b"hacked = 2", b"hacked = 3")
        self.raw.send_frames(frames)
        self.assert_dropped(self.raw, msg["header"]["msg_id"])

        self.assertEqual(self.k.value("typeof (globalThis as any).hacked"), "'undefined'")
        self.assertIn("bad HMAC signature", self.k.log())

    def test_replayed_message_is_dropped(self):
        msg, frames = self.raw.frames("execute_request", dict(self.EXEC, code="(globalThis as any).runs = ((globalThis as any).runs ?? 0) + 1"))
        self.raw.send_frames(frames)
        first = self.raw.recv()
        self.assertEqual(first["content"]["status"], "ok")
        self.raw.send_frames(frames)
        self.assertIsNone(self.raw.recv(timeout=2))
        self.assertEqual(self.k.value("(globalThis as any).runs"), "1")
        self.assertIn("replayed", self.k.log())


class ShutdownAndRestartTests(unittest.TestCase):
    def test_restart_gives_a_fresh_kernel(self):
        k = KernelUnderTest()
        try:
            self.assertEqual(k.value("let survivor = 7; (globalThis as any).marker = 'set'; survivor"), "7")
            first_id = k.value('import { currentKernel } from "camlab/dist/src/jupyter";\ncurrentKernel()!.kernelId')
            first_pid = k.km.provisioner.pid
            k.km.restart_kernel(now=False)  # shutdown_request(restart=True), then a new process
            k.kc.wait_for_ready(timeout=60)
            k.flush()
            self.assertNotEqual(k.km.provisioner.pid, first_pid)
            # Neither the cell variables (unknown to the type checker now) nor globals survive.
            reply, _ = k.execute("survivor")
            self.assertEqual((reply["status"], reply["ename"]), ("error", "CompileError"))
            self.assertIn("Cannot find name 'survivor'", reply["evalue"])
            self.assertEqual(k.value("typeof (globalThis as any).marker"), "'undefined'")
            second_id = k.value('import { currentKernel } from "camlab/dist/src/jupyter";\ncurrentKernel()!.kernelId')
            self.assertNotEqual(first_id, second_id)
            self.assertEqual(k.value("1 + 1"), "2")
        finally:
            k.close()

    def test_shutdown_request_with_restart_is_answered_and_the_process_exits_cleanly(self):
        k = KernelUnderTest()
        try:
            process = k.km.provisioner.process
            k.kc.shutdown(restart=True)
            reply = k.kc.get_control_msg(timeout=10)
            self.assertEqual(reply["msg_type"], "shutdown_reply")
            self.assertEqual(reply["content"], {"status": "ok", "restart": True})
            self.assertEqual(process.wait(timeout=10), 0)
        finally:
            k.close()

    def test_process_exit_in_a_cell_closes_the_kernel_cleanly_with_that_code(self):
        k = KernelUnderTest()
        try:
            process = k.km.provisioner.process
            k.kc.execute("process.exit(3)")
            self.assertEqual(process.wait(timeout=15), 3)  # not 134: zeromq's worker was closed first
            self.assertIn("process.exit(3) called", k.log())
            self.assertNotIn("terminate called", k.log())
        finally:
            k.close()


if __name__ == "__main__":
    unittest.main()
