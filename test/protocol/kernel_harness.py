"""Shared helpers for the camlab protocol tests: start the installed `camlab` kernelspec with
jupyter_client, run cells, collect iopub traffic per request, and talk to the shell socket
directly (raw zeromq) when a test needs frames jupyter_client would never produce (bad HMAC,
replays, binary buffers on comm messages)."""
import os
import queue
import tempfile
import time

import zmq
from jupyter_client.manager import KernelManager
from jupyter_client.session import Session

TIMEOUT = 30


class KernelUnderTest:
    """A camlab kernel started in a fresh temporary folder OUTSIDE the repository, so imports of
    camlab and @tensorflow/tfjs are proven to work wherever a notebook lives."""

    def __init__(self):
        self.workdir = tempfile.mkdtemp(prefix="camlab-protocol-")
        self.log_path = os.path.join(self.workdir, "kernel.log")
        self.log_file = open(self.log_path, "w")
        self.km = KernelManager(kernel_name="camlab")
        self.km.start_kernel(cwd=self.workdir, stderr=self.log_file)
        self.kc = self.km.client()
        self.kc.start_channels()
        self.kc.wait_for_ready(timeout=60)
        self.flush()

    def close(self):
        try:
            self.kc.stop_channels()
            self.km.shutdown_kernel(now=False)
        finally:
            self.log_file.close()

    def log(self):
        self.log_file.flush()
        with open(self.log_path) as f:
            return f.read()

    def flush(self):
        for get in (self.kc.get_iopub_msg, self.kc.get_shell_msg):
            while True:
                try:
                    get(timeout=0.2)
                except queue.Empty:
                    break

    def iopub_until_idle(self, msg_id, timeout=TIMEOUT):
        """iopub messages whose parent is msg_id, up to and excluding its idle status."""
        out = []
        deadline = time.monotonic() + timeout
        while True:
            msg = self.kc.get_iopub_msg(timeout=max(0.1, deadline - time.monotonic()))
            if msg["parent_header"].get("msg_id") != msg_id:
                continue
            if msg["msg_type"] == "status" and msg["content"]["execution_state"] == "idle":
                return out
            out.append(msg)

    def shell_reply(self, msg_id, timeout=TIMEOUT):
        deadline = time.monotonic() + timeout
        while True:
            msg = self.kc.get_shell_msg(timeout=max(0.1, deadline - time.monotonic()))
            if msg["parent_header"].get("msg_id") == msg_id:
                return msg

    def execute(self, code, timeout=TIMEOUT, **kw):
        """Runs a cell; returns (reply content, iopub messages of that request)."""
        msg_id = self.kc.execute(code, **kw)
        reply = self.shell_reply(msg_id, timeout)
        return reply["content"], self.iopub_until_idle(msg_id, timeout)

    def value(self, code):
        """text/plain of a cell's execute_result; fails loudly with the cell's error otherwise."""
        reply, msgs = self.execute(code)
        if reply["status"] != "ok":
            raise AssertionError(f"cell {code!r} failed: {reply.get('ename')}: {reply.get('evalue')}")
        results = [m for m in msgs if m["msg_type"] == "execute_result"]
        if len(results) != 1:
            raise AssertionError(f"cell {code!r} gave {len(results)} execute_result(s): {[m['msg_type'] for m in msgs]}")
        return results[0]["content"]["data"]["text/plain"]

    def wait_for(self, predicate, timeout=TIMEOUT):
        """The first iopub message (any parent) for which predicate(msg) holds."""
        deadline = time.monotonic() + timeout
        while True:
            msg = self.kc.get_iopub_msg(timeout=max(0.1, deadline - time.monotonic()))
            if predicate(msg):
                return msg


class RawShell:
    """A DEALER socket on the kernel's shell port with its own Session (and so its own key)."""

    def __init__(self, km, key=None):
        info = km.get_connection_info()
        self.session = Session(key=info["key"] if key is None else key, signature_scheme=info["signature_scheme"])
        self.ctx = zmq.Context()
        self.socket = self.ctx.socket(zmq.DEALER)
        self.socket.linger = 0
        self.socket.connect(f"{info['transport']}://{info['ip']}:{info['shell_port']}")
        time.sleep(0.3)  # let the connection settle before the first send

    def frames(self, msg_type, content, buffers=()):
        msg = self.session.msg(msg_type, content)
        return msg, self.session.serialize(msg) + [bytes(b) for b in buffers]

    def send(self, msg_type, content, buffers=()):
        msg, frames = self.frames(msg_type, content, buffers)
        self.socket.send_multipart(frames)
        return msg["header"]["msg_id"]

    def send_frames(self, frames):
        self.socket.send_multipart(frames)

    def recv(self, timeout=TIMEOUT):
        """The next reply on this socket, or None after timeout seconds."""
        if not self.socket.poll(int(timeout * 1000)):
            return None
        frames = self.socket.recv_multipart()
        _, rest = self.session.feed_identities(frames, copy=True)
        return self.session.deserialize(rest, content=True, copy=True)

    def close(self):
        self.socket.close()
        self.ctx.term()
