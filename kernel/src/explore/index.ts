// The dataset explorer's engine: the confusion sweep over labelled data (tensors, a tf.data
// Dataset, or a stream of batches) that the confusion view and scripts share.
export { confusions, DEFAULT_SWEEP_BATCH, DEFAULT_KEEP_BYTES, type Confusions, type ConfusionOptions, type ConfusionPair } from "./confusions";
export { type ConfusionData, type LabelledBatch, type Labels } from "./batches";
