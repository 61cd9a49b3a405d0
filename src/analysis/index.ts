// The analysis namespace: representation similarity (methods.md §1: HSIC, CKA estimators, minibatch
// layer × layer CKA, feature capture) and logit statistics, distillation, simplicity metrics. The SVG
// heatmap of a CKA matrix is report/heatmap.ts (the `report` namespace): it takes plain numbers.
export { linearCka, debiasedCka, rbfCka, hsic, cheaperForm, type CkaValue, type FeaturesLike, type LinearCkaOptions, type RbfCkaOptions, type HsicOptions } from './cka.js';
export { MinibatchCka, minibatchCka, type CkaMatrix } from './minibatch.js';
export { captureFeatures, layerNames, layerSimilarity, type CaptureOptions, type LayerSimilarityOptions, type PairedInputs } from './features.js';
export { similarityFromMatrices, type MatrixInput, type SimilarityOptions, type SimilarityReport } from './similarity.js';
export { ckaMatrixJson } from './output.js';
export { fullMedian } from '../backend/cpu/select.js';
export { FeatureMatrix } from './feature-matrix.js';
export { firstPcFraction, firstPcFractionOfGram, topEigenvalue, type TopEigen } from './pca.js';
export { longRangeSimilarity, blockScore } from './summary.js';
export * as logits from './logits.js';
export * as distillation from './distill.js';
export * as simplicity from './simplicity.js';
