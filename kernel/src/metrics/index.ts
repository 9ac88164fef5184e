// Metrics for explanations: localisation (pointing game) and faithfulness (deletion/insertion
// AUC, average drop / increase in confidence). Batches in, plain numbers out.
export { pointingGame } from "./pointing";
export type { PointingGameOptions, PointingGameResult } from "./pointing";
export { deletionCurve, insertionCurve, confidenceChange } from "./faithfulness";
export type { CurveOptions, CurveResult, ConfidenceChange, Baseline } from "./faithfulness";
export type { ScoreOptions } from "./scoring";
