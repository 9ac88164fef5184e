// Starts JupyterLab: the core extensions pinned by @jupyterlab/core-meta, the ones the host adds
// (the Jupyter widget manager, anywidget), plus every prebuilt (federated) extension the server
// found on its labextensions_path (camlab's among them, unless the server leaves it out).
import { PageConfig, URLExt } from "@jupyterlab/coreutils";
import { coreExtensions, coreMimeExtensions, hostExtensions } from "camlab-lab-generated/core-plugins.js";
import "camlab-lab-generated/style.js";

/** Adds a <script> for a federated extension's remoteEntry and waits until it ran. */
function loadScript(url) {
  return new Promise((resolve, reject) => {
    const script = document.createElement("script");
    script.src = url;
    script.async = true;
    script.onload = () => resolve();
    script.onerror = () => reject(new Error(`could not load ${url}`));
    document.head.appendChild(script);
  });
}

/** Loads a prebuilt extension's container and connects it to the host's share scope. */
async function loadFederatedContainer(extension) {
  const base = PageConfig.getOption("fullLabextensionsUrl");
  await loadScript(URLExt.join(base, extension.name, extension.load));
  // eslint-disable-next-line no-undef
  await __webpack_init_sharing__("default");
  const container = window._JUPYTERLAB?.[extension.name];
  if (!container) throw new Error(`${extension.name}: its remoteEntry did not define _JUPYTERLAB["${extension.name}"]`);
  // eslint-disable-next-line no-undef
  await container.init(__webpack_share_scopes__.default);
  return container;
}

async function exposedModule(container, name, module) {
  const factory = await container.get(module);
  const mod = factory();
  if (!mod) throw new Error(`${name}: ${module} exported nothing`);
  return mod;
}

/** The plugins a module exports (a default export that is one plugin or an array of them). */
function pluginsOf(mod) {
  const exported = mod && typeof mod === "object" && "default" in mod ? mod.default : mod;
  return Array.isArray(exported) ? exported : [exported];
}

function describe(plugin, extension, enabled) {
  const names = (tokens) => (tokens ?? []).map((t) => t.name);
  return {
    id: plugin.id,
    description: plugin.description,
    requires: names(plugin.requires),
    optional: names(plugin.optional),
    provides: plugin.provides?.name ?? null,
    autoStart: plugin.autoStart,
    extension,
    enabled,
  };
}

export async function main() {
  const federated = JSON.parse(PageConfig.getOption("federated_extensions") || "[]");
  const federatedNames = new Set(federated.map((e) => e.name));

  const disabled = [];
  const deferred = [];
  const ignorePlugins = [];
  const available = [];

  /** Filters a module's plugins by the page config's disabled/deferred lists. */
  const active = (mod, extension) => {
    const out = [];
    for (const plugin of pluginsOf(mod)) {
      if (!plugin || typeof plugin !== "object" || !plugin.id) continue;
      const isDisabled = PageConfig.Extension.isDisabled(plugin.id);
      available.push(describe(plugin, extension, !isDisabled));
      if (isDisabled) {
        disabled.push(plugin.id);
        continue;
      }
      if (PageConfig.Extension.isDeferred(plugin.id)) {
        deferred.push(plugin.id);
        ignorePlugins.push(plugin.id);
      }
      out.push(plugin);
    }
    return out;
  };

  // Prebuilt extensions load next to the core ones; one that fails is reported, not fatal.
  const containers = new Map();
  await Promise.all(
    federated.map(async (ext) => {
      try {
        containers.set(ext.name, await loadFederatedContainer(ext));
      } catch (error) {
        console.error(`Failed to load prebuilt extension ${ext.name}`, error);
      }
    }),
  );
  const federatedModule = async (ext, module) => {
    const container = containers.get(ext.name);
    if (!container) return null;
    try {
      return await exposedModule(container, ext.name, module);
    } catch (error) {
      console.error(`Failed to load ${module} of ${ext.name}`, error);
      return null;
    }
  };

  // A prebuilt extension with a core (or host) package's name replaces that package.
  const coreOnly = (entries) => entries.filter(([pkg]) => !federatedNames.has(pkg));
  const [coreMods, coreMimeMods, fedMods, fedMimeMods] = await Promise.all([
    Promise.all(coreOnly([...coreExtensions, ...hostExtensions]).map(async ([pkg, load]) => [pkg, await load()])),
    Promise.all(coreOnly(coreMimeExtensions).map(async ([pkg, load]) => [pkg, await load()])),
    Promise.all(federated.filter((e) => e.extension).map(async (e) => [e.name, await federatedModule(e, e.extension)])),
    Promise.all(federated.filter((e) => e.mimeExtension).map(async (e) => [e.name, await federatedModule(e, e.mimeExtension)])),
    Promise.all(
      federated
        .filter((e) => e.style && !PageConfig.Extension.isDisabled(e.name))
        .map((e) => federatedModule(e, e.style)),
    ),
  ]);

  const mimeExtensions = [];
  for (const [pkg, mod] of [...coreMimeMods, ...fedMimeMods]) if (mod) mimeExtensions.push(...active(mod, pkg));
  const plugins = [];
  for (const [pkg, mod] of [...coreMods, ...fedMods]) if (mod) plugins.push(...active(mod, pkg));

  const { JupyterLab } = await import("@jupyterlab/application");
  const lab = new JupyterLab({
    mimeExtensions,
    disabled: { matches: disabled, patterns: PageConfig.Extension.disabled },
    deferred: { matches: deferred, patterns: PageConfig.Extension.deferred },
    availablePlugins: available,
  });
  for (const plugin of plugins) {
    try {
      lab.registerPlugin(plugin);
    } catch (error) {
      console.error(`Plugin ${plugin.id} could not be registered`, error); // e.g. a duplicate id
    }
  }

  // Tests and power users reach the application object only when the server asks for it.
  if (PageConfig.getOption("exposeAppInBrowser").toLowerCase() === "true") {
    window.jupyterapp = lab;
  }
  await lab.start({ ignorePlugins, bubblingKeydown: true });
  await lab.restored;
  document.body.dataset.camlabLab = "ready";
}
