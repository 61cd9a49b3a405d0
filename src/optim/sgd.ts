import { ValueError } from '../errors.js';
import type { Tensor } from '../tensor.js';
import type { Optimizer } from './optimizer.js';
import { checkHyper, checkStep, paramNames, paramTensors, zeroState, type ParamList } from './params.js';

export interface SgdOptions {
  lr: number;
  momentum?: number;
  dampening?: number;
  weightDecay?: number;
  nesterov?: boolean;
}

/**
 * torch.optim.SGD, one fused kernel per parameter (backend/optim.ts has the rule). Momentum
 * buffers are created at construction for the parameters given there (so a checkpoint can load
 * them before the first step) and lazily for any other parameter passed to step().
 */
export class SGD implements Optimizer {
  lr: number;
  readonly momentum: number;
  readonly dampening: number;
  readonly weightDecay: number;
  readonly nesterov: boolean;
  /** Steps taken so far. To resume, write the saved buffers into state() and restore `steps`. */
  steps = 0;
  private readonly names: Map<number, string>;
  private readonly buffers = new Map<number, { t: Tensor; used: boolean }>();

  constructor(params: ParamList, opts: SgdOptions) {
    checkHyper('SGD', 'lr', opts.lr, 0);
    this.lr = opts.lr;
    this.momentum = opts.momentum ?? 0;
    this.dampening = opts.dampening ?? 0;
    this.weightDecay = opts.weightDecay ?? 0;
    this.nesterov = opts.nesterov ?? false;
    checkHyper('SGD', 'momentum', this.momentum, 0);
    checkHyper('SGD', 'dampening', this.dampening, 0, 1);
    checkHyper('SGD', 'weightDecay', this.weightDecay, 0);
    if (this.nesterov && (this.momentum === 0 || this.dampening !== 0)) {
      throw new ValueError('SGD: Nesterov momentum needs momentum > 0 and dampening 0 (as in PyTorch)');
    }
    this.names = paramNames(params);
    if (this.momentum !== 0) for (const p of paramTensors(params)) this.buffers.set(p.id, { t: zeroState(p), used: false });
  }

  step(params: readonly Tensor[], grads: readonly Tensor[]): void {
    checkStep('SGD', params, grads);
    params.forEach((p, i) => {
      const g = grads[i]!;
      let buf: { t: Tensor; used: boolean } | undefined;
      if (this.momentum !== 0) {
        buf = this.buffers.get(p.id);
        if (!buf) this.buffers.set(p.id, (buf = { t: zeroState(p), used: false }));
      }
      p.backend.sgdStep(p.storage('SGD.step'), g.storage('SGD.step'), buf ? buf.t.storage('SGD.step') : null, p.size, {
        lr: this.lr, momentum: this.momentum, dampening: this.dampening, weightDecay: this.weightDecay,
        // A buffer restored from a checkpoint (steps set > 0) is blended into, never overwritten.
        nesterov: this.nesterov, first: buf ? !buf.used && this.steps === 0 : true,
      });
      if (buf) buf.used = true;
    });
    this.steps++;
  }

  /** `momentum_buffer.<name>` per parameter (PyTorch's state key), for checkpoints. */
  state(): [string, Tensor][] {
    return [...this.buffers.entries()].map(([id, b]) => [`momentum_buffer.${this.names.get(id) ?? id}`, b.t]);
  }

  dispose(): void {
    for (const b of this.buffers.values()) b.t.dispose();
    this.buffers.clear();
  }
}
