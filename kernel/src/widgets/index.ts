// Jupyter widgets from TypeScript cells: the ipywidgets 8 protocol (jupyter.widget comms,
// protocol 2.1.0), the standard controls, Output, interact, and anywidget-style custom widgets.
export { Widget, type WidgetChange, type Observer, type CustomMessageHandler, type WidgetOptions } from "./widget";
export {
  IntSlider,
  FloatSlider,
  Dropdown,
  ToggleButtons,
  Checkbox,
  Text,
  Button,
  Label,
  HTML,
  Image,
  HBox,
  VBox,
  IntProgress,
  type DescriptionAttributes,
  type IntSliderAttributes,
  type FloatSliderAttributes,
  type SelectionAttributes,
  type SelectionOption,
  type ToggleButtonsAttributes,
  type CheckboxAttributes,
  type TextAttributes,
  type ButtonAttributes,
  type LabelAttributes,
  type ImageAttributes,
  type BoxAttributes,
  type ProgressAttributes,
} from "./controls";
export { Output, type OutputAttributes } from "./output";
export { interact, interactive, Interactive, widgetFor, type InteractAbbreviation, type InteractValues } from "./interact";
export { AnyWidget, ANYWIDGET_VERSION, type AnyWidgetOptions } from "./anywidget";
export { PROTOCOL_VERSION, WIDGET_TARGET, CONTROL_TARGET, VERSION_TARGET, WIDGET_VIEW_MIME } from "./manager";
export { MODELS, type ModelName } from "./models.generated";
export type { ModelSpec, AttributeSpec } from "./spec";
