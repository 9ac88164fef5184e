import type { AttributionMethod } from "./method";
import { saliency } from "./methods/saliency";
import { gradientXInput } from "./methods/gradientxinput";
import { integratedGradientsMethod } from "./methods/integratedgradients";

/** Every input-attribution method by the name `attribute({ method })` takes. */
export const ATTRIBUTION_METHODS = {
  saliency,
  gradientxinput: gradientXInput,
  integratedgradients: integratedGradientsMethod,
} as const;

/** An attribution method name: "saliency", "gradientxinput", "integratedgradients". */
export type AttributionMethodName = keyof typeof ATTRIBUTION_METHODS;

const ALIASES: Record<string, AttributionMethodName> = { vanilla: "saliency", gradient: "saliency", inputxgradient: "gradientxinput", gradxinput: "gradientxinput", ig: "integratedgradients" };

/** A method by name (case, "-", "_", " ", "×" ignored; "ig", "inputxgradient" accepted) or an AttributionMethod as is. */
export function resolveAttributionMethod(method: AttributionMethodName | AttributionMethod | undefined): AttributionMethod {
  if (method == null) return saliency;
  if (typeof method === "object" && typeof method.attribute === "function") return method;
  const key = String(method).toLowerCase().replace(/[-_ ×*]/g, (ch) => (ch === "×" || ch === "*" ? "x" : ""));
  const m = (ATTRIBUTION_METHODS as Record<string, AttributionMethod>)[ALIASES[key] ?? key];
  if (m == null) throw new Error(`camlab.attribute: unknown method ${JSON.stringify(method)}; use one of ${Object.keys(ATTRIBUTION_METHODS).join(", ")} (wrap one in smoothGrad()/varGrad(), or pass { smooth })`);
  return m;
}
