/**
 * Distillation (methods.md §4, paper (d)): a student trained on clean inputs only, against a
 * teacher's logits (possibly manipulated: analysis/distill.ts), with the Hinton loss
 * T²·KL(softmax(z_t/T) ‖ softmax(z_s/T)) (+ α·CE on hard labels). No adversarial examples are involved.
 */
import type { Batch, BatchSource } from '../data/dataset.js';
import { tidy } from '../engine.js';
import { ShapeError, ValueError, fmtShape } from '../errors.js';
import { crossEntropy, klDivergence, type Labels } from '../nn/losses.js';
import type { Module } from '../nn/module.js';
import { add, mul } from '../ops/elementwise.js';
import type { Optimizer } from '../optim/optimizer.js';
import type { Tensor } from '../tensor.js';
import { runPass } from './pass.js';
import type { TrainStep } from './step.js';

export interface DistillLossOptions {
  /** Softmax temperature T (default 4). */
  temperature?: number;
  /** Weight of the hard-label cross-entropy term (default 0: pure distillation). */
  alpha?: number;
}

/** T²·KL(softmax(z_t/T) ‖ softmax(z_s/T)), averaged over the batch, plus α·CE(z_s, y) when α > 0. */
export function distillLoss(student: Tensor, teacher: Tensor, labels: Labels | undefined, opts: DistillLossOptions = {}): Tensor {
  const T = opts.temperature ?? 4;
  const alpha = opts.alpha ?? 0;
  if (!(T > 0)) throw new ValueError(`distillLoss: temperature ${T} must be > 0`);
  if (!(alpha >= 0)) throw new ValueError(`distillLoss: alpha ${alpha} must be >= 0`);
  if (student.shape.join() !== teacher.shape.join()) {
    throw new ShapeError(`distillLoss: student logits ${fmtShape(student.shape)} and teacher logits ${fmtShape(teacher.shape)} differ`);
  }
  return tidy(() => {
    const kd = mul(klDivergence(mul(teacher, 1 / T), mul(student, 1 / T), 'batchmean'), T * T);
    if (alpha === 0) return kd;
    if (labels === undefined) throw new ValueError('distillLoss: alpha > 0 needs labels');
    return add(kd, mul(crossEntropy(student, labels), alpha));
  });
}

/** Where teacher logits come from: given the batch inputs and the step, logits [B, C] handed over to the step (it disposes them). */
export type TeacherSource = (x: Tensor, step: number) => Tensor | Promise<Tensor>;

/** Batches for distillation: labels are optional (only the α·CE term uses them). */
export type DistillBatch = Batch | Pick<Batch, 'x'>;

/** The distillation step: teacher logits first (outside the tape), then the student's distillation loss. */
export function distillStep(teacher: TeacherSource, opts: DistillLossOptions = {}): TrainStep<DistillBatch, Tensor> {
  return {
    prepare: (batch, ctx) => teacher(batch.x, ctx.index),
    loss: (batch, zt, ctx) => distillLoss(ctx.model.forward(batch.x), zt, (batch as Partial<Batch>).y, opts),
    release: (zt) => zt.dispose(),
  };
}

export interface DistillOptions extends DistillLossOptions {
  /** Read the loss back every this many steps, from the first (default 10); readbacks stall the GPU queue. */
  logEvery?: number;
}

export interface DistillResult {
  steps: number;
  /** The loss of steps 0, logEvery, 2·logEvery, … */
  losses: { step: number; loss: number }[];
}

/**
 * Train `student` on clean batches against `teacher` logits with the distillation loss, one pass on
 * the one loop; the student runs in training mode. Labels are only used when alpha > 0. A loss that
 * reads back as NaN or ±Inf stops the run with an error.
 */
export async function distill(student: Module, teacher: TeacherSource, optimizer: Optimizer, batches: BatchSource<DistillBatch>, opts: DistillOptions = {}): Promise<DistillResult> {
  const logEvery = opts.logEvery ?? 10;
  if (!(Number.isInteger(logEvery) && logEvery >= 1)) throw new ValueError(`distill: logEvery ${logEvery} must be an integer >= 1`);
  const losses: { step: number; loss: number }[] = [];
  const m = await runPass(student, batches, distillStep(teacher, opts), {
    name: 'distill', optimizer, quiet: true, lossMean: 'batch', // one add per step: distill reports no mean
    onStep: async ({ index, loss }) => {
      if (index % logEvery !== 0) return;
      const v = await loss.item();
      if (!Number.isFinite(v)) throw new ValueError(`distill: loss became ${v} at step ${index}; lower the learning rate or the temperature`);
      losses.push({ step: index, loss: v });
    },
  });
  return { steps: m.steps, losses };
}
