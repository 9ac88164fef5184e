"""Serves camlab's JupyterLab 4 front end (built from npm into ../build) with jupyterlab_server.

Python's `jupyterlab` package is not needed: `jupyter_server` + `jupyterlab_server` (Debian's
python3-jupyter-server / python3-jupyterlab-server, or what `pip install jupyterlab` brings) serve
the front end that extension/lab/build.mjs assembled (JupyterLab's core extensions plus the
Jupyter widget manager and anywidget), its settings schemas and themes, and every prebuilt
extension found on `labextensions_path` -- camlab's own build output first, then the user's
usual Jupyter data folders.

`--CamlabLabApp.camlab_extension=False` leaves camlab's build output off that path: a lab that
knows camlab only through the Jupyter widget protocol (a copy of the extension the user
installed into a Jupyter data folder still loads, as any installed extension does).

Run:  PYTHONPATH=extension/lab python3 -m camlab_lab --ServerApp.root_dir=notebooks
"""
import json
import os

from jupyter_core.paths import jupyter_config_dir, jupyter_path
from jupyterlab_server import LabServerApp
from traitlets import Bool, List, Unicode, default

HERE = os.path.dirname(os.path.abspath(__file__))
LAB_DIR = os.path.dirname(HERE)  # extension/lab
BUILD_DIR = os.path.join(LAB_DIR, "build")
EXTENSION_DIR = os.path.dirname(LAB_DIR)  # extension/


def camlab_labextensions_dir():
    """The folder holding camlab's prebuilt extension: the parent of the extension's outputDir."""
    output_dir = "build/labextensions/camlab-extension"
    try:
        with open(os.path.join(EXTENSION_DIR, "package.json"), encoding="utf-8") as f:
            output_dir = json.load(f).get("jupyterlab", {}).get("outputDir", output_dir)
    except (OSError, ValueError):
        pass
    return os.path.dirname(os.path.normpath(os.path.join(EXTENSION_DIR, output_dir)))


class CamlabLabApp(LabServerApp):
    """JupyterLab 4 at /lab, served from extension/lab/build."""

    # jupyter_server finds an extension app by its package name: the two must be the same.
    name = __name__
    app_name = "JupyterLab (camlab)"
    description = __doc__
    extension_url = "/lab"
    default_url = Unicode("/lab", help="Where / redirects to.").tag(config=True)
    # A user's own `jupyterlab` server extension would also claim /lab; run without the others.
    load_other_extensions = False

    app_settings_dir = Unicode(os.path.join(LAB_DIR, "settings")).tag(config=True)
    schemas_dir = Unicode(os.path.join(BUILD_DIR, "schemas")).tag(config=True)
    themes_dir = Unicode(os.path.join(BUILD_DIR, "themes")).tag(config=True)
    static_dir = Unicode(os.path.join(BUILD_DIR, "static")).tag(config=True)
    templates_dir = Unicode(os.path.join(BUILD_DIR, "static")).tag(config=True)
    camlab_extension = Bool(
        True,
        help="Serve camlab's prebuilt extension from its build output (False: a lab without "
        "camlab's renderers, where camlab's views can only come as Jupyter widgets).",
    ).tag(config=True)
    labextensions_path = List(
        Unicode(),
        help="Folders searched for prebuilt extensions: camlab's build output (unless "
        "camlab_extension is False), then Jupyter's. When set, it is used as given.",
    ).tag(config=True)

    @default("labextensions_path")
    def _default_labextensions_path(self):
        own = [camlab_labextensions_dir()] if self.camlab_extension else []
        return [*own, *jupyter_path("labextensions")]

    @default("app_version")
    def _default_app_version(self):
        # The JupyterLab version the front end was built from (window.jupyterapp.version).
        try:
            with open(os.path.join(BUILD_DIR, "build-stamp.json"), encoding="utf-8") as f:
                return json.load(f)["coreMeta"]
        except (OSError, ValueError, KeyError):
            return ""

    # jupyterlab_server leaves these empty (no saving); use JupyterLab's usual places, which
    # follow JUPYTER_CONFIG_DIR, so tests and `npm start` keep them inside their own folders.
    @default("user_settings_dir")
    def _default_user_settings_dir(self):
        return os.environ.get("JUPYTERLAB_SETTINGS_DIR") or os.path.join(
            jupyter_config_dir(), "lab", "user-settings"
        )

    @default("workspaces_dir")
    def _default_workspaces_dir(self):
        return os.environ.get("JUPYTERLAB_WORKSPACES_DIR") or os.path.join(
            jupyter_config_dir(), "lab", "workspaces"
        )

    expose_app_in_browser = Bool(
        False, help="Set window.jupyterapp to the application object (for browser tests)."
    ).tag(config=True)

    def initialize_settings(self):
        super().initialize_settings()
        send_kernel_messages_at_once()
        index = os.path.join(self.static_dir, "index.html")
        if not os.path.exists(index):
            raise RuntimeError(
                f"The JupyterLab front end is not built ({index} is missing): "
                "run `npm run build -w camlab-lab` (or `npm start`, which builds what is missing)."
            )
        if self.expose_app_in_browser:
            self.settings.setdefault("page_config_data", {})["exposeAppInBrowser"] = True


def _kernel_websocket_handlers():
    """The handler classes of the kernel channels websocket (jupyter_server 1.x and 2.x names)."""
    found = []
    try:
        from jupyter_server.services.kernels.handlers import ZMQChannelsHandler

        found.append(ZMQChannelsHandler)
    except ImportError:
        pass
    try:
        from jupyter_server.services.kernels.websocket import KernelWebsocketHandler

        found.append(KernelWebsocketHandler)
    except ImportError:
        pass
    return found


def send_kernel_messages_at_once(classes=None):
    """Turns Nagle's algorithm off on the kernel channels websocket (TCP_NODELAY).

    A request a widget sends gets two messages back in quick succession: the kernel's "busy"
    status, then the reply. With Nagle on, tornado holds the reply until the browser acknowledges
    the status, and the browser delays that acknowledgement by up to 40 ms: a class switch that
    takes 20 ms took 60. jupyter_server 1.23 leaves Nagle on; tornado's set_nodelay is the switch
    for it, once the connection is open.
    """
    for cls in _kernel_websocket_handlers() if classes is None else classes:
        if getattr(cls.open, "_camlab_nodelay", False):
            continue
        original = cls.open

        def open(self, *args, _original=original, **kwargs):
            try:
                self.set_nodelay(True)
            except Exception:  # an older tornado, or a connection already gone: keep Nagle
                pass
            return _original(self, *args, **kwargs)

        open._camlab_nodelay = True
        cls.open = open


def _jupyter_server_extension_points():
    return [{"module": __name__, "app": CamlabLabApp}]


main = launch_new_instance = CamlabLabApp.launch_instance
