export { trainEpoch, evaluate, countCorrect, crossEntropyLoss, formatMetrics, type Batch, type BatchSource, type LossFn, type EpochMetrics, type LoopOptions, type TrainOptions } from './loop.js';
export { ProgressBar } from './progress.js';
export { checkpointBytes, checkpointTensors, loadOptimizerState, loadStateDict, stateTensors, type CheckpointInput } from './checkpoint.js';
