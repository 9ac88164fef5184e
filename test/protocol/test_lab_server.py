"""camlab's JupyterLab server (extension/lab/camlab_lab) turns Nagle's algorithm off on the kernel
channels websocket: a widget's request gets the kernel's "busy" status and then its reply, and
with Nagle on the reply waited for the browser's delayed acknowledgement of the status (up to
40 ms; measured through this server: replies at 48 ms with Nagle, 6-9 ms without)."""
import os
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "extension", "lab"))
import camlab_lab  # noqa: E402


class Handler:
    """A stand-in with the two methods the patch uses, recording the order of calls."""

    def __init__(self):
        self.calls = []

    def set_nodelay(self, value):
        self.calls.append(("set_nodelay", value))

    def open(self, kernel_id):
        self.calls.append(("open", kernel_id))
        return "opened"


class Gone(Handler):
    def set_nodelay(self, value):
        raise AssertionError("the connection is gone")


class NoDelayOnKernelWebsockets(unittest.TestCase):
    def test_this_jupyter_server_has_a_kernel_websocket_handler_to_patch(self):
        found = camlab_lab._kernel_websocket_handlers()
        self.assertTrue(found, "no kernel websocket handler class found in jupyter_server")
        for cls in found:
            self.assertTrue(hasattr(cls, "set_nodelay"), cls)

    def test_open_sets_nodelay_first_then_runs_the_handler_s_own_open_once(self):
        class H(Handler):
            pass

        camlab_lab.send_kernel_messages_at_once([H])
        camlab_lab.send_kernel_messages_at_once([H])  # idempotent: wrapped once
        h = H()
        self.assertEqual(H.open(h, "k1"), "opened")
        self.assertEqual(h.calls, [("set_nodelay", True), ("open", "k1")])

    def test_a_failing_set_nodelay_keeps_the_connection(self):
        class G(Gone):
            pass

        camlab_lab.send_kernel_messages_at_once([G])
        g = G()
        self.assertEqual(G.open(g, "k2"), "opened")
        self.assertEqual(g.calls, [("open", "k2")])


if __name__ == "__main__":
    unittest.main()
