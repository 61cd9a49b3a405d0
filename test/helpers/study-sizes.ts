// The study's sizes for end-to-end tests: every stage runs, in a minute or two on lavapipe.
import type { StudySizes } from '../../src/study/config.js';

export const TINY_SIZES: StudySizes = {
  trainSize: 128, testSize: 128, batchSize: 64, epochs: 1, deepEpochs: 1, deepDepth: 6, deepWidth: 0.25, deepTrainSize: 64,
  epochEvalSize: 32, trainSteps: 1, deepTrainSteps: 1, evalSteps: 2, evalSize: 32, ckaSize: 64, ckaBatch: 32,
  randomLabelSize: 32, randomLabelEpochs: 2, distillEpochs: 1, probeSize: 32,
  roTrainSize: 64, roEpochs: 2, roValSize: 32, roGapSize: 32, aaSize: 8, aaSteps: 2, aaQueries: 5,
};
