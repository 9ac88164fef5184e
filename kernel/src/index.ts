// The public API of the `camlab` package, as used from notebook cells
// (`import * as camlab from "camlab"`) and from plain Node scripts.
// Each concern lives in its own folder; this file only re-exports.
export * from "./engine";
export * from "./hooks";
export * from "./cam";
export * from "./attribution";
export * from "./metrics";
export * from "./explore";
export * from "./models";
export * from "./data";
export * from "./display";
export * from "./session";
export * from "./views";
/**
 * camlab's figure layer for notebooks: pictures, galleries, tables, CAM overlays and charts (charts
 * carry a PNG, so a saved notebook shows them untrusted).
 * @example const { overlay, lineChart } = camlab.figures; display(await overlay(photo, await camlab.cam(net, x)))
 */
export * as figures from "./figures";
/**
 * Jupyter widgets from TypeScript cells (the ipywidgets 8 protocol): IntSlider, Dropdown,
 * ToggleButtons, Button, Output, HBox/VBox, Image, interact(), and AnyWidget for your own.
 * @example const { IntSlider } = camlab.widgets; const k = new IntSlider({ max: 10 }); k.observe(({ new: v }) => console.log(v), "value"); k
 */
export * as widgets from "./widgets";
