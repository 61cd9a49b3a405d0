export { trainEpoch, evaluate, formatMetrics, type EpochMetrics, type LoopOptions, type TrainOptions } from './loop.js';
export { runPass, type PassMetrics, type PassOptions } from './pass.js';
export { fit, type EpochDone, type FitOptions, type FitResult, type StateSnapshot } from './fit.js';
export type { StepContext, Tally, TrainStep } from './step.js';
export { standardStep, crossEntropyLoss, type LossFn, type StandardStepOptions } from './standard.js';
export { countCorrect, countArgmaxCorrect } from './correct.js';
export { distill, distillLoss, distillStep, type DistillBatch, type DistillLossOptions, type DistillOptions, type DistillResult, type TeacherSource } from './distill.js';
export { ProgressBar } from './progress.js';
export { checkpointArch, checkpointBytes, checkpointTensors, loadOptimizerState, loadStateDict, modelFromCheckpoint, stateTensors, type CheckpointInput, type ModelFromCheckpointOptions } from './checkpoint.js';
