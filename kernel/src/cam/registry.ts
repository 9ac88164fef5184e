import type { CamMethod } from "./method";
import { gradCam } from "./methods/gradcam";
import { gradCamPlusPlus } from "./methods/gradcampp";
import { xGradCam } from "./methods/xgradcam";
import { hiResCam } from "./methods/hirescam";
import { layerCam } from "./methods/layercam";
import { scoreCam } from "./methods/scorecam";
import { eigenCam } from "./methods/eigencam";
import { ablationCam } from "./methods/ablationcam";
import { eigenGradCam } from "./methods/eigengradcam";
import { finerCamDefault } from "./methods/finercam";
import { shapleyCam } from "./methods/shapleycam";
import { rise } from "./methods/rise";
import { kpcaCam } from "./methods/kpcacam";
import { lightCam } from "./methods/lightcam";

/** Every CAM method by the name `cam({ method })` takes. */
export const CAM_METHODS = {
  gradcam: gradCam,
  gradcampp: gradCamPlusPlus,
  xgradcam: xGradCam,
  hirescam: hiResCam,
  layercam: layerCam,
  scorecam: scoreCam,
  eigencam: eigenCam,
  ablationcam: ablationCam,
  eigengradcam: eigenGradCam,
  finercam: finerCamDefault,
  shapleycam: shapleyCam,
  rise: rise(),
  kpcacam: kpcaCam(),
  lightcam: lightCam,
} as const;

/** A method name: "gradcam", "scorecam", … */
export type CamMethodName = keyof typeof CAM_METHODS;

/**
 * A method by name (case, "-", "_", " " ignored; "++" → "pp") or a CamMethod object as is; an
 * unknown name throws an error that lists the known ones (`caller` prefixes it).
 * @example resolveMethod("Grad-CAM++").name // "gradcampp"
 */
export function resolveMethod(method: CamMethodName | CamMethod | undefined, caller = "camlab.cam"): CamMethod {
  if (method == null) return gradCam;
  if (typeof method === "object" && typeof method.weigh === "function") return method;
  const m = (CAM_METHODS as Record<string, CamMethod>)[String(method).toLowerCase().replace(/[-_ +]/g, (ch) => (ch === "+" ? "p" : ""))];
  if (m == null) throw new Error(`${caller}: unknown method ${JSON.stringify(method)}; use one of ${Object.keys(CAM_METHODS).join(", ")} (or guidedBackprop/guidedGradCam for the guided variants; finerCam(), rise(), kpcaCam() for options)`);
  return m;
}
