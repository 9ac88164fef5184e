// Metrics for explanations: localisation (pointing game, relevance mass / rank accuracy),
// faithfulness (deletion/insertion AUC, average drop / increase in confidence, ROAD), concentration
// (sparseness, complexity) and the sanity checks (parameter and label randomisation). Batches in,
// plain numbers out.
export { pointingGame } from "./pointing";
export type { PointingGameOptions, PointingGameResult } from "./pointing";
export { deletionCurve, insertionCurve, confidenceChange } from "./faithfulness";
export type { CurveOptions, CurveResult, ConfidenceChange, Baseline } from "./faithfulness";
export type { ScoreOptions } from "./scoring";
export { road } from "./road";
export type { RoadOptions, RoadResult, RoadCurves } from "./road";
export { noisyLinearImputation } from "./imputation";
export type { ImputationOptions } from "./imputation";
export { relevanceAccuracy } from "./localisation";
export type { RelevanceAccuracy } from "./localisation";
export { sparseness, complexity } from "./complexity";
export type { MapScores } from "./complexity";
export { mapSimilarity } from "./similarity";
export type { MapSimilarity } from "./similarity";
export { parameterRandomization, labelRandomization } from "./randomization";
export type { Explainer, SimilarityStep, RandomizationStep, ParameterRandomizationOptions, ParameterRandomizationResult, LabelRandomizationOptions, LabelRandomizationResult } from "./randomization";
