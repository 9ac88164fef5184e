// Entry point of the JupyterLab front end that camlab serves.
//
// Module federation shares the core packages with prebuilt extensions through a share scope
// that exists only after `__webpack_init_sharing__` has run, so nothing shared may be imported
// synchronously here: this file only fixes the public path and crosses the async boundary.

function pageConfig() {
  const el = document.getElementById("jupyter-config-data");
  return el ? JSON.parse(el.textContent || "{}") : {};
}

// Lazy chunks live next to this bundle under the server's static URL for this app (the server
// may run under a base URL, so it is read from the page config rather than assumed).
const staticUrl = pageConfig().fullStaticUrl;
if (staticUrl) {
  // eslint-disable-next-line no-undef
  __webpack_public_path__ = `${staticUrl.replace(/\/$/, "")}/`;
}

import("./index.js")
  .then(({ main }) => main())
  .catch((error) => {
    console.error("JupyterLab failed to start", error);
    const box = document.createElement("pre");
    box.id = "camlab-lab-startup-error";
    box.textContent = `JupyterLab failed to start:\n${error && error.stack ? error.stack : error}`;
    document.body.appendChild(box);
  });
