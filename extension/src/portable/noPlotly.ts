// Stands in for plotly.js in the portable views' bundle: plotly (3.5 MB) would travel inside every
// widget's `_esm`. Charts that need it say so; the rest of each view works as in JupyterLab.
throw new Error("the histogram chart needs JupyterLab's camlab-extension (plotly is not bundled into portable views)");
