// anywidget's front end in the host: the AnyModel/AnyView classes that run a widget's `_esm` code,
// registered with the Jupyter widget manager under the module name "anywidget". This is what the
// labextension of anywidget's Python package does; bundling it here means a kernel can send
// anywidget models (`_model_module: "anywidget"`) without the user installing anything.
//
// The build lists this plugin under the package name "anywidget", so a prebuilt "anywidget"
// extension (e.g. from `pip install anywidget`) replaces it instead of registering twice.
import { IJupyterWidgetRegistry } from "@jupyter-widgets/base";
// npm's anywidget is an AMD module, `define(["@jupyter-widgets/base"], factory)`: the bundler
// hands the factory the host's shared @jupyter-widgets/base, so the classes extend the models
// of the manager that loads them.
import anywidget from "anywidget";

export default {
  id: "anywidget:plugin",
  description: "Registers anywidget's AnyModel and AnyView with the Jupyter widget manager.",
  requires: [IJupyterWidgetRegistry],
  autoStart: true,
  activate(app, registry) {
    registry.registerWidget({
      name: "anywidget",
      // The version the classes carry (their model_module_version), so the registration always
      // matches the bundled code.
      version: anywidget.AnyModel.model_module_version,
      exports: { AnyModel: anywidget.AnyModel, AnyView: anywidget.AnyView },
    });
  },
};
