// Rich display: display(value), display handles with update(), clearOutput(), MIME bundles.
// The protocol for custom objects ([Symbol.for("Jupyter.display")]) is documented in mime.ts.
export { display, clearOutput, DisplayHandle, NOT_A_RESULT, type DisplayOptions } from "./display";
export {
  JUPYTER_DISPLAY,
  displayContent,
  normalizeBundle,
  textRepr,
  type MimeBundle,
  type DisplayContent,
  type DisplayResult,
  type Displayable,
} from "./mime";
export { setProgressDisplay, progressDisplayEnabled, progressText, ProgressDisplay } from "./progress";
